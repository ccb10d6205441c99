"""PrinterSimulator: a loopback ESC/POS printer that answers DLE EOT like a real one.

It listens on 127.0.0.1 (an ephemeral port), answers the real-time status queries
according to a switchable fault, and captures every job it receives, as sent on
the wire (status queries removed), whatever the fault: tests can thus prove that
a driver refused to send anything.
"""

from __future__ import annotations

import socket
import socketserver
import threading
from types import TracebackType

from .escpos_stream import EscposStream

FAULTS = (None, "near_end", "paper_out", "cover_open", "mute")  # mute: never answers DLE EOT

_FIXED_BITS = 0x12  # every status byte has the form 0xx1xx10b
_REPLIES: dict[str | None, dict[int, int]] = {  # fault -> {n: reply to DLE EOT n}
    "near_end": {4: 0x1E},
    "paper_out": {1: 0x1A, 2: 0x32, 4: 0x72},
    "cover_open": {1: 0x1A, 2: 0x16},
}


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True

    def __init__(self, simulator: PrinterSimulator) -> None:
        self.simulator = simulator
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        self.server.simulator._serve(self.request)


class PrinterSimulator:
    """A threaded loopback TCP printer; use start()/stop() or a with-block."""

    def __init__(self) -> None:
        self.jobs: list[bytes] = []
        self._fault: str | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._changed = threading.Condition()
        self._active = 0

    @property
    def fault(self) -> str | None:
        return self._fault

    def set_fault(self, fault: str | None) -> None:
        """Switch to a fault: None, "near_end", "paper_out", "cover_open" or "mute"."""
        if fault not in FAULTS:
            raise ValueError(f"unknown printer fault {fault!r}; expected one of {FAULTS}")
        self._fault = fault

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the printer simulator is not started")
        return int(self._server.server_address[1])

    @property
    def uri(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def start(self) -> PrinterSimulator:
        self._stopping.clear()
        self._server = _Server(self)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.1,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._server = self._thread = None

    def wait_for_jobs(self, count: int, timeout: float = 2.0) -> list[bytes]:
        """The captured jobs, once there are at least count of them or timeout passed."""
        with self._changed:
            self._changed.wait_for(lambda: len(self.jobs) >= count, timeout)
            return list(self.jobs)

    def wait_idle(self, timeout: float = 2.0) -> bool:
        """Wait until no connection is being served; False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: self._active == 0, timeout)

    def status_reply(self, n: int) -> bytes:
        """The reply to DLE EOT n in the current fault state (b"" when mute)."""
        if self._fault == "mute":
            return b""
        return bytes([_REPLIES.get(self._fault, {}).get(n, _FIXED_BITS)])

    def _serve(self, conn: socket.socket) -> None:
        self._count_active(+1)
        try:
            self._receive(conn, EscposStream())
        finally:
            self._count_active(-1)

    def _receive(self, conn: socket.socket, stream: EscposStream) -> None:
        conn.settimeout(0.1)  # so that stop() is noticed
        while not self._stopping.is_set():
            try:
                data = conn.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                break
            if not data:
                break
            if not self._handle(conn, stream.feed(data)):
                break
        self._record(stream.finish())

    def _handle(self, conn: socket.socket, events: list[int | bytes]) -> bool:
        """Answer status queries and record jobs; False once the client has gone."""
        for event in events:
            if isinstance(event, bytes):
                self._record(event)
                continue
            try:
                conn.sendall(self.status_reply(event))
            except OSError:
                return False
        return True

    def _record(self, job: bytes) -> None:
        if job:
            with self._changed:
                self.jobs.append(job)
                self._changed.notify_all()

    def _count_active(self, delta: int) -> None:
        with self._changed:
            self._active += delta
            self._changed.notify_all()

    def __enter__(self) -> PrinterSimulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
