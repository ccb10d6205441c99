"""People ahead and a first estimated wait, from today's measured service times when there are enough."""

from __future__ import annotations

import math

import sqlite_utils

from core import floor_control
from core.config import SiteConfig
from core.tickets import Ticket

MIN_SAMPLES = 5


def people_ahead(db: sqlite_utils.Database, ticket: Ticket) -> int:
    """Waiting tickets of the same service that arrived earlier (appointments included): the service's
    waiting count (`waiting_counts`, kept by triggers) less those that arrived at the ticket's time or later,
    the ticket itself among them when it waits. A new ticket is the last of the line, so this reads a few
    index entries however long the line is; counting the earlier ones walked all of them."""
    row = db.execute(
        """SELECT MAX(0, COALESCE((SELECT waiting FROM waiting_counts WHERE day = ? AND service = ?), 0)
                         - (SELECT COUNT(*) FROM tickets
                            WHERE day = ? AND service = ? AND state = 'waiting' AND arrived_at >= ?))""",
        [ticket.day, ticket.service, ticket.day, ticket.service, ticket.arrived_at],
    ).fetchone()
    return int(row[0])


def average_service_minutes(db: sqlite_utils.Database, config: SiteConfig, service: str, day: str) -> float:
    """Today's mean service time for `service`, or the configured one until MIN_SAMPLES tickets are done."""
    row = db.execute(
        """SELECT COUNT(*), AVG((julianday(finished_at) - julianday(started_at)) * 1440.0) FROM tickets
           WHERE day = ? AND service = ? AND state = 'done' AND started_at IS NOT NULL""",
        [day, service],
    ).fetchone()
    if row[0] >= MIN_SAMPLES and row[1] is not None:
        return float(row[1])
    return float(config.service(service).average_service_minutes)


def counters_for(db: sqlite_utils.Database, config: SiteConfig, service: str, day: str) -> int:
    """Open counters that take `service` on `day` (a supervisor's change for the day included); if none of
    them is open yet, all the counters that take it that day; 1 if none does."""
    serving = [number for number, services in floor_control.counters_taking(db, config, day).items()
               if service in services]
    if not serving:
        return 1
    marks = ", ".join("?" for _ in serving)
    row = db.execute(f"SELECT COUNT(*) FROM counter_sessions WHERE counter IN ({marks})", serving).fetchone()
    return int(row[0]) or len(serving)


def extra_persons_ahead(db: sqlite_utils.Database, ticket: Ticket) -> int:
    """The persons beyond the first of the family appointments ahead: a group of four is served at one counter
    on one ticket, but takes about four times as long. Read from the day's family appointments (a partial
    index, core/migrations.py 014), never by walking the line: an appointment is checked in on its day only
    (core/checkin.py), so its ticket's day is its own."""
    row = db.execute(
        """SELECT COALESCE(SUM(a.persons - 1), 0)
           FROM appointments a INDEXED BY appointments_families CROSS JOIN tickets t ON t.id = a.ticket_id
           WHERE a.day = ? AND a.persons > 1 AND t.day = ? AND t.service = ? AND t.state = 'waiting'
             AND t.arrived_at < ? AND t.id != ?""",
        [ticket.day, ticket.day, ticket.service, ticket.arrived_at, ticket.id],
    ).fetchone()
    return int(row[0])


def estimate_minutes(db: sqlite_utils.Database, config: SiteConfig, ticket: Ticket, ahead: int) -> int:
    """A first estimate: people ahead (a family appointment counting its persons) × mean service time ÷
    counters serving the service today, rounded up."""
    if ahead == 0:
        return 0
    persons = ahead + extra_persons_ahead(db, ticket)
    minutes = persons * average_service_minutes(db, config, ticket.service, ticket.day)
    # Rounded first: julianday() arithmetic and float products leave 4.0000001, which must not become 5.
    return math.ceil(round(minutes / counters_for(db, config, ticket.service, ticket.day), 3))


def waiting_counts(db: sqlite_utils.Database, config: SiteConfig, day: str) -> dict[str, int]:
    """Waiting tickets per service on `day`, every configured service included. Read from `waiting_counts`,
    which triggers keep with every change of a ticket (core/migrations.py, 013): every screen message carries
    these, and counting the waiting tickets each time grew with the line."""
    counts = dict.fromkeys(config.services, 0)
    rows = db.execute(
        "SELECT service, waiting FROM waiting_counts WHERE day = ? AND waiting > 0", [day]
    ).fetchall()
    counts.update({service: int(count) for service, count in rows})
    return counts
