"""`dour simulate`: parse-free glue between the command line (core/cli.py) and the simulator."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from core.config import SiteConfig
from core.policy import ORDERS
from sim import profile as profiles
from sim import report
from sim.run import run_day, run_seeds


def simulate(config: SiteConfig, args: argparse.Namespace) -> int:
    policies = [name.strip() for name in str(args.policy).split(",") if name.strip()]
    unknown = [name for name in policies if name not in ORDERS]
    if unknown or args.seeds < 1:
        raise SystemExit(f"unknown policy {', '.join(unknown)}: choose among {', '.join(ORDERS)}"
                         if unknown else "--seeds must be 1 or more")
    try:
        profile = profiles.load(args.profile)
    except (OSError, KeyError, ValueError) as error:
        raise SystemExit(f"cannot load the profile {args.profile}: {error}") from None
    results = []
    for policy in policies:
        day = run_day(config, profile, args.seed, policy)
        if args.plots:
            report.write_plots(day.record, Path(args.plots), f"{profile.name}-{policy}-{args.seed}")
        seeds = range(args.seed, args.seed + args.seeds)
        results.append(day.kpis if args.seeds == 1 else run_seeds(config, profile, seeds, policy))
    print(json.dumps(results if len(results) > 1 else results[0], indent=2) if args.json
          else report.table(results), end="\n" if args.json else "")
    return 0
