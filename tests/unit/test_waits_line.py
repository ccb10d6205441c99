"""People ahead of a ticket, and the family persons among them, read without walking the waiting line
(core/waits.py): the same answers as counting the line, at a cost that does not grow with it."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from core import appointments, checkin, waits
from core.clock import utc_iso
from core.states import Action
from tests.unit.sqlite_steps import steps

NOW = datetime(2025, 6, 10, 7, 0, tzinfo=UTC)  # 09:00 in Paris

# What core/waits.py counted before: every waiting ticket of the service that arrived earlier.
AHEAD = """SELECT COUNT(*) FROM tickets
           WHERE day = ? AND service = ? AND state = 'waiting' AND arrived_at < ? AND id != ?"""
PERSONS = """SELECT COALESCE(SUM(a.persons - 1), 0) FROM tickets t JOIN appointments a ON a.ticket_id = t.id
             WHERE t.day = ? AND t.service = ? AND t.state = 'waiting' AND t.arrived_at < ? AND t.id != ?"""


def book(site, key: str, slot: datetime, persons: int, service: str) -> str:
    item = {"id": key, "reference": f"RDV-{key}", "site": site.config.site_id, "services": [service],
            "slot_start": utc_iso(slot), "slot_end": utc_iso(slot + timedelta(minutes=15)),
            "persons": persons, "lang": "fr", "status": "booked", "version": 1}
    with site.store.write() as db:
        appointments.store_from_central(db, appointments.validated(item, site.config), "central")
    return f"RDV-{key}"


def walk_in(site, service: str) -> None:
    site.issue_ticket(service=service, kind="walk_in", lang="fr", actor="test")


def busy_morning(site, clock, add_agent, seed: int) -> None:
    """Walk-ins and family appointments checked in, interleaved; then calls, a transfer and a cancel."""
    rng = random.Random(seed)
    moment = NOW
    for index in range(40):
        moment += timedelta(seconds=rng.randint(1, 90))
        clock.set(moment)
        if rng.random() < 0.3:
            persons, service = rng.choice([1, 2, 3, 4]), rng.choice(["passport", "cnie"])
            reference = book(site, f"A{seed}-{index}", moment + timedelta(minutes=5), persons, service)
            checkin.check_in_reference(site, reference)
        else:
            walk_in(site, rng.choice(["passport", "cnie", "civil_status"]))
    agent = add_agent(site, f"agent{seed}")
    site.open_counter(1, agent)
    for _ in range(6):
        called = site.call_next(1, agent)
        assert called is not None
        if rng.random() < 0.3:
            site.transfer(called.id, 1, agent, to_service="cnie")
        else:
            site.act(called.id, Action.START, 1, agent)
            site.act(called.id, Action.FINISH, 1, agent)
    with site.store.reading() as db:
        waiting = [row[0] for row in db.execute("SELECT id FROM tickets WHERE state = 'waiting'")]
    site.cancel(rng.choice(waiting), actor="test")
    site.close_counter(1, agent)


def test_the_line_read_from_its_counts_says_what_counting_it_says(site, clock, add_agent) -> None:
    """For every ticket of three random mornings, waiting or not: people ahead and the extra persons of
    the families among them, as counting the line gives them."""
    for seed in range(3):
        busy_morning(site, clock, add_agent, seed)
        with site.store.reading() as db:
            everyone = [site.ticket_view(row[0]).ticket for row in db.execute("SELECT id FROM tickets")]
            families = 0
            for ticket in everyone:
                key = [ticket.day, ticket.service, ticket.arrived_at, ticket.id]
                assert waits.people_ahead(db, ticket) == db.execute(AHEAD, key).fetchone()[0]
                expected = db.execute(PERSONS, key).fetchone()[0]
                assert waits.extra_persons_ahead(db, ticket) == expected
                families += expected > 0
        assert families > 3  # the mornings do put families ahead of some tickets
        with site.store.write() as db:
            db.execute("DELETE FROM journal")
            db.execute("UPDATE tickets SET state = 'cancelled' WHERE state = 'waiting'")


def test_a_new_tickets_place_costs_the_same_in_a_short_line_and_a_long_one(site, clock) -> None:
    """Every issue asks where the new ticket stands. With a family ahead, in a line of 20 and of 400: the
    same work for SQLite (counting the line took twenty times as many steps in the long one)."""
    clock.set(NOW)
    checkin.check_in_reference(site, book(site, "F", NOW + timedelta(minutes=5), 3, "passport"))
    figures = []
    for length in (20, 400):
        while True:
            with site.store.reading() as db:
                waiting = db.execute("SELECT COUNT(*) FROM tickets WHERE state = 'waiting'").fetchone()[0]
            if waiting >= length:
                break
            walk_in(site, "passport")
        newest = site.issue_ticket(service="passport", kind="walk_in", lang="fr", actor="test").ticket
        with site.store.reading() as db:
            assert waits.extra_persons_ahead(db, newest) == 2
            figures.append(sum(steps(db, count, newest)
                               for count in (waits.people_ahead, waits.extra_persons_ahead)))
    short, long = figures
    assert long <= short * 1.5 + 5, figures
