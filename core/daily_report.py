"""The daily report a site sends the central once a day is closed (docs/reports.md, "The daily report to
eConsulat"): counts and durations only, per service and kind, with no ticket, reference, name, language of a
visitor or agent in it.

It is computed from the day's rows whenever asked (sync/daily_reports.py asks), so a late correction (a
payment of the day voided or refunded after the close) gives a new content, sent as a new revision; the same
rows always give the same content, byte for byte once canonical (`canonical`), so its SHA-256 says whether
it changed. Devices are counted up to the close: what a screen does that evening changes nothing.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta
from typing import Any

import sqlite_utils

from core import day_summary
from core import report_queries as q
from core import report_series as s
from core.config import SiteConfig

SCHEMA, SCHEMA_VERSION = "dour.daily-report", 1
OUTCOMES = day_summary.OUTCOMES  # issued, served, no_show, cancelled, carried

DURATIONS = """
    SELECT service, kind,
           CASE WHEN called_at IS NOT NULL
                THEN MAX(0.0, (julianday(called_at) - julianday(arrived_at)) * 1440.0) END,
           CASE WHEN state = 'done' AND started_at IS NOT NULL AND finished_at IS NOT NULL
                THEN MAX(0.0, (julianday(finished_at) - julianday(started_at)) * 1440.0) END
    FROM tickets WHERE day = ?"""


def canonical(report: dict[str, Any]) -> bytes:
    """The report's canonical JSON: keys sorted, no blanks, UTF-8 (what its SHA-256 is taken of)."""
    return json.dumps(report, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def sha256(report: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(report)).hexdigest()


def spread(values: list[float], target: float | None = None) -> dict[str, Any]:
    """Minutes: count, nearest-rank median and 90th percentile, longest, mean; with a target, the share
    (0..1) of values no longer than it."""
    count = len(values)
    figures: dict[str, Any] = {**day_summary.wait_figures(values),
                               "mean": round(sum(values) / count, 1) if count else None}
    if target is not None:
        figures["within_target"] = round(sum(v <= target for v in values) / count, 3) if count else None
    return figures


class _Group:
    """One row of the report (a service and kind, a service, or the whole day) being added up."""

    def __init__(self) -> None:
        self.counts = dict.fromkeys(OUTCOMES, 0)
        self.waits: list[float] = []
        self.service_times: list[float] = []

    def figures(self, target: float | None) -> dict[str, Any]:
        return {**self.counts, "waits": spread(self.waits, target),
                "service_times": spread(self.service_times)}


def ticket_rows(db: sqlite_utils.Database, config: SiteConfig, day: str) -> dict[str, Any]:
    """Per (service, kind), per service and for the day: outcomes, waits before the (last) call against the
    service's target, and service times (start to finish of served tickets)."""
    groups: dict[tuple[str, str], _Group] = {}

    def add_to(service: str, kind: str) -> list[_Group]:
        return [groups.setdefault(key, _Group()) for key in ((service, kind), (service, ""), ("", ""))]

    for service, kinds in day_summary.ticket_counts(db, day)["by_service"].items():
        for kind, counts in kinds.items():
            for group in add_to(service, kind):
                for outcome in OUTCOMES:
                    group.counts[outcome] += int(counts[outcome])
    for service, kind, wait, served in db.execute(DURATIONS, [day]).fetchall():
        for group in add_to(service, kind):
            group.waits += [float(wait)] if wait is not None else []
            group.service_times += [float(served)] if served is not None else []

    def target(service: str) -> float | None:
        known = config.services.get(service)
        return float(known.target_wait_minutes) if known else None

    order = {code: index for index, code in enumerate(config.services)}
    keys = sorted((key for key in groups if key[0]), key=lambda key: (order.get(key[0], len(order)), key))

    def row(service: str, kind: str) -> dict[str, Any]:
        return {"service": service, **({"kind": kind} if kind else {"target_wait_minutes": target(service)}),
                **groups[(service, kind)].figures(target(service))}

    return {"by_service_kind": [row(*key) for key in keys if key[1]],
            "by_service": [row(*key) for key in keys if not key[1]],
            "all": (groups.get(("", "")) or _Group()).figures(None)}


def devices(db: sqlite_utils.Database, config: SiteConfig, day: str,
            closed_at: datetime) -> list[dict[str, Any]]:
    """Per device, up to the close (or the day's end): times it stopped working, minutes not working, the
    reasons' codes, tickets not printed."""
    end = min(closed_at, s.day_start(config, (date.fromisoformat(day) + timedelta(days=1)).isoformat()))
    events = [event for event in s.floor_events(db, config, q.Period(day, day)) if event["at"] <= end]
    return [{**row, "reasons": sorted(r for r in row["reasons"] if isinstance(r, str) and r)}
            for row in s.device_incidents(events, end)]


def build(db: sqlite_utils.Database, config: SiteConfig, day: str) -> dict[str, Any] | None:
    """The report of `day` as its rows stand now; None when the day is not closed (nothing is sent before).
    Call it inside one read transaction (`store.reading()`)."""
    row = db.execute("SELECT closed_at FROM day_summaries WHERE day = ?", [day]).fetchone()
    if row is None:
        return None
    closed_at = datetime.fromisoformat(str(row[0]).replace("Z", "+00:00"))
    period = q.Period(day, day)
    return {
        "schema": SCHEMA, "schema_version": SCHEMA_VERSION, "site": config.site_id, "day": day,
        "timezone": str(config.site["timezone"]), "closed_at": str(row[0]),
        "tickets": ticket_rows(db, config, day),
        "payments": {"fee_items": q.fee_items(db, period), "by_outcome": q.payment_states(db, period)},
        "devices": devices(db, config, day, closed_at),
    }
