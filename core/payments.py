"""The payment ledger: one row per attempt, written before the first byte reaches the terminal.

States: pending (row written, nothing sent) → sent (about to send: from here the outcome can be unknown) →
approved | declined | abandoned | failed | unknown. An unknown payment is settled by asking the terminal
(its last transaction, matched on our reference) or by a supervisor, never by charging again; while one is
unsettled, its terminal takes no new payment. An approved payment can later be voided or refunded (each a
row of its own, with its own reference). Every change is journaled in the same transaction.

Card data never comes here: the terminal layer hands over at most the last four digits.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

import sqlite_utils

from core import journal, tickets
from core.clock import utc_iso
from core.config import SiteConfig
from core.errors import N_, Conflict, NotFound
from core.tickets import Ticket

FINAL = ("approved", "declined", "abandoned", "failed", "voided", "refunded")
UNSETTLED = ("sent", "unknown")
OPERATIONS = ("payment", "void", "refund")
PAYABLE_STATES = ("waiting", "called")  # a ticket being served pays at its counter
MOVES: dict[str, tuple[str, ...]] = {
    "pending": ("sent", "failed"),
    "sent": ("approved", "declined", "abandoned", "failed", "unknown"),
    "unknown": ("approved", "declined", "abandoned", "failed", "unknown"),
    "approved": ("voided", "refunded"),
}
COLUMNS = ("reference", "operation", "original_reference", "kiosk", "terminal", "service", "items",
           "amount_minor", "currency", "lang", "priority", "state", "auth_code", "card_last4",
           "terminal_code", "ticket_id", "request_key", "etimbre", "etimbre_state", "resolved_by", "note",
           "day", "created_at", "updated_at")


@dataclass(frozen=True)
class Payment:
    reference: str
    operation: str
    original_reference: str | None
    kiosk: str | None
    terminal: str
    service: str | None
    items: str  # JSON list of {code, amount_minor}
    amount_minor: int
    currency: str
    lang: str
    priority: int
    state: str
    auth_code: str | None
    card_last4: str | None
    terminal_code: str | None
    ticket_id: str | None
    request_key: str | None
    etimbre: str | None
    etimbre_state: str  # none | pending | issued
    resolved_by: str | None
    note: str | None
    day: str
    created_at: str
    updated_at: str

    @property
    def settled(self) -> bool:
        return self.state not in UNSETTLED and self.state != "pending"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["items"] = json.loads(self.items)
        data["card"] = f"**** {self.card_last4}" if self.card_last4 else None
        del data["card_last4"], data["request_key"]
        return data


def _select(where: str) -> str:
    return f"SELECT {', '.join(COLUMNS)} FROM payments WHERE {where}"


def get(db: sqlite_utils.Database, reference: str) -> Payment:
    row = db.execute(_select("reference = ?"), [reference]).fetchone()
    if row is None:
        raise NotFound(N_("Unknown payment: %(reference)s."), reference=reference)
    return Payment(*row)


def by_request_key(db: sqlite_utils.Database, key: str) -> Payment | None:
    row = db.execute(_select("request_key = ?"), [key]).fetchone()
    return Payment(*row) if row else None


def of_day(db: sqlite_utils.Database, day: str) -> list[Payment]:
    return [Payment(*row) for row in db.execute(_select("day = ? ORDER BY id"), [day]).fetchall()]


def for_ticket(db: sqlite_utils.Database, ticket_id: str) -> Payment | None:
    """The fee payment of this ticket that counts: the approved one, else one whose outcome is not known
    yet, else the latest voided or refunded one. Attempts that took no money (declined, abandoned, failed:
    the visitor of an appointment keeps the ticket and pays at the counter) are not its payment."""
    row = db.execute(_select(
        "ticket_id = ? AND operation = 'payment' AND state NOT IN ('declined', 'abandoned', 'failed') "
        "ORDER BY CASE state WHEN 'approved' THEN 0 WHEN 'voided' THEN 2 WHEN 'refunded' THEN 2 ELSE 1 END, "
        "id DESC LIMIT 1"), [ticket_id]).fetchone()
    return Payment(*row) if row else None


NOT_AT_KIOSK = N_("The fees of this ticket cannot be paid at the kiosk. Please pay them at the counter.")
FREE = N_("This service is free: no payment is needed.")
ALREADY_PAID = N_("The fees of this ticket are already paid.")
UNDER_WAY = N_("A payment of these fees is already under way or being checked. Please ask at the counter.")


def payable_ticket(db: sqlite_utils.Database, config: SiteConfig, ticket_id: str, today: str) -> Ticket:
    """The ticket whose fees a kiosk may take now, or Conflict (NotFound for an unknown id): today's, not
    served yet (waiting or called), an appointment (a walk-in pays before its ticket is issued) of a service
    with fees, and no payment of it approved or still unsettled. Checked again in the transaction that writes
    the payment row, so that two kiosks never take the same fees."""
    ticket = tickets.get(db, ticket_id)
    if ticket.kind != "appointment" or ticket.day != today or ticket.state not in PAYABLE_STATES:
        raise Conflict(NOT_AT_KIOSK)
    if not config.service(ticket.service).fees:
        raise Conflict(FREE)
    paid = for_ticket(db, ticket_id)
    if paid is not None and paid.state == "approved":
        raise Conflict(ALREADY_PAID)
    if paid is not None and not paid.settled:
        raise Conflict(UNDER_WAY)
    return ticket


def etimbre_pending(db: sqlite_utils.Database) -> list[Payment]:
    """Approved fee payments still waiting for their eTimbre number, oldest first (a payment voided or
    refunded before its number came gets none: the central hears of it from the journal)."""
    where = "operation = 'payment' AND state = 'approved' AND etimbre_state = 'pending'"
    return [Payment(*row) for row in db.execute(_select(where + " ORDER BY id")).fetchall()]


def unsettled(db: sqlite_utils.Database, terminal: str | None = None) -> list[Payment]:
    """Payments whose outcome we do not know yet (oldest first), for one terminal or all."""
    where = "state IN ('pending', 'sent', 'unknown')" + (" AND terminal = ?" if terminal else "")
    return [Payment(*row) for row in db.execute(_select(where + " ORDER BY id"),
                                                [terminal] if terminal else []).fetchall()]


Changed = tuple[Payment, journal.Event]


def create(db: sqlite_utils.Database, *, reference: str, terminal: str, amount_minor: int, currency: str,
           lang: str, day: str, actor: str, operation: str = "payment", kiosk: str | None = None,
           service: str | None = None, items: list[dict[str, Any]] | None = None,
           original_reference: str | None = None, request_key: str | None = None,
           priority: bool = False, ticket_id: str | None = None) -> Changed:
    """The row that exists before anything is sent: state pending, our unique reference; `ticket_id` when it
    pays the fees of a ticket issued before (an appointment checked in), else the ticket comes at approval."""
    if operation not in OPERATIONS or type(amount_minor) is not int or amount_minor <= 0:
        raise ValueError(f"bad payment: {operation!r} of {amount_minor!r}")
    now = utc_iso()
    db.execute(
        "INSERT INTO payments (reference, operation, original_reference, kiosk, terminal, service, items, "
        "amount_minor, currency, lang, priority, state, etimbre_state, day, request_key, ticket_id, "
        "created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 'none', ?, ?, ?, ?, ?)",
        [reference, operation, original_reference, kiosk, terminal, service, json.dumps(items or []),
         amount_minor, currency, lang, int(priority), day, request_key, ticket_id, now, now],
    )
    payment = get(db, reference)
    return payment, _journal(db, payment, "pending", None, actor)


def move(db: sqlite_utils.Database, reference: str, state: str, actor: str, **facts: Any) -> Changed:
    """Move a payment to `state` with what the terminal (or a person) said; Conflict if not allowed."""
    payment = get(db, reference)
    if state not in MOVES.get(payment.state, ()):
        raise Conflict(N_("This payment is %(state)s and cannot become %(new)s."), state=payment.state,
                       new=state)
    changes = {key: value for key, value in facts.items() if key in COLUMNS and key != "reference"}
    changes.update(state=state, updated_at=utc_iso())
    if state == "approved" and payment.operation == "payment":
        changes.setdefault("etimbre_state", "pending")
    assignments = ", ".join(f"{key} = ?" for key in changes)
    db.execute(f"UPDATE payments SET {assignments} WHERE reference = ?", [*changes.values(), reference])
    moved = get(db, reference)
    return moved, _journal(db, moved, state, payment.state, actor)


def set_etimbre(db: sqlite_utils.Database, reference: str, number: str, actor: str) -> journal.Event | None:
    """Record the eTimbre number the central issued; the same number again changes nothing."""
    payment = get(db, reference)
    if payment.etimbre == number:
        return None
    if payment.etimbre is not None:
        raise Conflict(N_("This payment already has eTimbre %(number)s."), number=payment.etimbre)
    db.execute("UPDATE payments SET etimbre = ?, etimbre_state = 'issued', updated_at = ? "
               "WHERE reference = ?", [number, utc_iso(), reference])
    return journal.append(db, "payment.etimbre_issued", actor, {**_facts(get(db, reference))},
                          ticket_id=payment.ticket_id)


def link_ticket(db: sqlite_utils.Database, reference: str, ticket_id: str) -> None:
    db.execute("UPDATE payments SET ticket_id = ?, updated_at = ? WHERE reference = ?",
               [ticket_id, utc_iso(), reference])


def _facts(payment: Payment) -> dict[str, Any]:
    """What the journal (audit, sync) keeps of a payment: no card data beyond the last four digits."""
    keys = ("reference", "operation", "original_reference", "kiosk", "terminal", "service", "amount_minor",
            "currency", "state", "auth_code", "card_last4", "terminal_code", "etimbre", "etimbre_state",
            "resolved_by")
    return {key: getattr(payment, key) for key in keys}


def _journal(db: sqlite_utils.Database, payment: Payment, state: str, previous: str | None,
             actor: str) -> journal.Event:
    return journal.append(db, f"payment.{state}", actor, {**_facts(payment), "previous": previous},
                          ticket_id=payment.ticket_id)
