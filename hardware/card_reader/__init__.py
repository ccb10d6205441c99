"""The agent's badge reader: interface, pcscd driver, in-memory fake, card models, vpcd virtual card."""

from .badge import NotABadge, read_badge
from .base import CardChange, CardEvent, CardReader, CardReaderError, NoCard, Response
from .cards import AgentBadge, CardModel, ContactlessBadge, PaymentCard
from .fake import FakeCardReader
from .pcsc import PcscCardReader
from .uri import open_card_reader

__all__ = [
    "AgentBadge",
    "CardChange",
    "CardEvent",
    "CardModel",
    "CardReader",
    "CardReaderError",
    "ContactlessBadge",
    "FakeCardReader",
    "NoCard",
    "NotABadge",
    "PaymentCard",
    "PcscCardReader",
    "Response",
    "open_card_reader",
    "read_badge",
]
