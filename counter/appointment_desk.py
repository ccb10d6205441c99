"""What the desk shows of an appointment: to the agent holding its ticket only, with a warning when the
central cancelled or moved it after the visitor checked in.

Privacy (ARCHITECTURE.md, invariants): the applicant reference and the documents go to the counter that holds
the ticket and nowhere else; the waiting list only learns how many persons a family ticket stands for.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlite_utils

from core import appointments, journal
from core.tickets import Ticket

CHANGED = "appointment.changed"


def for_desk(db: sqlite_utils.Database, ticket: Ticket) -> dict[str, Any] | None:
    """The appointment behind the ticket a counter holds, as its agent sees it; None for other tickets."""
    if ticket.kind != "appointment":
        return None
    appointment = appointments.for_ticket(db, ticket.id)
    if appointment is None:
        return None
    return {**appointment.for_agent(), "warning": change_warning(db, ticket)}


def change_warning(db: sqlite_utils.Database, ticket: Ticket) -> dict[str, Any] | None:
    """From the latest `appointment.changed` of the ticket: `cancelled`, or `moved` away from the slot the
    visitor checked in for; None when nothing changed (or the central moved it back)."""
    changes = [event for event in journal.for_ticket(db, ticket.id) if event.type == CHANGED]
    if not changes:
        return None
    latest = changes[-1]
    checked_in_slot = ticket.slot_at or latest.data.get("previous_slot_start")
    if latest.data.get("status") == "cancelled":
        kind = "cancelled"
    elif latest.data.get("slot_start") != checked_in_slot:
        kind = "moved"
    else:
        return None
    return {"kind": kind, "status": latest.data.get("status"), "slot_start": latest.data.get("slot_start"),
            "previous_slot_start": checked_in_slot, "at": latest.at, "seq": latest.seq}


def with_persons(db: sqlite_utils.Database, waiting: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The waiting list with `persons` on each appointment ticket (a family comes with one ticket)."""
    items = list(waiting)
    ids = [item["id"] for item in items if item.get("kind") == "appointment"]
    if not ids:
        return items
    marks = ", ".join("?" for _ in ids)
    persons = dict(db.execute(
        f"SELECT ticket_id, persons FROM appointments WHERE ticket_id IN ({marks})", ids).fetchall())
    wanted = set(ids)
    return [{**item, "persons": persons.get(item["id"], 1)} if item["id"] in wanted else item
            for item in items]
