"""The QR scanner: interface, USB-CDC serial driver (reconnecting), pty simulator and URI opener."""

from .base import HealthCallback, Scan, ScanCallback, ScanSource
from .frames import FrameSplitter
from .serial_scanner import MAX_FRAME, SerialScanner
from .sim import PtyScanner
from .uri import SimulatedSerialScanner, open_scanner

__all__ = [
    "MAX_FRAME",
    "FrameSplitter",
    "HealthCallback",
    "PtyScanner",
    "Scan",
    "ScanCallback",
    "ScanSource",
    "SerialScanner",
    "SimulatedSerialScanner",
    "open_scanner",
]
