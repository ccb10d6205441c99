"""An in-memory badge reader: unit tests, and `sim://` in the demo (where the demo page inserts badges).

`insert(card)` and `remove()` deliver their events at once, in the caller's thread; `transmit()` asks the
card model (cards.py), the same model the vpcd virtual card uses in the end-to-end test.
"""

from __future__ import annotations

import threading

from ..health import Health
from .base import CardChange, CardEvent, CardReader, NoCard, Response
from .cards import CardModel


class FakeCardReader(CardReader):
    """A reader with no hardware: healthy once started, unless told otherwise with `set_health`."""

    def __init__(self) -> None:
        super().__init__()
        self._card: CardModel | None = None
        self._slot = threading.Lock()
        self._closed = False

    def _begin(self) -> None:
        self._health_changed(Health.ok())

    @property
    def card(self) -> CardModel | None:
        return self._card

    @property
    def atr(self) -> bytes | None:
        card = self._card
        return card.atr if card is not None else None

    def insert(self, card: CardModel) -> None:
        """Put `card` in the slot (taking out the one there first, as a person would)."""
        self.remove()
        card.reset()
        with self._slot:
            self._card = card
        self._tell(CardEvent(CardChange.INSERTED, card.atr))

    def remove(self) -> None:
        """Take the card out; nothing happens if the slot is already empty."""
        with self._slot:
            card, self._card = self._card, None
        if card is not None:
            self._tell(CardEvent(CardChange.REMOVED))

    def transmit(self, apdu: bytes) -> Response:
        card = self._card
        if card is None:
            raise NoCard("no card in the simulated reader")
        return Response.parse(card.handle(apdu))

    def set_health(self, health: Health) -> None:
        """Pretend the reader changed state (unplugged, back), as a real one reports it."""
        self._health_changed(health)

    def close(self) -> None:
        self._closed = True

    def _tell(self, event: CardEvent) -> None:
        if not self._closed:
            self._card_changed(event)
