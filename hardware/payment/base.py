"""The payment terminal interface: what the kiosk and the counter may ask of any card terminal.

We send an amount and our reference; we get back a state, an authorisation code and at most the last four
digits of the card. The terminal does all card handling (PCI: no card data in our process). Every
operation blocks, so callers run it in a worker thread, and only one runs at a time per terminal.
"""

from __future__ import annotations

import logging
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from types import TracebackType

from ..health import Health
from .errors import NotSupported, TerminalBusy
from .money import check_amount, check_reference, currency_numeric

log = logging.getLogger(__name__)

QUERY, VOID, REFUND, ABORT, TOTALS = "query", "void", "refund", "abort", "totals"
MASKED_PAN = re.compile(r"\*{4} \d{4}")


class PaymentState(StrEnum):
    """The outcome of one operation as far as we know it."""

    APPROVED = "approved"  # done: the card was charged (or the refund / void was accepted)
    DECLINED = "declined"  # the terminal answered "not done": refused by the bank or the terminal
    ABANDONED = "abandoned"  # not done: the visitor pressed the red key, or took too long at the terminal
    FAILED = "failed"  # provably not done for a technical reason (unreachable, request rejected): may retry
    UNKNOWN = "unknown"  # sent, no final answer: settle with query() or by a person, never by charging again

    @property
    def is_final(self) -> bool:
        return self is not PaymentState.UNKNOWN


class PaymentProgress(StrEnum):
    """Steps reported to on_progress, so a screen can say "present your card" at the right moment."""

    CONNECTING = "connecting"
    SENT = "sent"  # the terminal has the request: from here on the outcome can be unknown
    ANSWERED = "answered"


ProgressCallback = Callable[[PaymentProgress], None]


@dataclass(frozen=True)
class PaymentRequest:
    """What we ask the terminal to charge (or refund): our unique reference and an integer amount."""

    reference: str
    amount_minor: int
    currency: str = "EUR"

    def __post_init__(self) -> None:
        check_reference(self.reference)
        check_amount(self.amount_minor)
        currency_numeric(self.currency)


@dataclass(frozen=True)
class PaymentResult:
    """What the terminal told us, PAN-free: masked_pan is at most '**** 1234', raw holds no card number."""

    reference: str
    state: PaymentState
    amount_minor: int
    auth_code: str | None = None
    masked_pan: str | None = None
    terminal_code: str | None = None  # the protocol's own result code, e.g. "01/04" (AE/AF) or "7"
    raw: dict[str, str] = field(default_factory=dict)  # the answer's fields, card data removed

    def __post_init__(self) -> None:
        if self.masked_pan is not None and not MASKED_PAN.fullmatch(self.masked_pan):
            raise ValueError("masked_pan must be '**** ' and four digits: no card number leaves the driver")

    @classmethod
    def without_answer(cls, request: PaymentRequest, state: PaymentState, reason: str) -> PaymentResult:
        """A FAILED or UNKNOWN result: the terminal gave no usable answer, reason says why."""
        return cls(request.reference, state, request.amount_minor, terminal_code=reason)


class Match(StrEnum):
    """What a status query (Concert V3 duplicata) learned of the terminal's last transaction."""

    OURS = "ours"  # the last transaction carries our reference: its outcome is ours
    OTHER = "other"  # a readable last transaction names another reference: ours did not complete (proven)
    UNREADABLE = "unreadable"  # refused, incomplete, nothing recorded, or not askable: proves nothing


@dataclass(frozen=True)
class LastTransaction:
    """The answer to query(): never None for two meanings. Only OTHER proves that our payment was not made;
    UNREADABLE leaves the payment unknown, for a person to settle from the terminal's journal."""

    match: Match
    result: PaymentResult | None = None  # OURS: our payment as the terminal recorded it
    reference: str | None = None  # OTHER: the reference the terminal's last transaction carries
    code: str | None = None  # the terminal's own code ("01/05"), or why the answer proves nothing

    def __post_init__(self) -> None:
        if (self.match is Match.OURS) != (self.result is not None):
            raise ValueError("an OURS answer, and only it, carries our result")
        if (self.match is Match.OTHER) != bool(self.reference):
            raise ValueError("an OTHER answer, and only it, names the other reference")

    @classmethod
    def ours(cls, result: PaymentResult) -> LastTransaction:
        return cls(Match.OURS, result=result, code=result.terminal_code)

    @classmethod
    def other(cls, reference: str, code: str | None = None) -> LastTransaction:
        return cls(Match.OTHER, reference=reference, code=code)

    @classmethod
    def unreadable(cls, code: str) -> LastTransaction:
        return cls(Match.UNREADABLE, code=code)


@dataclass(frozen=True)
class BatchTotals:
    """One terminal batch (the day until the terminal's télécollecte) in one currency, for reconciliation."""

    currency: str
    debit_count: int = 0
    debit_minor: int = 0
    refund_count: int = 0
    refund_minor: int = 0
    void_count: int = 0
    void_minor: int = 0

    @property
    def net_minor(self) -> int:
        return self.debit_minor - self.refund_minor - self.void_minor


class PaymentTerminal(ABC):
    """A card terminal. Outcomes are PaymentResults, never exceptions; see errors.py for what raises."""

    capabilities: frozenset[str] = frozenset()

    @abstractmethod
    def pay(self, request: PaymentRequest, on_progress: ProgressCallback | None = None,
            timeout: float | None = None) -> PaymentResult:
        """Charge the amount; blocks until the terminal answers or timeout (the driver's default) passes."""

    @abstractmethod
    def query(self, request: PaymentRequest) -> LastTransaction:
        """What the terminal's last transaction says of our payment (`request`: its reference, amount and
        currency): OURS with its outcome, OTHER (a readable transaction with another reference), or
        UNREADABLE (a refused or incomplete answer, nothing recorded, or a protocol without the question).

        Raises TerminalUnreachable / TerminalNoAnswer / ProtocolError when the terminal could not be asked.
        Meaningful only before the next operation on this terminal: the terminal keeps one last transaction.
        """

    @abstractmethod
    def cancel(self, original: PaymentRequest) -> PaymentResult:
        """Void an approved payment of the current batch (same day, before the terminal's télécollecte)."""

    @abstractmethod
    def refund(self, request: PaymentRequest) -> PaymentResult:
        """Credit the amount back to a card presented at the terminal; request has its own new reference."""

    @abstractmethod
    def health(self) -> Health:
        """Whether the terminal can be reached now; while an operation runs, OK "in_use" without probing."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection and anything the driver started."""

    def abort(self) -> bool:
        """Ask the terminal to stop the running payment; False where the protocol has no such message
        (Concert: the visitor presses the red key, and pay() then returns ABANDONED)."""
        return False

    def totals(self, currency: str = "EUR") -> BatchTotals:
        """The terminal's totals for the current batch, where capabilities include "totals"."""
        raise NotSupported(f"{type(self).__name__} cannot report batch totals")

    def __enter__(self) -> PaymentTerminal:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class OneAtATime:
    """The per-terminal lock. An operation that finds a health probe running waits for it (at most
    probe_wait seconds); one that finds another operation fails at once with TerminalBusy."""

    def __init__(self, probe_wait: float) -> None:
        self.probe_wait = probe_wait
        self._lock = threading.Lock()
        self._probing = False

    @contextmanager
    def hold(self, what: str, probe: bool = False) -> Iterator[None]:
        acquired = self._lock.acquire(blocking=False) or (
            not probe and self._probing and self._lock.acquire(timeout=self.probe_wait))
        if not acquired:
            raise TerminalBusy(f"the terminal is busy with another operation; {what} was not sent")
        self._probing = probe
        try:
            yield
        finally:
            self._probing = False
            self._lock.release()


def trusted(result: PaymentResult, request: PaymentRequest, echoed_reference: str | None) -> PaymentResult:
    """The result of our request, unless the answer names another reference or approves another amount:
    then we cannot tell what happened, so UNKNOWN."""
    if echoed_reference is not None and echoed_reference != request.reference:
        return PaymentResult.without_answer(request, PaymentState.UNKNOWN, "reference_mismatch")
    if result.state is PaymentState.APPROVED and result.amount_minor != request.amount_minor:
        return PaymentResult.without_answer(request, PaymentState.UNKNOWN, "amount_mismatch")
    return result


def report(on_progress: ProgressCallback | None, step: PaymentProgress) -> None:
    """Call on_progress; a failing callback is logged, never allowed to lose a payment's outcome."""
    if on_progress is None:
        return
    try:
        on_progress(step)
    except Exception:  # the payment matters more than the screen update
        log.exception("payment progress callback failed at step %s", step)
