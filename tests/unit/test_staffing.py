"""Staffing advice on queues anyone can check by hand: 10 minutes a visitor, no spread (sigma 0), passport
walk-ins promised a call within 30 minutes."""

from __future__ import annotations

from datetime import UTC, datetime

from core.forecast import Desk, Queue, forecast
from core.replay import QueuedTicket
from core.staffing import MAX_EVALUATED, Advice, advise, extra_desk

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


def walk_in(name: str, arrived: float, service: str = "passport") -> QueuedTicket:
    return QueuedTicket(name, service, "walk_in", False, arrived, None, None)


def queue_of(config, waiting, numbers=(1,)) -> Queue:
    desks = tuple(Desk(n, frozenset(config.counters[n].services)) for n in numbers)
    return Queue(NOW, tuple(waiting), desks, dict.fromkeys(config.services, 10.0), ())


def taking_of(config) -> dict[int, tuple[str, ...]]:
    return {number: counter.services for number, counter in config.counters.items()}


def advice_on(config, queue: Queue, **options):  # type: ignore[no-untyped-def]
    return advise(queue, config, taking_of(config), forecast(queue, config, runs=3, seed=1, sigma=0.0),
                  runs=3, seed=1, sigma=0.0, **options)


def test_six_walk_ins_miss_with_one_counter_and_meet_with_two(config) -> None:
    """One counter calls at 0, 10, … 50: the walk-ins who came 5, 4 … 0 min ago wait 5, 14, 23, 32, 41 and
    50 min, and the next walk-in 60: 3 of 7 on time. With counter 2 too (it takes passport and cnie, counter
    3 takes registration as well), calls at 0, 0, 10, 10, 20, 20 and the next walk-in at 30: all on time."""
    queue = queue_of(config, [walk_in(f"t{i}", -5 + i) for i in range(6)])
    staffing = advice_on(config, queue)
    assert staffing.advice == (Advice("passport", "walk_in", 30.0, 0.80, 6, 0, 3 / 7, 1.0, 2),)
    assert staffing.replays == 1
    assert staffing.to_json()["advice"] == [
        {"service": "passport", "kind": "walk_in", "target_minutes": 30, "target_percent": 80, "waiting": 6,
         "overdue": 0, "percent": 42, "percent_with_counter": 100, "counter": 2}]


def test_a_queue_on_target_gives_no_advice(config) -> None:
    queue = queue_of(config, [walk_in("a", -12), walk_in("b", -3)])
    staffing = advice_on(config, queue)
    assert staffing.advice == () and staffing.replays == 0
    assert staffing.to_json()["advice"] == []


def test_the_counter_proposed_is_a_closed_configured_one_else_a_new_one(config) -> None:
    """Counters 1 and 3 open: counter 2 (closed, takes passport) is proposed. All three open: a new counter
    taking passport only."""
    queue = queue_of(config, [walk_in(f"t{i}", -10) for i in range(12)], numbers=(1, 3))
    proposed = extra_desk(queue, taking_of(config), "passport")
    assert proposed == (Desk(2, frozenset({"passport", "cnie"})), True)
    (advice,) = advice_on(config, queue).advice
    assert advice.counter == 2 and advice.share_with_counter is not None
    assert advice.share_with_counter > advice.share
    everyone = queue_of(config, [walk_in(f"t{i}", -10) for i in range(12)], numbers=(1, 2, 3))
    desk, configured = extra_desk(everyone, taking_of(config), "passport")
    assert not configured and desk.services == {"passport"} and desk.number not in config.counters
    (advice,) = advice_on(config, everyone).advice
    assert advice.counter is None and advice.share_with_counter is not None
    assert advice.share_with_counter > advice.share


def test_appointments_are_promised_ten_minutes_after_their_slot_and_the_overdue_are_apart(config) -> None:
    """Behind a counter busy for 10 more minutes: the appointment of 30 min ago (already past its promise,
    counted apart) is called at 10, the one due now at 20, 20 min after its slot: late (with counter 2 open
    too, at 10: on time). The walk-in who came a minute ago is called at 30, the next walk-in at 40: late."""
    booked = [QueuedTicket(name, "passport", "appointment", False, -40.0, slot, None)
              for name, slot in (("b1", -30.0), ("b2", 0.0))]
    queue = Queue(NOW, (*booked, walk_in("w", -1)), (Desk(1, frozenset({"passport"}), "passport", 0.0),),
                  dict.fromkeys(config.services, 10.0), ())
    found = {item.kind: item for item in advice_on(config, queue).advice}
    assert found["appointment"] == Advice("passport", "appointment", 10.0, 0.95, 2, 1, 0.0, 1.0, 2)
    assert (found["walk_in"].waiting, found["walk_in"].overdue, found["walk_in"].share) == (1, 0, 0.0)


def test_tickets_past_their_promise_are_not_in_the_share(config) -> None:
    """Ten walk-ins who waited 40 min already, one counter: late whatever happens, so counted apart; the next
    walk-in would be called in 100 min: 0 % on time, and with counter 2 open too in 50 min: still 0 %."""
    queue = queue_of(config, [walk_in(f"t{i}", -40) for i in range(10)])
    (advice,) = advice_on(config, queue).advice
    assert (advice.waiting, advice.overdue, advice.share, advice.share_with_counter) == (10, 10, 0.0, 0.0)


def test_no_counter_open_for_a_service_means_late(config) -> None:
    queue = queue_of(config, [walk_in("c", -1, service="civil_status")])
    (advice,) = advice_on(config, queue).advice
    assert (advice.service, advice.share, advice.share_with_counter, advice.counter) == (
        "civil_status", 0.0, 1.0, 5)


def test_at_most_a_few_services_are_replayed_the_furthest_behind_first(config) -> None:
    """Five services without an open counter: all are reported, the most tickets late first, but only
    MAX_EVALUATED of them are replayed with one more counter."""
    services = ["civil_status", "registration", "judicial", "legalisation", "driving_licence"]
    waiting = [walk_in(f"{code}{i}", -1, service=code)
               for n, code in enumerate(services) for i in range(n + 1)]
    staffing = advice_on(config, queue_of(config, waiting))
    assert [item.service for item in staffing.advice] == services[::-1]
    assert staffing.replays == MAX_EVALUATED
    assert [item.share_with_counter is not None for item in staffing.advice] == [True] * 3 + [False] * 2
