"""The deadline order (`policy.order = "deadline"`): the pure ranking, and the scenarios of
tests/unit/test_policy.py replayed on a real site with that order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.clock import utc_iso
from core.policy import Waiting, rank_deadline
from core.states import Action

START = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
TARGETS = {"passport": 30.0, "pickup": 10.0}


def waiting(id_: str, arrived: float, service: str = "passport", kind: str = "walk_in",
            priority: bool = False, slot: float | None = None, targeted: bool = False) -> Waiting:
    return Waiting(id_, service, kind, priority, arrived, slot, targeted)


def rank(candidates: list[Waiting], moment: float = 0.0, turn: bool = False,
         bound: float = 90.0) -> str | None:
    return rank_deadline(candidates, moment, TARGETS, turn, bound)


def test_nobody_waiting() -> None:
    assert rank([]) is None


def test_a_pickup_goes_before_a_walk_in_it_would_not_make_late() -> None:
    assert rank([waiting("walk", -15), waiting("pick", -1, "pickup", "pickup")]) == "pick"
    assert rank([waiting("walk", -25), waiting("pick", -1, "pickup", "pickup")]) == "walk"


def test_a_pickup_about_to_be_late_goes_before_walk_ins_even_late_ones() -> None:
    """A pickup is a few minutes at the counter: once its 10-minute promise has 5 minutes or less to run,
    it goes before any walk-in, even one already past its own promise; priority visitors on their turn and
    appointments still go first. Without the quick services the plain deadline decides."""
    pickup, late_walk_in = waiting("pick", -6, "pickup", "pickup"), waiting("walk", -35)
    assert rank_deadline([late_walk_in, pickup], 0.0, TARGETS, False, 90.0, frozenset({"pickup"})) == "pick"
    assert rank_deadline([late_walk_in, pickup], 0.0, TARGETS, False, 90.0, frozenset()) == "walk"
    fresh = waiting("fresh", -2, "pickup", "pickup")  # 8 minutes still to run: the late walk-in first
    assert rank_deadline([late_walk_in, fresh], 0.0, TARGETS, False, 90.0, frozenset({"pickup"})) == "walk"
    elderly = waiting("elderly", -1, priority=True)
    assert rank_deadline([pickup, elderly], 0.0, TARGETS, True, 90.0, frozenset({"pickup"})) == "elderly"
    due = waiting("due", -20, kind="appointment", slot=-2)
    assert rank_deadline([pickup, due], 0.0, TARGETS, False, 90.0, frozenset({"pickup"})) == "due"


def test_an_appointment_whose_slot_came_goes_first_one_still_early_last() -> None:
    started = waiting("due", -20, kind="appointment", slot=-2)
    early = waiting("early", -20, kind="appointment", slot=30)
    assert rank([waiting("walk", -40), early, started]) == "due"
    assert rank([early, waiting("walk", -1)]) == "walk"


def test_aging_beats_everything_but_a_transfer_to_this_counter() -> None:
    old = waiting("old", -95)
    appointment = waiting("due", -5, kind="appointment", slot=-1)
    assert rank([appointment, old]) == "old"
    assert rank([appointment, old, waiting("sent", -1, targeted=True)]) == "sent"


def test_priority_turn() -> None:
    normal, priority = waiting("n", -10), waiting("p", -1, priority=True)
    assert rank([normal, priority], turn=True) == "p"
    assert rank([normal, priority], turn=False) == "n"


def issue(site, service: str = "passport", kind: str = "walk_in", **extra):
    return site.issue_ticket(service=service, kind=kind, lang="fr", actor="test", **extra).ticket


def serve_all(site, counter: int, agent) -> list[str]:
    order = []
    while (ticket := site.call_next(counter, agent)) is not None:
        order.append(ticket.number)
        site.act(ticket.id, Action.START, counter, agent)
        site.act(ticket.id, Action.FINISH, counter, agent)
    return order


@pytest.fixture
def deadline_site(make_site, add_agent, clock):
    clock.set(START)
    site = make_site(DOUR_POLICY_ORDER="deadline")
    agent = add_agent(site)
    site.open_counter(1, agent)
    return site, agent


def test_appointments_by_slot_then_walk_ins_then_early_appointments(deadline_site) -> None:
    site, agent = deadline_site
    walk_in = issue(site)
    later_slot = issue(site, kind="appointment", slot_at=utc_iso(START + timedelta(minutes=10)))
    earlier_slot = issue(site, kind="appointment", slot_at=utc_iso(START - timedelta(minutes=5)))
    not_due = issue(site, kind="appointment", slot_at=utc_iso(START + timedelta(hours=2)))
    # At 09:00 the earlier slot has come; the later one (09:10) has not: the walk-in goes first.
    order = [earlier_slot.number, walk_in.number, later_slot.number, not_due.number]
    assert serve_all(site, 1, agent) == order


@pytest.mark.parametrize(("share", "expected"), [("2", "PNNPNNPNNP"), ("0", "PPPPNNNNNN")])
def test_priority_share(make_site, add_agent, clock, share: str, expected: str) -> None:
    clock.set(START)
    site = make_site(DOUR_POLICY_ORDER="deadline", DOUR_POLICY_PRIORITY_SHARE=share)
    agent = add_agent(site)
    site.open_counter(1, agent)
    kinds = {issue(site).number: "N" for _ in range(6)}
    kinds.update({issue(site, priority=True).number: "P" for _ in range(4)})
    assert "".join(kinds[number] for number in serve_all(site, 1, agent)) == expected
