"""Print jobs: what happened when a ticket was sent to a printer, so a failed one can be found and reprinted.

A job row is written once, when the printer's answer is known (printed or failed); nothing is written on the
issuing path. A failure is also journaled (`ticket.print_failed`) so staff screens hear about it live.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlite_utils

from core import journal, tickets
from core.clock import utc_iso
from core.tickets import Ticket

PRINTED = "printed"
FAILED = "failed"


@dataclass(frozen=True)
class PrintProblem:
    """A ticket of the day whose last print job failed."""

    ticket: dict[str, Any]
    printer: str
    reason: str
    at: str


def record(
    db: sqlite_utils.Database, ticket: Ticket, *, printer: str, state: str, reason: str, actor: str,
    started_at: str,
) -> journal.Event | None:
    """Store one finished job; a failure also appends `ticket.print_failed` (returned for publication)."""
    if state not in (PRINTED, FAILED):
        raise ValueError(f"unknown print job state {state!r}")
    db.execute(
        "INSERT INTO print_jobs (ticket_id, printer, state, reason, actor, created_at, finished_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [ticket.id, printer, state, reason, actor, started_at, utc_iso()],
    )
    if state == PRINTED:
        return None
    data = {"ticket": ticket.public(), "number": ticket.number, "printer": printer, "reason": reason}
    return journal.append(db, "ticket.print_failed", actor, data, ticket_id=ticket.id)


def last_printer(db: sqlite_utils.Database, ticket_id: str) -> str | None:
    """The printer a ticket was last sent to (a reprint goes back there)."""
    row = db.execute(
        "SELECT printer FROM print_jobs WHERE ticket_id = ? ORDER BY id DESC LIMIT 1", [ticket_id]
    ).fetchone()
    return str(row[0]) if row else None


def problems(db: sqlite_utils.Database, day: str) -> list[PrintProblem]:
    """Today's tickets, still waiting or called, whose latest print job failed: the staff's reprint list."""
    rows = db.execute(
        """SELECT t.id, j.printer, j.reason, j.finished_at
           FROM print_jobs j JOIN tickets t ON t.id = j.ticket_id
           WHERE t.day = ? AND t.state IN ('waiting', 'called')
             AND j.id = (SELECT MAX(id) FROM print_jobs WHERE ticket_id = t.id) AND j.state = 'failed'
           ORDER BY j.id""",
        [day],
    ).fetchall()
    return [PrintProblem(tickets.get(db, row[0]).public(), row[1], row[2], row[3]) for row in rows]
