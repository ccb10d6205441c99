"""What today's calls say about the ranges visitors were told: the replay's range widened where it proved
too narrow (split conformal prediction, on the site's own day).

The replay (core/forecast.py) spreads a ticket's range by the randomness it models (service times, booked
visitors coming or not, early or late); what it does not model — priority visitors and transfers still to
come, unplanned breaks, a service running long — makes real waits wander further. So each forecast is also
checked against what happened: the first range a ticket is given is remembered; when the ticket is called, its
error is kept, scaled to the wait told (`(real − p50) / max(5, p50)`). Once `MIN_ERRORS` tickets of a kind
(appointment, walk-in, pickup) have been called, a range of that kind becomes at least `p50 + q10(error) ×
scale … p50 + q90(error) × scale` over the last `WINDOW` errors: never narrower than the replay's own p10–p90,
wider when the day showed it should be. The p50 itself is left as the replay gives it.

Kept in memory by the process's `Forecasts` (core/forecasts.py): a restart starts the day's learning again.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import sqlite_utils

from core.forecast import Estimate, Forecast

MIN_ERRORS = 20  # called tickets of a kind before their errors widen that kind's ranges
WINDOW = 200  # the latest errors per kind (the afternoon is not the morning)
FLOOR_MINUTES = 5.0  # a wait's error is scaled by max(FLOOR_MINUTES, p50): "5 minutes or 25 %" alike
LOW, HIGH = 0.1, 0.9  # the shown range's quantiles


@dataclass(frozen=True)
class Told:
    kind: str
    expected_call: datetime  # the forecast's time + p50
    p50: int


def _quantile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class Calibration:
    """The told ranges of waiting tickets and the errors of called ones, per kind."""

    def __init__(self) -> None:
        self.told: dict[str, Told] = {}
        self.errors: dict[str, deque[float]] = {}
        self.seen_calls = ""  # the latest call time read (UTC ISO): the next read starts there
        self.day = ""

    def learn(self, db: sqlite_utils.Database, day: str) -> None:
        """Read the calls made since the last look (a new day starts with nothing learnt)."""
        if day != self.day:
            self.__init__()  # type: ignore[misc]
            self.day = day
        self.observe(db.execute(
            "SELECT id, called_at FROM tickets WHERE day = ? AND called_at IS NOT NULL AND called_at >= ?",
            [day, self.seen_calls]).fetchall())

    def observe(self, calls: list[tuple[str, str]]) -> None:
        """Calls (ticket id, UTC ISO time): each ticket told a range gives its error."""
        for ticket_id, called_at in calls:
            self.seen_calls = max(self.seen_calls, str(called_at))
            told = self.told.pop(str(ticket_id), None)
            if told is None:
                continue
            real = datetime.fromisoformat(str(called_at).replace("Z", "+00:00"))
            error = (real - told.expected_call).total_seconds() / 60 / max(FLOOR_MINUTES, told.p50)
            self.errors.setdefault(told.kind, deque(maxlen=WINDOW)).append(error)

    def remember(self, forecast: Forecast, kinds: dict[str, str]) -> None:
        """Each ticket's first range, as its visitor first read it (`kinds`: ticket id → kind)."""
        for ticket_id, estimate in forecast.tickets.items():
            if ticket_id not in self.told and ticket_id in kinds:
                expected = forecast.at + timedelta(minutes=estimate.p50)
                self.told[ticket_id] = Told(kinds[ticket_id], expected, estimate.p50)
        live = set(kinds)
        for gone in [key for key in self.told if key not in live]:  # cancelled, or the day changed
            del self.told[gone]

    def bounds(self, kind: str) -> tuple[float, float] | None:
        """The 10th and 90th percentile of this kind's errors; None until MIN_ERRORS were seen."""
        errors = self.errors.get(kind)
        if errors is None or len(errors) < MIN_ERRORS:
            return None
        ordered = sorted(errors)
        return _quantile(ordered, LOW), _quantile(ordered, HIGH)

    def widen(self, estimate: Estimate, kind: str) -> Estimate:
        """The range at least as wide as this kind's errors today say it should be."""
        return _widened(estimate, self.bounds(kind))

    def apply(self, forecast: Forecast, kinds: dict[str, str], service_kinds: dict[str, str]) -> Forecast:
        """The forecast with every range widened by its kind's errors; a ticket not yet issued (the kiosk's
        estimate per service) by the kind its service issues."""
        bounds = {kind: self.bounds(kind) for kind in {*kinds.values(), *service_kinds.values(), "walk_in"}}
        return replace(
            forecast,
            tickets={key: _widened(value, bounds[kinds.get(key, "walk_in")])
                     for key, value in forecast.tickets.items()},
            walk_in={code: _widened(value, bounds[service_kinds.get(code, "walk_in")])
                     for code, value in forecast.walk_in.items()},
            priority={code: _widened(value, bounds[service_kinds.get(code, "walk_in")])
                      for code, value in forecast.priority.items()},
        )


def _widened(estimate: Estimate, bounds: tuple[float, float] | None) -> Estimate:
    if bounds is None:
        return estimate
    scale = max(FLOOR_MINUTES, estimate.p50)
    low = max(0, int(estimate.p50 + bounds[0] * scale))
    high = round(estimate.p50 + bounds[1] * scale + 0.4999)
    return Estimate(min(estimate.p10, low), estimate.p50, max(estimate.p90, high))
