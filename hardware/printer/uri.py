"""Opening a printer from its configuration URI: tcp://host:port or sim://."""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit

from .base import Printer
from .escpos_driver import EscposPrinter
from .simulator import PrinterSimulator

RAW_TCP_PORT = 9100
SUPPORTED = "tcp://host:port, sim://"


class SimulatedEscposPrinter(EscposPrinter):
    """The real ESC/POS driver talking to a PrinterSimulator it started and owns."""

    def __init__(self, simulator: PrinterSimulator) -> None:
        super().__init__("127.0.0.1", simulator.port)
        self.simulator = simulator

    def close(self) -> None:
        """Stop the simulator along with the printer."""
        self.simulator.stop()


def open_printer(uri: str) -> Printer:
    """The printer a URI names; ValueError for a malformed or unsupported URI."""
    parts = urlsplit(uri)
    if parts.scheme == "sim":
        return SimulatedEscposPrinter(PrinterSimulator().start())
    if parts.scheme == "tcp":
        return _tcp_printer(uri, parts)
    raise ValueError(f"unsupported printer URI {uri!r}: expected one of {SUPPORTED}")


def _tcp_printer(uri: str, parts: SplitResult) -> EscposPrinter:
    try:
        port = parts.port or RAW_TCP_PORT
    except ValueError as exc:
        raise ValueError(f"printer URI {uri!r} has an invalid port: expected tcp://host:port") from exc
    if not parts.hostname:
        raise ValueError(f"printer URI {uri!r} has no host: expected tcp://host:port")
    return EscposPrinter(parts.hostname, port)
