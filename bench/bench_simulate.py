"""The queue simulator: its speed, and the policies compared on the same seeded days.

JSON lines:
- `figure=speed`: one day per shipped profile (seed 1, policy current): wall seconds and simulated visitors
  per second (a large-post day should take at most 5 s);
- `figure=kpis`: per profile and policy, the median over `--seeds` days (20 by default) of every KPI, as
  `dour simulate --seeds 20 --json` computes it (docs/queue-policy.md quotes these).
Days run in parallel processes (`--jobs`, default: the CPU count); each day is one process's own work.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from core import config as site_config
from core.policy import ORDERS
from sim import kpis, profile
from sim.run import run_day

PROFILES = profile.SHIPPED


def one_day(job: tuple[str, int, str]) -> dict[str, Any]:
    name, seed, policy = job
    return run_day(site_config.load(env={}), profile.load(name), seed, policy).kpis


def speed(name: str) -> dict[str, Any]:
    started = time.perf_counter()
    figures = one_day((name, 1, "current"))
    seconds = time.perf_counter() - started
    return {"figure": "speed", "profile": name, "visitors": figures["visitors"], "seconds": round(seconds, 2),
            "visitors_per_second": round(figures["visitors"] / seconds)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--profiles", default=",".join(PROFILES))
    args = parser.parse_args()
    names = args.profiles.split(",")
    for name in names:
        print(json.dumps(speed(name)), flush=True)
    jobs = [(name, seed, policy) for name in names for policy in ORDERS for seed in range(1, args.seeds + 1)]
    with ProcessPoolExecutor(args.jobs) as pool:
        days = list(pool.map(one_day, jobs))
    for name in names:
        for policy in ORDERS:
            mine = [d for d in days if d["profile"] == name and d["policy"] == policy]
            merged = kpis.median_of(mine)
            print(json.dumps({"figure": "kpis", "seeds": len(mine), **merged, "seed": f"1..{args.seeds}"}),
                  flush=True)


if __name__ == "__main__":
    main()
