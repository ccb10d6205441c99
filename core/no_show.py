"""Undoing a no-show: the one key at the desk has no confirmation, so a mistaken press can be taken back.

Only by the agent who pressed it, at the same counter, within `policy.no_show_undo_seconds` of the no-show by
the server's clock, and only while nothing else happened to the ticket (its last journal event is that
no-show) nor at the counter (no other ticket called there meanwhile). The undo is its own journal event,
`ticket.no_show_undone`: the ticket is called at that counter again, with its first call time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlite_utils

from core import journal
from core.config import SiteConfig
from core.errors import N_, Conflict, Forbidden
from core.states import TicketState
from core.tickets import Ticket


def undo_seconds(config: SiteConfig) -> int:
    return int(config.policy["no_show_undo_seconds"])


def undo_deadline(config: SiteConfig, marked_at: str) -> datetime:
    """Until when a no-show marked at `marked_at` (UTC ISO, server clock) can be undone."""
    return datetime.fromisoformat(marked_at.replace("Z", "+00:00")) + timedelta(seconds=undo_seconds(config))


def no_show_to_undo(
    db: sqlite_utils.Database, config: SiteConfig, ticket: Ticket, *,
    counter: int, actor: str, moment: datetime,
) -> journal.Event:
    """The no-show event that `actor` at `counter` may undo now, or the typed error saying why not."""
    history = journal.for_ticket(db, ticket.id)
    last = history[-1] if history else None
    if ticket.status is not TicketState.NO_SHOW or last is None or last.type != "ticket.no_show":
        raise Conflict(N_("Ticket %(number)s changed since it was marked as no-show: the no-show can no "
                          "longer be undone."), number=ticket.number)
    if last.actor != actor or last.data.get("counter") != counter:
        raise Forbidden(N_("Only the agent who marked ticket %(number)s as no-show can undo it, at the same "
                           "counter."), number=ticket.number)
    if moment > undo_deadline(config, last.at):
        raise Conflict(N_("Too late to undo the no-show of ticket %(number)s: it can be undone only within "
                          "%(seconds)s seconds."), number=ticket.number, seconds=undo_seconds(config))
    active = db.execute("SELECT number FROM tickets WHERE counter = ? AND state IN ('called', 'serving')",
                        [counter]).fetchone()
    if active:
        raise Conflict(N_("Ticket %(number)s is at your counter now: the no-show of ticket %(previous)s can "
                          "no longer be undone."), number=active[0], previous=ticket.number)
    return last
