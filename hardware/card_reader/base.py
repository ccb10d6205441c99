"""The badge reader interface: a PC/SC-style reader that reports cards coming and going and sends APDUs.

A reader delivers `CardEvent`s (inserted, removed) and each change of its health to the callbacks given to
`start()`, from its own thread (or, for the in-memory fake, from the caller's). While a card is present,
`transmit()` sends it one command APDU and returns the response. What a card *means* (an agent's badge, or
nothing we may read) is decided in badge.py, never here.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from types import TracebackType

from ..errors import HardwareError
from ..health import Health, HealthState


class CardReaderError(HardwareError):
    """The reader could not do what was asked."""


class NoCard(CardReaderError):
    """No card is in the reader (or it was pulled out during the exchange)."""


class CardChange(StrEnum):
    INSERTED = "inserted"
    REMOVED = "removed"


@dataclass(frozen=True)
class CardEvent:
    """A card was inserted (with its ATR, the card's answer to reset) or removed."""

    change: CardChange
    atr: bytes = b""


@dataclass(frozen=True)
class Response:
    """A response APDU: the data and the two status bytes (0x9000 means success)."""

    data: bytes
    sw: int

    @classmethod
    def parse(cls, raw: bytes) -> Response:
        if len(raw) < 2:
            raise CardReaderError(f"response too short: {raw.hex()}")
        return cls(bytes(raw[:-2]), int.from_bytes(raw[-2:], "big"))

    @property
    def ok(self) -> bool:
        return self.sw == 0x9000


CardCallback = Callable[[CardEvent], None]
HealthCallback = Callable[[Health], None]


class CardReader(ABC):
    """One card slot. Subclasses call `_card_changed` and `_health_changed`; callbacks never run under a lock
    the reader needs for `transmit`, so a callback may talk to the card it was told about."""

    def __init__(self) -> None:
        self._on_card: CardCallback = lambda event: None
        self._on_health: HealthCallback = lambda health: None
        self._health = Health(HealthState.UNKNOWN, "not_checked")
        self._state_lock = threading.Lock()

    def start(self, on_card: CardCallback, on_health: HealthCallback | None = None) -> None:
        """Deliver card events to `on_card` and health changes to `on_health` from now on."""
        self._on_card = on_card
        self._on_health = on_health or (lambda health: None)
        self._begin()

    @abstractmethod
    def _begin(self) -> None:
        """Start watching the slot (a thread, for a real reader) once the callbacks are in place."""

    @abstractmethod
    def transmit(self, apdu: bytes) -> Response:
        """Send one command APDU to the present card; NoCard when there is none."""

    @property
    @abstractmethod
    def atr(self) -> bytes | None:
        """The present card's ATR, None when the slot is empty."""

    def health(self) -> Health:
        """The reader's last known state: ok, or offline with a reason (no pcscd, reader unplugged)."""
        with self._state_lock:
            return self._health

    @abstractmethod
    def close(self) -> None:
        """Stop watching and release the reader; no callback runs afterwards."""

    def _card_changed(self, event: CardEvent) -> None:
        self._on_card(event)

    def _health_changed(self, health: Health) -> None:
        """Record `health`; tell the callback only when the state or reason differs from before."""
        with self._state_lock:
            previous, self._health = self._health, health
        if (previous.state, previous.reason) != (health.state, health.reason):
            self._on_health(health)

    def __enter__(self) -> CardReader:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
