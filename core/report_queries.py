"""Supervisors' reports over a range of days (docs/reports.md): tickets per service and kind, waits before the
call and service times (p50, p90, max, share within target) overall, per service, day, counter and agent,
payments by fee item and by state. Figures only: agents by their display name, never a visitor.

Counting and grouping run in SQLite on a read connection; the percentiles (nearest rank, as
core/day_summary.py) are taken in Python over each group's sorted values, four times cheaper than SQLite's
window functions. Reports are computed in a process of their own (core/report_process.py). Purged days have
no rows left: their kept summaries (`day_summaries`) are merged in, for the figures a summary holds.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlite_utils

from core.config import SiteConfig
from core.errors import N_, InvalidInput

MAX_DAYS = 92  # a quarter at most: a month of a large post is 45,000 tickets
COUNTS = ("issued", "served", "no_show", "cancelled", "carried", "open")


@dataclass(frozen=True)
class Period:
    first: str
    last: str
    service: str | None = None

    @property
    def days(self) -> list[str]:
        start, end = date.fromisoformat(self.first), date.fromisoformat(self.last)
        return [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]

    def where(self, table: str = "t") -> tuple[str, list[Any]]:
        """The SQL condition (and its parameters) of the period's tickets or payments (`table` alias)."""
        sql, params = f"{table}.day BETWEEN ? AND ?", [self.first, self.last]
        if self.service:
            sql, params = f"{sql} AND {table}.service = ?", [*params, self.service]
        return sql, params


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(N_("A day is written YYYY-MM-DD.")) from None


def check_period(
    config: SiteConfig, first: str | None, last: str | None, service: str | None, today: str
) -> Period:
    """The period asked for (today when no day is given; one day when only one is), or InvalidInput."""
    start = _day(first or last or today)
    end = _day(last or first or today)
    if start > end:
        raise InvalidInput(N_("The first day of the report comes after its last day: swap them."))
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidInput(
            N_("A report covers at most %(days)s days: choose a shorter range."), days=MAX_DAYS
        )
    if service:
        config.service(service)
    return Period(start.isoformat(), end.isoformat(), service or None)


def week_of(day: str) -> tuple[str, str]:
    start = date.fromisoformat(day) - timedelta(days=date.fromisoformat(day).weekday())
    return start.isoformat(), (start + timedelta(days=6)).isoformat()


def month_of(day: str) -> tuple[str, str]:
    start = date.fromisoformat(day).replace(day=1)
    following = (start + timedelta(days=32)).replace(day=1)
    return start.isoformat(), (following - timedelta(days=1)).isoformat()


# --- tickets ----------------------------------------------------------------------------------------------
TICKET_COUNTS = """
    SELECT t.service, t.kind, COUNT(*), SUM(t.state = 'done'), SUM(t.state = 'no_show'),
           SUM(t.state = 'cancelled'), SUM(t.state IN ('waiting', 'called', 'serving'))
    FROM tickets t WHERE {where} GROUP BY t.service, t.kind"""
CARRIED = """
    SELECT t.service, t.kind, COUNT(*) FROM carried_tickets t
    WHERE t.from_day BETWEEN ? AND ? {service} GROUP BY t.service, t.kind"""


def blank_counts() -> dict[str, int]:
    return dict.fromkeys(COUNTS, 0)


def ticket_counts(db: sqlite_utils.Database, period: Period) -> dict[tuple[str, str], dict[str, int]]:
    """Per (service, kind): issued, served, no-shows, cancelled, carried to the next day, still open."""
    where, params = period.where()
    rows: dict[tuple[str, str], dict[str, int]] = {}
    for service, kind, *figures in db.execute(TICKET_COUNTS.format(where=where), params).fetchall():
        rows[(service, kind)] = dict(
            zip(
                ("issued", "served", "no_show", "cancelled", "carried", "open"),
                (figures[0], figures[1], figures[2], figures[3], 0, figures[4]),
                strict=True,
            )
        )
    service_sql = "AND t.service = ?" if period.service else ""
    carried_params = [period.first, period.last, *([period.service] if period.service else [])]
    for service, kind, count in db.execute(CARRIED.format(service=service_sql), carried_params).fetchall():
        row = rows.setdefault((service, kind), blank_counts())
        row["carried"] += count
        row["cancelled"] -= count
    return rows


# One row per ticket of the period: its wait before the (last) call and, once served, its counter time.
SPREAD_ROWS = """
    SELECT t.day, t.service, t.counter, t.agent_id,
           MAX(0.0, (julianday(t.called_at) - julianday(t.arrived_at)) * 1440.0),
           CASE WHEN t.state = 'done' AND t.started_at IS NOT NULL AND t.finished_at IS NOT NULL
                THEN MAX(0.0, (julianday(t.finished_at) - julianday(t.started_at)) * 1440.0)
           END
    FROM tickets t WHERE {where}"""
DIMENSIONS = ("all", "service", "day", "counter", "agent")
Group = tuple[str, str, Any]  # (metric, dimension, key)


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 1)


def spread_of(values: list[float], within: int | None, metric: str) -> dict[str, Any]:
    """Count, nearest-rank p50 (rank ceil(0.5 n)) and p90 (rank ceil(0.9 n)), max and mean of `values`,
    sorted in place; `within`: how many were within their service's target (None: no target)."""
    values.sort()
    count = len(values)
    return {
        "count": count,
        "p50": _round(values[(count + 1) // 2 - 1]),
        "p90": _round(values[(9 * count + 9) // 10 - 1]),
        "max": _round(values[-1]),
        "mean": _round(sum(values) / count),
        "within_target": round(within / count, 3) if metric == "wait" and within is not None else None,
    }


def _gather(rows: Iterator[tuple[Any, ...]], targets: Mapping[str, float]) -> tuple[
    dict[Group, list[float]], dict[Group, int | None]
]:
    """Each wait and counter time under each dimension's key, and the waits within target per key."""
    values: dict[Group, list[float]] = {}
    within: dict[Group, int | None] = {}
    for day, service, counter, agent, wait, served in rows:
        keys = ("", service, day, counter, agent)
        target = targets.get(service)
        for metric, value in (("wait", wait), ("service", served)):
            if value is None:
                continue
            ok = None if metric == "service" or target is None else int(value <= target)
            for dim, key in zip(DIMENSIONS, keys, strict=True):
                if key is None:
                    continue
                group = (metric, dim, key)
                values.setdefault(group, []).append(value)
                if ok is not None:
                    within[group] = (within.get(group) or 0) + ok
    return values, within


def spreads(
    db: sqlite_utils.Database, config: SiteConfig, period: Period
) -> dict[str, dict[str, dict[Any, dict[str, Any]]]]:
    """`{metric: {dim: {key: {count, p50, p90, max, mean, within_target}}}}`, in minutes; metric `wait`
    (arrival to the last call) or `service` (start to finish of a served ticket); `within_target` is the
    share (0..1) of waits no longer than the service's target.

    SQLite reads the rows; the percentiles are taken in Python over sorted lists. SQLite's window functions
    ranking the ~430,000 points of a large post's month made its report 2.3 s of CPU; this way it is 0.6 s,
    figure for figure the same. Reports run in a process of their own (core/report_process.py), so this
    holds no server's GIL. A ticket of a service no longer configured has no target: its wait counts in no
    share within target."""
    targets = {s.code: s.target_wait_minutes for s in config.services.values()}
    where, params = period.where()
    values, within = _gather(db.execute(SPREAD_ROWS.format(where=where), params), targets)
    found: dict[str, dict[str, dict[Any, dict[str, Any]]]] = {"wait": {}, "service": {}}
    for group in sorted(values):
        metric, dim, key = group
        found[metric].setdefault(dim, {})[key] = spread_of(values[group], within.get(group), metric)
    return found


def values_cte(rows: list[tuple[Any, ...]]) -> tuple[str, list[Any]]:
    """A VALUES list for a CTE (never empty: SQLite has no empty VALUES)."""
    rows = rows or [(None,) * 2]
    width = len(rows[0])
    sql = "VALUES " + ", ".join("(" + ", ".join("?" * width) + ")" for _ in rows)
    return sql, [value for row in rows for value in row]


STAFF_COUNTS = """
    SELECT 'counter', t.counter, SUM(t.state = 'done'), SUM(t.state = 'no_show'), SUM(t.recalls),
           SUM(t.transfers)
    FROM tickets t WHERE {where} AND t.counter IS NOT NULL GROUP BY t.counter
    UNION ALL
    SELECT 'agent', t.agent_id, SUM(t.state = 'done'), SUM(t.state = 'no_show'), SUM(t.recalls),
           SUM(t.transfers)
    FROM tickets t WHERE {where} AND t.agent_id IS NOT NULL GROUP BY t.agent_id"""


def staff_counts(db: sqlite_utils.Database, period: Period) -> dict[str, dict[int, dict[str, int]]]:
    """Per counter and per agent (user id): served, no-shows, recalls, transfers."""
    where, params = period.where()
    found: dict[str, dict[int, dict[str, int]]] = {"counter": {}, "agent": {}}
    for dim, key, served, no_show, recalls, transfers in db.execute(
        STAFF_COUNTS.format(where=where), params + params
    ):
        found[dim][int(key)] = {
            "served": served,
            "no_show": no_show,
            "recalls": recalls,
            "transfers": transfers,
        }
    return found


def agent_names(db: sqlite_utils.Database) -> dict[int, str]:
    return {int(row[0]): str(row[1]) for row in db.execute("SELECT id, display_name FROM users")}


DAY_COUNTS = """
    SELECT t.day, COUNT(*), SUM(t.state = 'done'), SUM(t.state = 'no_show') FROM tickets t
    WHERE {where} GROUP BY t.day"""


def day_counts(db: sqlite_utils.Database, period: Period) -> dict[str, dict[str, int]]:
    where, params = period.where()
    return {
        day: {"issued": issued, "served": served, "no_show": no_show}
        for day, issued, served, no_show in db.execute(DAY_COUNTS.format(where=where), params)
    }


# --- payments ---------------------------------------------------------------------------------------------
PAYMENT_STATES = """
    SELECT t.operation, t.state, t.currency, COUNT(*), SUM(t.amount_minor) FROM payments t
    WHERE {where} GROUP BY t.operation, t.state, t.currency"""
FEE_ITEMS = """
    SELECT json_extract(i.value, '$.code'), t.state, t.currency, COUNT(*),
           SUM(json_extract(i.value, '$.amount_minor'))
    FROM payments t, json_each(t.items) i
    WHERE {where} AND t.operation = 'payment' AND t.state IN ('approved', 'voided', 'refunded')
    GROUP BY 1, 2, 3"""


def payment_states(db: sqlite_utils.Database, period: Period) -> list[dict[str, Any]]:
    where, params = period.where()
    return [
        {
            "operation": operation,
            "state": state,
            "currency": currency,
            "count": count,
            "amount_minor": int(amount or 0),
        }
        for operation, state, currency, count, amount in db.execute(
            PAYMENT_STATES.format(where=where), params
        )
    ]


def fee_items(db: sqlite_utils.Database, period: Period) -> list[dict[str, Any]]:
    """Per fee item: payments approved and kept, and those voided or refunded since (count and amount)."""
    where, params = period.where()
    items: dict[tuple[str, str], dict[str, Any]] = {}
    for code, state, currency, count, amount in db.execute(FEE_ITEMS.format(where=where), params):
        row = items.setdefault(
            (str(code), currency),
            {
                "code": str(code),
                "currency": currency,
                "count": 0,
                "amount_minor": 0,
                "reversed_count": 0,
                "reversed_minor": 0,
            },
        )
        prefix = "" if state == "approved" else "reversed_"
        row[f"{prefix}count"] += count
        row["reversed_minor" if prefix else "amount_minor"] += int(amount or 0)
    return sorted(items.values(), key=lambda row: (row["currency"], row["code"]))


# --- purged days: their kept summaries --------------------------------------------------------------------
def summary_days(db: sqlite_utils.Database, period: Period) -> Iterator[tuple[str, dict[str, Any]]]:
    """The kept summary of each day of the period whose rows the retention has purged."""
    for day, summary in db.execute(
        "SELECT s.day, s.summary FROM day_summaries s JOIN retention_days r ON r.day = s.day "
        "WHERE s.day BETWEEN ? AND ? AND r.purged_at IS NOT NULL ORDER BY s.day",
        [period.first, period.last],
    ):
        yield day, json.loads(summary)
