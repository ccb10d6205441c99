"""Opening a printer from its configuration URI.

    tcp://10.0.0.21:9100                 network printer, raw TCP (port 9100 when omitted)
    serial:///dev/ttyUSB0?baud=38400     serial printer (9600 baud when omitted)
    usb://04b8:0e28                      USB printer by vendor:product id (needs pyusb; out_ep, in_ep)
    sim://  sim://?transport=pty&baud=9600   a simulator started here, on loopback TCP or a pty

Every scheme takes profile=80mm|58mm|<python-escpos profile>, qr=native|image (overrides the profile,
for a clone that lacks or has GS ( k) and raster=aligned|placed (images aligned by the printer with ESC a,
or placed on a band from the left edge, for a clone that ignores ESC a for images). A malformed URI or an
unknown option is a ValueError that says what is expected: a typo in the configuration is found at start,
not on the first ticket.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import SplitResult, parse_qsl, urlsplit

from .escpos_driver import EscposPrinter
from .model import PrinterProfile, printer_profile
from .sim_pty import PtyPrinterSimulator
from .simulator import PrinterSimulator, Simulator
from .transport import SerialTransport, TcpTransport, Transport
from .usb import UsbTransport

RAW_TCP_PORT = 9100
DEFAULT_BAUD = 9600
SUPPORTED = "tcp://host:port, serial:///dev/ttyUSB0?baud=9600, usb://04b8:0e28, sim://"
COMMON_OPTIONS = {"profile", "qr", "raster"}
OPTIONS = {"tcp": set(), "serial": {"baud"}, "usb": {"out_ep", "in_ep"}, "sim": {"transport", "baud"}}
USB_IDS = re.compile(r"([0-9a-fA-F]{4}):([0-9a-fA-F]{4})")


class SimulatedEscposPrinter(EscposPrinter):
    """The real ESC/POS driver talking to a simulator (TCP or pty) that it started and owns."""

    def __init__(self, simulator: Simulator, profile: PrinterProfile | None = None) -> None:
        super().__init__(simulator.transport(), profile)
        self.simulator = simulator

    def close(self) -> None:
        """Stop the simulator along with the printer."""
        self.simulator.stop()


def open_printer(uri: str) -> EscposPrinter:
    """The printer a URI names; ValueError for a malformed or unsupported URI."""
    parts = urlsplit(uri)
    if parts.scheme not in OPTIONS or not uri.startswith(f"{parts.scheme}://"):
        raise ValueError(f"unsupported printer URI {uri!r}: expected one of {SUPPORTED}")
    options = _options(uri, parts.query, COMMON_OPTIONS | OPTIONS[parts.scheme])
    profile = _profile(uri, options)
    if parts.scheme == "sim":
        return SimulatedEscposPrinter(_simulator(uri, options), profile)
    return EscposPrinter(_TRANSPORTS[parts.scheme](uri, parts, options), profile)


def _options(uri: str, query: str, allowed: set[str]) -> dict[str, str]:
    pairs = parse_qsl(query, keep_blank_values=True)
    options = dict(pairs)
    unknown = sorted(set(options) - allowed)
    if unknown or len(options) != len(pairs):
        raise ValueError(f"printer URI {uri!r} has an unknown or repeated option {unknown or ''}: "
                         f"expected at most one each of {', '.join(sorted(allowed))}")
    return options


def _profile(uri: str, options: dict[str, str]) -> PrinterProfile:
    profile = printer_profile(options.get("profile", "80mm"))
    qr, raster = options.get("qr"), options.get("raster")
    if qr not in (None, "native", "image"):
        raise ValueError(f"printer URI {uri!r}: qr must be native or image, not {qr!r}")
    if raster not in (None, "aligned", "placed"):
        raise ValueError(f"printer URI {uri!r}: raster must be aligned or placed, not {raster!r}")
    profile = profile if qr is None else profile.with_native_qr(qr == "native")
    return profile if raster is None else profile.with_aligned_images(raster == "aligned")


def _number(uri: str, options: dict[str, str], name: str, default: int, base: int = 10) -> int:
    try:
        value = int(options.get(name, str(default)), base)
    except ValueError:
        value = 0
    if value <= 0:
        raise ValueError(f"printer URI {uri!r}: {name} must be a positive number, not {options[name]!r}")
    return value


def _tcp(uri: str, parts: SplitResult, options: dict[str, str]) -> Transport:
    try:
        port = parts.port or RAW_TCP_PORT
    except ValueError as exc:
        raise ValueError(f"printer URI {uri!r} has an invalid port: expected tcp://host:port") from exc
    if not parts.hostname or parts.path not in ("", "/"):
        raise ValueError(f"printer URI {uri!r} has no host or a path: expected tcp://host:port")
    return TcpTransport(parts.hostname, port)


def _serial(uri: str, parts: SplitResult, options: dict[str, str]) -> Transport:
    if parts.netloc or not parts.path.startswith("/"):
        raise ValueError(f"printer URI {uri!r} has no device path: expected serial:///dev/ttyUSB0?baud=9600 "
                         "(three slashes, then the device)")
    return SerialTransport(parts.path, _number(uri, options, "baud", DEFAULT_BAUD))


def _usb(uri: str, parts: SplitResult, options: dict[str, str]) -> Transport:
    ids = USB_IDS.fullmatch(parts.netloc)
    if ids is None or parts.path not in ("", "/"):
        raise ValueError(f"printer URI {uri!r} is not valid: expected usb://VID:PID with four hexadecimal "
                         "digits each, as lsusb shows them, e.g. usb://04b8:0e28")
    return UsbTransport(int(ids[1], 16), int(ids[2], 16), _number(uri, options, "out_ep", 0x01, 0),
                        _number(uri, options, "in_ep", 0x82, 0))


def _simulator(uri: str, options: dict[str, str]) -> Simulator:
    kind = options.get("transport", "tcp")
    if kind == "tcp" and "baud" not in options:
        return PrinterSimulator().start()
    if kind == "pty":
        return PtyPrinterSimulator(_number(uri, options, "baud", 0) if "baud" in options else None).start()
    raise ValueError(f"printer URI {uri!r}: expected sim://, sim://?transport=pty or "
                     "sim://?transport=pty&baud=9600")


_TRANSPORTS: dict[str, Callable[[str, SplitResult, dict[str, str]], Transport]] = {
    "tcp": _tcp, "serial": _serial, "usb": _usb}
