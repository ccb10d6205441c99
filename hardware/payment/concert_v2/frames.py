"""Concert V2 ("protocole E") messages: the 34-character request and the 25/80-character answer.

Field layout as in hardware.md §3.1 (pyTeliumManager and PayXpert's Concert V2 page). With STX, ETX
and LRC the answer frames are 28 bytes (short) and 83 bytes (with the 55-character REP block).
REP carries card data, so the decoder keeps only '**** 1234' of it and we always ask for the short answer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..base import PaymentRequest, PaymentResult, PaymentState, trusted
from ..errors import ProtocolError
from ..money import mask_pan

REQUEST_LENGTH, SHORT_ANSWER, FULL_ANSWER, REP_LENGTH, PRIV_LENGTH = 34, 25, 80, 55, 10
DEBIT, CREDIT, CANCEL = "0", "1", "2"  # transaction type; pyTeliumManager calls "2" refund, AP "annulation"
CARD = "1"  # payment mode
SHORT, FULL = "0", "1"  # IND: answer without or with REP
WAIT_FOR_END, NO_FORCED_AUTHORISATION = "A010", "B010"
APPROVED, REFUSED, NOT_DONE = "0", "7", "9"  # answer status; "9" is "timeout" to pyTeliumManager
STATES = {APPROVED: PaymentState.APPROVED, REFUSED: PaymentState.DECLINED, NOT_DONE: PaymentState.ABANDONED}


class FrameFormatError(ProtocolError):
    """A frame whose LRC was right but whose content is not a Concert V2 message."""


@dataclass(frozen=True)
class V2Request:
    """One request, field by field, in wire order."""

    pos: str
    amount: str  # 8 digits of minor units
    ind: str
    mode: str
    kind: str
    currency: str  # ISO numeric
    priv: str  # 10 characters: our reference, space-padded
    delay: str = WAIT_FOR_END
    authorisation: str = NO_FORCED_AUTHORISATION

    @classmethod
    def of(cls, pos: str, kind: str, request: PaymentRequest, currency: str) -> V2Request:
        if request.amount_minor > 99_999_999:
            raise ValueError(f"amount {request.amount_minor} does not fit Concert V2's 8 digits")
        return cls(pos, f"{request.amount_minor:08d}", SHORT, CARD, kind, currency,
                   request.reference.ljust(PRIV_LENGTH))

    def encode(self) -> bytes:
        return "".join(asdict(self).values()).encode("ascii")

    @classmethod
    def decode(cls, message: bytes) -> V2Request:
        text = _text(message, (REQUEST_LENGTH,))
        request = cls(text[0:2], text[2:10], text[10], text[11], text[12], text[13:16], text[16:26],
                      text[26:30], text[30:34])
        if not request.amount.isdigit():
            raise FrameFormatError("the request amount is not 8 digits")
        return request


@dataclass(frozen=True)
class V2Answer:
    """One answer; a REP block received is reduced to the masked PAN on decoding and never kept."""

    pos: str
    status: str
    amount: str
    mode: str
    currency: str
    priv: str
    masked_pan: str | None = None

    def encode(self, rep: str | None = None) -> bytes:
        """The answer bytes; with rep (what the terminal prints as card number), the 80-character form."""
        block = "" if rep is None else rep[:REP_LENGTH].ljust(REP_LENGTH)
        return (self.pos + self.status + self.amount + self.mode + block + self.currency + self.priv).encode()

    @classmethod
    def decode(cls, message: bytes) -> V2Answer:
        text = _text(message, (SHORT_ANSWER, FULL_ANSWER))
        rep, tail = (text[12:67], text[67:]) if len(text) == FULL_ANSWER else ("", text[12:])
        answer = cls(text[0:2], text[2], text[3:11], text[11], tail[0:3], tail[3:13], _masked(rep))
        if not answer.amount.isdigit():
            raise FrameFormatError("the answer amount is not 8 digits")
        return answer

    def fields(self) -> dict[str, str]:
        """The answer as PaymentResult.raw: no REP, at most the masked PAN."""
        return {name: value for name, value in asdict(self).items() if value is not None}

    def result(self, request: PaymentRequest) -> PaymentResult:
        """What the answer means for our request; a status we do not know is UNKNOWN."""
        state = STATES.get(self.status, PaymentState.UNKNOWN)
        result = PaymentResult(request.reference, state, int(self.amount), masked_pan=self.masked_pan,
                               terminal_code=self.status, raw=self.fields())
        return trusted(result, request, self.priv.rstrip())


def _masked(rep: str) -> str | None:
    """The REP block's first word is the card number (pyTeliumManager): keep its last four digits."""
    words = rep.split()
    return mask_pan(words[0]) if words else None


def _text(message: bytes, lengths: tuple[int, ...]) -> str:
    if len(message) not in lengths or not message.isascii():
        raise FrameFormatError(f"a Concert V2 message of {len(message)} bytes; expected {lengths}")
    return message.decode("ascii")
