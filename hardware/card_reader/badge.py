"""How an agent's badge id is read from a card, and the commands we never send.

Two kinds of agent badge are read:

1. A smart card (contact or contactless) carrying our agent-badge applet: SELECT by name of a made-up AID,
   `F0 44 4F 55 52 01` ("F0", "DOUR", 01; an AID whose first digit is F is proprietary and unregistered by
   definition, ISO/IEC 7816-5), then GET DATA `00 CA 01 01 00` returns the badge id: 1 to 64 printable ASCII
   characters.
2. A contactless badge without our applet: its UID, read with the PC/SC pseudo-APDU `FF CA 00 00 00`, which
   the reader's firmware answers (PC/SC Part 3); the card never sees it. The badge id is `uid:` + hex.

Never a payment card. We send exactly those three commands and nothing else (`send` refuses any other):
no SELECT of the payment environment (`1PAY.SYS.DDF01`, `2PAY.SYS.DDF01`) or of any payment application,
no GET PROCESSING OPTIONS, no READ RECORD: no EMV command at all, so no card number can reach this process.
A bank card answers our SELECT with 6A82 (no such application) and is refused as "not a badge". A
contactless bank card shows a random UID, new at every tap (ISO/IEC 14443-3: four bytes starting with 08h);
it identifies nobody, and is refused too.
"""

from __future__ import annotations

from .base import CardReader, CardReaderError, NoCard, Response

BADGE_AID = bytes.fromhex("F0444F555201")
SELECT_BADGE = bytes([0x00, 0xA4, 0x04, 0x00, len(BADGE_AID)]) + BADGE_AID + b"\x00"
GET_BADGE_ID = bytes.fromhex("00CA010100")
GET_UID = bytes.fromhex("FFCA000000")
ALLOWED_COMMANDS = frozenset({SELECT_BADGE, GET_BADGE_ID, GET_UID})
MAX_BADGE_ID = 64
UID_LENGTHS = (4, 7, 10)  # single, double and triple size UIDs
RANDOM_UID_TAG = 0x08
UID_PREFIX = "uid:"


class NotABadge(CardReaderError):
    """The card is not an agent badge we can read (a bank card, an ID card): nothing was read from it."""


def read_badge(reader: CardReader) -> str:
    """The badge id of the card in `reader`; NotABadge for any other card, NoCard if the slot is empty."""
    atr = reader.atr
    if atr is None:
        raise NoCard("no card in the reader")
    if send(reader, SELECT_BADGE).ok:
        return _applet_badge_id(send(reader, GET_BADGE_ID))
    if is_contactless(atr):
        return _uid_badge_id(send(reader, GET_UID))
    raise NotABadge("the card has no agent-badge application")


def send(reader: CardReader, apdu: bytes) -> Response:
    """Transmit one of the three badge commands; anything else is refused before it reaches the reader."""
    if apdu not in ALLOWED_COMMANDS:
        raise ValueError(f"refusing to send {apdu.hex()}: only the badge commands may be sent to a card")
    return reader.transmit(apdu)


def is_contactless(atr: bytes) -> bool:
    """A PC/SC Part 3 ATR (`3B 8n 80 01 …`): the reader built it for a contactless card."""
    return len(atr) >= 4 and atr[0] == 0x3B and atr[1] & 0xF0 == 0x80 and atr[2:4] == b"\x80\x01"


def _applet_badge_id(answer: Response) -> str:
    text = answer.data.decode("ascii", errors="replace")
    if not answer.ok or not 0 < len(text) <= MAX_BADGE_ID or not text.isprintable() or "\ufffd" in text:
        raise NotABadge(f"the badge application answered {answer.sw:04X} with no valid badge id")
    return text


def _uid_badge_id(answer: Response) -> str:
    uid = answer.data
    if not answer.ok or len(uid) not in UID_LENGTHS:
        raise NotABadge(f"no usable UID (status {answer.sw:04X}, {len(uid)} bytes)")
    if len(uid) == 4 and uid[0] == RANDOM_UID_TAG:
        raise NotABadge("random UID: the card gives a new one at every tap (bank cards do)")
    return UID_PREFIX + uid.hex().upper()
