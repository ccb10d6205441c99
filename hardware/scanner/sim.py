"""A simulated USB-CDC scanner on a pseudo-terminal, reached through a stable link as udev gives a real one.

The scanner side writes codes, each followed by CR, into the pty's master; the driver opens `port` (a
symlink to the pty's slave, like `/dev/scanner` → `/dev/ttyACM0`) with pyserial, exactly as it opens a real
device. `unplug()` closes the pty and removes the link (the driver's read fails as on a USB unplug);
`replug()` makes a new pty behind the same link.
"""

from __future__ import annotations

import os
import tempfile
import threading
import tty
from pathlib import Path

SUFFIX = b"\r"


class PtyScanner:
    """The scanner end of a pty. `scan(text)` types one code; `write(raw)` sends bytes as they are."""

    def __init__(self, suffix: bytes = SUFFIX) -> None:
        self.suffix = suffix
        self._folder = tempfile.TemporaryDirectory(prefix="dour-scanner-")
        self.port = str(Path(self._folder.name) / "scanner")
        self._lock = threading.Lock()
        self._fds: tuple[int, int] | None = None
        self.replug()

    @property
    def plugged(self) -> bool:
        return self._fds is not None

    def scan(self, text: str) -> None:
        """Send one code the way a scanner in CDC mode does: its bytes, then the suffix."""
        self.write(text.encode("utf-8") + self.suffix)

    def write(self, data: bytes) -> None:
        with self._lock:
            if self._fds is None:
                raise OSError("the simulated scanner is unplugged")
            os.write(self._fds[0], data)

    def unplug(self) -> None:
        """Pull the cable: the pty goes away with its link, so reads and reopening fail until replug()."""
        with self._lock:
            if self._fds is not None:
                Path(self.port).unlink(missing_ok=True)
                for fd in self._fds:
                    os.close(fd)
                self._fds = None

    def replug(self) -> None:
        """Plug in again: a new pty (a new /dev/pts/N, like a new ttyACM) behind the same link."""
        self.unplug()
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no CR→LF translation, even before the driver configures the port
        os.set_blocking(master, False)  # nobody reading and the buffer full: an error, never a hung server
        link = Path(self.port + ".new")
        link.unlink(missing_ok=True)
        link.symlink_to(os.ttyname(slave))
        with self._lock:
            os.replace(link, self.port)
            self._fds = (master, slave)

    def close(self) -> None:
        self.unplug()
        self._folder.cleanup()

    def __enter__(self) -> PtyScanner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
