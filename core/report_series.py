"""The reports' figures over the hours of the day (docs/reports.md): people waiting each quarter hour,
arrivals per hour against the counters' capacity (counters open × 60 / mean service time), the spread of
waits, and device incidents. Local hours of the site's time zone; several days are averaged over the days
with tickets.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlite_utils

from core.config import SiteConfig
from core.report_queries import Period, values_cte

SLOTS = 96  # quarter hours in a day
ONE_DAY = timedelta(days=1)
BUCKET_MINUTES, BUCKETS = 5, 13  # the wait histogram: 0–5, 5–10, … 55–60, 60 and more
# The journal's rare events the reports read, found through the partial index `journal_floor_events`
# (core/migrations.py): the query must repeat this condition word for word for SQLite to use it.
FLOOR_EVENTS = "type IN ('counter.opened', 'counter.closed', 'device.health', 'ticket.print_failed')"


def _julian(moment: datetime) -> float:
    return moment.timestamp() / 86400 + 2440587.5


def day_start(config: SiteConfig, day: str) -> datetime:
    """Local midnight of `day` as the clock on the wall reads it at noon (a DST change at night moves no
    opening hour)."""
    noon = datetime.combine(date.fromisoformat(day), time(12), tzinfo=config.tz)
    return noon.astimezone(UTC) - timedelta(hours=12)


QUEUE_MOVES = """
    WITH starts(day, start) AS ({starts})
    SELECT t.day, 1, CAST((julianday(t.arrived_at) - s.start) * 96 AS INTEGER) AS slot, COUNT(*)
    FROM tickets t JOIN starts s ON s.day = t.day WHERE {where} GROUP BY t.day, slot
    UNION ALL
    SELECT t.day, -1,
           CAST((julianday(COALESCE(t.called_at, t.finished_at)) - s.start) * 96 AS INTEGER) AS slot, COUNT(*)
    FROM tickets t JOIN starts s ON s.day = t.day
    WHERE {where} AND COALESCE(t.called_at, t.finished_at) IS NOT NULL GROUP BY t.day, slot"""


def queue_moves(db: sqlite_utils.Database, config: SiteConfig, period: Period) -> dict[str, list[int]]:
    """Per day with tickets: arrivals (+) and departures from the queue (−, its last call) by quarter hour."""
    starts, start_params = values_cte([(day, _julian(day_start(config, day))) for day in period.days])
    where, params = period.where()
    moves: dict[str, list[int]] = defaultdict(lambda: [0] * SLOTS * 2)
    for day, sign, slot, count in db.execute(
        QUEUE_MOVES.format(starts=starts, where=where), [*start_params, *params, *params]
    ):
        moves[day][(0 if sign > 0 else SLOTS) + min(SLOTS - 1, max(0, int(slot)))] += count
    return dict(moves)


def waiting_series(moves: dict[str, list[int]]) -> dict[str, list[float]]:
    """People waiting at the end of each quarter hour: mean and highest over the days with tickets."""
    days = []
    for day_moves in moves.values():
        waiting, level = [], 0
        for slot in range(SLOTS):
            level += day_moves[slot] - day_moves[SLOTS + slot]
            waiting.append(level)
        days.append(waiting)
    count = max(1, len(days))
    return {
        "mean": [round(sum(day[s] for day in days) / count, 1) for s in range(SLOTS)],
        "max": [float(max((day[s] for day in days), default=0)) for s in range(SLOTS)],
    }


def arrivals_per_hour(moves: dict[str, list[int]]) -> list[float]:
    count = max(1, len(moves))
    return [
        round(sum(day[h * 4 + q] for day in moves.values() for q in range(4)) / count, 1) for h in range(24)
    ]


def floor_events(db: sqlite_utils.Database, config: SiteConfig, period: Period) -> list[dict[str, Any]]:
    """The period's counter openings and closings, device health changes and print failures, in order."""
    start = day_start(config, period.first)
    end = day_start(config, (date.fromisoformat(period.last) + timedelta(days=1)).isoformat())
    rows = db.execute(
        f"SELECT at, type, data FROM journal WHERE {FLOOR_EVENTS} AND at >= ? AND at < ? ORDER BY seq",
        [_iso(start), _iso(end)],
    )
    return [{"at": _parse(at), "type": type_, **json.loads(data)} for at, type_, data in rows]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _spread_minutes(config: SiteConfig, start: datetime, end: datetime, into: list[float]) -> None:
    """Add the minutes of [start, end) to the local hours they fall in."""
    moment = start
    while moment < end:
        local = moment.astimezone(config.tz)
        hour_end = (local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)).astimezone(UTC)
        step_end = min(end, hour_end)
        into[local.hour] += (step_end - moment).total_seconds() / 60
        moment = step_end


def open_counter_minutes(
    config: SiteConfig, period: Period, events: list[dict[str, Any]], moment: datetime
) -> list[float]:
    """Minutes counters were open per local hour, summed over the period (counters that take the period's
    service only, when it has one). A counter left open ends with its day, or now."""
    counters = {n for n, c in config.counters.items() if not period.service or period.service in c.services}
    minutes = [0.0] * 24
    opened: dict[int, datetime] = {}
    for event in events:
        counter = event.get("counter")
        if event["type"] not in ("counter.opened", "counter.closed") or counter not in counters:
            continue
        if event["type"] == "counter.opened":
            opened.setdefault(counter, event["at"])
        elif counter in opened:
            _spread_minutes(config, opened.pop(counter), event["at"], minutes)
    for since in opened.values():
        day_end = day_start(config, (since.astimezone(config.tz).date() + timedelta(days=1)).isoformat())
        _spread_minutes(config, since, max(since, min(day_end, moment)), minutes)
    return minutes


def capacity_per_hour(open_minutes: list[float], open_days: int, mean_service: float | None) -> list[float]:
    """Visitors the open counters could serve in each hour: counters open × 60 / mean service minutes."""
    if not mean_service:
        return [0.0] * 24
    return [round(minutes / max(1, open_days) / mean_service, 1) for minutes in open_minutes]


WAIT_BUCKETS = """
    SELECT MIN(CAST(MAX(0.0, (julianday(t.called_at) - julianday(t.arrived_at)) * 1440.0) / {width}
                    AS INTEGER), {last}), COUNT(*)
    FROM tickets t WHERE {where} AND t.called_at IS NOT NULL GROUP BY 1"""


def wait_histogram(db: sqlite_utils.Database, period: Period) -> list[int]:
    """Calls per wait bucket of 5 minutes, the last one for an hour and more."""
    where, params = period.where()
    counts = [0] * BUCKETS
    for bucket, count in db.execute(
        WAIT_BUCKETS.format(width=BUCKET_MINUTES, last=BUCKETS - 1, where=where), params
    ):
        counts[int(bucket)] = count
    return counts


def device_incidents(events: list[dict[str, Any]], end: datetime) -> list[dict[str, Any]]:
    """Per device: times it went from working to not (or was not working at the start), minutes not
    working until `end`, the reasons given; and tickets a printer did not print."""
    devices: dict[str, dict[str, Any]] = {}
    down: dict[str, datetime] = {}

    def entry(name: str) -> dict[str, Any]:
        return devices.setdefault(
            name, {"device": name, "incidents": 0, "minutes": 0.0, "reasons": [], "print_failures": 0}
        )

    for event in events:
        if event["type"] == "ticket.print_failed":
            entry(str(event.get("printer")))["print_failures"] += 1
        elif event["type"] == "device.health":
            device, row = str(event.get("device")), entry(str(event.get("device")))
            if event.get("state") != "ok" and device not in down:
                down[device] = event["at"]
                row["incidents"] += 1
            if event.get("state") != "ok" and event.get("reason") not in row["reasons"]:
                row["reasons"].append(event.get("reason"))
            if event.get("state") == "ok" and device in down:
                row["minutes"] += (event["at"] - down.pop(device)).total_seconds() / 60
    for device, since in down.items():
        devices[device]["minutes"] += max(0.0, (end - since).total_seconds() / 60)
    for row in devices.values():
        row["minutes"] = round(row["minutes"], 1)
    return sorted(devices.values(), key=lambda row: row["device"])
