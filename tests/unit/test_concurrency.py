"""Many kiosks and counters at once on a file database: unique numbers, every ticket called exactly once."""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable

from core import journal
from core.states import Action

DEADLINE_SECONDS = 60
WALK_IN_SERVICES = ["passport", "cnie", "civil_status", "registration", "legalisation", "driving_licence",
                    "repatriation", "pickup"]


def kind_of(service: str) -> str:
    return "pickup" if service == "pickup" else "walk_in"


def run_threads(count: int, work: Callable[[int], None]) -> None:
    """Start `count` threads together, join them within the deadline, re-raise the first failure."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def target(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            work(index)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=target, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + DEADLINE_SECONDS
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    assert not any(thread.is_alive() for thread in threads), "threads still running after the deadline"
    if errors:
        raise errors[0]


def test_parallel_issuing_gives_unique_contiguous_numbers(site) -> None:
    threads, per_thread = 16, 25

    def work(index: int) -> None:
        for i in range(per_thread):
            service = WALK_IN_SERVICES[(index + i) % len(WALK_IN_SERVICES)]
            site.issue_ticket(service=service, kind=kind_of(service), lang="fr", actor=f"device:{index}")

    run_threads(threads, work)
    rows = site.store.read().execute("SELECT day, prefix, seq_no, number FROM tickets").fetchall()
    assert len(rows) == threads * per_thread
    assert len({(day, number) for day, _, _, number in rows}) == len(rows)
    by_prefix: dict[str, list[int]] = defaultdict(list)
    for _, prefix, seq_no, _ in rows:
        by_prefix[prefix].append(seq_no)
    assert set(by_prefix) == {"A", "B", "C", "D", "E", "F", "R", "P"}
    for prefix, numbers in by_prefix.items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), prefix
    issued = [e for e in journal.since(site.store.read(), 0, 10_000) if e.type == "ticket.issued"]
    assert len(issued) == len(rows)


def test_parallel_counters_call_every_ticket_exactly_once(site, add_agent) -> None:
    total = 300
    for i in range(total):
        service = WALK_IN_SERVICES[i % len(WALK_IN_SERVICES)]
        site.issue_ticket(service=service, kind=kind_of(service), lang="fr", actor="test")
    counters = sorted(site.config.counters)
    assert len(counters) == 8
    agents = {number: add_agent(site, f"agent{number}") for number in counters}
    for number, agent in agents.items():
        site.open_counter(number, agent)
    called: dict[int, list[str]] = defaultdict(list)

    def work(index: int) -> None:
        number = counters[index]
        agent = agents[number]
        deadline = time.monotonic() + DEADLINE_SECONDS
        for _ in range(total + 1):
            assert time.monotonic() < deadline, "counter loop ran out of time"
            ticket = site.call_next(number, agent)
            if ticket is None:
                return
            assert ticket.counter == number
            assert ticket.service in site.config.counters[number].services
            called[number].append(ticket.id)
            site.act(ticket.id, Action.START, number, agent)
            site.act(ticket.id, Action.FINISH, number, agent)
        raise AssertionError("a counter called more tickets than exist")

    run_threads(len(counters), work)
    db = site.store.read()
    all_ids = {row[0] for row in db.execute("SELECT id FROM tickets").fetchall()}
    calls = [ticket_id for ids in called.values() for ticket_id in ids]
    assert len(calls) == len(set(calls)) == total
    assert set(calls) == all_ids
    states = Counter(row[0] for row in db.execute("SELECT state FROM tickets").fetchall())
    assert states == {"done": total}
    journaled = Counter(e.ticket_id for e in journal.since(db, 0, 100_000) if e.type == "ticket.called")
    assert set(journaled) == all_ids
    assert set(journaled.values()) == {1}
    callers = defaultdict(set)
    for event in journal.since(db, 0, 100_000):
        if event.type == "ticket.called":
            callers[event.ticket_id].add(event.data["counter"])
    assert all(len(numbers) == 1 for numbers in callers.values())
