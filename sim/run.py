"""One simulated day, or the median of several seeds: the profile's counters on the site's services, a
fresh in-memory database, the chosen policy."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from core import config as site_config
from core.config import Counter, SiteConfig
from core.site import Site
from core.store import Store
from sim import kpis
from sim.engine import DayRecord, Simulation
from sim.profile import Profile
from sim.visitors import Visitor, plan_day


@dataclass(frozen=True)
class Day:
    seed: int
    policy: str
    visitors: list[Visitor]
    record: DayRecord
    kpis: dict[str, Any]


def site_config_for(base: SiteConfig, profile: Profile, policy: str) -> SiteConfig:
    """The site's services and settings, the profile's counters, `policy.order` set to `policy`."""
    counters = {plan.number: Counter(plan.number, plan.services,
                                     tuple((round(start), round(length)) for start, length in plan.breaks))
                for plan in profile.counters}
    config = replace(base, counters=counters, policy={**base.policy, "order": policy})
    site_config.validate(config)
    return config


def run_day(base: SiteConfig, profile: Profile, seed: int, policy: str) -> Day:
    config = site_config_for(base, profile, policy)
    visitors = plan_day(profile, seed)
    store = Store(":memory:")
    try:
        record = Simulation(Site(config, store), profile, visitors).run()
    finally:
        store.close()
    targets = {code: float(service.target_wait_minutes) for code, service in config.services.items()}
    figures = kpis.day_kpis(record, visitors, targets, profile.closes)
    return Day(seed, policy, visitors, record, {"profile": profile.name, "policy": policy, "seed": seed,
                                                "visitors": sum(v.comes for v in visitors), **figures})


def run_seeds(base: SiteConfig, profile: Profile, seeds: range, policy: str) -> dict[str, Any]:
    """The median of each figure over `seeds` (one day each)."""
    days = [run_day(base, profile, seed, policy).kpis for seed in seeds]
    merged = kpis.median_of(days)
    merged["seed"] = f"{seeds.start}..{seeds.stop - 1}"
    merged["seeds"] = len(days)
    return merged
