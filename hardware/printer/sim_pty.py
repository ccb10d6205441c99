"""A serial printer simulated on a pseudo-terminal: the driver opens /dev/pts/N with pyserial.

The simulator keeps the master side and also holds the slave side open, so that the pty survives the
driver opening and closing the port for every job. With a baud rate, it reads no faster than a serial
line carries bytes (baud / 10 per second: start bit, 8 data bits, stop bit), so that the time a ticket
takes at 9600 baud can be measured, not only computed. Under the disconnect fault it goes silent and
discards what it gets, as a printer whose cable was pulled.
"""

from __future__ import annotations

import os
import select
import time
import tty
from collections.abc import Callable

from .escpos_stream import EscposStream
from .simulator import Simulator
from .transport import SerialTransport, Transport

FAST = 115200  # the speed given to the driver when no baud rate is emulated (a pty ignores it)
TICK = 0.01  # seconds of line time read at once when a baud rate is emulated


class PtyPrinterSimulator(Simulator):
    """A serial printer on a pty; baud=None reads as fast as the driver writes."""

    def __init__(self, baud: int | None = None) -> None:
        super().__init__()
        self.baud = baud
        self.path = ""
        self._fds: tuple[int, int] | None = None
        self._stream = EscposStream()

    @property
    def uri(self) -> str:
        return f"serial://{self.path}?baud={self.baud or FAST}"

    def transport(self) -> Transport:
        return SerialTransport(self.path, self.baud or FAST)

    def _open(self) -> Callable[[], None]:
        master, slave = os.openpty()
        tty.setraw(slave)  # bytes pass unchanged: no newline translation, no control characters
        os.set_blocking(master, False)
        self._fds, self.path = (master, slave), os.ttyname(slave)
        return self._run

    def _close(self) -> None:
        assert self._fds is not None
        for fd in self._fds:
            os.close(fd)
        self._fds = None

    def set_fault(self, fault: str | None) -> None:
        """As Simulator.set_fault; leaving the disconnect fault also forgets the half-received job."""
        if self.gone:
            self._stream = EscposStream()
        super().set_fault(fault)

    def _busy(self) -> bool:
        return self._fds is not None and (self._stream.in_job or _readable(self._fds[0], 0))

    def _run(self) -> None:
        assert self._fds is not None
        master = self._fds[0]
        while not self._stopping.is_set():
            if not _readable(master, 0.05):
                continue
            data = self._read(master)
            replies = self.receive(self._stream, data) if data else b""
            if replies:
                _write(master, replies)

    def _read(self, master: int) -> bytes:
        """What is waiting, or with a baud rate only what the line carries in one tick, taking that time."""
        size = max(1, int(self.baud / 10 * TICK)) if self.baud else 4096
        try:
            data = os.read(master, size)
        except (BlockingIOError, OSError):
            return b""
        if self.baud:
            time.sleep(len(data) * 10 / self.baud)
        return data


def _readable(fd: int, timeout: float) -> bool:
    return bool(select.select([fd], [], [], timeout)[0])


def _write(master: int, replies: bytes) -> None:
    try:
        os.write(master, replies)
    except (BlockingIOError, OSError):
        pass  # nobody reads the port and its buffer is full: a real printer's reply is lost the same way
