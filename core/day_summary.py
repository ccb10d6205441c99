"""The figures of a closed day: counts and durations only, never a ticket id, a reference or a language of one
visitor, so the summary can be kept for reports after the day's rows are pseudonymised and purged
(docs/privacy.md). Written by core/day_close.py into `day_summaries` and the `day.closed` event."""

from __future__ import annotations

import json
import math
from typing import Any

import sqlite_utils

OUTCOMES = ("issued", "served", "no_show", "cancelled", "carried")
STATE_OUTCOME = {"done": "served", "no_show": "no_show", "cancelled": "cancelled"}


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile of `values` (None when there are none)."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(share * len(ordered)) - 1)], 1)


def wait_figures(values: list[float]) -> dict[str, Any]:
    """Minutes from arrival to the (last) call: how many, median, 90th percentile, longest."""
    return {"count": len(values), "p50": percentile(values, 0.5), "p90": percentile(values, 0.9),
            "max": round(max(values), 1) if values else None}


def ticket_counts(db: sqlite_utils.Database, day: str) -> dict[str, Any]:
    """Tickets per service and kind by what became of them; carried ones are not counted as cancelled."""
    by_service: dict[str, dict[str, dict[str, int]]] = {}

    def add(service: str, kind: str, outcome: str, count: int) -> None:
        row = by_service.setdefault(service, {}).setdefault(kind, dict.fromkeys(OUTCOMES, 0))
        row[outcome] += count

    for service, kind, state, count in db.execute(
            "SELECT service, kind, state, COUNT(*) FROM tickets WHERE day = ? GROUP BY service, kind, state",
            [day]).fetchall():
        add(service, kind, "issued", count)
        if state in STATE_OUTCOME:
            add(service, kind, STATE_OUTCOME[state], count)
    for service, kind, count in db.execute(
            "SELECT service, kind, COUNT(*) FROM carried_tickets WHERE from_day = ? GROUP BY service, kind",
            [day]).fetchall():
        add(service, kind, "carried", count)
        add(service, kind, "cancelled", -count)
    totals = dict.fromkeys(OUTCOMES, 0)
    for kinds in by_service.values():
        for row in kinds.values():
            for outcome in OUTCOMES:
                totals[outcome] += row[outcome]
    return {**totals, "by_service": by_service}


def waits(db: sqlite_utils.Database, day: str) -> dict[str, Any]:
    rows = db.execute(
        "SELECT service, (julianday(called_at) - julianday(arrived_at)) * 1440.0 FROM tickets "
        "WHERE day = ? AND called_at IS NOT NULL", [day]).fetchall()
    per_service: dict[str, list[float]] = {}
    for service, minutes in rows:
        per_service.setdefault(service, []).append(max(0.0, float(minutes)))
    return {"all": wait_figures([minutes for _, minutes in rows]),
            "by_service": {service: wait_figures(values) for service, values in sorted(per_service.items())}}


def languages(db: sqlite_utils.Database, day: str) -> dict[str, int]:
    """Tickets per language of the day (a statistic, kept; the row's own language is cleared later)."""
    rows = db.execute("SELECT lang, COUNT(*) FROM tickets WHERE day = ? AND lang != '' GROUP BY lang",
                      [day]).fetchall()
    return {lang: int(count) for lang, count in rows}


def payments(db: sqlite_utils.Database, day: str) -> dict[str, Any]:
    """Fee payments, voids and refunds of the day by state (count and amount in minor units), and the
    reconciliation exceptions still open (no payment reference: the payments page shows them)."""
    by_state: dict[str, dict[str, dict[str, int]]] = {}
    for operation, state, currency, count, amount in db.execute(
            "SELECT operation, state, currency, COUNT(*), SUM(amount_minor) FROM payments WHERE day = ? "
            "GROUP BY operation, state, currency", [day]).fetchall():
        by_state.setdefault(operation, {})[state] = {"count": int(count), "amount_minor": int(amount or 0),
                                                     "currency": currency}
    open_exceptions = [{"id": row[0], "terminal": row[1], "kind": row[2], "amount_minor": row[3]}
                       for row in db.execute(
                           "SELECT id, terminal, kind, amount_minor FROM payment_exceptions "
                           "WHERE day = ? AND resolved_at IS NULL ORDER BY id", [day]).fetchall()]
    return {"by_operation": by_state, "open_exceptions": open_exceptions}


def appointments(db: sqlite_utils.Database, day: str, site_id: str) -> dict[str, int]:
    row = db.execute(
        "SELECT COUNT(*), SUM(status = 'cancelled'), SUM(ticket_id IS NOT NULL), SUM(no_show_at IS NOT NULL) "
        "FROM appointments WHERE day = ? AND site = ?", [day, site_id]).fetchone()
    total, cancelled, checked_in, missed = (int(value or 0) for value in row)
    return {"total": total, "cancelled": cancelled, "checked_in": checked_in, "missed": missed}


def compute(db: sqlite_utils.Database, day: str, site_id: str, *, leftover: str, leftovers: dict[str, int],
            counters_closed: list[int]) -> dict[str, Any]:
    """The summary of `day` as it stands (call after the close ended what was left open)."""
    tickets = ticket_counts(db, day)
    return {"day": day, "leftover": leftover, "leftovers": leftovers, "tickets": tickets,
            "no_shows": tickets["no_show"], "waits": waits(db, day), "languages": languages(db, day),
            "appointments": appointments(db, day, site_id), "payments": payments(db, day),
            "counters_closed": counters_closed}


def store(db: sqlite_utils.Database, day: str, summary: dict[str, Any], *, at: str, actor: str,
          leftover: str) -> None:
    db.execute("INSERT INTO day_summaries (day, closed_at, closed_by, leftover, summary) "
               "VALUES (?, ?, ?, ?, ?)",
               [day, at, actor, leftover, json.dumps(summary, sort_keys=True)])


def stored(db: sqlite_utils.Database, day: str) -> dict[str, Any] | None:
    """The kept summary of a closed day, with who closed it and when; None if the day is not closed."""
    row = db.execute("SELECT closed_at, closed_by, summary FROM day_summaries WHERE day = ?",
                     [day]).fetchone()
    if row is None:
        return None
    return {**json.loads(row[2]), "closed_at": row[0], "closed_by": row[1]}
