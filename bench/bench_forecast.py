"""Waiting-time forecasts: the cost of one refresh, and how true the ranges come on simulated days.

JSON lines:
- `figure=refresh`: one refresh (read the queue from SQLite + `policy.forecast_runs` replays) of a queue of
  about `--queue` waiting tickets (200 by default) over the large post's 40 counters, per order: median and
  best of `--repeat` refreshes, in ms (target: at most 50 ms), and their median CPU time (the rest is the
  replay's GIL hand-overs, `core.offload.breathe`). Twice per order: `booked=0`, the walk-ins alone (as in
  the earlier figures), and
  `booked=--booked` (180), the post's appointment book as well (`busy_site`): that many booked in the 3 hours
  after the refresh's moment, the visitors of the 2.5 hours before checked in through the kiosk's path
  (15 % no-shows, 10 ± 12 minutes early: their offsets are today's check-in times) and called on the way,
  some still waiting; the line says how many wait (`waiting_booked` of them appointments), how many booked
  visitors are still to come (`expected`) and how many check-in times the refresh read (`check_ins_seen`);
- `figure=staffing`: on the same queues, after one refresh, the supervisors' staffing advice
  (core/staffing.py: the shares on target from that forecast, then a quarter of the runs again with one more
  counter for at most 3 services): median and best of `--repeat` computations in ms, the services replayed
  and the advice;
- `figure=convoy`: what a refresh running in a thread does to the server's requests (a request here: 15
  SQLite statements, each followed by a GIL release as a socket write makes one), on a queue of
  `--convoy-queue` (1,000) waiting: the requests' p50/p99 in ms alone, while refreshes run back to back with
  the replay handing the GIL over every `BREATHE_SECONDS` (core/offload.py `breathe`), and without;
- `figure=accuracy`: per profile and seed (`--profiles mid,large --seeds 1..3`), the share of visitors
  called within the range they were shown (p10–p90), between p50 and p90, by p90, and within
  ±max(5 min, 25 %) of the p50 (sim/accuracy.py), overall and per kind. A large day takes a few minutes: each
  ticket's issue recomputes the forecast, as the server's refresher would.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import math
import random
import statistics
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import _limits  # bench/, this script's folder: the ratios to this machine's limits

from core import appointments, checkin, clock
from core import config as site_config
from core.config import SiteConfig
from core.forecast import EXPECTED_HORIZON, read_queue
from core.policy import ORDERS
from core.site import Site
from core.states import Action
from core.store import Store
from sim import profile
from sim.accuracy import accuracy_day
from sim.run import site_config_for
from sim.visitors import service_minutes

MOMENT = datetime(2025, 6, 10, 9, 30, tzinfo=UTC)  # 11:30 at the post (Europe/Paris): the walk-ins start
FORECAST_AT = MOMENT + timedelta(hours=2)  # the refreshes' moment
SLOT_MINUTES = 15
BOOKED_BEFORE = 150  # minutes: the book's slots before FORECAST_AT (their check-in windows closed)


def busy_site(order: str, queue: int, booked: int = 0) -> Site:
    """The large post at 13:30 local time (`FORECAST_AT`): 40 counters open, 30 of them serving, about
    `queue` tickets waiting (walk-ins issued from 11:30). With `booked`, today's appointment book too
    (`_book`); its visitors check in, a free counter calls when their slot came, and fewer walk-ins come so
    that about `queue` tickets wait in all."""
    config = site_config_for(site_config.load(env={}), profile.load("large"), order)
    site = Site(config, Store(":memory:"))
    rng = random.Random(1)
    moment = [MOMENT]
    clock.set_clock(lambda: moment[0])
    try:
        book = _book(site, booked, random.Random(2)) if booked else []
        waiting = sum(1 for visit in book if visit.checked_in and visit.called >= FORECAST_AT)
        walk_ins = _walk_ins(config, rng, queue + 30 - waiting)
        moment[0] = min([MOMENT, *(visit.checked_in for visit in book if visit.checked_in)])
        agents = {number: _agent(site, number) for number in config.counters}
        _run_floor(site, agents, book, walk_ins, moment, rng)
    finally:
        clock.set_clock(None)
    return site


@dataclass(frozen=True)
class Visit:
    """A booked appointment of the bench's day: when its visitor checks in (None: a no-show, or not before
    FORECAST_AT), when a counter calls for them, and for how many minutes it then serves."""

    reference: str
    service: str
    checked_in: datetime | None
    called: datetime
    minutes: float


def _book(site: Site, booked: int, rng: random.Random) -> list[Visit]:
    """The large post's book (sim/profiles: its services' shares, families, 15 % no-shows, visitors 10 ± 12
    minutes early): `booked` appointments in the 3 hours from FORECAST_AT, as many per slot in the
    `BOOKED_BEFORE` minutes before, stored as the sync stores the central's."""
    large, config = profile.load("large"), site.config
    book = large.appointments
    early, late = (float(config.policy[key]) for key in ("checkin_early_minutes", "checkin_late_minutes"))
    slots_ahead = round(EXPECTED_HORIZON) // SLOT_MINUTES
    visits = []
    with site.store.write() as db:
        for index in range(booked * (slots_ahead + BOOKED_BEFORE // SLOT_MINUTES) // slots_ahead):
            slot = FORECAST_AT + timedelta(minutes=SLOT_MINUTES * (index * slots_ahead // booked)
                                           - BOOKED_BEFORE)
            service = rng.choices(list(book.per_slot), list(book.per_slot.values()))[0]
            persons = rng.randint(*book.family_persons) if rng.random() < book.family_share else 1
            item = {"id": f"B{index:04d}", "reference": f"RDV-B{index:04d}", "site": config.site_id,
                    "services": [service], "slot_start": clock.utc_iso(slot),
                    "slot_end": clock.utc_iso(slot + timedelta(minutes=SLOT_MINUTES)), "persons": persons,
                    "lang": "fr", "status": "booked", "version": 1}
            appointments.store_from_central(db, appointments.validated(item, config), "bench")
            comes = slot + timedelta(minutes=min(late - 1, max(1 - early, -rng.gauss(book.early_mean,
                                                                                     book.early_sd))))
            shows = rng.random() >= book.no_show_share and comes < FORECAST_AT
            visits.append(Visit(str(item["reference"]), service, comes if shows else None,
                                max(comes, slot) + timedelta(minutes=rng.uniform(0, 10)),
                                service_minutes(large, rng, service, persons)))
    return visits


def _walk_ins(config: SiteConfig, rng: random.Random, count: int) -> list[tuple[datetime, str, bool]]:
    """`count` walk-ins from MOMENT, one every 5 to 40 seconds: (when, service, priority)."""
    services = [s for s in config.services.values() if "walk_in" in s.kinds]
    found, at = [], MOMENT
    for _ in range(count):
        at += timedelta(seconds=rng.randint(5, 40))
        found.append((at, rng.choice(services).code, rng.random() < 0.08))
    return found


def _agent(site: Site, number: int) -> dict[str, Any]:
    """An agent account written directly (hashing 40 passwords would cost more than the bench), at its
    counter."""
    with site.store.write() as db:
        cursor = db.execute("INSERT INTO users (username, display_name, role, password_hash, created_at)"
                            " VALUES (?, ?, 'agent', '!', ?)", [f"a{number}", "A", clock.utc_iso()])
    agent = {"id": int(cursor.lastrowid or 0), "role": "agent"}
    site.open_counter(number, agent)
    return agent


def _run_floor(site: Site, agents: dict[int, dict[str, Any]], book: list[Visit],
               walk_ins: list[tuple[datetime, str, bool]], moment: list[datetime],
               rng: random.Random) -> None:
    """In time order until FORECAST_AT: walk-ins take tickets; booked visitors check in (the kiosk's path),
    and when their slot came a free counter taking their service calls (the policy's choice), serves and
    finishes; after the last walk-in, free counters call until 30 serve."""
    order = itertools.count()
    events: list[tuple[datetime, int, str, Any]] = [(at, next(order), "issue", item)
                                                    for at, *item in walk_ins]
    events.append((walk_ins[-1][0] if walk_ins else MOMENT, next(order), "calls", None))
    for visit in book:
        if visit.checked_in:
            events += [(visit.checked_in, next(order), "check_in", visit),
                       (visit.called, next(order), "call", visit)]
    heapq.heapify(events)
    holding: dict[int, str] = {}  # counter: the ticket it holds
    while events and events[0][0] < FORECAST_AT:
        moment[0], _order, kind, item = heapq.heappop(events)
        if kind == "issue":
            site.issue_ticket(service=item[0], kind="walk_in", lang="fr", actor="bench", priority=item[1])
        elif kind == "check_in":
            checkin.check_in_reference(site, item.reference)
        elif kind == "finish":
            site.act(holding.pop(item), Action.FINISH, item, agents[item])
        elif kind == "call":
            free = [n for n, c in site.config.counters.items()
                    if n not in holding and item.service in c.services]
            ticket = site.call_next(number := rng.choice(free), agents[number]) if free else None
            if ticket is not None:
                holding[number] = site.act(ticket.id, Action.START, number, agents[number]).id
                heapq.heappush(events, (moment[0] + timedelta(minutes=item.minutes), next(order), "finish",
                                        number))
        else:
            free = [n for n in sorted(site.config.counters) if n not in holding]
            for number in rng.sample(free, max(0, 30 - len(holding))):
                if (ticket := site.call_next(number, agents[number])) is not None:
                    holding[number] = ticket.id  # serving still at FORECAST_AT: no finish


def the_queue(site: Site, booked: int) -> dict[str, Any]:
    """What the refreshes replay at FORECAST_AT: the waiting tickets (appointments among them), the booked
    visitors still to come within EXPECTED_HORIZON, and the check-in times today's closed windows gave."""
    with site.store.reading() as db:
        queue = read_queue(db, site.config, FORECAST_AT)
    return {"waiting": len(queue.waiting), "counters": len(site.config.counters), "booked": booked,
            "waiting_booked": sum(1 for ticket in queue.waiting if ticket.kind == "appointment"),
            "expected": len(queue.expected), "check_ins_seen": len(queue.punctuality.offsets),
            "serving": sum(1 for desk in queue.desks if desk.held_service is not None)}


def refresh_cost(order: str, queue: int, repeat: int, runs: int, booked: int = 0) -> dict[str, Any]:
    site = busy_site(order, queue, booked)
    site.forecasts.runs = runs
    clock.set_clock(lambda: FORECAST_AT)
    try:
        timings, cpu = [], []
        for _ in range(repeat):
            started, used = time.perf_counter(), time.process_time()
            site.forecasts.refresh()
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - used) * 1000)
    finally:
        clock.set_clock(None)
    return {"figure": "refresh", "order": order, **the_queue(site, booked), "runs": runs,
            "median_ms": round(statistics.median(timings), 1), "best_ms": round(min(timings), 1),
            "cpu_median_ms": round(statistics.median(cpu), 1)}


def staffing_cost(order: str, queue: int, repeat: int, runs: int, booked: int = 0) -> dict[str, Any]:
    site = busy_site(order, queue, booked)
    site.forecasts.runs = runs
    clock.set_clock(lambda: FORECAST_AT)
    try:
        site.forecasts.refresh()
        timings = []
        for _ in range(repeat):
            started = time.perf_counter()
            staffing = site.forecasts.refresh_staffing()
            timings.append((time.perf_counter() - started) * 1000)
    finally:
        clock.set_clock(None)
    assert staffing is not None
    shown = [item.to_json() for item in staffing.advice]
    advice = [f"{a['service']}/{a['kind']} {a['percent']}->{a['percent_with_counter']}" for a in shown]
    return {"figure": "staffing", "order": order, **the_queue(site, booked), "runs": max(1, runs // 4),
            "replays": staffing.replays, "median_ms": round(statistics.median(timings), 1),
            "best_ms": round(min(timings), 1), "advice": advice}


def one_day(job: tuple[str, int, int, int]) -> dict[str, Any]:
    name, seed, runs, every = job
    started = time.perf_counter()
    result = accuracy_day(site_config.load(env={}), profile.load(name), seed, runs=runs, every=every)
    return {"figure": "accuracy", **result, "seconds": round(time.perf_counter() - started, 1)}


def refresh_until(site: Site, stop: threading.Event) -> None:
    while not stop.is_set():
        site.forecasts.refresh()


def convoy(queue: int, seconds: float = 4.0) -> dict[str, Any]:
    from core import forecast as forecast_module

    site = busy_site("current", queue)
    clock.set_clock(lambda: FORECAST_AT)
    db = site.store.read()

    def request() -> float:
        started = time.perf_counter()
        for _ in range(15):
            db.execute("SELECT COUNT(*) FROM tickets WHERE day = ? AND state = 'waiting'", [site.today()])
            time.sleep(0)
        return (time.perf_counter() - started) * 1000

    def percentiles(found: list[float]) -> dict[str, float]:
        ordered = sorted(found)
        return {"p50_ms": round(ordered[len(ordered) // 2], 2),
                "p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 2)}

    figures: dict[str, Any] = {"figure": "convoy", "waiting": queue, "alone": percentiles(
        [request() for _ in range(300)])}
    breathing = forecast_module.BREATHE_SECONDS
    try:
        for label, every in (("breathing", breathing), ("without", math.inf)):
            forecast_module.BREATHE_SECONDS = every
            stop = threading.Event()
            worker = threading.Thread(target=refresh_until, args=(site, stop))
            worker.start()
            found, end = [], time.monotonic() + seconds
            while time.monotonic() < end:
                found.append(request())
            stop.set()
            worker.join()
            figures[label] = {**percentiles(found), "requests": len(found)}
    finally:
        forecast_module.BREATHE_SECONDS = breathing
        clock.set_clock(None)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queue", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--booked", type=int, default=180,
                        help="booked appointments in the 3 hours after the refresh's moment (0: no variant)")
    parser.add_argument("--orders", default=",".join(ORDERS), help="the refresh figures' orders")
    parser.add_argument("--runs", type=int, default=int(site_config.load(env={}).policy["forecast_runs"]))
    parser.add_argument("--profiles", default="mid,large", help="'' to skip the accuracy days")
    parser.add_argument("--seeds", default="1..3")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--every", type=int, default=1, help="score every n-th ticket issued (faster days)")
    parser.add_argument("--skip-refresh", action="store_true")
    parser.add_argument("--convoy-queue", type=int, default=1000)
    args = parser.parse_args()
    books = [0, *([args.booked] if args.booked else [])]
    for order in args.orders.split(",") if not args.skip_refresh else ():
        for booked in books:
            _limits.emit(**refresh_cost(order, args.queue, args.repeat, args.runs, booked))
        for booked in books:
            _limits.emit(**staffing_cost(order, args.queue, args.repeat, args.runs, booked))
    if not args.skip_refresh:
        print(json.dumps(convoy(args.convoy_queue)), flush=True)
    first, last = (int(part) for part in args.seeds.split(".."))
    jobs = [(name, seed, args.runs, args.every) for name in filter(None, args.profiles.split(","))
            for seed in range(first, last + 1)]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for line in pool.map(one_day, jobs):
            print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
