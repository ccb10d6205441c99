"""The scanner interface: a source of scans (serial reader, simulator) that a kiosk starts and stops.

A scan is only text as the device delivered it: what it means is decided elsewhere, by one validation path
for every source (the serial scanner here, a keyboard-wedge or camera scan in the kiosk page).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from hardware.health import Health


@dataclass(frozen=True)
class Scan:
    """One code read by a scanner: its text (suffix removed), where it came from, and when (UTC)."""

    text: str
    source: str  # "serial", "wedge", "camera"
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


ScanCallback = Callable[[Scan], None]
HealthCallback = Callable[[Health], None]


class ScanSource(ABC):
    """A scanner that delivers scans to a callback from its own thread until stopped."""

    @abstractmethod
    def start(self, on_scan: ScanCallback, on_health: HealthCallback | None = None) -> None:
        """Begin delivering scans to `on_scan`, and each change of health to `on_health`."""

    @abstractmethod
    def stop(self) -> None:
        """Stop delivering scans and release the device (and anything the source started)."""

    @abstractmethod
    def health(self) -> Health:
        """The scanner's current state: ok while the device is open, offline while it is missing."""
