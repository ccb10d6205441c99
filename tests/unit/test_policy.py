"""Who is called next: appointments due, priority share, transfers, and the services a counter serves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.clock import utc_iso
from core.states import Action
from tests.unit.sqlite_steps import steps

START = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


def issue(site, service: str = "passport", kind: str = "walk_in", **extra):
    return site.issue_ticket(service=service, kind=kind, lang="fr", actor="test", **extra).ticket


def serve_all(site, counter: int, agent, limit: int = 100) -> list[str]:
    """Call, start and finish until the counter has nobody left; the numbers in calling order."""
    order: list[str] = []
    for _ in range(limit):
        ticket = site.call_next(counter, agent)
        if ticket is None:
            return order
        order.append(ticket.number)
        site.act(ticket.id, Action.START, counter, agent)
        site.act(ticket.id, Action.FINISH, counter, agent)
    raise AssertionError("the queue never emptied")


@pytest.fixture
def desk(site, add_agent, clock):
    """Counter 1 (passport, cnie) open, the clock at 09:00 on a Monday and ticking."""
    clock.set(START)
    agent = add_agent(site)
    site.open_counter(1, agent)
    return agent


def test_due_appointments_come_first_by_slot_time(site, desk) -> None:
    walk_in = issue(site)
    later_slot = issue(site, kind="appointment", slot_at=utc_iso(START + timedelta(minutes=10)))
    earlier_slot = issue(site, kind="appointment", slot_at=utc_iso(START - timedelta(minutes=5)))
    not_due = issue(site, kind="appointment", slot_at=utc_iso(START + timedelta(hours=2)))
    assert serve_all(site, 1, desk) == [earlier_slot.number, later_slot.number, walk_in.number,
                                         not_due.number]


def priority_queue(site, normal: int, priority: int) -> dict[str, bool]:
    """Normal visitors arrive first, priority ones after them; number → priority."""
    kinds = {issue(site).number: False for _ in range(normal)}
    kinds.update({issue(site, priority=True).number: True for _ in range(priority)})
    return kinds


def test_priority_share_two_calls_one_priority_then_two_others(make_site, add_agent, clock) -> None:
    clock.set(START)
    site = make_site(DOUR_POLICY_PRIORITY_SHARE="2")
    assert site.config.policy["priority_share"] == 2
    agent = add_agent(site)
    site.open_counter(1, agent)
    kinds = priority_queue(site, normal=6, priority=4)
    order = [kinds[number] for number in serve_all(site, 1, agent)]
    P, N = True, False
    assert order == [P, N, N, P, N, N, P, N, N, P]


def test_priority_share_zero_serves_priority_first(make_site, add_agent, clock) -> None:
    clock.set(START)
    site = make_site(DOUR_POLICY_PRIORITY_SHARE="0")
    agent = add_agent(site)
    site.open_counter(1, agent)
    kinds = priority_queue(site, normal=4, priority=3)
    order = [kinds[number] for number in serve_all(site, 1, agent)]
    assert order == [True] * 3 + [False] * 4


def test_without_priority_visitors_order_is_arrival(site, desk) -> None:
    numbers = [issue(site, service).number for service in ("cnie", "passport", "cnie", "passport")]
    assert serve_all(site, 1, desk) == numbers


def test_transfer_to_a_service_keeps_the_arrival_time(site, desk, add_agent) -> None:
    first = issue(site, "passport")
    moved = issue(site, "civil_status")
    last = issue(site, "passport")
    clerk = add_agent(site, "clerk")
    site.open_counter(4, clerk)  # civil status, registration
    called = site.call_next(4, clerk)
    assert called.id == moved.id
    transferred = site.transfer(moved.id, 4, clerk, to_service="passport")
    assert (transferred.state, transferred.service, transferred.arrived_at) == (
        "waiting", "passport", moved.arrived_at)
    # Before the later arrival, after the earlier one: neither reset to the back nor pushed to the front.
    assert serve_all(site, 1, desk) == [first.number, moved.number, last.number]


def test_transfer_to_a_counter_is_called_only_by_that_counter(site, desk, add_agent) -> None:
    legalisation = issue(site, "legalisation")
    passport = issue(site, "passport")
    site.call_next(1, desk)
    site.transfer(passport.id, 1, desk, to_counter=6)  # counter 6 does not serve passports
    colleague = add_agent(site, "colleague")
    site.open_counter(2, colleague)  # serves passports
    assert site.call_next(2, colleague) is None
    assert site.call_next(1, desk) is None
    clerk = add_agent(site, "clerk")
    site.open_counter(6, clerk)
    # A ticket sent to this very counter goes before its own older queue.
    assert serve_all(site, 6, clerk) == [passport.number, legalisation.number]


@pytest.mark.parametrize("counter", range(1, 9))
def test_a_counter_only_calls_the_services_it_serves(site, add_agent, counter) -> None:
    for service in site.config.services:
        for _ in range(2):
            issue(site, service, "pickup" if service == "pickup" else "walk_in")
    agent = add_agent(site)
    site.open_counter(counter, agent)
    served = site.config.counters[counter].services
    numbers = serve_all(site, counter, agent)
    db = site.store.read()
    service_of = dict(db.execute("SELECT number, service FROM tickets").fetchall())
    services = [service_of[number] for number in numbers]
    assert set(services) <= set(served)
    assert len(numbers) == 2 * len(served)


@pytest.mark.parametrize("order", ["current", "fifo"])
def test_calling_next_costs_the_same_in_a_short_line_and_a_long_one(make_site, add_agent, clock,
                                                                     order: str) -> None:
    """Each step of the order reads the head of an index range: with a due appointment, a priority visitor
    and a transfer elsewhere in the line, choosing at counter 1 takes as many SQLite steps with 30 waiting
    as with 600 (sorting the day's waiting tickets took about twenty times as many)."""
    from core import policy

    site = make_site(DOUR_POLICY_ORDER=order)
    clock.set(START)
    site.open_counter(1, add_agent(site))
    figures: list[int] = []
    for length in (30, 600):
        while sum(site.waiting_counts().values()) < length:
            issue(site, "cnie" if len(figures) % 3 else "passport", priority=False)
        issue(site, priority=True)
        issue(site, kind="appointment", slot_at=utc_iso(START + timedelta(hours=1)))
        db = site.store.read()
        chosen = policy.choose_next(db, site.config, 1)
        assert chosen is not None
        figures.append(steps(db, policy.choose_next, site.config, 1))
    short, long = figures
    assert long <= short * 1.5 + 10, figures


def test_an_appointment_without_a_slot_waits_for_the_last_resort(site, desk) -> None:
    """A ticket of kind appointment made without a slot (not through a check-in) is never due: the due
    appointment goes first, then the walk-in, then it, before an appointment whose slot is far off."""
    no_slot = issue(site, kind="appointment")
    walk_in = issue(site)
    due = issue(site, kind="appointment", slot_at=utc_iso(START + timedelta(minutes=5)))
    not_due = issue(site, kind="appointment", slot_at=utc_iso(START + timedelta(hours=2)))
    assert serve_all(site, 1, desk) == [due.number, walk_in.number, no_slot.number, not_due.number]
