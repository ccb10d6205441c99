"""Closing the day (issue 11 §3): what was left open is ended as the consulate decides, and the day's figures
are kept.

In one transaction, every step journaled with who closed the day: the tickets still waiting, called or being
served end as no-shows or are carried to the next day's list (`ticket.closed`); the day's appointments never
checked in are missed (`appointment.no_show`, pushed to the central like the worker's); the ledger's open
items become reconciliation exceptions (core/reconciliation.py); counters left open are closed; the summary
(core/day_summary.py) is stored and journaled (`day.closed`). A closed day is never closed again: a second
close answers the stored summary and changes nothing.

Carried tickets get no ticket of the next day automatically: they are listed for supervisors (`carried`),
who issue a new ticket when the visitor comes back (see docs/decisions.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlite_utils

from core import day_summary, journal, reconciliation
from core.clock import now, utc_iso
from core.config import SiteConfig
from core.errors import N_, Conflict, InvalidInput
from core.site import Site
from core.states import TicketState
from core.tickets import Ticket

LEFTOVER_CHOICES = ("no_show", "carry")
OPEN_STATES = (TicketState.WAITING, TicketState.CALLED, TicketState.SERVING)

# How the close ends a ticket still open: (its state, the consulate's choice) -> its final state. The desk's
# table (core/states.py) has no move from waiting or serving to no_show on purpose (an agent cannot mark a
# ticket it has not called, nor the one it serves); only the close of the day does, here. A carried ticket
# is cancelled for today and listed in `carried_tickets`.
CLOSE_MOVES: dict[tuple[TicketState, str], TicketState] = {
    **{(state, "no_show"): TicketState.NO_SHOW for state in OPEN_STATES},
    **{(state, "carry"): TicketState.CANCELLED for state in OPEN_STATES},
}


class ConfirmationNeeded(Conflict):
    """Today still has tickets at a counter: closing now ends them too, so a person must say so."""

    code = "confirmation_needed"


@dataclass(frozen=True)
class Closing:
    day: str
    summary: dict[str, Any]
    already_closed: bool


def check_day(config: SiteConfig, day: str, today: str) -> str:
    try:
        date.fromisoformat(day)
    except ValueError:
        raise InvalidInput(N_("A day is written YYYY-MM-DD.")) from None
    if day > today:
        raise InvalidInput(N_("A day that has not come yet cannot be closed."))
    return day


def at_counters(db: sqlite_utils.Database, day: str) -> int:
    row = db.execute("SELECT COUNT(*) FROM tickets WHERE day = ? AND state IN ('called', 'serving')",
                     [day]).fetchone()
    return int(row[0])


def close_day(site: Site, *, day: str | None = None, leftover: str, actor: str,
              force: bool = False) -> Closing:
    """Close `day` (default today). Closing today while tickets are at a counter needs `force`."""
    if leftover not in LEFTOVER_CHOICES:
        raise InvalidInput(N_("Leftover tickets are either marked as no-show or carried to the next day."))
    today = site.today()
    day = check_day(site.config, day or today, today)
    with site.change() as (db, events):
        kept = day_summary.stored(db, day)
        if kept is not None:
            return Closing(day, kept, already_closed=True)
        serving = at_counters(db, day)
        if day == today and serving and not force:
            raise ConfirmationNeeded(N_("Tickets still at a counter: %(count)s. Confirm to close the day "
                                        "anyway: they end too."), count=serving)
        moment = now()
        leftovers, ended = end_leftovers(db, day, leftover, actor)
        events.extend(ended)
        events.extend(mark_missed_appointments(db, site.config, day, moment, actor))
        events.extend(reconcile_ledger(db, day, actor))
        closed, counter_events = close_counters(db, site.config, day, actor)
        events.extend(counter_events)
        summary = day_summary.compute(db, day, site.config.site_id, leftover=leftover, leftovers=leftovers,
                                      counters_closed=closed)
        day_summary.store(db, day, summary, at=utc_iso(moment), actor=actor, leftover=leftover)
        kept = day_summary.stored(db, day)
        assert kept is not None
        events.append(journal.append(db, "day.closed", actor, {"day": day, "summary": kept}))
    return Closing(day, kept, already_closed=False)


def end_leftovers(db: sqlite_utils.Database, day: str, leftover: str,
                  actor: str) -> tuple[dict[str, int], list[journal.Event]]:
    """End the day's open tickets; how many were in each state, and their `ticket.closed` events."""
    rows = list(db.query("SELECT * FROM tickets WHERE day = ? AND state IN ('waiting', 'called', 'serving') "
                         "ORDER BY arrived_at", [day]))
    counts = {state.value: 0 for state in OPEN_STATES}
    events = []
    for row in rows:
        ticket = Ticket(**row)
        counts[ticket.state] += 1
        events.append(end_ticket(db, ticket, leftover, actor))
    return counts, events


def end_ticket(db: sqlite_utils.Database, ticket: Ticket, leftover: str, actor: str) -> journal.Event:
    final = CLOSE_MOVES[(ticket.status, leftover)]
    at = utc_iso()
    cursor = db.execute("UPDATE tickets SET state = ?, finished_at = ? WHERE id = ? AND state = ?",
                        [final.value, at, ticket.id, ticket.state])
    if cursor.rowcount != 1:
        raise Conflict(N_("This ticket changed meanwhile; refresh and try again."))
    if leftover == "carry":
        db.execute(
            "INSERT INTO carried_tickets (from_day, ticket_id, number, service, kind, priority, "
            "state_at_close, arrived_at, carried_at, carried_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [ticket.day, ticket.id, ticket.number, ticket.service, ticket.kind, ticket.priority, ticket.state,
             ticket.arrived_at, at, actor])
    public = {**ticket.public(), "state": final.value}
    data = {"ticket": public, "number": ticket.number, "service": ticket.service, "counter": ticket.counter,
            "previous_state": ticket.state, "outcome": "carried" if leftover == "carry" else "no_show"}
    return journal.append(db, "ticket.closed", actor, data, ticket.id)


def mark_missed_appointments(db: sqlite_utils.Database, config: SiteConfig, day: str, moment: datetime,
                             actor: str) -> list[journal.Event]:
    """The day's booked appointments never checked in, not yet marked, become no-shows: the same event as
    the sync worker's (core/appointments.py `mark_no_shows`), which marks them once their grace is over."""
    rows = db.execute(
        """SELECT id, reference, slot_start, services, persons FROM appointments
           WHERE site = ? AND day = ? AND status = 'booked' AND ticket_id IS NULL AND no_show_at IS NULL
           ORDER BY slot_start""", [config.site_id, day]).fetchall()
    events = []
    for appointment_id, reference, slot_start, services, persons in rows:
        db.execute("UPDATE appointments SET no_show_at = ? WHERE id = ?", [utc_iso(moment), appointment_id])
        data = {"appointment": reference, "slot_start": slot_start, "services": json.loads(services),
                "persons": persons, "day_closed": True}
        events.append(journal.append(db, "appointment.no_show", actor, data))
    return events


def reconcile_ledger(db: sqlite_utils.Database, day: str, actor: str) -> list[journal.Event]:
    """The ledger's side of the reconciliation for every terminal of the day: payments still unsettled or
    waiting for their eTimbre become exceptions. The terminals' own totals are compared on the payments page,
    where the server can ask each terminal (the command line has no terminal)."""
    terminals = [row[0] for row in db.execute(
        "SELECT DISTINCT terminal FROM payments WHERE day = ? ORDER BY terminal", [day]).fetchall()]
    events: list[journal.Event] = []
    for terminal in terminals:
        found = reconciliation.open_items(db, day, terminal)
        events.extend(reconciliation.record(db, day, terminal, found, actor))
    return events


def close_counters(db: sqlite_utils.Database, config: SiteConfig, day: str,
                   actor: str) -> tuple[list[int], list[journal.Event]]:
    """Close the counters opened on `day` or before and still open (a desk left logged in)."""
    closed, events = [], []
    for counter, opened_at in db.execute("SELECT counter, opened_at FROM counter_sessions ORDER BY counter"
                                         ).fetchall():
        opened = datetime.fromisoformat(opened_at.replace("Z", "+00:00"))
        if config.local_day(opened) > day:
            continue
        db.execute("DELETE FROM counter_sessions WHERE counter = ?", [counter])
        closed.append(int(counter))
        events.append(journal.append(db, "counter.closed", actor, {"counter": counter, "day_closed": day}))
    return closed, events


def preview(db: sqlite_utils.Database, config: SiteConfig, day: str) -> dict[str, Any]:
    """What closing `day` would end now, or its kept summary when it is closed."""
    kept = day_summary.stored(db, day)
    states = dict(db.execute("SELECT state, COUNT(*) FROM tickets WHERE day = ? AND state IN "
                             "('waiting', 'called', 'serving') GROUP BY state", [day]).fetchall())
    appointments = db.execute(
        "SELECT COUNT(*) FROM appointments WHERE site = ? AND day = ? AND status = 'booked' "
        "AND ticket_id IS NULL AND no_show_at IS NULL", [config.site_id, day]).fetchone()[0]
    return {"day": day, "closed": kept is not None, "summary": kept,
            "leftovers": {state.value: int(states.get(state.value, 0)) for state in OPEN_STATES},
            "appointments_not_checked_in": int(appointments),
            "open_counters": int(db.execute("SELECT COUNT(*) FROM counter_sessions").fetchone()[0])}


def carried_list(db: sqlite_utils.Database, today: str) -> dict[str, Any]:
    """The tickets carried by the last close before `today` (a Friday's on Monday too), oldest first."""
    row = db.execute("SELECT MAX(from_day) FROM carried_tickets WHERE from_day < ?", [today]).fetchone()
    if row[0] is None:
        return {"from_day": None, "tickets": []}
    rows = db.query("SELECT number, service, kind, priority, state_at_close, arrived_at FROM carried_tickets "
                    "WHERE from_day = ? ORDER BY priority DESC, arrived_at", [row[0]])
    return {"from_day": row[0], "tickets": list(rows)}
