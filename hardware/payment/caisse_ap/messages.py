"""Concert V3 messages: the requests we send and what the terminal's answer means.

Tags and codes are those of hardware.md §3.1 (PayXpert's Concert V3 pages, akretion's client and
server). What public sources do not settle is marked "assumed" here and in docs/payment-terminals.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..base import LastTransaction, PaymentRequest, PaymentResult, PaymentState, trusted
from ..money import currency_numeric, mask_pan

VERSION = "0320"
DEBIT, REFUND, VOID, DUPLICATA = "0", "1", "2", "3"  # CD: the operation
DONE, NOT_DONE, TAKEN = "10", "01", "11"  # AE: the status
FORMAT = "09"  # AF: the request's format was refused (missing or bad tags)
PAN_TAG = "AA"
# The answer tags we keep in PaymentResult.raw. Anything else is dropped: AB (expiry) is card data, and
# ticket tags or vendor tags may embed a card number we would have no way to recognise.
SAFE_TAGS = frozenset({"CZ", "CJ", "CA", "CB", "CD", "CE", "CF", "BA", "CC", "AE", "AF", "AC", "AI", "CI",
                       "CG"})

# AF, the complement of AE=01 ("not done"). Every "not done" is final: no money moved. Unlisted codes are
# declines; 09 (our request's format) is ours to fix, so it is FAILED, safe to retry once fixed.
NOT_DONE_STATES = {"04": PaymentState.DECLINED, "05": PaymentState.DECLINED, "08": PaymentState.ABANDONED,
                   FORMAT: PaymentState.FAILED, "11": PaymentState.ABANDONED}


@dataclass(frozen=True)
class Station:
    """Who we are to the terminal: the POS number (CA) and the protocol identifier AP assigns (CJ)."""

    pos: str = "01"
    protocol_id: str = "000000000000"  # placeholder until AP assigns ours; some terminals ignore it
    version: str = VERSION

    def __post_init__(self) -> None:
        if not (len(self.pos) == 2 and self.pos.isdigit()):
            raise ValueError(f"POS number {self.pos!r} must be two digits, e.g. 01")
        if not (len(self.protocol_id) == 12 and self.protocol_id.isascii() and self.protocol_id.isalnum()):
            raise ValueError(f"Caisse-AP protocol identifier {self.protocol_id!r} must be 12 letters/digits")

    def header(self) -> dict[str, str]:
        return {"CZ": self.version, "CJ": self.protocol_id, "CA": self.pos}


def operation_fields(station: Station, operation: str, request: PaymentRequest) -> dict[str, str]:
    """A debit, refund or void: amount (2+ digits), currency, our reference in CF, final answer only."""
    return {**station.header(), "CB": f"{request.amount_minor:02d}", "CD": operation,
            "CE": currency_numeric(request.currency), "CF": request.reference, "BA": "0"}


def duplicata_fields(station: Station, request: PaymentRequest) -> dict[str, str]:
    """Ask for the last transaction again (CD=3), with the amount and currency of the payment we look for
    (akretion's terminal simulator refuses any request without CB and CE with AF=09). Never CF: a terminal
    that echoes the request's tags in a refusal would then seem to name our reference. Assumed: the answer
    repeats the last transaction's result tags, CF included (docs/payment-terminals.md)."""
    return {**station.header(), "CB": f"{request.amount_minor:02d}", "CD": DUPLICATA,
            "CE": currency_numeric(request.currency), "BA": "0"}


def answer_state(answer: Mapping[str, str]) -> tuple[PaymentState, str]:
    """The state and terminal code ("10", "01/04") of an answer. AE=11 "request taken" is not final."""
    status, complement = answer.get("AE", ""), answer.get("AF")
    code = f"{status}/{complement}" if complement else status
    if status == DONE:
        return PaymentState.APPROVED, code
    if status == NOT_DONE:
        return NOT_DONE_STATES.get(complement or "", PaymentState.DECLINED), code
    return PaymentState.UNKNOWN, code


def safe_fields(answer: Mapping[str, str]) -> dict[str, str]:
    """The answer without card data: whitelisted tags, and the PAN reduced to its last four digits."""
    kept = {tag: value for tag, value in answer.items() if tag in SAFE_TAGS}
    masked = mask_pan(answer.get(PAN_TAG))
    return kept | ({PAN_TAG: masked} if masked else {})


def result_of(answer: Mapping[str, str], request: PaymentRequest) -> PaymentResult:
    """The result of our own request. An answer naming another reference or amount is not trusted."""
    amount = int(answer["CB"]) if answer.get("CB", "").isdigit() else request.amount_minor
    return trusted(_result(answer, request.reference, amount), request, answer.get("CF"))


def duplicata_result(answer: Mapping[str, str], request: PaymentRequest) -> LastTransaction:
    """What the duplicata answer says of our payment. Only a readable transaction proves anything: a final
    status (AE 10 or 01), not a refusal of the duplicata itself (AF=09: our request's format), a reference in
    CF and an amount in CB. Then CF equal to ours is OURS (its outcome; an approval of another amount is not
    trusted), and any other reference is OTHER. Anything else is UNREADABLE: a refusal (e.g. AE=01 AF=05
    with no CF, what a terminal with no transaction yet answers), a missing CF or CB, AE=11."""
    status, complement = answer.get("AE", ""), answer.get("AF")
    code = f"{status}/{complement}" if complement else (status or "no_status")
    reference = answer.get("CF", "")
    if status not in (DONE, NOT_DONE) or (status == NOT_DONE and complement == FORMAT):
        return LastTransaction.unreadable(code)
    if not reference.strip():
        return LastTransaction.unreadable("no_reference")
    if not answer.get("CB", "").isdigit():
        return LastTransaction.unreadable("no_amount")
    if reference != request.reference:
        return LastTransaction.other(reference, code)
    return LastTransaction.ours(trusted(_result(answer, reference, int(answer["CB"])), request, reference))


def _result(answer: Mapping[str, str], reference: str, amount: int) -> PaymentResult:
    state, code = answer_state(answer)
    return PaymentResult(reference, state, amount, auth_code=answer.get("AC") or None,
                         masked_pan=mask_pan(answer.get(PAN_TAG)), terminal_code=code,
                         raw=safe_fields(answer))
