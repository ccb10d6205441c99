"""Who is next at a counter, and the atomic claim.

Order among the services a counter serves (docs/queue-policy.md):
1. tickets transferred to this very counter, by original arrival;
2. checked-in appointments that are due (slot within `APPOINTMENT_EARLY_MINUTES`), by slot time;
3. visitors with legal priority, one for every `policy.priority_share` others (0 = priority always first);
4. everyone else by arrival time (a transfer keeps its original arrival time);
5. appointments not yet due, by slot time, when nobody else waits.
"""

from __future__ import annotations

from datetime import timedelta

import sqlite_utils

from core.clock import now, utc_iso
from core.config import SiteConfig

APPOINTMENT_EARLY_MINUTES = 15

WAITING_FOR_COUNTER = """
    FROM tickets
    WHERE day = :day AND state = 'waiting'
      AND (target_counter = :counter OR (target_counter IS NULL AND service IN ({services})))
"""


def _placeholders(services: tuple[str, ...]) -> tuple[str, dict[str, str]]:
    names = {f"s{i}": code for i, code in enumerate(services)}
    return ", ".join(f":{name}" for name in names), names


def _first(db: sqlite_utils.Database, where: str, order: str, params: dict[str, object]) -> str | None:
    row = db.execute(f"SELECT id {where} {order} LIMIT 1", params).fetchone()
    return str(row[0]) if row else None


def _priority_turn(db: sqlite_utils.Database, day: str, services_sql: str, params: dict, share: int) -> bool:
    """True when none of the last `share` walk-in calls of these services went to a priority visitor."""
    if share == 0:
        return True
    rows = db.execute(
        f"""SELECT priority FROM tickets
            WHERE day = :day AND called_at IS NOT NULL AND kind != 'appointment'
              AND service IN ({services_sql})
            ORDER BY called_at DESC LIMIT :share""",
        {**params, "day": day, "share": share},
    ).fetchall()
    return not any(row[0] for row in rows)


def choose_next(db: sqlite_utils.Database, config: SiteConfig, counter_number: int) -> str | None:
    """The id of the ticket this counter should call now, or None when nobody waits for it."""
    counter = config.counter(counter_number)
    services_sql, names = _placeholders(counter.services)
    moment = now()
    day = config.local_day(moment)
    due = utc_iso(moment + timedelta(minutes=APPOINTMENT_EARLY_MINUTES))
    params: dict[str, object] = {**names, "day": day, "counter": counter.number, "due": due}
    where = WAITING_FOR_COUNTER.format(services=services_sql)
    steps = [
        (f"{where} AND target_counter = :counter", "ORDER BY arrived_at"),
        (f"{where} AND kind = 'appointment' AND slot_at <= :due", "ORDER BY slot_at, arrived_at"),
    ]
    share = int(config.policy["priority_share"])
    walk_in = f"{where} AND kind != 'appointment'"
    if _priority_turn(db, day, services_sql, names, share):
        steps.append((f"{walk_in} AND priority = 1", "ORDER BY arrived_at"))
    steps += [
        (walk_in, "ORDER BY arrived_at"),
        (f"{where} AND kind = 'appointment'", "ORDER BY slot_at, arrived_at"),
    ]
    for clause, order in steps:
        found = _first(db, clause, order, params)
        if found:
            return found
    return None
