"""Opening a kiosk's scanner from its configuration URI.

    serial:///dev/ttyACM0?baud=9600   a USB-CDC scanner (or its udev link, e.g. serial:///dev/scanner)
    rfc2217://host:port               a scanner behind a serial device server (passed to pyserial as is)
    sim://                            a simulated scanner on a pty, read by the real serial driver
    web://  (or empty)                no server-side scanner: the kiosk page reads a keyboard-wedge scanner
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from .base import ScanSource
from .serial_scanner import SerialScanner
from .sim import PtyScanner

SUPPORTED = "serial:///dev/<device>?baud=<n>, rfc2217://host:port, sim://, web://"
DEFAULT_BAUD = 9600


class SimulatedSerialScanner(SerialScanner):
    """The real serial driver reading a PtyScanner it started and owns (`simulator.scan(text)` types)."""

    def __init__(self, simulator: PtyScanner) -> None:
        super().__init__(simulator.port, retry_min=0.2, retry_max=1.0)
        self.simulator = simulator

    def stop(self) -> None:
        """Stop reading, then remove the simulated device."""
        super().stop()
        self.simulator.close()


def open_scanner(uri: str) -> ScanSource | None:
    """The scanner a URI names, not yet started; None when the server reads no scanner (web://, empty).
    ValueError, saying what is expected, for a malformed or unsupported URI."""
    parts = urlsplit(uri.strip())
    if parts.scheme == "web" or not uri.strip():
        return None
    if parts.scheme == "sim":
        return SimulatedSerialScanner(PtyScanner())
    if parts.scheme == "serial":
        return SerialScanner(_device_path(uri, parts.netloc, parts.path), _baud(uri, parts.query))
    if parts.scheme == "rfc2217":
        _require_host_and_port(uri, parts.netloc)
        return SerialScanner(uri.strip())
    raise ValueError(f"unsupported scanner URI {uri!r}: expected one of {SUPPORTED}")


def _device_path(uri: str, netloc: str, path: str) -> str:
    if netloc or not path.startswith("/") or path == "/":
        raise ValueError(f"scanner URI {uri!r} needs an absolute device path: serial:///dev/ttyACM0")
    return path


def _baud(uri: str, query: str) -> int:
    options = parse_qs(query, keep_blank_values=True)
    unknown = set(options) - {"baud"}
    if unknown:
        raise ValueError(f"scanner URI {uri!r}: unknown option(s) {sorted(unknown)}; only baud=<n> is known")
    raw = options.get("baud", [str(DEFAULT_BAUD)])[-1]
    if not raw.isdigit() or int(raw) <= 0:
        raise ValueError(f"scanner URI {uri!r}: baud must be a positive whole number, e.g. baud=9600")
    return int(raw)


def _require_host_and_port(uri: str, netloc: str) -> None:
    host, _, port = netloc.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"scanner URI {uri!r} needs a host and a port: rfc2217://10.0.0.40:4001")
