"""The starvation bound of the deadline policy, as a property over random small days (hypothesis).

On every simulated day, whatever the arrivals, services, breaks and bound:
- no ticket waits while a counter that could serve it stands idle (the policy never leaves a counter idle
  when someone it could call waits, and an idle counter is woken by the next arrival it could serve);
- once a ticket has waited `policy.starvation_minutes`, no counter that could serve it calls anyone who has
  waited less: beyond the bound, a ticket is only behind people who waited longer, or behind busy counters.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import config as site_config
from sim.engine import DayRecord, Leg
from sim.profile import Book, CounterPlan, Flow, Lognormal, Profile
from sim.run import run_day

BASE = site_config.load(env={})
SERVICES = ("passport", "cnie", "legalisation", "pickup")
EPSILON = 1e-3  # minutes: the policy reads microsecond timestamps, the simulator floats


@st.composite
def small_days(draw: st.DrawFn) -> tuple[Profile, int, int]:
    counters = []
    for number in range(1, draw(st.integers(1, 3)) + 1):
        offered = draw(st.lists(st.sampled_from(SERVICES), min_size=1, max_size=3, unique=True))
        breaks = ((draw(st.floats(540, 600)), draw(st.floats(5, 30))),) if draw(st.booleans()) else ()
        counters.append(CounterPlan(number, tuple(offered), breaks))
    served = {code for counter in counters for code in counter.services}  # nobody comes for a closed service
    walk_mix = {code: 1.0 for code in SERVICES[:3] if code in served}
    booked: dict[str, float] = {code: draw(st.floats(0, 2))
                                for code in ("passport", "cnie") if code in served}
    times = {code: Lognormal(draw(st.floats(2, 15)), draw(st.floats(0, 0.8))) for code in SERVICES}
    profile = Profile(
        name="random", date="2025-06-10", opens=510.0, closes=630.0, service_times=times,
        walk_ins=Flow(draw(st.integers(0, 30)) if walk_mix else 0, (draw(st.floats(1, 5)), 1.0),
                      walk_mix or {"passport": 1.0},
                      priority_share=draw(st.floats(0, 0.5)), left_share=draw(st.floats(0, 0.2))),
        pickups=Flow(draw(st.integers(0, 10)) if "pickup" in served else 0, (1.0,),
                     {"pickup": 1.0}, priority_share=0.1),
        appointments=Book(540.0, 600.0, 15, booked,
                          no_show_share=0.15, early_mean=5, early_sd=15, family_share=0.2,
                          family_persons=(2, 3)),
        counters=tuple(counters),
        transfers={"passport": ("legalisation", draw(st.floats(0, 0.3)))} if "legalisation" in served else {},
        walk_minutes=draw(st.sampled_from([0.0, 0.5])),
    )
    return profile, draw(st.integers(0, 10_000)), draw(st.integers(5, 60))


def eligible(record: DayRecord, leg: Leg, counter: int) -> bool:
    return any(desk.plan.number == counter and leg.service in desk.plan.services for desk in record.desks)


def check_no_idle_counter_while_waiting(record: DayRecord) -> None:
    for leg in record.legs:
        assert leg.called is not None, "every ticket is called by the end of the day"
        for desk in record.desks:
            if leg.service not in desk.plan.services:
                continue
            for start, end in desk.idle:
                overlap = min(end, leg.called) - max(start, leg.queued)
                assert overlap <= EPSILON, (leg, desk.plan.number, (start, end))


def check_aging(record: DayRecord, bound: float) -> None:
    origin: dict[str, float] = {}
    for leg in record.legs:  # the policy counts a transferred ticket's wait from its first arrival (or slot)
        origin.setdefault(leg.ticket_id, leg.since)
    for called in record.legs:
        assert called.called is not None and called.counter is not None and called.call_order is not None
        moment = called.called
        for other in record.legs:
            waiting = other.queued <= moment and (other.call_order or 0) > called.call_order
            if not waiting or not eligible(record, other, called.counter):
                continue
            if moment - origin[other.ticket_id] >= bound + EPSILON:
                assert origin[called.ticket_id] <= origin[other.ticket_id] + EPSILON, (called, other)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_days())
def test_starvation_bound(day: tuple[Profile, int, int]) -> None:
    profile, seed, bound = day
    base = replace(BASE, policy={**BASE.policy, "starvation_minutes": bound})
    record = run_day(base, profile, seed, "deadline").record
    check_no_idle_counter_while_waiting(record)
    check_aging(record, bound)


@settings(max_examples=15, deadline=None)
@given(small_days())
def test_no_idle_counter_with_every_policy(day: tuple[Profile, int, int]) -> None:
    profile, seed, _bound = day
    for policy in ("current", "fifo"):
        check_no_idle_counter_while_waiting(run_day(BASE, profile, seed, policy).record)
