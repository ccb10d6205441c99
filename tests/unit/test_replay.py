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


def random_day(site: Site, clock, add_agent, rng: random.Random) -> list[int]:
    """Tickets of every kind, some called and finished, a transfer to a counter; the counters left open."""
    clock.set(START)
    numbers = rng.sample(sorted(site.config.counters), rng.randint(2, len(site.config.counters)))
    agents = {n: add_agent(site, f"agent{n}") for n in numbers}
    for n in numbers:
        site.open_counter(n, agents[n])
    services = [s for s in site.config.services.values() if "walk_in" in s.kinds]
    for _ in range(rng.randint(5, 40)):
        clock.advance(timedelta(seconds=rng.randint(5, 200)))
        service = rng.choice(services).code
        if rng.random() < 0.25 and "appointment" in site.config.services[service].kinds:
            slot = core_clock.utc_iso(core_clock.now() + timedelta(minutes=rng.randint(-20, 60)))
            site.issue_ticket(service=service, kind="appointment", lang="fr", actor="t", slot_at=slot)
        else:
            site.issue_ticket(service=service, kind="walk_in", lang="fr", actor="t",
                              priority=rng.random() < 0.2)
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
    config = replace(config, policy={**config.policy, "order": order, "starvation_minutes": 30})
    store = Store(str(tmp_path / "replay.db"))
    site = Site(config, store)
    numbers = random_day(site, clock, add_agent, random.Random(seed))
    db = store.read()
    queue = read_queue(db, config, core_clock.now())
    rules = Rules(queue.order, queue.priority_share, queue.starvation_minutes, queue.targets)
    plan = Plan(queue.waiting, [(d.number, d.services) for d in queue.desks], rules)
    for index, desk in enumerate(queue.desks):
        assert desk.number in numbers
        if desk.held_service is not None:
            continue  # the policy would refuse: this counter must finish its ticket first
        chosen = plan.start(queue.recent_calls).choose(index, 0.0)
        expected = policy.choose_next(db, config, desk.number)
        assert (plan.tickets[chosen].id if chosen is not None else None) == expected, desk.number
    store.close()
