"""Card models: what a card's chip answers to each command APDU, as plain functions of bytes.

The same models back the in-memory FakeCardReader (unit tests, `sim://` in the demo) and the virtual card
that plugs into pcscd through vsmartcard's vpcd (the end-to-end test), so one card behaves the same at every
level. Each model records the APDUs it received: the tests use that to prove what we never send.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from .badge import BADGE_AID, GET_BADGE_ID, GET_UID

OK = b"\x90\x00"
FILE_NOT_FOUND = b"\x6a\x82"
CONDITIONS_NOT_SATISFIED = b"\x69\x85"
INS_NOT_SUPPORTED = b"\x6d\x00"
CLA_NOT_SUPPORTED = b"\x6e\x00"
SELECT_BY_NAME = b"\x00\xa4\x04"

# ATRs: a contact JavaCard-like badge, a PC/SC Part 3 contactless storage card (MIFARE Classic 1K), and an
# EMV contact payment card. Only their shape matters to us: badge.py tells contactless ATRs apart.
BADGE_ATR = bytes.fromhex("3B 95 13 81 01 80 73 FF 01 00 0B")
CONTACTLESS_ATR = bytes.fromhex("3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6A")
PAYMENT_ATR = bytes.fromhex("3B 6E 00 00 00 31 C0 71 C6 65 01 B0 01 03 37 83 90 00")
PPSE_NAME = b"2PAY.SYS.DDF01"


class CardModel(ABC):
    """A card: its ATR and an APDU handler. `received` keeps every command APDU, in order."""

    atr: bytes = BADGE_ATR

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.selected: bytes | None = None

    def reset(self) -> None:
        """Power on or reset: no application selected any more."""
        self.selected = None

    def handle(self, apdu: bytes) -> bytes:
        """The response APDU (data + SW1 SW2) to one command APDU."""
        self.received.append(bytes(apdu))
        if len(apdu) < 4:
            return INS_NOT_SUPPORTED
        return self.respond(bytes(apdu))

    @abstractmethod
    def respond(self, apdu: bytes) -> bytes:
        """The answer to a well-formed command APDU."""

    def select(self, apdu: bytes, *known: bytes) -> bytes | None:
        """Handle SELECT by AID against the applications `known` on this card; None if not a SELECT."""
        if not apdu.startswith(SELECT_BY_NAME) or len(apdu) < 5:
            return None
        name = apdu[5:5 + apdu[4]]
        self.selected = name if name in known else None
        return OK if self.selected else FILE_NOT_FOUND


class AgentBadge(CardModel):
    """Our agent-badge applet: SELECT its AID, then GET DATA returns the badge id (printable ASCII)."""

    def __init__(self, badge_id: str) -> None:
        super().__init__()
        self.badge_id = badge_id

    def respond(self, apdu: bytes) -> bytes:
        selected = self.select(apdu, BADGE_AID)
        if selected is not None:
            return selected
        if apdu[:4] == GET_BADGE_ID[:4]:
            return self.badge_id.encode("ascii") + OK if self.selected else CONDITIONS_NOT_SATISFIED
        return INS_NOT_SUPPORTED if apdu[0] == 0x00 else CLA_NOT_SUPPORTED


class ContactlessBadge(CardModel):
    """A contactless badge with no applet: only its UID, which the reader returns for `FF CA 00 00 00`."""

    atr = CONTACTLESS_ATR

    def __init__(self, uid: bytes) -> None:
        super().__init__()
        self.uid = uid

    def respond(self, apdu: bytes) -> bytes:
        if apdu[:4] == GET_UID[:4]:
            return self.uid + OK
        return self.select(apdu) or INS_NOT_SUPPORTED


class PaymentCard(CardModel):
    """A bank card as far as the first EMV step: it knows the payment environment (PPSE) and nothing of ours.
    It exists to prove that we never send it an EMV command: tests look at `received`."""

    atr = PAYMENT_ATR

    def respond(self, apdu: bytes) -> bytes:
        selected = self.select(apdu, PPSE_NAME)
        if selected == OK:
            name = b"\x84" + bytes([len(PPSE_NAME)]) + PPSE_NAME
            return b"\x6f" + bytes([len(name)]) + name + OK  # the start of an FCI template
        return selected or INS_NOT_SUPPORTED
