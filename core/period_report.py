"""One report for a period (a day, a week, a month; docs/reports.md): the tables and chart series a supervisor
sees, as plain data (the page, its CSV files and `GET /api/supervisor/reports` all show this).

Days still in the database (pseudonymised or not: pseudonyms keep every figure) are read from their rows;
days the retention purged are read from their kept summary: counts per service and kind, waits per day, and
payments by state. Per counter, per agent, per fee item, per hour and device figures exist for the days
with rows only; `sources` says which days are which.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlite_utils

from core import report_queries as q
from core import report_series as s
from core.config import SiteConfig
from core.report_queries import Period

SPREAD_KEYS = ("count", "p50", "p90", "max", "mean", "within_target")
EMPTY_SPREAD = dict.fromkeys(SPREAD_KEYS)


def _spread(found: dict[str, dict[Any, dict[str, Any]]], dim: str, key: Any) -> dict[str, Any]:
    return found.get(dim, {}).get(key) or dict(EMPTY_SPREAD, count=0)


def build(db: sqlite_utils.Database, config: SiteConfig, period: Period, moment: datetime) -> dict[str, Any]:
    """Every figure of `period` as of `moment`; call it inside one read transaction (`store.reading()`)."""
    counts = q.ticket_counts(db, period)
    spreads = q.spreads(db, config, period)
    staff = q.staff_counts(db, period)
    names = q.agent_names(db)
    per_day = q.day_counts(db, period)
    summaries = dict(q.summary_days(db, period))
    payments = q.payment_states(db, period)
    _merge_summaries(summaries, period, counts, payments)
    moves = s.queue_moves(db, config, period)
    events = s.floor_events(db, config, period)
    mean_service = spreads["service"].get("all", {}).get("", {}).get("mean")
    open_minutes = s.open_counter_minutes(config, period, events, moment)
    return {
        "period": {
            "from": period.first,
            "to": period.last,
            "service": period.service,
            "days": len(period.days),
        },
        "sources": {"days_with_rows": sorted(per_day), "days_from_summaries": sorted(summaries)},
        "tickets": _ticket_rows(config, counts),
        "waits": _by_service(config, spreads["wait"]),
        "service_times": _by_service(config, spreads["service"]),
        "days": _day_rows(per_day, spreads["wait"], summaries, period.service),
        "counters": _staff_rows(staff["counter"], spreads, "counter", "counter", lambda n: n),
        "agents": _staff_rows(staff["agent"], spreads, "agent", "agent", lambda n: names.get(n, f"#{n}")),
        "payments": {"states": payments, "fee_items": _fee_rows(config, q.fee_items(db, period))},
        "devices": s.device_incidents(events, min(moment, s.day_start(config, period.last) + s.ONE_DAY)),
        "charts": _charts(
            s.waiting_series(moves),
            s.arrivals_per_hour(moves),
            s.capacity_per_hour(open_minutes, len(moves), mean_service),
            s.wait_histogram(db, period),
        ),
    }


def _merge_summaries(
    summaries: dict[str, dict[str, Any]],
    period: Period,
    counts: dict[tuple[str, str], dict[str, int]],
    payments: list[dict[str, Any]],
) -> None:
    """Add the purged days' kept counts (tickets; payments when no service is chosen: a summary's payment
    totals are not per service)."""
    for summary in summaries.values():
        for service, kinds in summary.get("tickets", {}).get("by_service", {}).items():
            if period.service and service != period.service:
                continue
            for kind, figures in kinds.items():
                row = counts.setdefault((service, kind), q.blank_counts())
                for name in ("issued", "served", "no_show", "cancelled", "carried"):
                    row[name] += int(figures.get(name, 0))
        if period.service:
            continue
        for operation, states in summary.get("payments", {}).get("by_operation", {}).items():
            for state, figures in states.items():
                payments.append(
                    {
                        "operation": operation,
                        "state": state,
                        "currency": figures["currency"],
                        "count": figures["count"],
                        "amount_minor": figures["amount_minor"],
                    }
                )
    merged: dict[tuple[str, str, str], dict[str, Any]] = {}
    for payment in payments:
        key = (payment["operation"], payment["state"], payment["currency"])
        into = merged.setdefault(key, dict(payment, count=0, amount_minor=0))
        into["count"] += payment["count"]
        into["amount_minor"] += payment["amount_minor"]
    payments[:] = sorted(merged.values(), key=lambda row: (row["operation"], row["state"], row["currency"]))


def _ticket_rows(config: SiteConfig, counts: dict[tuple[str, str], dict[str, int]]) -> list[dict[str, Any]]:
    order = {code: index for index, code in enumerate(config.services)}
    return [
        {"service": service, "kind": kind, **figures}
        for (service, kind), figures in sorted(
            counts.items(), key=lambda item: (order.get(item[0][0], 99), item[0])
        )
    ]


def _by_service(config: SiteConfig, found: dict[str, dict[Any, dict[str, Any]]]) -> dict[str, Any]:
    services = [code for code in config.services if code in found.get("service", {})]
    services += sorted(set(found.get("service", {})) - set(services))
    return {
        "all": _spread(found, "all", ""),
        "by_service": [{"service": code, **_spread(found, "service", code)} for code in services],
    }


def _day_rows(
    per_day: dict[str, dict[str, int]],
    waits: dict[str, dict[Any, dict[str, Any]]],
    summaries: dict[str, dict[str, Any]],
    service: str | None,
) -> list[dict[str, Any]]:
    rows = [
        {"day": day, "source": "rows", **figures, "wait": _spread(waits, "day", day)}
        for day, figures in per_day.items()
    ]
    for day, summary in summaries.items():
        tickets = summary.get("tickets", {})
        if service:
            kinds = tickets.get("by_service", {}).get(service, {})
            tickets = {
                name: sum(int(row.get(name, 0)) for row in kinds.values())
                for name in ("issued", "served", "no_show")
            }
        wait = summary.get("waits", {})
        wait = (
            next((w for code, w in wait.get("by_service", {}).items() if code == service), None)
            if service
            else wait.get("all")
        )
        rows.append(
            {
                "day": day,
                "source": "summary",
                "issued": int(tickets.get("issued", 0)),
                "served": int(tickets.get("served", 0)),
                "no_show": int(tickets.get("no_show", 0)),
                "wait": {**EMPTY_SPREAD, "count": 0, **(wait or {})},
            }
        )
    return sorted(rows, key=lambda row: row["day"])


def _staff_rows(
    counts: dict[int, dict[str, int]],
    spreads: dict[str, dict[str, dict[Any, dict[str, Any]]]],
    dim: str,
    label: str,
    name: Any,
) -> list[dict[str, Any]]:
    keys = sorted(set(counts) | set(spreads["wait"].get(dim, {})) | set(spreads["service"].get(dim, {})))
    return [
        {
            label: name(key),
            **counts.get(key, {"served": 0, "no_show": 0, "recalls": 0, "transfers": 0}),
            "wait": _spread(spreads["wait"], dim, key),
            "service_time": _spread(spreads["service"], dim, key),
        }
        for key in keys
    ]


def _fee_rows(config: SiteConfig, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    names = {fee.code: fee.names for service in config.services.values() for fee in service.fees}
    return [
        {**item, "names": dict(names.get(item["code"], {})), "net_minor": item["amount_minor"]}
        for item in items
    ]


def _active_hours(*series: list[float]) -> range:
    """The hours with anything to show (08:00–18:00 when there is nothing)."""
    busy = [hour for hour in range(24) if any(values[hour] for values in series)]
    return range(min(busy), max(busy) + 1) if busy else range(8, 18)


def _charts(
    waiting: dict[str, list[float]], arrivals: list[float], capacity: list[float], histogram: list[int]
) -> dict[str, Any]:
    by_hour = [max(waiting["max"][h * 4 : h * 4 + 4]) for h in range(24)]
    hours = _active_hours(arrivals, capacity, by_hour)
    slots = range(hours.start * 4, hours.stop * 4)
    return {
        "waiting": {
            "labels": [f"{slot // 4:02d}:{slot % 4 * 15:02d}" for slot in slots],
            "mean": [waiting["mean"][slot] for slot in slots],
            "max": [waiting["max"][slot] for slot in slots],
        },
        "arrivals": {
            "labels": [f"{hour:02d}:00" for hour in hours],
            "arrivals": [arrivals[hour] for hour in hours],
            "capacity": [capacity[hour] for hour in hours],
        },
        "waits": {
            "labels": [f"{b * s.BUCKET_MINUTES}–{(b + 1) * s.BUCKET_MINUTES}" for b in range(s.BUCKETS - 1)]
            + [f"{(s.BUCKETS - 1) * s.BUCKET_MINUTES}+"],
            "counts": histogram,
        },
    }
