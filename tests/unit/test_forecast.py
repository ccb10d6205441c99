"""Waiting-time ranges: the replay of a queue anyone can check by hand, the refresh that reads and never
writes, and the ranges the pages get from memory."""

from __future__ import annotations

import hashlib
import random
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.forecast import Desk, Estimate, Queue, forecast
from core.replay import QueuedTicket
from core.states import Action

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


def walk_in(name: str, arrived: float, priority: bool = False) -> QueuedTicket:
    return QueuedTicket(name, "passport", "walk_in", priority, arrived, None, None)


def one_counter(config, waiting, held_for: float | None = None) -> Queue:
    desk = Desk(1, frozenset({"passport"}), "passport" if held_for is not None else None, held_for or 0.0)
    return Queue(NOW, tuple(waiting), (desk,), dict.fromkeys(config.services, 10.0), ())


def test_one_counter_with_known_service_times_is_a_sum_anyone_can_check(config) -> None:
    """One counter, 10 minutes a visitor, no spread: the first is called now, then every 10 minutes; a new
    walk-in waits behind all three, a new priority visitor goes first (the share owes them a turn)."""
    queue = one_counter(config, [walk_in("a", -12), walk_in("b", -8), walk_in("c", -1)])
    result = forecast(queue, config, runs=5, seed=1, sigma=0.0)
    assert result.tickets == {"a": Estimate(0, 0, 0), "b": Estimate(10, 10, 10), "c": Estimate(20, 20, 20)}
    assert result.walk_in["passport"] == Estimate(30, 30, 30)
    assert result.priority["passport"] == Estimate(0, 0, 0)


def test_a_counter_busy_for_four_minutes_is_free_in_six(config) -> None:
    queue = one_counter(config, [walk_in("a", -12), walk_in("b", -8)], held_for=4.0)
    result = forecast(queue, config, runs=3, seed=1, sigma=0.0)
    assert (result.tickets["a"].p50, result.tickets["b"].p50) == (6, 16)


def test_a_seeded_forecast_is_reproducible_and_spreads_around_the_mean(config) -> None:
    queue = one_counter(config, [walk_in(f"t{i}", -20 + i) for i in range(6)])
    first, again = (forecast(queue, config, runs=200, seed=7) for _ in range(2))
    assert first.tickets == again.tickets
    last = first.tickets["t5"]
    assert last.p10 < last.p50 < last.p90
    assert 40 <= last.p50 <= 55  # five services of 10 minutes on average (the median a little below 50)


def test_no_counter_for_the_service_means_no_estimate(config) -> None:
    queue = Queue(NOW, (QueuedTicket("x", "cnie", "walk_in", False, -3, None, None),),
                  (Desk(1, frozenset({"passport"})),), dict.fromkeys(config.services, 10.0), ())
    assert forecast(queue, config, runs=5, seed=1).tickets == {}


def issue(site, service: str = "passport"):
    return site.issue_ticket(service=service, kind="walk_in", lang="fr", actor="test")


def test_a_refresh_reads_the_database_and_never_writes(site, store, clock, add_agent) -> None:
    clock.set(NOW)
    agent = add_agent(site, "one")
    site.open_counter(1, agent)
    for _ in range(8):
        issue(site)
    for _ in range(3):
        ticket = site.call_next(1, agent)
        site.act(ticket.id, Action.START, 1, agent)
        clock.advance(timedelta(minutes=9))
        site.act(ticket.id, Action.FINISH, 1, agent)
    site.call_next(1, agent)
    writes: list[int] = []

    def authorizer(action: int, *_args: object) -> int:
        if action in (sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE):
            writes.append(action)
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK

    before = _fingerprint(store)
    for db in {id(store.read()): store.read(), id(store._writer): store._writer}.values():
        db.conn.set_authorizer(authorizer)
    result = site.forecasts.refresh()
    assert writes == []
    assert _fingerprint(store) == before
    assert len(result.tickets) == 4 and site.forecasts.latest is result


def _fingerprint(store) -> tuple[int, str]:
    """The journal's last seq and the bytes of the database and its WAL."""
    files = [Path(store.path), Path(f"{store.path}-wal")]
    digest = hashlib.sha256(b"".join(path.read_bytes() for path in files if path.exists())).hexdigest()
    return store.read().execute("SELECT MAX(seq) FROM journal").fetchone()[0], digest


def test_pages_read_the_range_from_memory(site, clock, add_agent) -> None:
    clock.set(NOW)
    site.open_counter(1, add_agent(site, "one"))
    first, second = issue(site), issue(site)
    assert second.estimate is None  # no forecast yet: the pages show the single figure
    site.forecasts.refresh()
    view = site.ticket_view(second.ticket.id)
    assert view.estimate is not None and view.estimate.p50 >= 0
    third = issue(site)  # issued after the refresh: what the kiosk showed for its service
    assert site.ticket_view(third.ticket.id).estimate == site.forecasts.for_service("passport")
    assert site.forecasts.to_json()["passport"]["high"] >= site.forecasts.to_json()["passport"]["low"] + 1
    assert first.ticket.id in site.forecasts.latest.tickets


def test_the_range_shrinks_as_time_passes_without_a_refresh(site, clock, add_agent) -> None:
    clock.set(NOW)
    site.open_counter(1, add_agent(site, "one"))
    tickets = [issue(site) for _ in range(5)]
    site.forecasts.refresh()
    before = site.ticket_view(tickets[-1].ticket.id).estimate
    clock.advance(timedelta(minutes=5))
    after = site.ticket_view(tickets[-1].ticket.id).estimate
    assert before is not None and after is not None
    assert after.p50 == max(0, before.p50 - 5)


def test_the_replay_gives_each_counter_the_services_it_takes_today(site, clock, add_agent) -> None:
    """A supervisor's change of a counter's services for the day is the capacity the forecast replays:
    counter 6 (legalisation by configuration) taking passports today calls them; counter 1 no longer taking
    them does not, in the morning (every counter, none open yet) as once counters are open."""
    from core import floor_control
    from core.forecast import read_queue

    clock.set(NOW)
    site.control_floor(floor_control.set_counter_services, actor="user:1", counter=6,
                       services=["passport"], reason="Queue at passports")
    site.control_floor(floor_control.set_counter_services, actor="user:1", counter=1, services=["cnie"],
                       reason="Identity cards only")

    def passport_desks() -> list[int]:
        with site.store.reading() as db:
            desks = read_queue(db, site.config, NOW).desks
        return [desk.number for desk in desks if "passport" in desk.services]

    assert passport_desks() == [2, 3, 6]  # the morning: every counter, as it is today
    site.open_counter(1, add_agent(site, "one"))
    site.open_counter(6, add_agent(site, "six"))
    assert passport_desks() == [6]
    tickets = [issue(site) for _ in range(3)]
    result = site.forecasts.refresh()
    assert all(ticket.ticket.id in result.tickets for ticket in tickets)  # counter 6 calls them


@pytest.mark.parametrize("order", ["current", "fifo", "deadline"])
def test_every_order_gives_a_range(config, order: str) -> None:
    desks = (Desk(1, frozenset({"passport"})),)
    queue = Queue(NOW, (walk_in("a", -5), walk_in("b", -4, priority=True)), desks,
                  dict.fromkeys(config.services, 10.0), (), order=order)
    result = forecast(queue, config, runs=20, seed=3)
    assert set(result.tickets) == {"a", "b"}


def test_a_counter_closed_for_a_break_comes_back_in_the_replay(site, clock, add_agent) -> None:
    """Counter 2 closed 10 minutes ago after an hour open: the replay counts it as on a break, back after
    today's mean break (30 minutes until three breaks were measured), not as gone for the day; a counter
    closed longer than two mean breaks ago is gone; one never opened today is not waited for."""
    from core.forecast import read_queue

    clock.set(NOW, step=timedelta(0))
    one, two, three = (add_agent(site, name) for name in ("one", "two", "three"))
    site.open_counter(1, one)
    site.open_counter(2, two)
    site.open_counter(3, three)
    clock.advance(timedelta(minutes=5))
    site.close_counter(3, three)  # closed at 09:05: 75 minutes ago at 10:20
    clock.advance(timedelta(minutes=65))
    site.close_counter(2, two)  # closed at 10:10
    clock.advance(timedelta(minutes=10))
    moment = NOW + timedelta(minutes=80)
    with site.store.reading() as db:
        queue = read_queue(db, site.config, moment)
    assert [(desk.number, desk.away_for) for desk in queue.desks] == [(1, None), (2, 10.0)]
    assert queue.break_minutes == 30.0

    queue = replace(queue, waiting=tuple(walk_in(f"t{i}", -30 + i) for i in range(12)), expected=(),
                    mean_minutes=dict.fromkeys(site.config.services, 10.0))
    with_break = forecast(queue, site.config, runs=40, seed=2, sigma=0.0)
    gone = forecast(replace(queue, desks=queue.desks[:1]), site.config, runs=40, seed=2, sigma=0.0)
    # Ten minutes a visitor: alone, counter 1 calls the last of 12 after 110 minutes; with counter 2 back
    # after about 20 more minutes, much sooner.
    assert gone.tickets["t11"].p50 == 110
    assert with_break.tickets["t11"].p50 < 75


def test_breaks_measured_today_replace_the_default_length(site, clock, add_agent) -> None:
    from core.forecast import read_queue

    clock.set(NOW, step=timedelta(0))
    agent = add_agent(site, "one")
    for minutes in (10, 14, 18):  # three breaks of 10, 14 and 18 minutes: a mean of 14
        site.open_counter(1, agent)
        clock.advance(timedelta(minutes=30))
        site.close_counter(1, agent)
        clock.advance(timedelta(minutes=minutes))
    site.open_counter(1, agent)
    with site.store.reading() as db:
        queue = read_queue(db, site.config, NOW + timedelta(hours=3))
    assert queue.break_minutes == 14.0


def test_a_planned_break_closes_the_counter_when_its_agent_is_next_free(config) -> None:
    """One counter, 10 minutes a visitor, a 30-minute break planned in 5 minutes: the visitor at the counter
    now is served, the agent takes the break at 10, the next visitor is called at 40."""
    desk = Desk(1, frozenset({"passport"}), planned=((5.0, 30.0),))
    queue = Queue(NOW, (walk_in("a", -12), walk_in("b", -8)), (desk,), dict.fromkeys(config.services, 10.0),
                  ())
    result = forecast(queue, config, runs=3, seed=1, sigma=0.0)
    assert (result.tickets["a"].p50, result.tickets["b"].p50) == (0, 40)


def site_with_breaks(config, store, clock, plan: tuple[tuple[int, int], ...], numbers: tuple[int, ...]):
    """A site whose counters `numbers` plan these breaks (start in minutes after local midnight, length), the
    clock still at 08:00 UTC on 10 June 2025 (10:00 in Paris)."""
    from core.site import Site

    counters = {**config.counters, **{n: replace(config.counters[n], breaks=plan) for n in numbers}}
    clock.set(datetime(2025, 6, 10, 8, 0, tzinfo=UTC), step=timedelta(0))
    return Site(replace(config, counters=counters), store)


def test_a_counter_closed_for_its_planned_break_is_back_at_its_end(config, store, clock, add_agent) -> None:
    """Counter 2 plans 45 minutes at 12:00 (local; 10:00 UTC in June) and closed at 12:05: at 12:15 the replay
    has it back at 12:50, in 35 minutes, and its 15:00 break still to come; counter 1 has no plan."""
    from core.forecast import read_queue

    site = site_with_breaks(config, store, clock, ((720, 45), (900, 15)), (2,))
    one, two = add_agent(site, "one"), add_agent(site, "two")
    site.open_counter(1, one)
    site.open_counter(2, two)
    clock.advance(timedelta(hours=2, minutes=5))
    site.close_counter(2, two)
    clock.advance(timedelta(minutes=10))
    with site.store.reading() as db:
        desks = {desk.number: desk for desk in read_queue(db, site.config, clock()).desks}
    assert desks[2].back_in == 35.0 and desks[2].planned == ((165.0, 15.0),)
    assert desks[1].back_in is None and desks[1].planned == ()


def test_a_long_replay_hands_the_gil_over_to_the_requests(config, monkeypatch) -> None:
    """The replay runs in a thread beside the server's requests: it calls `breathe` (core/offload.py) once
    BREATHE_SECONDS of replay passed since the last time, so a request waiting for the GIL gets it soon
    (bench_forecast figure=convoy); a replay faster than that does not stop for nothing (each stop sleeps
    about 80 us). Its clock looks every 16 steps."""
    from types import SimpleNamespace

    from core import forecast as forecast_module

    calls = []
    monkeypatch.setattr(forecast_module, "breathe", lambda: calls.append(1))
    queue = one_counter(config, [walk_in(f"t{i}", -200 + i) for i in range(150)])
    ticks = iter(range(10**6))
    slow = SimpleNamespace(perf_counter=lambda: next(ticks) * 2 * forecast_module.BREATHE_SECONDS)
    monkeypatch.setattr(forecast_module, "time", slow)
    forecast(queue, config, runs=2, seed=1)
    assert len(calls) >= 2 * 150 // 16 - 2
    calls.clear()
    monkeypatch.setattr(forecast_module, "time", SimpleNamespace(perf_counter=lambda: 0.0))
    forecast(queue, config, runs=2, seed=1)
    assert calls == []


def test_a_booked_visitor_who_comes_late_lets_the_walk_ins_go_first(config) -> None:
    """One counter, 10 minutes a visitor; an appointment at 09:00 not checked in yet, whose visitor comes
    for sure. Taken for present (no check-in time known today), it is called now and the walk-ins after it;
    today every visitor came 10 minutes after their slot, so the first walk-in is called now, the
    appointment at 10 and the second walk-in at 20."""
    from core.punctuality import Punctuality

    booked = QueuedTicket("expected:RDV-1", "passport", "appointment", False, 0.0, 0.0, None, expected=True)
    queue = replace(one_counter(config, [walk_in("a", -5), walk_in("b", -3)]), expected=(booked,),
                    punctuality=Punctuality(1.0))
    present = forecast(queue, config, runs=5, seed=1, sigma=0.0)
    assert (present.tickets["a"].p50, present.tickets["b"].p50) == (10, 20)
    late = forecast(replace(queue, punctuality=Punctuality(1.0, (10.0,) * 10)), config, runs=5, seed=1,
                    sigma=0.0)
    assert (late.tickets["a"].p50, late.tickets["b"].p50) == (0, 20)


@pytest.mark.parametrize(("order", "arrives", "called"),
                         [("current", 25.0, 25.0), ("current", 5.0, 5.0), ("deadline", 25.0, 25.0),
                          ("deadline", 5.0, 15.0)])
def test_a_counter_with_nobody_to_call_waits_for_the_booked_visitor_to_come(config, order: str,
                                                                           arrives: float,
                                                                           called: float) -> None:
    """Nobody waits for the counter; an appointment in 15 minutes whose visitor comes at `arrives`: the
    counter calls them once they are there and the order allows (`current`: from 15 minutes before the
    slot; `deadline`: from the slot), not before they came."""
    from core.forecast import replay
    from core.replay import Plan, Rules

    booked = QueuedTicket("expected:RDV-1", "passport", "appointment", False, 0.0, 15.0, None, expected=True)
    later = QueuedTicket("x", "cnie", "walk_in", False, -1.0, None, None)  # keeps the run going: called at 60
    desks = (Desk(1, frozenset({"passport"})), Desk(2, frozenset({"cnie"}), back_in=60.0))
    queue = replace(one_counter(config, []), order=order, desks=desks)
    plan = Plan([later, booked], [(d.number, d.services) for d in desks], Rules(order, 2, 90.0, {}))
    laws = {code: (2.3, 0.0) for code in config.services}
    assert replay(plan, queue, laws, random.Random(1), [], {1: arrives}) == [60.0, called]


def test_a_planned_break_the_agent_still_owes_is_taken_when_next_free(config, store, clock,
                                                                       add_agent) -> None:
    """Counter 2 plans 45 minutes at 12:00 (local; 10:00 UTC in June), but serves a visitor called at 11:55:
    at 12:05 it still owes the break, which the replay has it take when next free (started 5 minutes ago);
    counter 3 took the same break from 12:00 to 12:40, and at 12:50 owes nothing until 15:00."""
    from core.forecast import read_queue

    site = site_with_breaks(config, store, clock, ((720, 45), (900, 15)), (2, 3))
    two, three = add_agent(site, "two"), add_agent(site, "three")
    site.open_counter(2, two)
    site.open_counter(3, three)
    clock.advance(timedelta(hours=1, minutes=55))
    issue(site)
    site.call_next(2, two)
    clock.advance(timedelta(minutes=5))
    site.close_counter(3, three)
    clock.advance(timedelta(minutes=5))
    with site.store.reading() as db:
        desks = {desk.number: desk for desk in read_queue(db, site.config, clock()).desks}
    assert desks[2].planned == ((-5.0, 45.0), (175.0, 15.0))
    clock.advance(timedelta(minutes=35))
    site.open_counter(3, three)
    clock.advance(timedelta(minutes=10))
    with site.store.reading() as db:
        desks = {desk.number: desk for desk in read_queue(db, site.config, clock()).desks}
    assert desks[3].planned == ((130.0, 15.0),)
    assert desks[2].planned[0] == (-50.0, 45.0)  # still serving: still owed
