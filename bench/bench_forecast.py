"""Waiting-time forecasts: the cost of one refresh, and how true the ranges come on simulated days.

JSON lines:
- `figure=refresh`: one refresh (read the queue from SQLite + `policy.forecast_runs` replays) of a queue of
  `--queue` waiting tickets (200 by default) over the large post's 40 counters, per order: median and best of
  `--repeat` refreshes, in ms (target: at most 50 ms);
- `figure=staffing`: on the same queue, after one refresh, the supervisors' staffing advice (core/staffing.py:
  the shares on target from that forecast, then a quarter of the runs again with one more counter for at most
  3 services): median and best of `--repeat` computations in ms, the services replayed and the advice;
- `figure=convoy`: what a refresh running in a thread does to the server's requests (a request here: 15
  SQLite statements, each followed by a GIL release as a socket write makes one), on a queue of
  `--convoy-queue` (1,000) waiting: the requests' p50/p99 in ms alone, while refreshes run back to back with
  the replay handing the GIL over every `BREATHE_EVERY` steps (core/offload.py `breathe`), and without;
- `figure=accuracy`: per profile and seed (`--profiles mid,large --seeds 1..3`), the share of visitors
  called within the range they were shown (p10–p90), between p50 and p90, by p90, and within
  ±max(5 min, 25 %) of the p50 (sim/accuracy.py), overall and per kind. A large day takes a few minutes: each
  ticket's issue recomputes the forecast, as the server's refresher would.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import _limits  # bench/, this script's folder: the ratios to this machine's limits

from core import clock
from core import config as site_config
from core.policy import ORDERS
from core.site import Site
from core.store import Store
from sim import profile
from sim.accuracy import accuracy_day
from sim.run import site_config_for

MOMENT = datetime(2025, 6, 10, 9, 30, tzinfo=UTC)


def busy_site(order: str, queue: int) -> Site:
    """The large post at 11:30 local time: 40 counters open, 30 of them serving, `queue` tickets waiting."""
    config = site_config_for(site_config.load(env={}), profile.load("large"), order)
    site = Site(config, Store(":memory:"))
    rng = random.Random(1)
    moment = [MOMENT]
    clock.set_clock(lambda: moment[0])
    try:
        agents = {}
        for number in config.counters:
            with site.store.write() as db:
                cursor = db.execute("INSERT INTO users (username, display_name, role, password_hash,"
                                    " created_at) VALUES (?, ?, 'agent', '!', ?)",
                                    [f"a{number}", "A", clock.utc_iso()])
            agents[number] = {"id": int(cursor.lastrowid or 0), "role": "agent"}
            site.open_counter(number, agents[number])
        services = [s for s in config.services.values() if "walk_in" in s.kinds]
        for _ in range(queue + 30):
            moment[0] += timedelta(seconds=rng.randint(5, 40))
            site.issue_ticket(service=rng.choice(services).code, kind="walk_in", lang="fr", actor="bench",
                              priority=rng.random() < 0.08)
        for number in rng.sample(sorted(config.counters), 30):
            site.call_next(number, agents[number])
    finally:
        clock.set_clock(None)
    return site


def refresh_cost(order: str, queue: int, repeat: int, runs: int) -> dict[str, Any]:
    site = busy_site(order, queue)
    site.forecasts.runs = runs
    clock.set_clock(lambda: MOMENT + timedelta(hours=2))
    try:
        waiting = sum(site.waiting_counts().values())
        timings = []
        for _ in range(repeat):
            started = time.perf_counter()
            site.forecasts.refresh()
            timings.append((time.perf_counter() - started) * 1000)
    finally:
        clock.set_clock(None)
    return {"figure": "refresh", "order": order, "waiting": waiting, "counters": len(site.config.counters),
            "runs": runs, "median_ms": round(statistics.median(timings), 1),
            "best_ms": round(min(timings), 1)}


def staffing_cost(order: str, queue: int, repeat: int, runs: int) -> dict[str, Any]:
    site = busy_site(order, queue)
    site.forecasts.runs = runs
    clock.set_clock(lambda: MOMENT + timedelta(hours=2))
    try:
        site.forecasts.refresh()
        waiting = sum(site.waiting_counts().values())
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
    return {"figure": "staffing", "order": order, "waiting": waiting,
            "counters": len(site.config.counters), "runs": max(1, runs // 4), "replays": staffing.replays,
            "median_ms": round(statistics.median(timings), 1), "best_ms": round(min(timings), 1),
            "advice": advice}


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
    clock.set_clock(lambda: MOMENT + timedelta(hours=2))
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
    breathing = forecast_module.BREATHE_EVERY
    try:
        for label, every in (("breathing", breathing), ("without", 10**9)):
            forecast_module.BREATHE_EVERY = every
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
        forecast_module.BREATHE_EVERY = breathing
        clock.set_clock(None)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queue", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--runs", type=int, default=int(site_config.load(env={}).policy["forecast_runs"]))
    parser.add_argument("--profiles", default="mid,large", help="'' to skip the accuracy days")
    parser.add_argument("--seeds", default="1..3")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--every", type=int, default=1, help="score every n-th ticket issued (faster days)")
    parser.add_argument("--skip-refresh", action="store_true")
    parser.add_argument("--convoy-queue", type=int, default=1000)
    args = parser.parse_args()
    for order in ORDERS if not args.skip_refresh else ():
        _limits.emit(**refresh_cost(order, args.queue, args.repeat, args.runs))
        _limits.emit(**staffing_cost(order, args.queue, args.repeat, args.runs))
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
