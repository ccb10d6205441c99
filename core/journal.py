"""The journal: one append-only table of domain events, written in the same transaction as the change.

It is the audit log, the sync outbox and the replay source for screens. `seq` is its rowid (AUTOINCREMENT,
so a number is never reused even after a rollback of the last row).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from core.clock import utc_iso

# Every journal event type, with what it means. docs/events.md lists each (a test checks).
EVENT_TYPES: dict[str, str] = {
    "ticket.issued": "A ticket was issued (kiosk walk-in, pickup or appointment check-in).",
    "ticket.called": "A counter called a ticket.",
    "ticket.recalled": "A counter called its current ticket again.",
    "ticket.started": "The agent started serving the ticket.",
    "ticket.finished": "The agent finished serving the ticket.",
    "ticket.no_show": "The visitor did not come after the call.",
    "ticket.no_show_undone": "The agent undid their no-show within the window: called at the counter again.",
    "ticket.transferred": "The ticket went back to waiting, for another service or counter.",
    "ticket.cancelled": "The ticket was cancelled.",
    "ticket.print_failed": "A ticket could not be printed (paper out, cover open, offline, silent).",
    "counter.opened": "An agent opened a counter.",
    "counter.closed": "An agent closed a counter.",
    "badge.login": "An agent logged in at a counter's desk with their badge and PIN.",
    "badge.locked": "The badge of the agent logged in at a desk left its reader: the desk locked.",
    "payment.pending": "A payment attempt was recorded, before anything was sent to the terminal.",
    "payment.sent": "The request is about to reach the terminal: from here its outcome can be unknown.",
    "payment.approved": "The terminal approved the payment (or the void or refund).",
    "payment.declined": "The terminal or the bank refused it.",
    "payment.abandoned": "Not done: the visitor cancelled on the terminal or took too long.",
    "payment.failed": "Provably not done for a technical reason (terminal unreachable, request refused).",
    "payment.unknown": "Sent, no final answer: to settle by asking the terminal or by a supervisor.",
    "payment.voided": "An approved payment was cancelled before the terminal's batch closed.",
    "payment.refunded": "An approved payment was refunded to the card.",
    "payment.etimbre_issued": "The central issued the eTimbre number of an approved payment.",
    "payment.exception": "Reconciliation found a difference or an open item, to be resolved by a supervisor.",
    "payment.exception_resolved": "A supervisor resolved a reconciliation exception, with a note.",
    "appointment.checked_in": "A visitor checked in for an appointment (its ticket.issued follows).",
    "appointment.changed": (
        "The central cancelled or moved an appointment already checked in: the counter warns."),
    "appointment.no_show": "An appointment of today was not checked in by the end of its grace period.",
    "device.health": "A device's health changed (ok, degraded, offline, unknown), with the reason.",
    "ticket.closed": "The day was closed with the ticket still open: it ended as a no-show or was carried.",
    "day.closed": "A supervisor (or the retention) closed a day: its summary, kept in day_summaries.",
    "retention.pseudonymised": "The visitors' identifiers of a day were replaced by pseudonyms (privacy).",
    "retention.purged": "The rows of a day past the retention period were deleted; its summary stays.",
    "backup.restored": "The database was replaced by a backup (`dour restore`); the first event after it.",
    "floor.service_paused": "A supervisor paused a service at the kiosks for the day, with the reason shown.",
    "floor.service_resumed": "A supervisor resumed a paused service at the kiosks.",
    "floor.walk_ins_stopped": "A supervisor stopped walk-in tickets for the day, now or from a set time.",
    "floor.walk_ins_resumed": "A supervisor undid the day's walk-in stop.",
    "floor.counter_services": "A supervisor changed the services a counter takes, for the rest of the day.",
    "floor.ticker": "A supervisor put a message on the displays, until its end time.",
    "floor.ticker_cleared": "A supervisor took the displays' message down before its end time.",
    "display.zone": "A supervisor limited a display to some services or counters (none: the whole site).",
}


@dataclass(frozen=True)
class Event:
    """One journal row as published to screens after commit."""

    seq: int
    at: str
    type: str
    actor: str
    ticket_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "at": self.at, "type": self.type, "actor": self.actor, **self.data}


def append(
    db: sqlite_utils.Database, type_: str, actor: str, data: dict[str, Any], ticket_id: str | None = None
) -> Event:
    """Append one event inside the caller's transaction and return it with its seq."""
    if type_ not in EVENT_TYPES:
        raise ValueError(f"unknown journal event type {type_!r}")
    at = utc_iso()
    cursor = db.execute(
        "INSERT INTO journal (at, type, ticket_id, actor, data) VALUES (?, ?, ?, ?, ?)",
        [at, type_, ticket_id, actor, json.dumps(data, ensure_ascii=False, sort_keys=True)],
    )
    return Event(int(cursor.lastrowid or 0), at, type_, actor, ticket_id, data)


def _row_to_event(row: tuple[Any, ...]) -> Event:
    seq, at, type_, ticket_id, actor, data = row
    return Event(seq, at, type_, actor, ticket_id, json.loads(data))


def since(db: sqlite_utils.Database, seq: int, limit: int = 1000) -> list[Event]:
    """Events after `seq`, oldest first, at most `limit`."""
    rows = db.execute(
        "SELECT seq, at, type, ticket_id, actor, data FROM journal WHERE seq > ? ORDER BY seq LIMIT ?",
        [seq, limit],
    ).fetchall()
    return [_row_to_event(row) for row in rows]


def last_seq(db: sqlite_utils.Database) -> int:
    row = db.execute("SELECT MAX(seq) FROM journal").fetchone()
    return int(row[0] or 0)


def for_ticket(db: sqlite_utils.Database, ticket_id: str) -> list[Event]:
    rows = db.execute(
        "SELECT seq, at, type, ticket_id, actor, data FROM journal WHERE ticket_id = ? ORDER BY seq",
        [ticket_id],
    ).fetchall()
    return [_row_to_event(row) for row in rows]
