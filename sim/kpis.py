"""What a simulated day achieved, per kind of visitor and per service, from the legs the site recorded.

A leg is one wait: from the ticket's issue (or its transfer) to its call. An appointment's wait counts from
its slot when the visitor came early (being called before the slot is on time), from the check-in when late.
Kind targets are the issue's: appointments called within 10 minutes of their slot, walk-ins within 30,
pickups within 10. Per-kind figures use each visitor's first wait; per-service figures and the longest wait
use every leg (a transferred visitor waits twice).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from typing import Any

from sim.engine import DayRecord, Leg
from sim.visitors import Visitor

KIND_TARGETS = {"appointment": 10.0, "walk_in": 30.0, "pickup": 10.0}
KINDS = ("appointment", "walk_in", "pickup", "priority")


def waited(leg: Leg) -> float:
    assert leg.called is not None
    return max(0.0, leg.called - leg.since)


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 1))
    return ordered[int(rank) - 1]


def summary(waits: Sequence[float], target: float) -> dict[str, float]:
    """Count, share within `target` minutes (1.0 when nobody came), median, 90th percentile, longest."""
    within = sum(1 for w in waits if w <= target) / len(waits) if waits else 1.0
    return {"n": len(waits), "within_target": round(within, 4), "target_minutes": target,
            "p50": round(percentile(waits, 0.5), 2), "p90": round(percentile(waits, 0.9), 2),
            "max": round(max(waits, default=0.0), 2)}


def first_legs(record: DayRecord) -> list[Leg]:
    seen: set[str] = set()
    firsts = []
    for leg in record.legs:
        if leg.ticket_id not in seen:
            seen.add(leg.ticket_id)
            firsts.append(leg)
    return firsts


def kind_of(leg: Leg) -> str:
    return "priority" if leg.priority else leg.kind


def by_kind(record: DayRecord) -> dict[str, dict[str, float]]:
    """Priority visitors (walk-ins and pickups with legal priority) are their own row, against their kind's
    target: the figure that matters for them is their longest wait."""
    called = [leg for leg in first_legs(record) if leg.called is not None]
    rows = {}
    for kind in KINDS:
        legs = [leg for leg in called if kind_of(leg) == kind]
        target = KIND_TARGETS["walk_in"] if kind == "priority" else KIND_TARGETS[kind]
        rows[kind] = summary([waited(leg) for leg in legs], target)
    return rows


def by_service(record: DayRecord, targets: dict[str, float]) -> dict[str, dict[str, float]]:
    rows = {}
    for service in sorted({leg.service for leg in record.legs}):
        legs = [leg for leg in record.legs if leg.service == service and leg.called is not None]
        rows[service] = summary([waited(leg) for leg in legs], targets.get(service, 30.0))
    return rows


def utilisation(record: DayRecord) -> dict[str, float]:
    """Busy minutes over open minutes (the day from opening to the last visitor, less breaks)."""
    shares = {}
    for desk in record.desks:
        breaks = sum(max(0.0, min(end, record.ends) - start) for start, end in desk.breaks)
        open_minutes = record.ends - record.opens - breaks
        share = desk.busy_minutes / open_minutes if open_minutes > 0 else 0.0
        shares[str(desk.plan.number)] = round(share, 4)
    return shares


def offered_load(record: DayRecord, visitors: Iterable[Visitor], closes: float) -> float:
    """Service minutes asked for by the day's visitors over counter minutes offered in opening hours: above
    about 0.9 the day's capacity does not allow every target."""
    demand = sum(v.service_minutes + v.transfer_minutes for v in visitors if v.comes)
    offered = 0.0
    for desk in record.desks:
        breaks = sum(max(0.0, min(end, closes) - start) for start, end in desk.breaks if start < closes)
        offered += closes - record.opens - breaks
    return round(demand / offered, 3) if offered else 0.0


def clock_time(minutes: float) -> str:
    return f"{int(minutes // 60):02d}:{int(minutes % 60):02d}"


def day_kpis(record: DayRecord, visitors: list[Visitor], targets: dict[str, float],
             closes: float) -> dict[str, Any]:
    called = [leg for leg in record.legs if leg.called is not None]
    shares = utilisation(record)
    kinds = by_kind(record)
    return {
        "tickets": len(first_legs(record)),
        "legs": len(record.legs),
        "uncalled": len(record.legs) - len(called),
        "late_appointments_as_walk_ins": record.refused_late,
        "offered_load": offered_load(record, visitors, closes),
        "last_call": clock_time(max((leg.called or 0.0 for leg in called), default=record.opens)),
        "longest_wait": round(max((waited(leg) for leg in called), default=0.0), 2),
        "priority_max_wait": kinds["priority"]["max"],
        "utilisation": round(statistics.fmean(shares.values()), 4) if shares else 0.0,
        "kinds": kinds,
        "services": by_service(record, targets),
        "counters": shares,
    }


def median_of(days: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The median of every number across days of the same shape (text: the first day's)."""
    merged: dict[str, Any] = {}
    for key, first in days[0].items():
        values = [day[key] for day in days if key in day]
        if isinstance(first, dict):
            merged[key] = median_of(values)
        elif isinstance(first, bool) or not isinstance(first, int | float):
            merged[key] = first
        else:
            merged[key] = round(statistics.median(values), 4)
    return merged


def waiting_series(record: DayRecord, step: float = 5.0) -> list[tuple[float, int]]:
    """How many tickets waited, every `step` minutes from opening to the end of the day."""
    changes = sorted([(leg.queued, 1) for leg in record.legs]
                     + [(leg.called, -1) for leg in record.legs if leg.called is not None])
    series, count, index, moment = [], 0, 0, record.opens
    while moment <= record.ends + step:
        while index < len(changes) and changes[index][0] <= moment:
            count += changes[index][1]
            index += 1
        series.append((moment, count))
        moment += step
    return series
