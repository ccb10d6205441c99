"""How true the waiting-time ranges come: a simulated day where each visitor is told a range when they get
their ticket, then the day runs on and we see when they were really called.

At each issue (walk-in, pickup, appointment check-in) the forecast is refreshed from the site's database
exactly as the server's refresher does (core/forecasts.py: read the queue, replay it `runs` times, widen
the ranges by the day's errors so far), before any counter calls the new ticket. Its wait is the minutes
from the issue to the call; a transfer's second wait is not scored (no range is shown for it).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from core.config import SiteConfig
from core.forecast import Estimate
from core.site import Site
from core.store import Store
from core.tickets import Ticket
from sim.engine import Simulation
from sim.profile import Profile
from sim.run import site_config_for
from sim.visitors import Visitor, plan_day


@dataclass(frozen=True)
class Told:
    ticket_id: str
    kind: str
    estimate: Estimate | None
    issued: float


class ToldSimulation(Simulation):
    """The simulated day, with the range each new ticket is given."""

    def __init__(self, site: Site, profile: Profile, visitors: list[Visitor], runs: int,
                 every: int = 1) -> None:
        super().__init__(site, profile, visitors)
        site.forecasts.runs = runs
        self.every = max(1, every)
        self.issued = 0
        self.told: list[Told] = []

    def _queue_leg(self, ticket: Ticket) -> None:
        if not ticket.transfers:
            self.issued += 1
        if not ticket.transfers and self.issued % self.every == 0:
            found = self.site.forecasts.refresh().tickets.get(ticket.id)
            self.told.append(Told(ticket.id, ticket.kind, found, self.now))
        super()._queue_leg(ticket)


def score(told: list[Told], called: dict[str, float]) -> dict[str, Any]:
    """Shares of visitors called within [p10, p90], within [p50, p90], by p90, and within ±max(5 min, 25 %)
    of the p50; the real wait rounded to the minute as the range is."""
    rows = [(t.estimate, round(called[t.ticket_id] - t.issued)) for t in told
            if t.estimate is not None and t.ticket_id in called]

    def share(test: Any) -> float:
        return round(100.0 * sum(1 for e, real in rows if test(e, real)) / len(rows), 1) if rows else 0.0

    return {
        "scored": len(rows), "no_estimate": sum(1 for t in told if t.estimate is None),
        "within_p10_p90": share(lambda e, real: e.p10 <= real <= e.p90),
        "within_p50_p90": share(lambda e, real: e.p50 <= real <= e.p90),
        "by_p90": share(lambda e, real: real <= e.p90),
        "before_p10": share(lambda e, real: real < e.p10),
        "near_p50": share(lambda e, real: abs(real - e.p50) <= max(5.0, 0.25 * e.p50)),
        "mean_width_min": round(statistics.fmean(e.p90 - e.p10 for e, _real in rows), 1) if rows else 0.0,
        "median_error_min": statistics.median(real - e.p50 for e, real in rows) if rows else 0.0,
    }


def accuracy_day(base: SiteConfig, profile: Profile, seed: int, policy: str = "current",
                 runs: int = 40, every: int = 1) -> dict[str, Any]:
    """One seeded day of `profile`: the scores overall and per kind of visitor, of every `every`-th ticket
    issued (the others are not told a range: the day runs the same, faster)."""
    config = site_config_for(base, profile, policy)
    store = Store(":memory:")
    try:
        simulation = ToldSimulation(Site(config, store), profile, plan_day(profile, seed), runs, every)
        record = simulation.run()
    finally:
        store.close()
    first_call: dict[str, float] = {}
    for leg in record.legs:
        if leg.called is not None:
            first_call.setdefault(leg.ticket_id, leg.called)
    result: dict[str, Any] = {"profile": profile.name, "policy": policy, "seed": seed, "runs": runs,
                              "every": every,
                              **score(simulation.told, first_call)}
    for kind in ("appointment", "walk_in", "pickup"):
        result[kind] = score([t for t in simulation.told if t.kind == kind], first_call)
    return result
