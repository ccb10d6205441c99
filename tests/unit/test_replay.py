"""The forecast's in-memory replay of the calling order (core/replay.py) chooses the ticket the real policy
(core/policy.py, SQL over the database) chooses, on random queues, for each of the three orders."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from core import clock as core_clock
from core import policy
from core.forecast import read_queue
from core.replay import Plan, Rules
from core.site import Site
from core.states import Action
from core.store import Store

START = datetime(2025, 3, 10, 8, 0, tzinfo=UTC)


def random_day(site: Site, clock, add_agent, rng: random.Random, only: set[str] | None = None) -> list[int]:
    """Tickets of every kind, some called and finished, a transfer to a counter; the counters left open.
    `only`: these services and the counters that take them."""
    clock.set(START)
    counters = sorted(n for n, c in site.config.counters.items() if only is None or only & set(c.services))
    numbers = rng.sample(counters, rng.randint(min(2, len(counters)), len(counters)))
    agents = {n: add_agent(site, f"agent{n}") for n in numbers}
    for n in numbers:
        site.open_counter(n, agents[n])
    services = [s for s in site.config.services.values()
                if {"walk_in", "pickup"} & set(s.kinds) and (only is None or s.code in only)]
    for _ in range(rng.randint(5, 40)):
        clock.advance(timedelta(seconds=rng.randint(5, 200)))
        service = rng.choice(services).code
        if rng.random() < 0.25 and "appointment" in site.config.services[service].kinds:
            slot = core_clock.utc_iso(core_clock.now() + timedelta(minutes=rng.randint(-20, 60)))
            site.issue_ticket(service=service, kind="appointment", lang="fr", actor="t", slot_at=slot)
        else:
            kind = "walk_in" if "walk_in" in site.config.services[service].kinds else "pickup"
            site.issue_ticket(service=service, kind=kind, lang="fr", actor="t", priority=rng.random() < 0.2)
        if rng.random() < 0.3:
            n = rng.choice(numbers)
            ticket = site.call_next(n, agents[n])
            if ticket is not None and rng.random() < 0.2:
                site.transfer(ticket.id, n, agents[n], to_counter=rng.choice(numbers))
            elif ticket is not None:
                site.act(ticket.id, Action.START, n, agents[n])
                site.act(ticket.id, Action.FINISH, n, agents[n])
    clock.advance(timedelta(minutes=rng.randint(0, 40)))
    return numbers


@pytest.mark.parametrize("order", policy.ORDERS)
@pytest.mark.parametrize("seed", range(12))
def test_the_replay_calls_whom_the_policy_calls(config, tmp_path, clock, add_agent, order: str,
                                                seed: int) -> None:
    check_day(config, tmp_path, clock, add_agent, order, seed)


@pytest.mark.parametrize("seed", range(8))
def test_the_replay_calls_whom_the_policy_calls_at_the_pickup_counters(config, tmp_path, clock, add_agent,
                                                                       seed: int) -> None:
    """Pickups (a quick service, promised 10 minutes) and legalisations (promised 20) at the counters that
    take them: the deadline order's quick tier decides often."""
    check_day(config, tmp_path, clock, add_agent, "deadline", seed, only={"pickup", "legalisation"})


def check_day(config, tmp_path, clock, add_agent, order: str, seed: int,
              only: set[str] | None = None) -> None:
    config = replace(config, policy={**config.policy, "order": order, "starvation_minutes": 30})
    store = Store(str(tmp_path / "replay.db"))
    site = Site(config, store)
    numbers = random_day(site, clock, add_agent, random.Random(seed), only)
    db = store.read()
    queue = read_queue(db, config, core_clock.now())
    rules = Rules(queue.order, queue.priority_share, queue.starvation_minutes, queue.targets, queue.quick,
                  queue.urgent_minutes)
    assert queue.quick == {"pickup"}
    plan = Plan(queue.waiting, [(d.number, d.services) for d in queue.desks], rules)
    for index, desk in enumerate(queue.desks):
        assert desk.number in numbers
        if desk.held_service is not None:
            continue  # the policy would refuse: this counter must finish its ticket first
        chosen = plan.start(queue.recent_calls).choose(index, 0.0)
        expected = policy.choose_next(db, config, desk.number)
        assert (plan.tickets[chosen].id if chosen is not None else None) == expected, desk.number
    store.close()


@pytest.mark.parametrize(("minutes", "first"), [(14, "legalisation"), (18, "pickup")])
def test_a_pickup_about_to_be_late_is_called_first_by_the_policy_and_the_replay(
        config, tmp_path, clock, add_agent, minutes: int, first: str) -> None:
    """A legalisation walk-in (promised 20 minutes) at 8:00, a pickup (promised 10) at 8:12, counter 7
    taking both: at 8:14 the legalisation's promise runs out first; at 8:18 the pickup has 4 minutes left,
    less than `policy.quick_urgent_minutes`, and goes first. The replay agrees with the policy."""
    config = replace(config, policy={**config.policy, "order": "deadline"})
    site = Site(config, Store(str(tmp_path / "replay.db")))
    clock.set(START, step=timedelta(0))
    site.open_counter(7, add_agent(site, "seven"))
    site.issue_ticket(service="legalisation", kind="walk_in", lang="fr", actor="t")
    clock.advance(timedelta(minutes=12))
    site.issue_ticket(service="pickup", kind="pickup", lang="fr", actor="t")
    clock.advance(timedelta(minutes=minutes - 12))
    db = site.store.read()
    queue = read_queue(db, config, core_clock.now())
    rules = Rules(queue.order, queue.priority_share, queue.starvation_minutes, queue.targets, queue.quick,
                  queue.urgent_minutes)
    plan = Plan(queue.waiting, [(d.number, d.services) for d in queue.desks], rules)
    chosen = plan.tickets[plan.start(queue.recent_calls).choose(0, 0.0) or 0].id
    assert chosen == policy.choose_next(db, config, 7)
    assert site.ticket_view(chosen).ticket.service == first
