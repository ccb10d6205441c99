"""Devices that each kiosk has one of (printer, card terminal): opened from the configuration on first use."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class PerKiosk(Generic[T]):
    """`get(kiosk)` opens the kiosk's device once with `open(kiosk)` (None: it has none) and keeps it."""

    def __init__(self, open_device: Callable[[str], T | None]) -> None:
        self._open = open_device
        self._devices: dict[str, T | None] = {}
        self._lock = threading.Lock()

    def get(self, kiosk: str) -> T | None:
        with self._lock:
            if kiosk not in self._devices:
                self._devices[kiosk] = self._open(kiosk)
            return self._devices[kiosk]

    def opened(self) -> dict[str, T]:
        """The kiosks whose device is open, and that device."""
        with self._lock:
            return {kiosk: device for kiosk, device in self._devices.items() if device is not None}
