"""Card payments at a kiosk: the ledger row first, then the terminal, one payment at a time per terminal.

The order that makes a payment impossible to lose or double:
1. a `pending` row with our unique reference is committed (nothing sent yet);
2. the row moves to `sent` and is committed, then the request goes to the terminal;
3. the answer is recorded; an approval issues the visitor's ticket in the same transaction.
A crash or a lost answer leaves `sent` or `unknown`; `recover()` asks the terminal for its last transaction
(duplicata) and matches our reference: ours gives its outcome, a readable one with another reference proves
ours did not complete, anything unreadable proves nothing (the payment stays unknown). While a payment of a
terminal is unsettled that terminal takes no new payment (its "last transaction" must stay ours), and a
supervisor settles what the terminal cannot tell. A payment may also pay the fees of a ticket issued before
it (an appointment checked in): linked to that ticket from its first row, its approval issues none.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from core import payments, tickets
from core.clock import now
from core.errors import N_, Conflict
from core.payments import Payment
from core.site import Site
from core.tickets import Ticket
from hardware.errors import HardwareError
from hardware.payment import (
    LastTransaction,
    Match,
    PaymentProgress,
    PaymentRequest,
    PaymentResult,
    PaymentState,
)
from hardware.payment.base import PaymentTerminal
from hardware.payment.money import new_reference

log = logging.getLogger(__name__)
Approved = Callable[[Payment], None]  # after commit: print the ticket and the receipt
Operate = Callable[[Payment], PaymentResult]  # the terminal operation of a ledger row
RETRY_SECONDS = 5.0  # between two attempts to settle an unknown payment with the terminal
BUSY_GRACE_SECONDS = 2.0  # how long a new payment waits for the previous one's worker to let go
TRANSACTION_TIMEOUT = 180.0  # longer than any terminal's own cardholder timeout (hardware.md §3.4)


class KioskTerminal:
    """One kiosk's card terminal and its worker thread."""

    def __init__(self, kiosk: str, terminal: PaymentTerminal, site: Site, on_approved: Approved,
                 timeout: float = TRANSACTION_TIMEOUT) -> None:
        self.kiosk = kiosk
        self.device = f"payment:{kiosk}"
        self.terminal = terminal
        self.site = site
        self.on_approved = on_approved
        self.timeout = timeout
        self._busy = threading.Lock()
        self._changed = threading.Condition()
        self._retry: threading.Timer | None = None

    # --- paying ------------------------------------------------------------------------------------------
    def start(self, *, service: str, items: list[dict[str, Any]], amount_minor: int, lang: str,
              request_key: str, actor: str, priority: bool = False, ticket_id: str | None = None) -> Payment:
        """Record the attempt and hand it to the worker; the same request_key returns the same payment.
        With `ticket_id`, it pays the fees of that ticket (core.payments.payable_ticket) and issues none."""
        existing = self._existing(request_key)
        if existing is not None:
            return existing
        # A payment that just ended lets go of the terminal a moment after its outcome is visible: wait.
        if not self._busy.acquire(timeout=BUSY_GRACE_SECONDS):
            raise Conflict(N_("A payment is already in progress at this kiosk."))
        try:
            if not self._settle_unsettled():
                raise Conflict(N_("Card payment is not available at this kiosk right now. "
                                  "Please pay at a counter."))
            payment = self._create(service, items, amount_minor, lang, request_key, actor, priority,
                                   ticket_id)
        except BaseException:
            self._busy.release()
            raise
        self._launch(payment, actor, self._pay)
        return payment

    def _existing(self, request_key: str) -> Payment | None:
        with self.site.store.reading() as db:
            return payments.by_request_key(db, request_key)

    def _create(self, service: str, items: list[dict[str, Any]], amount: int, lang: str, key: str,
                actor: str, priority: bool, ticket_id: str | None) -> Payment:
        with self.site.change() as (db, events):
            if ticket_id is not None:  # in the transaction that writes the row: one payment per ticket
                payments.payable_ticket(db, self.site.config, ticket_id, self.site.today())
            payment, event = payments.create(
                db, reference=new_reference(), terminal=self.device, kiosk=self.kiosk, service=service,
                items=items, amount_minor=amount, currency=str(self.site.config.site["currency"]), lang=lang,
                day=self.site.today(), actor=actor, request_key=key, priority=priority, ticket_id=ticket_id)
            events.append(event)
        return payment

    def reverse(self, original: Payment, operation: str, actor: str) -> Payment:
        """Void (same batch) or refund (card presented again) an approved payment, as a payment row of its
        own; on approval the original becomes voided or refunded."""
        reversible = original.state == "approved" and original.operation == "payment"
        if not reversible or operation not in ("void", "refund"):
            raise Conflict(N_("Only an approved payment can be voided or refunded."))
        if not self._busy.acquire(blocking=False):
            raise Conflict(N_("The terminal is busy: try again when the current payment is finished."))
        try:
            with self.site.change() as (db, events):
                row, event = payments.create(
                    db, reference=new_reference(), terminal=self.device, kiosk=self.kiosk,
                    operation=operation, original_reference=original.reference, service=original.service,
                    amount_minor=original.amount_minor, currency=original.currency, lang=original.lang,
                    day=self.site.today(), actor=actor)
                events.append(event)
        except BaseException:
            self._busy.release()
            raise
        self._launch(row, actor, self._void if operation == "void" else self._refund)
        return row

    def _pay(self, row: Payment) -> PaymentResult:
        return self.terminal.pay(_request(row), on_progress=self._progress, timeout=self.timeout)

    def _void(self, row: Payment) -> PaymentResult:
        original = PaymentRequest(str(row.original_reference), row.amount_minor, row.currency)
        return replace(self.terminal.cancel(original), reference=row.reference)

    def _refund(self, row: Payment) -> PaymentResult:
        return self.terminal.refund(_request(row))

    def _launch(self, row: Payment, actor: str, operate: Operate) -> None:
        """Run the operation in a worker thread; the caller holds the busy lock, the worker releases it."""
        threading.Thread(target=self._run, args=(row, actor, operate), daemon=True).start()

    def _run(self, payment: Payment, actor: str, operate: Operate) -> None:
        try:
            self._move(payment.reference, "sent", actor)  # committed before the first byte
            self.record(operate(payment), actor)
        except Exception:  # noqa: BLE001 - whatever happened, the row says sent/unknown and recovery settles it
            log.exception("payment %s interrupted", payment.reference)
            self._settle_quietly(payment.reference, _without(payment, PaymentState.UNKNOWN, "error"))
        finally:
            self._busy.release()
            self._notify()
        if self.outcome(payment.reference).state == "unknown":
            self.recover()  # ask the terminal at once: a dropped connection after approval is the usual case

    def _progress(self, step: PaymentProgress) -> None:
        self._notify()

    # --- outcomes ----------------------------------------------------------------------------------------
    def record(self, result: PaymentResult, actor: str, resolved_by: str | None = None,
               note: str | None = None) -> Payment:
        """Write what the terminal said; an approval issues the visitor's ticket in the same transaction,
        unless the payment paid a ticket issued before it (an appointment's fees after check-in)."""
        facts: dict[str, Any] = {"terminal_code": result.terminal_code, "resolved_by": resolved_by}
        if note is not None:
            facts["note"] = note
        if result.state is PaymentState.APPROVED:
            facts.update(auth_code=result.auth_code, card_last4=_last4(result.masked_pan))
        with self.site.change() as (db, events):
            payment, event = payments.move(db, result.reference, result.state.value, actor, **facts)
            events.append(event)
            if payment.state == "approved" and payment.operation == "payment":
                if payment.ticket_id is None:  # else it paid a ticket issued before: none is issued
                    payment = self._issue_ticket(db, payment, events, actor)
            elif payment.state == "approved":  # a void or refund: the original is reversed with it
                reversed_state = "voided" if payment.operation == "void" else "refunded"
                events.append(payments.move(db, str(payment.original_reference), reversed_state, actor)[1])
        if payment.state == "approved" and payment.operation == "payment":
            self.on_approved(payment)
        self._notify()
        return payment

    def _issue_ticket(self, db: Any, payment: Payment, events: list[Any], actor: str) -> Payment:
        ticket, event = tickets.issue(
            db, self.site.config, service=str(payment.service), kind="walk_in", lang=payment.lang,
            actor=actor, priority=bool(payment.priority), request_key=issued_ticket_key(payment.reference))
        events.append(event)
        payments.link_ticket(db, payment.reference, ticket.id)
        return payments.get(db, payment.reference)

    def _settle_quietly(self, reference: str, result: PaymentResult) -> None:
        try:
            self.record(result, f"device:{self.device}")
        except Exception:  # noqa: BLE001 - the row stays as it was; recovery retries
            log.exception("payment %s: outcome not recorded", reference)

    def _move(self, reference: str, state: str, actor: str) -> None:
        with self.site.change() as (db, events):
            events.append(payments.move(db, reference, state, actor)[1])

    def outcome(self, reference: str, wait: float = 0.0) -> Payment:
        """The payment as recorded, waiting up to `wait` seconds while its outcome is not known yet."""
        with self._changed:
            self._changed.wait_for(lambda: self._get(reference).settled, wait)
        return self._get(reference)

    def _get(self, reference: str) -> Payment:
        with self.site.store.reading() as db:
            return payments.get(db, reference)

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()

    # --- recovery ----------------------------------------------------------------------------------------
    def recover(self) -> bool:
        """Settle this terminal's unsettled payments by asking it; True when none is left unsettled."""
        if not self._busy.acquire(blocking=False):
            return False  # a payment is running: it settles itself
        try:
            return self._settle_unsettled()
        finally:
            self._busy.release()

    def _settle_unsettled(self) -> bool:
        """`recover()` with the terminal already held; asks again later for what is left."""
        with self.site.store.reading() as db:
            pending = payments.unsettled(db, self.device)
        for payment in pending:
            self._recover_one(payment)
        with self.site.store.reading() as db:
            left = payments.unsettled(db, self.device)
        if left:
            self._retry_later()
        return not left

    def _retry_later(self) -> None:
        """Ask again in a while: the terminal may still be in the transaction, or unreachable for now."""
        with self._changed:
            if self._retry is not None and self._retry.is_alive():
                return
            self._retry = threading.Timer(RETRY_SECONDS, self.recover)
            self._retry.daemon = True
            self._retry.start()

    def _recover_one(self, payment: Payment) -> None:
        actor = "recovery"
        if payment.state == "pending":  # the row was written, nothing was ever sent
            self._settle_quietly(payment.reference, _without(payment, PaymentState.FAILED, "never_sent"))
            return
        if payment.operation != "payment":  # a void or refund the terminal files under another reference
            if payment.state == "sent":
                self._settle_quietly(payment.reference, _without(payment, PaymentState.UNKNOWN, "ask_person"))
            return
        try:
            found = self.terminal.query(_request(payment))
        except HardwareError as error:
            log.warning("payment %s: terminal not asked (%s)", payment.reference, error)
            if payment.state == "sent":
                self._settle_quietly(payment.reference, _without(payment, PaymentState.UNKNOWN, "no_answer"))
            return
        if found.result is not None and found.result.state is not PaymentState.UNKNOWN:  # ours, final
            self.record(found.result, actor, resolved_by="terminal")
        elif found.match is Match.OTHER and self._terminal_done_with(payment):
            # A readable last transaction with another reference; the terminal's own time is over and nothing
            # ran on it since (an unsettled payment blocks the terminal): ours never completed. Nothing else
            # proves that: an unreadable or refused answer leaves the payment unknown, for a person.
            not_done = _without(payment, PaymentState.FAILED, "not_on_terminal")
            self.record(not_done, actor, resolved_by="terminal")
        elif payment.state == "sent":
            self.record(_without(payment, PaymentState.UNKNOWN, _unsettled_reason(found)), actor)

    def _terminal_done_with(self, payment: Payment) -> bool:
        """Whether the terminal's own transaction time is over: until then it may still approve ours, and a
        duplicata would show its previous transaction (hardware.md §3.4)."""
        created = datetime.fromisoformat(payment.created_at.replace("Z", "+00:00"))
        return now() - created > timedelta(seconds=self.timeout)


def _unsettled_reason(found: LastTransaction) -> str:
    """Why the terminal's answer leaves a payment unknown: no duplicata (V2), too early (another reference
    while the terminal may still be busy with ours), unreadable, or ours without a usable outcome."""
    if found.result is not None:
        return str(found.result.terminal_code)
    if found.code == "not_supported":
        return "cannot_query"
    return "terminal_busy" if found.match is Match.OTHER else "unreadable_answer"


def issued_ticket_key(reference: str) -> str:
    """The request key of the ticket a payment issues at its approval (a walk-in pays before its ticket)."""
    return f"payment:{reference}"


def paid_issued_ticket(payment: Payment, ticket: Ticket) -> bool:
    """Whether `ticket` was issued by this payment's approval, rather than before it (an appointment checked
    in, whose fees were paid afterwards): the first is printed with its receipt, the second has its own."""
    return ticket.request_key == issued_ticket_key(payment.reference)


def _request(payment: Payment) -> PaymentRequest:
    return PaymentRequest(payment.reference, payment.amount_minor, payment.currency)


def _without(payment: Payment, state: PaymentState, reason: str) -> PaymentResult:
    return PaymentResult(payment.reference, state, payment.amount_minor, terminal_code=reason)


def _last4(masked: str | None) -> str | None:
    return masked[-4:] if masked else None
