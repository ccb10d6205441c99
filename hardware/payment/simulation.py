"""What every simulated terminal shares, whatever its protocol: the script, the ledger, the last transaction.

A protocol simulator (caisse_ap.simulator, concert_v2.simulator) decodes the real bytes, asks its
ScriptedTerminal what the terminal decides, and encodes the answer; FakeTerminal asks the same object
without any bytes. The ledger is what proves "exactly one charge". No simulator ever makes up a card
number: answers carry the partial PAN in card_number ("############4242") unless a test sets another.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from itertools import count
from types import TracebackType
from typing import Self

from .base import BatchTotals, PaymentTerminal

SIM_CARD = "############4242"


class Outcome(StrEnum):
    """What the simulated terminal does with the next operation (pay, cancel or refund)."""

    APPROVE = "approve"
    DECLINE = "decline"  # refused by the bank
    ABANDON = "abandon"  # the visitor pressed the red key
    TERMINAL_TIMEOUT = "terminal_timeout"  # no card presented before the terminal's own timeout
    NO_ANSWER = "no_answer"  # takes the request and never answers (hang)
    DROP_AFTER_APPROVE = "drop_after_approve"  # approves, then the line dies before the answer
    APPROVE_THEN_HANG = "approve_then_hang"  # approves (charged), then never answers: a crash's worst moment
    GARBAGE = "garbage"  # approves, then answers with malformed bytes
    SLOW = "slow"  # approves after slow_seconds
    CORRUPT_CHECKSUM = "corrupt_checksum"  # serial: first answer frame has a bad LRC, correct after our NAK
    CORRUPT_CHECKSUM_ALWAYS = "corrupt_checksum_always"  # serial: approves, every answer frame is corrupt
    NAK_REQUEST = "nak_request"  # serial: NAKs our first request frame, accepts the retransmission
    NAK_REQUEST_ALWAYS = "nak_request_always"  # serial: NAKs every request frame, so nothing happens


SERIAL_ONLY = frozenset({Outcome.CORRUPT_CHECKSUM, Outcome.CORRUPT_CHECKSUM_ALWAYS, Outcome.NAK_REQUEST,
                         Outcome.NAK_REQUEST_ALWAYS})
_NOT_DONE = {Outcome.NO_ANSWER, Outcome.NAK_REQUEST_ALWAYS}


class Operation(StrEnum):
    DEBIT = "debit"
    REFUND = "refund"
    VOID = "void"


class Verdict(StrEnum):
    """What the terminal decided; each protocol encodes it in its own codes."""

    APPROVED = "approved"
    REFUSED = "refused"
    ABANDONED = "abandoned"
    TIMED_OUT = "timed_out"
    FORBIDDEN = "forbidden"  # e.g. a void with no matching payment in the batch


_VERDICTS = {Outcome.DECLINE: Verdict.REFUSED, Outcome.ABANDON: Verdict.ABANDONED,
             Outcome.TERMINAL_TIMEOUT: Verdict.TIMED_OUT}


@dataclass(frozen=True)
class Transaction:
    """The terminal's record of one operation: what its journal holds and a duplicata reprints."""

    reference: str
    operation: Operation
    amount_minor: int
    currency: str
    verdict: Verdict
    auth_code: str | None = None
    card_number: str | None = None


class Ledger:
    """The approved operations, batch by batch (a batch ends at the terminal's télécollecte)."""

    def __init__(self) -> None:
        self.batches: list[list[Transaction]] = [[]]

    @property
    def entries(self) -> list[Transaction]:
        return [entry for batch in self.batches for entry in batch]

    def charges(self, reference: str) -> list[Transaction]:
        """The approved debits carrying this reference, in every batch: exactly one after a good payment."""
        return [e for e in self.entries if e.reference == reference and e.operation is Operation.DEBIT]

    def can_void(self, reference: str, amount_minor: int) -> bool:
        batch = self.batches[-1]
        paid = any(e.operation is Operation.DEBIT and e.amount_minor == amount_minor for e in batch
                   if e.reference == reference)
        return paid and not any(e.operation is Operation.VOID and e.reference == reference for e in batch)

    def totals(self, currency: str = "EUR") -> BatchTotals:
        batch = [e for e in self.batches[-1] if e.currency == currency]
        sums = {op: [e.amount_minor for e in batch if e.operation is op] for op in Operation}
        return BatchTotals(
            currency, len(sums[Operation.DEBIT]), sum(sums[Operation.DEBIT]), len(sums[Operation.REFUND]),
            sum(sums[Operation.REFUND]), len(sums[Operation.VOID]), sum(sums[Operation.VOID]),
        )

    def close_batch(self, currency: str = "EUR") -> BatchTotals:
        """The closing batch's totals; voids are no longer possible for its payments."""
        totals = self.totals(currency)
        self.batches.append([])
        return totals


class ScriptedTerminal:
    """The decisions of a simulated terminal: a queue of outcomes (default approve), a ledger, the last
    transaction and every request received. Thread-safe: a TCP simulator serves connections in threads."""

    def __init__(self, supported: frozenset[Outcome] = frozenset(Outcome)) -> None:
        self.supported = supported
        self.ledger = Ledger()
        self.last: Transaction | None = None
        self.requests: list[dict[str, str]] = []
        self.card_number = SIM_CARD
        self._script: deque[Outcome] = deque()
        self._auth_codes = count(1)
        self._lock = threading.Lock()

    def script(self, *outcomes: str) -> None:
        """Queue outcomes for the next operations, e.g. script("decline", "approve")."""
        queued = [Outcome(outcome) for outcome in outcomes]
        for outcome in queued:
            if outcome not in self.supported:
                raise ValueError(f"outcome {outcome!r} cannot be simulated on this protocol")
        with self._lock:
            self._script.extend(queued)

    def next_outcome(self) -> Outcome:
        with self._lock:
            return self._script.popleft() if self._script else Outcome.APPROVE

    def record_request(self, fields: Mapping[str, str]) -> None:
        with self._lock:
            self.requests.append(dict(fields))

    def decide(self, operation: Operation, reference: str, amount_minor: int, currency: str,
               outcome: Outcome) -> Transaction | None:
        """The terminal's decision, recorded in the ledger when approved; None when nothing happened."""
        if outcome in _NOT_DONE:
            return None
        with self._lock:
            verdict = self._verdict(operation, reference, amount_minor, outcome)
            done = Transaction(reference, operation, amount_minor, currency, verdict)
            if verdict is Verdict.APPROVED:
                done = replace(done, auth_code=f"S{next(self._auth_codes):05d}", card_number=self.card_number)
                self.ledger.batches[-1].append(done)
            self.last = done
            return done

    def _verdict(self, operation: Operation, reference: str, amount_minor: int, outcome: Outcome) -> Verdict:
        verdict = _VERDICTS.get(outcome, Verdict.APPROVED)
        if verdict is Verdict.APPROVED and operation is Operation.VOID:
            return Verdict.APPROVED if self.ledger.can_void(reference, amount_minor) else Verdict.FORBIDDEN
        return verdict


class TerminalSimulator(ABC):
    """Plumbing shared by the protocol simulators: the scripted terminal, start/stop, interruptible waits."""

    def __init__(self, supported: frozenset[Outcome], slow_seconds: float) -> None:
        self.terminal = ScriptedTerminal(supported)
        self.slow_seconds = slow_seconds
        self._stopping = threading.Event()

    def script(self, *outcomes: str) -> None:
        """Queue outcomes for the next pay / cancel / refund (default: approve)."""
        self.terminal.script(*outcomes)

    @property
    def ledger(self) -> Ledger:
        return self.terminal.ledger

    @property
    def requests(self) -> list[dict[str, str]]:
        return self.terminal.requests

    def charges(self, reference: str) -> list[Transaction]:
        return self.terminal.ledger.charges(reference)

    def totals(self, currency: str = "EUR") -> BatchTotals:
        return self.terminal.ledger.totals(currency)

    def close_batch(self, currency: str = "EUR") -> BatchTotals:
        return self.terminal.ledger.close_batch(currency)

    @property
    @abstractmethod
    def uri(self) -> str:
        """The URI a driver uses to reach this simulator."""

    @abstractmethod
    def start(self) -> Self: ...

    @abstractmethod
    def stop(self) -> None: ...

    def perform(self, operation: Operation, reference: str, amount_minor: int, currency: str,
                outcome: Outcome, hang: Callable[[], None]) -> Transaction | None:
        """Play an outcome up to the terminal's decision; None when the terminal will send no answer."""
        if outcome is Outcome.NO_ANSWER:
            hang()
            return None
        if outcome is Outcome.APPROVE_THEN_HANG:
            self.terminal.decide(operation, reference, amount_minor, currency, outcome)
            hang()
            return None
        if outcome is Outcome.SLOW and self.pause(self.slow_seconds):
            return None
        done = self.terminal.decide(operation, reference, amount_minor, currency, outcome)
        return None if outcome is Outcome.DROP_AFTER_APPROVE else done

    def pause(self, seconds: float) -> bool:
        """Wait, or less if the simulator stops; True when it is stopping."""
        return self._stopping.wait(seconds)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class OwnsSimulator(PaymentTerminal):
    """Mixin for a real driver talking to a simulator it started: totals come from the simulator's ledger
    (Concert has no standard totals message) and close() stops the simulator."""

    simulator: TerminalSimulator

    def totals(self, currency: str = "EUR") -> BatchTotals:
        return self.simulator.totals(currency)

    def close(self) -> None:
        super().close()  # type: ignore[safe-super]  # the mixin always comes before a concrete driver
        self.simulator.stop()
