"""Waiting times as a range: many short replays of today's queue, in memory, under the site's own order.

`read_queue` takes what a replay needs from the database in one read transaction (it writes nothing): the
waiting tickets, the counters open now with what they hold, today's measured time per call and service, and
the last calls (the priority share). `forecast` then replays the queue `runs` times with lognormal service
times around those means, and keeps for each ticket the 10th, 50th and 90th percentile of the minutes until
its call. "Ghost" tickets — a walk-in of each service arriving now, with and without priority — give the
kiosk its estimate before a visitor takes a ticket; a ghost is called like anyone but holds no counter.

Booked appointments not checked in yet are replayed too: each run draws whether their visitor comes and
when, from today's check-ins (core/punctuality.py), and a visitor who comes late is not called before they
are there. A counter closed earlier today, after it had been open, is taken for a counter on a break: it
comes back at the end of its planned break (`counters.breaks`), or after a break drawn from today's measured
breaks. A counter's planned breaks still to come, and the one its agent owes (it started while they were
serving), close it in the replay when its agent is next free. The replay knows no future walk-ins (priority
visitors among them) or transfers: docs/queue-policy.md measures what that costs, why priority visitors
still to come are not replayed (a refresh twice as long for a few points), and what the day's other
randomness leaves.
"""

from __future__ import annotations

import heapq
import json
import math
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import sqlite_utils

from core import floor_control
from core.clock import utc_iso
from core.config import SiteConfig
from core.offload import breathe
from core.policy import quick_services
from core.punctuality import Arrivals, Punctuality, read_punctuality
from core.replay import Plan, QueuedTicket, Rules
from core.report_series import FLOOR_EVENTS, day_start

MIN_SAMPLES = 5  # finished calls of a service before its measured mean replaces the configured one
SIGMA = 0.45  # spread of the logarithm of a service time (the simulator's profiles use 0.4 to 0.5)
RECENT_CALLS = 40  # the last walk-in calls that decide whose turn the priority share gives
EXPECTED_HORIZON = 180.0  # minutes: appointments booked later than that do not change today's forecasts
BREAK_MINUTES = 30.0  # a break's mean length until BREAK_SAMPLES breaks were measured today
BREAK_SAMPLES = 3
LONGEST_BREAK = 120.0  # minutes: closed longer than this or 2 mean breaks, a counter is gone for the day
BREAK_SIGMA = 0.5  # spread of the logarithm of a break's length
OWED_WINDOW = 60.0  # minutes: a planned break that started longer ago and was not taken was skipped
BREATHE_SECONDS = 0.0003  # replay time between two hand-overs of the GIL to the requests


@dataclass(frozen=True)
class Desk:
    """An open counter: the services it takes today, and the ticket it holds (service, minutes since its
    call), if any."""

    number: int
    services: frozenset[str]
    held_service: str | None = None
    held_for: float = 0.0
    away_for: float | None = None  # closed for a break this many minutes ago (None: open now)
    back_in: float | None = None  # closed for a planned break: back in this many minutes
    planned: tuple[tuple[float, float], ...] = ()  # planned breaks to come: (start from now, minutes)


@dataclass(frozen=True)
class Queue:
    """Everything a replay needs, in minutes from `moment` (past times are negative)."""

    moment: datetime
    waiting: tuple[QueuedTicket, ...]
    desks: tuple[Desk, ...]
    mean_minutes: dict[str, float]  # one call's counter time (call → finish), per service
    recent_calls: tuple[tuple[str, bool], ...]  # (service, priority) of walk-in calls, oldest first
    order: str = "current"
    priority_share: int = 2
    starvation_minutes: float = 90.0
    targets: dict[str, float] = field(default_factory=dict)
    expected: tuple[QueuedTicket, ...] = ()  # booked appointments not checked in yet
    punctuality: Punctuality = Punctuality()  # whether and when those will come
    break_minutes: float = BREAK_MINUTES  # today's mean break (a closed counter's time away)
    quick: frozenset[str] = frozenset()  # core.policy.quick_services
    urgent_minutes: float = 5.0


@dataclass(frozen=True)
class Estimate:
    """Minutes from the forecast's time until the call: p10, p50 (the median) and p90."""

    p10: int
    p50: int
    p90: int

    @property
    def shown(self) -> tuple[int, int]:
        """The range a visitor reads, "about low–high min": p10 to p90, at least one minute wide."""
        return self.p10, max(self.p90, self.p10 + 1)

    def to_json(self) -> dict[str, int]:
        low, high = self.shown
        return {"p10": self.p10, "p50": self.p50, "p90": self.p90, "low": low, "high": high}


@dataclass(frozen=True)
class Forecast:
    at: datetime
    tickets: dict[str, Estimate]
    walk_in: dict[str, Estimate]  # per service: a visitor without priority who takes a ticket now
    priority: dict[str, Estimate]  # per service: a visitor with legal priority who takes a ticket now


def _minutes(text: str, origin: datetime) -> float:
    return (datetime.fromisoformat(text.replace("Z", "+00:00")) - origin).total_seconds() / 60


def read_queue(db: sqlite_utils.Database, config: SiteConfig, moment: datetime) -> Queue:
    """Today's queue as of `moment`: read only."""
    day = config.local_day(moment)
    rows = db.execute(
        """SELECT t.id, t.service, t.kind, t.priority, t.arrived_at, t.slot_at, t.target_counter,
                  COALESCE(a.persons, 1)
           FROM tickets t LEFT JOIN appointments a ON a.ticket_id = t.id
           WHERE t.day = ? AND t.state = 'waiting' ORDER BY t.arrived_at, t.id""", [day]).fetchall()
    waiting = tuple(QueuedTicket(row[0], row[1], row[2], bool(row[3]), _minutes(row[4], moment),
                                 _minutes(row[5], moment) if row[5] else None, row[6], max(1, int(row[7])))
                    for row in rows)
    late = float(config.policy["checkin_late_minutes"])
    closings, last_closes, break_minutes = _breaks(db, config, day, moment)
    return Queue(moment, waiting, _desks(db, config, moment, closings, last_closes, break_minutes),
                 _mean_minutes(db, config, day),
                 _recent_calls(db, day), str(config.policy.get("order", "current")),
                 int(config.policy["priority_share"]), float(config.policy.get("starvation_minutes", 90)),
                 {code: float(s.target_wait_minutes) for code, s in config.services.items()},
                 _expected(db, config, day, moment, late), read_punctuality(db, day, moment, late),
                 break_minutes, quick_services(config), float(config.policy.get("quick_urgent_minutes", 5)))


def _expected(db: sqlite_utils.Database, config: SiteConfig, day: str, moment: datetime,
              late: float) -> tuple[QueuedTicket, ...]:
    """Today's booked appointments not checked in whose check-in window is still open: they may come
    (whether and when: `Queue.punctuality`)."""
    rows = db.execute(
        """SELECT reference, services, slot_start, persons FROM appointments
           WHERE day = ? AND status = 'booked' AND ticket_id IS NULL AND no_show_at IS NULL""", [day])
    expected = []
    for reference, services, slot_start, persons in rows:
        slot, codes = _minutes(slot_start, moment), json.loads(services)
        if -late < slot < EXPECTED_HORIZON and codes and codes[0] in config.services:
            expected.append(QueuedTicket(f"expected:{reference}", codes[0], "appointment", False,
                                         max(0.0, slot - 15), slot, None, max(1, int(persons)),
                                         expected=True))
    return tuple(expected)


def _breaks(db: sqlite_utils.Database, config: SiteConfig, day: str,
            moment: datetime) -> tuple[dict[int, float], dict[int, float], float]:
    """From today's `counter.opened`/`counter.closed` events: the counters closed now after having been
    open (minutes since their close), each counter's last close (minutes since), and today's mean break (a
    close followed by a reopening within LONGEST_BREAK), BREAK_MINUTES until BREAK_SAMPLES were seen."""
    closed: dict[int, float] = {}
    last: dict[int, float] = {}
    lengths: list[float] = []
    for type_, at, counter in db.execute(
            f"""SELECT type, at, json_extract(data, '$.counter') FROM journal
                WHERE {FLOOR_EVENTS} AND at >= ? ORDER BY at, seq""",
            [utc_iso(day_start(config, day))]):
        if counter is None or type_ not in ("counter.opened", "counter.closed"):
            continue
        minutes = -_minutes(at, moment)
        if type_ == "counter.closed":
            closed[int(counter)] = last[int(counter)] = minutes
        elif int(counter) in closed:
            away = closed.pop(int(counter)) - minutes
            if 0 < away <= LONGEST_BREAK:
                lengths.append(away)
    mean = sum(lengths) / len(lengths) if len(lengths) >= BREAK_SAMPLES else BREAK_MINUTES
    return closed, last, mean


def _desks(db: sqlite_utils.Database, config: SiteConfig, moment: datetime, closings: dict[int, float],
           last_closes: dict[int, float], break_minutes: float) -> tuple[Desk, ...]:
    """The counters open now, each with the services it takes today (a supervisor's change included), and
    those on a break (closed less than LONGEST_BREAK and two mean breaks ago); before any opens (the
    morning), every configured counter, free. Each with its planned breaks still to come (`counters.breaks`)
    and, closed for one, when it ends; open, the planned break its agent still owes."""
    held = {int(row[0]): (str(row[1]), -_minutes(row[2], moment)) for row in db.execute(
        """SELECT counter, service, called_at FROM tickets
           WHERE state IN ('called', 'serving') AND counter IS NOT NULL AND called_at IS NOT NULL""")}
    numbers = [int(row[0]) for row in db.execute("SELECT counter FROM counter_sessions ORDER BY counter")]
    numbers = [n for n in numbers if n in config.counters] or sorted(config.counters)
    limit = min(LONGEST_BREAK, 2 * break_minutes)
    away = {n: minutes for n, minutes in closings.items()
            if n in config.counters and n not in numbers and minutes < limit}
    day = config.local_day(moment)
    taking = floor_control.counters_taking(db, config, day)
    midnight = (moment - day_start(config, day)).total_seconds() / 60  # minutes since local midnight
    desks = []
    for number in sorted({*numbers, *away}):
        service, since = held.get(number, (None, 0.0))
        plan = [(start - midnight, float(length)) for start, length in config.counters[number].breaks]
        back_in = _planned_return(plan, away[number]) if number in away else None
        after = back_in if back_in is not None else 0.0
        owed = _owed(plan, last_closes.get(number)) if number not in away else []
        desks.append(Desk(number, frozenset(taking[number]), service, since, away.get(number), back_in,
                          (*owed, *(item for item in plan if item[0] > after))))
    return tuple(desks)


def _owed(plan: list[tuple[float, float]], last_close: float | None) -> list[tuple[float, float]]:
    """The planned break that started less than OWED_WINDOW minutes ago while the agent was serving, and
    that they have not taken yet (no close since it started): they take it when next free, as at any
    other break."""
    started = [(start, length) for start, length in plan if -OWED_WINDOW < start <= 0
               and (last_close is None or -last_close < start - 1)]
    return [max(started)] if started else []


def _planned_return(plan: list[tuple[float, float]], away: float) -> float | None:
    """A counter closed `away` minutes ago for a planned break (one that started at most an hour before the
    close, or a minute after): minutes until its end; None when no planned break explains the close, or
    the break is already over (the agent is late: today's breaks then say when)."""
    closed = -away
    started = [(start, length) for start, length in plan if closed - 60 <= start <= closed + 1]
    if not started:
        return None
    _start, length = max(started)
    back = closed + length
    return back if back > 0 else None


def _mean_minutes(db: sqlite_utils.Database, config: SiteConfig, day: str) -> dict[str, float]:
    """Today's mean counter time of one call (call → finish: the walk to the counter, the service, or the
    wait for a visitor who left), once MIN_SAMPLES calls of the service ended; the configured
    `average_service_minutes` until then."""
    means = {code: float(s.average_service_minutes) for code, s in config.services.items()}
    for service, count, mean in db.execute(
            """SELECT service, COUNT(*), AVG((julianday(finished_at) - julianday(called_at)) * 1440.0)
               FROM tickets WHERE day = ? AND state IN ('done', 'no_show') AND called_at IS NOT NULL
                 AND finished_at IS NOT NULL GROUP BY service""", [day]):
        if count >= MIN_SAMPLES and mean is not None and mean > 0:
            means[str(service)] = float(mean)
    return means


def _recent_calls(db: sqlite_utils.Database, day: str) -> tuple[tuple[str, bool], ...]:
    rows = db.execute(
        """SELECT service, priority FROM tickets
           WHERE day = ? AND called_at IS NOT NULL AND kind != 'appointment'
           ORDER BY called_at DESC LIMIT ?""", [day, RECENT_CALLS]).fetchall()
    return tuple((str(service), bool(priority)) for service, priority in reversed(rows))


def ghosts(config: SiteConfig) -> list[QueuedTicket]:
    """A visitor taking a ticket now, for each kiosk service, without and with priority."""
    found = []
    for code, service in config.services.items():
        kind = next((k for k in ("walk_in", "pickup") if k in service.kinds), None)
        if kind:
            found += [QueuedTicket(f"ghost:{code}:{flag}", code, kind, flag, 0.0, None, None, 1, ghost=True)
                      for flag in (False, True)]
    return found


def forecast(queue: Queue, config: SiteConfig, runs: int, seed: int = 0, sigma: float = SIGMA) -> Forecast:
    """The queue replayed `runs` times (seeded: the same queue and seed give the same forecast). Service
    times are lognormal with the measured mean and `sigma` (0: always the mean)."""
    rules = Rules(queue.order, queue.priority_share, queue.starvation_minutes, queue.targets, queue.quick,
                  queue.urgent_minutes)
    plan = Plan([*queue.waiting, *queue.expected, *ghosts(config)],
                [(d.number, d.services) for d in queue.desks], rules)
    first = len(queue.waiting)
    arrivals = Arrivals(queue.punctuality,
                        [(first + i, ticket.slot or 0.0) for i, ticket in enumerate(queue.expected)])
    rng = random.Random(seed)
    laws = {code: (math.log(mean) - sigma * sigma / 2, sigma) for code, mean in queue.mean_minutes.items()}
    called = [replay(plan, queue, laws, rng, *arrivals.draw(rng)) for _ in range(max(1, runs))]
    samples = [[minutes for minutes in column if minutes is not None]
               for column in zip(*called, strict=True)]  # per ticket, in the runs' order
    estimates = {ticket.id: _estimate(found, runs)
                 for ticket, found in zip(plan.tickets, samples, strict=True)}
    tickets = {key: value for key, value in estimates.items()
               if value and not key.startswith(("ghost:", "expected:"))}
    per_kind: dict[bool, dict[str, Estimate]] = {False: {}, True: {}}
    for ticket in plan.tickets:
        if ticket.ghost and estimates[ticket.id] is not None:
            per_kind[ticket.priority][ticket.service] = estimates[ticket.id]  # type: ignore[assignment]
    return Forecast(queue.moment, tickets, per_kind[False], per_kind[True])


def _estimate(samples: list[float], runs: int) -> Estimate | None:
    """Percentiles of the runs; None when most runs never called the ticket (no counter open for it)."""
    if len(samples) * 2 < runs:
        return None
    ordered = sorted(samples)

    def at(share: float) -> float:
        # Rounded first: exp(log(10)) is 10.000000000000002, which must not become 11.
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 3)

    return Estimate(math.floor(at(0.1)), round(at(0.5)), math.ceil(at(0.9)))


def replay(plan: Plan, queue: Queue, laws: dict[str, tuple[float, float]], rng: random.Random,
           absent: list[int], arrivals: Mapping[int, float]) -> list[float | None]:
    """One run: counters call in the policy's order as they come free; the minutes until each call. A
    counter with nobody to call waits for the next expected appointment it could take; a counter free after
    the start of its next planned break takes it first."""
    called: list[float | None] = [None] * len(plan.tickets)
    run = plan.start(queue.recent_calls, absent, arrivals)
    free = [(_opens_in(desk, queue.break_minutes, laws, rng), index)
            for index, desk in enumerate(queue.desks)]
    heapq.heapify(free)
    breaks = [(*desk.planned, (math.inf, 0.0)) for desk in queue.desks]
    taken = [0] * len(breaks)  # planned breaks each counter took in this run
    next_break = [planned[0][0] for planned in breaks]
    # Counters that found nobody: only booked visitors still to come are left for them (nobody joins the
    # other lists in a run), so until one of those is there, they wait again without asking the order.
    idle = [False] * len(breaks)
    choose, next_due, pop, push = run.choose, run.next_due, heapq.heappop, heapq.heappush
    first, ready, expected = run.first, run.ready, [lists[2] for lists in plan.desk_lists]
    tickets, gauss, exp = plan.tickets, rng.gauss, math.exp
    steps, breathed = 0, time.perf_counter()
    while free and run.needed:  # the expected appointments left after everyone else change nothing
        steps += 1
        if not steps % 16 and time.perf_counter() - breathed > BREATHE_SECONDS:  # a clock read: ~50 ns
            breathe()  # the server's requests first (core/offload.py)
            breathed = time.perf_counter()
        moment, desk = pop(free)
        if moment >= next_break[desk]:
            push(free, (moment + breaks[desk][taken[desk]][1], desk))  # its agent's planned break
            taken[desk] += 1
            next_break[desk] = breaks[desk][taken[desk]][0]
            continue
        if idle[desk] and (head := first(expected[desk])) is not None and ready[head] > moment:
            push(free, (max(ready[head], moment + 0.1), desk))  # what the order would find: nobody
            continue
        while (chosen := choose(desk, moment)) is not None:
            ticket = tickets[chosen]
            called[chosen] = moment
            if ticket.ghost:
                continue  # a ghost only asks when it would be called: the counter calls again at once
            mu, sigma = laws[ticket.service]
            busy = exp(gauss(mu, sigma))
            if ticket.persons > 1:  # a family is served on one ticket, one person after another
                for _ in range(ticket.persons - 1):
                    busy += exp(gauss(mu, sigma))
            push(free, (moment + busy, desk))
            break
        else:
            idle[desk] = True
            due = next_due(desk)
            if due is not None:
                push(free, (max(due, moment + 0.1), desk))
    return called


def _opens_in(desk: Desk, break_minutes: float, laws: dict[str, tuple[float, float]],
              rng: random.Random) -> float:
    """Minutes until the counter can call: back from its break, or done with the ticket it holds."""
    if desk.back_in is not None:
        return desk.back_in
    return _back(desk, break_minutes, rng) if desk.away_for is not None else _remaining(desk, laws, rng)


def _back(desk: Desk, break_minutes: float, rng: random.Random) -> float:
    """When a counter on a break opens again: a break (lognormal around today's mean) longer than the time
    it has already been away; soon, when the draws keep falling short."""
    away = desk.away_for or 0.0
    mu = math.log(break_minutes) - BREAK_SIGMA * BREAK_SIGMA / 2
    for _ in range(4):
        total = math.exp(rng.gauss(mu, BREAK_SIGMA))
        if total > away:
            return total - away
    return min(5.0, break_minutes / 4)


def _remaining(desk: Desk, laws: dict[str, tuple[float, float]], rng: random.Random) -> float:
    """When a counter holding a ticket comes free: a service time longer than what already passed."""
    if desk.held_service is None or desk.held_service not in laws:
        return 0.0
    mu, sigma = laws[desk.held_service]
    for _ in range(4):
        total = math.exp(rng.gauss(mu, sigma))
        if total > desk.held_for:
            return total - desk.held_for
    return max(0.5, math.exp(mu) / 4)

