"""The supervisor's view of today: per service (waiting, oldest wait against the target, served, no-shows,
mean wait before the call) and per counter (who has it open, what it holds). Numbers only, no names."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlite_utils

from core.config import SiteConfig

SERVICE_FIGURES = """
    SELECT service,
           SUM(state = 'waiting') AS waiting,
           MIN(CASE WHEN state = 'waiting' THEN arrived_at END) AS oldest_arrival,
           SUM(state = 'done') AS served,
           SUM(state = 'no_show') AS no_shows,
           COUNT(*) AS issued,
           AVG(CASE WHEN called_at IS NOT NULL
                    THEN (julianday(called_at) - julianday(arrived_at)) * 1440.0 END) AS mean_wait
    FROM tickets WHERE day = ? GROUP BY service
"""


def _minutes_since(iso: str | None, moment: datetime) -> int | None:
    if not iso:
        return None
    arrived = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return max(0, int((moment - arrived).total_seconds() // 60))


def service_overview(db: sqlite_utils.Database, config: SiteConfig, day: str,
                     moment: datetime) -> list[dict[str, Any]]:
    rows = {row["service"]: row for row in db.query(SERVICE_FIGURES, [day])}
    overview = []
    for service in config.services.values():
        row = rows.get(service.code, {})
        oldest = _minutes_since(row.get("oldest_arrival"), moment)
        overview.append({
            "code": service.code, "prefix": service.prefix, "names": dict(service.names),
            "waiting": int(row.get("waiting") or 0), "issued": int(row.get("issued") or 0),
            "served": int(row.get("served") or 0), "no_shows": int(row.get("no_shows") or 0),
            "oldest_wait_minutes": oldest, "target_wait_minutes": service.target_wait_minutes,
            "over_target": oldest is not None and oldest > service.target_wait_minutes,
            "mean_wait_minutes": round(row["mean_wait"], 1) if row.get("mean_wait") is not None else None,
        })
    return overview


def counter_overview(db: sqlite_utils.Database, config: SiteConfig) -> list[dict[str, Any]]:
    sessions = {row["counter"]: row for row in db.query(
        """SELECT s.counter, s.opened_at, u.username, u.display_name FROM counter_sessions s
           JOIN users u ON u.id = s.user_id""")}
    held = {row["counter"]: row for row in db.query(
        """SELECT counter, number, service, state, called_at FROM tickets
           WHERE state IN ('called', 'serving') AND counter IS NOT NULL""")}
    return [{
        "number": counter.number, "services": list(counter.services),
        "agent": sessions[counter.number]["display_name"] if counter.number in sessions else None,
        "opened_at": sessions[counter.number]["opened_at"] if counter.number in sessions else None,
        "current": held.get(counter.number),
    } for counter in config.counters.values()]
