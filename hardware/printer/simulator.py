"""Printer simulators: an ESC/POS printer that answers DLE EOT like a real one, on loopback TCP or a pty.

Both answer the real-time status queries according to a switchable fault and capture every job as sent
on the wire (status queries removed), so that the real driver, python-escpos included, runs against them.
This module holds what both share (faults, replies, capture) and the TCP one; sim_pty.py the pty one.

Faults: near_end, paper_out, cover_open, cutter_error (offline, DLE EOT 3 says autocutter), mute (never
answers), disconnect (the link drops as soon as a job starts; afterwards the printer is gone, connections
are closed at once and nothing is answered, until the fault is cleared).
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from types import TracebackType
from typing import Self

from ..loopback import LoopbackServer
from .escpos_stream import EscposStream, code_page_after
from .transport import TcpTransport, Transport

FAULTS = (None, "near_end", "paper_out", "cover_open", "cutter_error", "mute", "disconnect")

_FIXED_BITS = 0x12  # every status byte has the form 0xx1xx10b
_REPLIES: dict[str | None, dict[int, int]] = {  # fault -> {n: reply to DLE EOT n}
    "near_end": {4: 0x1E},
    "paper_out": {1: 0x1A, 2: 0x32, 4: 0x72},
    "cover_open": {1: 0x1A, 2: 0x16},
    "cutter_error": {1: 0x1A, 2: 0x52, 3: 0x1A},
}


class Simulator(ABC):
    """Fault state, status replies and captured jobs; start()/stop() or a with-block."""

    def __init__(self) -> None:
        self.jobs: list[bytes] = []
        # The code page selected when each job began: printer state that holds from job to job until
        # ESC @ or power-off, so a preview of jobs[i] alone is render(jobs[i], code_page=code_pages[i]).
        self.code_pages: list[int] = []
        self._code_page = 0
        self._fault: str | None = None
        self._gone = False  # the link dropped under the disconnect fault
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def fault(self) -> str | None:
        return self._fault

    def set_fault(self, fault: str | None) -> None:
        """Switch to a fault (see FAULTS) or back to a healthy printer (None)."""
        if fault not in FAULTS:
            raise ValueError(f"unknown printer fault {fault!r}; expected one of {FAULTS}")
        self._fault, self._gone = fault, False

    @property
    def gone(self) -> bool:
        return self._gone

    def status_reply(self, n: int) -> bytes:
        """The reply to DLE EOT n in the current fault state (b"" when mute or gone)."""
        if self._fault == "mute" or self._gone:
            return b""
        return bytes([_REPLIES.get(self._fault, {}).get(n, _FIXED_BITS)])

    def wait_for_jobs(self, count: int, timeout: float = 2.0) -> list[bytes]:
        """The captured jobs, once there are at least count of them or timeout passed."""
        with self._changed:
            self._changed.wait_for(lambda: len(self.jobs) >= count, timeout)
            return list(self.jobs)

    def wait_idle(self, timeout: float = 2.0) -> bool:
        """Wait until nothing is being received (no open connection, no unread input); False on timeout."""
        deadline = time.monotonic() + timeout
        while self._busy():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def record(self, job: bytes) -> None:
        if job:
            with self._changed:
                self.code_pages.append(self._code_page)
                self._code_page = code_page_after(job, self._code_page)
                self.jobs.append(job)
                self._changed.notify_all()

    def receive(self, stream: EscposStream, data: bytes) -> bytes | None:
        """The replies to data from one link, recording the jobs it ends; None to drop the link now."""
        if self._gone:
            return None
        replies = bytearray()
        for event in stream.feed(data):
            if isinstance(event, int):
                replies += self.status_reply(event)
            elif self._fault == "disconnect":
                self._gone = True
            else:
                self.record(event)
        if self._fault == "disconnect" and stream.in_job:
            self._gone = True
        return None if self._gone else bytes(replies)

    def start(self) -> Self:
        """Open the listening end and serve it on a thread (power on: code page 0)."""
        self._stopping.clear()
        self._code_page = 0
        self._thread = threading.Thread(target=self._open(), name="printer-simulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stopping.set()
        self._interrupt()
        self._thread.join()
        self._thread = None
        self._close()

    @abstractmethod
    def _open(self) -> Callable[[], None]:
        """Open the listening end; the loop that serves it until _stopping is set (or _interrupt)."""

    def _interrupt(self) -> None:  # noqa: B027 - a loop that polls _stopping needs nothing more
        """Make the serving loop return."""

    @abstractmethod
    def _close(self) -> None:
        """Release the listening end, once the serving loop has returned."""

    @property
    @abstractmethod
    def uri(self) -> str:
        """The URI that opens the real driver on this simulator."""

    @abstractmethod
    def transport(self) -> Transport:
        """The link the real driver uses to reach this simulator."""

    @abstractmethod
    def _busy(self) -> bool: ...

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class PrinterSimulator(Simulator):
    """A network printer on 127.0.0.1 (an ephemeral port), one thread per connection."""

    def __init__(self) -> None:
        super().__init__()
        self._server: LoopbackServer | None = None
        self._active = 0

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the printer simulator is not started")
        return self._server.port

    @property
    def uri(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def transport(self) -> Transport:
        return TcpTransport("127.0.0.1", self.port)

    def _open(self) -> Callable[[], None]:
        server = self._server = LoopbackServer(self._serve)
        return lambda: server.serve_forever(poll_interval=0.02)

    def _interrupt(self) -> None:
        assert self._server is not None
        self._server.shutdown()

    def _close(self) -> None:
        assert self._server is not None
        self._server.server_close()
        self._server = None

    def _busy(self) -> bool:
        return self._active > 0

    def _serve(self, conn: socket.socket) -> None:
        self._count_active(+1)
        try:
            stream = EscposStream()
            if self._receive(conn, stream):
                self.record(stream.finish())
            else:  # dropped: reset the connection, as a printer that lost power or its cable
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        finally:
            self._count_active(-1)

    def _count_active(self, delta: int) -> None:
        with self._changed:
            self._active += delta

    def _receive(self, conn: socket.socket, stream: EscposStream) -> bool:
        """Serve one connection until the client closes it (True) or the link is dropped (False)."""
        conn.settimeout(0.1)  # so that stop() is noticed
        while not self._stopping.is_set():
            try:
                data = conn.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return True
            if not data:
                return True
            replies = self.receive(stream, data)
            if replies is None:
                return False
            if not _send(conn, replies):
                return True
        return True


def _send(conn: socket.socket, replies: bytes) -> bool:
    try:
        conn.sendall(replies)
        return True
    except OSError:
        return False
