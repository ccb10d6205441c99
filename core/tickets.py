"""Tickets: issue, look up, and move through the state table, each move journaled in the same transaction."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, fields
from typing import Any

import sqlite_utils

from core import journal, numbering
from core.clock import now, utc_iso
from core.config import KIND_LABELS, TICKET_KINDS, SiteConfig
from core.errors import N_, Conflict, InvalidInput, NotFound
from core.states import Action, TicketState, next_state

EVENT_OF_ACTION = {
    Action.CALL: "ticket.called",
    Action.RECALL: "ticket.recalled",
    Action.START: "ticket.started",
    Action.FINISH: "ticket.finished",
    Action.NO_SHOW: "ticket.no_show",
    Action.TRANSFER: "ticket.transferred",
    Action.CANCEL: "ticket.cancelled",
    Action.UNDO_NO_SHOW: "ticket.no_show_undone",
}
TIMESTAMP_OF_ACTION = {
    Action.CALL: "called_at",
    Action.RECALL: "called_at",
    Action.START: "started_at",
    Action.FINISH: "finished_at",
    Action.NO_SHOW: "finished_at",
    Action.CANCEL: "finished_at",
}


@dataclass(frozen=True)
class Ticket:
    id: str
    day: str
    prefix: str
    seq_no: int
    number: str
    service: str
    kind: str
    priority: int
    state: str
    lang: str
    arrived_at: str
    slot_at: str | None = None
    appointment_ref: str | None = None
    counter: int | None = None
    target_counter: int | None = None
    agent_id: int | None = None
    called_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    recalls: int = 0
    transfers: int = 0
    issued_by: str | None = None
    request_key: str | None = None

    @property
    def status(self) -> TicketState:
        return TicketState(self.state)

    def public(self) -> dict[str, Any]:
        """What screens may show: numbers and services, never personal data."""
        keys = ("id", "number", "service", "kind", "priority", "state", "counter", "arrived_at", "called_at")
        return {key: getattr(self, key) for key in keys}

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in COLUMNS}


# The tickets table's columns, in the dataclass's order: rows are read and written by position, with SQL
# written once (the issue path runs these on every ticket; sqlite-utils' generic insert and query cost more
# CPU than the statements themselves: docs/serving.md, "Cost per ticket").
COLUMNS = tuple(column.name for column in fields(Ticket))
SELECT = f"SELECT {', '.join(COLUMNS)} FROM tickets"
INSERT = f"INSERT INTO tickets ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)})"


def new_ticket_id() -> str:
    """A non-guessable id (128 bits), used in the visitor's `/t/<id>` link."""
    return secrets.token_urlsafe(16)


def _one(db: sqlite_utils.Database, where: str, value: str) -> Ticket | None:
    row = db.execute(f"{SELECT} WHERE {where} = ?", [value]).fetchone()
    return Ticket(*row) if row else None


def get(db: sqlite_utils.Database, ticket_id: str) -> Ticket:
    ticket = _one(db, "id", ticket_id)
    if ticket is None:
        raise NotFound(N_("No such ticket."))
    return ticket


def by_request_key(db: sqlite_utils.Database, request_key: str) -> Ticket | None:
    return _one(db, "request_key", request_key)


def issue(
    db: sqlite_utils.Database,
    config: SiteConfig,
    *,
    service: str,
    kind: str,
    lang: str,
    actor: str,
    priority: bool = False,
    request_key: str | None = None,
    slot_at: str | None = None,
    appointment_ref: str | None = None,
) -> tuple[Ticket, journal.Event]:
    """Create a waiting ticket with the next number of its service. Call inside a write transaction."""
    svc = config.service(service)
    if kind not in TICKET_KINDS:
        raise InvalidInput(N_("Unknown ticket kind: %(kind)s."), kind=kind)
    if kind not in svc.kinds:
        raise InvalidInput(N_("This service does not take %(kind)s tickets."), translate=("kind",),
                           kind=KIND_LABELS[kind])
    moment = now()
    day = config.local_day(moment)
    seq_no, number = numbering.allocate(db, day, svc.prefix)
    ticket = Ticket(
        id=new_ticket_id(), day=day, prefix=svc.prefix, seq_no=seq_no, number=number, service=svc.code,
        kind=kind, priority=int(priority), state=TicketState.WAITING.value, lang=lang,
        arrived_at=utc_iso(moment), slot_at=slot_at, appointment_ref=appointment_ref, issued_by=actor,
        request_key=request_key,
    )
    db.execute(INSERT, [getattr(ticket, name) for name in COLUMNS])
    event = journal.append(db, "ticket.issued", actor, _event_data(ticket), ticket.id)
    return ticket, event


def _event_data(ticket: Ticket, **extra: Any) -> dict[str, Any]:
    data = {"ticket": ticket.public(), "number": ticket.number, "service": ticket.service}
    data.update(extra)
    return data


def apply(
    db: sqlite_utils.Database,
    ticket: Ticket,
    action: Action,
    *,
    actor: str,
    changes: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> tuple[Ticket, journal.Event]:
    """Move `ticket` by `action` (IllegalTransition if the table forbids it). Call inside a transaction.

    The UPDATE is conditional on the state read, so a concurrent move is detected and nothing changes.
    """
    new_state = next_state(ticket.status, action)
    values: dict[str, Any] = {"state": new_state.value, **(changes or {})}
    if action in TIMESTAMP_OF_ACTION:
        values[TIMESTAMP_OF_ACTION[action]] = utc_iso()
    if action is Action.RECALL:
        values["recalls"] = ticket.recalls + 1
    if action is Action.TRANSFER:
        values["transfers"] = ticket.transfers + 1
    assignments = ", ".join(f"{key} = ?" for key in values)
    cursor = db.execute(
        f"UPDATE tickets SET {assignments} WHERE id = ? AND state = ?",
        [*values.values(), ticket.id, ticket.state],
    )
    if cursor.rowcount != 1:
        raise Conflict(N_("This ticket changed meanwhile; refresh and try again."))
    updated = get(db, ticket.id)
    data = _event_data(updated, **(extra or {}))
    if action is not Action.TRANSFER:
        data["counter"] = updated.counter
    event = journal.append(db, EVENT_OF_ACTION[action], actor, data, ticket.id)
    return updated, event
