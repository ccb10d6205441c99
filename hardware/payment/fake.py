"""FakeTerminal: the scripted terminal in-process, no sockets or ptys, for fast tests of the layers above.

It plays the same outcomes as the protocol simulators, with the states the real drivers would return
(e.g. drop_after_approve: UNKNOWN from pay(), APPROVED from query()), and unlike Concert it supports
abort(), so the layers above can be tested against both kinds of terminal.
"""

from __future__ import annotations

import threading

from ..health import Health, HealthState
from .base import (
    ABORT,
    QUERY,
    REFUND,
    TOTALS,
    VOID,
    BatchTotals,
    LastTransaction,
    OneAtATime,
    PaymentProgress,
    PaymentRequest,
    PaymentResult,
    PaymentState,
    PaymentTerminal,
    ProgressCallback,
    report,
)
from .errors import TerminalUnreachable
from .money import mask_pan
from .simulation import Ledger, Operation, Outcome, ScriptedTerminal, Transaction, Verdict

STATES = {Verdict.APPROVED: PaymentState.APPROVED, Verdict.REFUSED: PaymentState.DECLINED,
          Verdict.FORBIDDEN: PaymentState.DECLINED, Verdict.ABANDONED: PaymentState.ABANDONED,
          Verdict.TIMED_OUT: PaymentState.ABANDONED}
LOST_ANSWERS = {Outcome.DROP_AFTER_APPROVE: "connection_closed", Outcome.GARBAGE: "malformed_answer",
                Outcome.CORRUPT_CHECKSUM_ALWAYS: "corrupt_frame"}


class FakeTerminal(PaymentTerminal):
    """FakeTerminal("decline", "approve"): outcomes for the next operations, then approve.
    Set unreachable = True to get FAILED results, OFFLINE health and a raising query(); unreadable = "01/09"
    to get query() answers that prove nothing."""

    capabilities = frozenset({QUERY, VOID, REFUND, ABORT, TOTALS})

    def __init__(self, *outcomes: str, slow_seconds: float = 0.05, timeout: float = 1.0) -> None:
        self.terminal = ScriptedTerminal()
        self.terminal.script(*outcomes)
        self.unreachable = False
        self.unreadable: str | None = None
        self.slow_seconds, self.timeout = slow_seconds, timeout
        self._aborted = threading.Event()
        self._one = OneAtATime(probe_wait=0)

    def script(self, *outcomes: str) -> None:
        self.terminal.script(*outcomes)

    @property
    def ledger(self) -> Ledger:
        return self.terminal.ledger

    def charges(self, reference: str) -> list[Transaction]:
        return self.terminal.ledger.charges(reference)

    def pay(self, request: PaymentRequest, on_progress: ProgressCallback | None = None,
            timeout: float | None = None) -> PaymentResult:
        return self._operate(Operation.DEBIT, request, on_progress, timeout or self.timeout)

    def cancel(self, original: PaymentRequest) -> PaymentResult:
        return self._operate(Operation.VOID, original, None, self.timeout)

    def refund(self, request: PaymentRequest) -> PaymentResult:
        return self._operate(Operation.REFUND, request, None, self.timeout)

    def query(self, request: PaymentRequest) -> LastTransaction:
        """As a Concert V3 duplicata: ours, another reference, or unreadable. Set `unreadable` to a code
        (e.g. "01/09") to answer UNREADABLE whatever the last transaction, as a refused duplicata does."""
        if self.unreachable:
            raise TerminalUnreachable("the fake terminal is set unreachable")
        last = self.terminal.last
        if self.unreadable is not None:
            return LastTransaction.unreadable(self.unreadable)
        if last is None:  # what the V3 simulator answers then: AE=01 AF=05 without CF
            return LastTransaction.unreadable("01/05")
        if last.reference != request.reference:
            return LastTransaction.other(last.reference, last.verdict.value)
        return LastTransaction.ours(_result(last))

    def health(self) -> Health:
        return Health(HealthState.OFFLINE, "unreachable") if self.unreachable else Health.ok()

    def abort(self) -> bool:
        """Stops a hanging or slow payment, which then returns ABANDONED."""
        self._aborted.set()
        return True

    def totals(self, currency: str = "EUR") -> BatchTotals:
        return self.terminal.ledger.totals(currency)

    def close(self) -> None:
        """Nothing to release."""

    def _operate(self, operation: Operation, request: PaymentRequest, on_progress: ProgressCallback | None,
                 timeout: float) -> PaymentResult:
        with self._one.hold(f"the operation for {request.reference}"):
            if self.unreachable:
                return PaymentResult.without_answer(request, PaymentState.FAILED, "unreachable")
            self._aborted.clear()
            report(on_progress, PaymentProgress.CONNECTING)
            outcome = self.terminal.next_outcome()
            if outcome is Outcome.NAK_REQUEST_ALWAYS:
                return PaymentResult.without_answer(request, PaymentState.FAILED, "frame_rejected")
            self.terminal.record_request({"operation": operation, "reference": request.reference,
                                          "amount_minor": str(request.amount_minor),
                                          "currency": request.currency})
            report(on_progress, PaymentProgress.SENT)
            return self._play(operation, request, outcome, timeout, on_progress)

    def _play(self, operation: Operation, request: PaymentRequest, outcome: Outcome, timeout: float,
              on_progress: ProgressCallback | None) -> PaymentResult:
        if outcome is Outcome.APPROVE_THEN_HANG:
            self.terminal.decide(operation, request.reference, request.amount_minor, request.currency,
                                 outcome)
        hangs = (Outcome.NO_ANSWER, Outcome.APPROVE_THEN_HANG)
        wait = {Outcome.SLOW: self.slow_seconds}.get(outcome, timeout if outcome in hangs else 0)
        if wait and self._aborted.wait(wait):
            return PaymentResult.without_answer(request, PaymentState.ABANDONED, "aborted")
        if outcome in hangs:
            return PaymentResult.without_answer(request, PaymentState.UNKNOWN, "no_answer")
        done = self.terminal.decide(operation, request.reference, request.amount_minor, request.currency,
                                    outcome)
        assert done is not None
        if outcome in LOST_ANSWERS:
            return PaymentResult.without_answer(request, PaymentState.UNKNOWN, LOST_ANSWERS[outcome])
        report(on_progress, PaymentProgress.ANSWERED)
        return _result(done)


def _result(done: Transaction) -> PaymentResult:
    return PaymentResult(done.reference, STATES[done.verdict], done.amount_minor, auth_code=done.auth_code,
                         masked_pan=mask_pan(done.card_number), terminal_code=done.verdict.value)
