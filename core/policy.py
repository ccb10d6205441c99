"""Who is next at a counter, and the atomic claim.

`policy.order` chooses the rule: `current` (below), `fifo` (arrival only) or `deadline` (`rank_deadline`: the
earliest promise first, with aging; docs/queue-policy.md compares the three on simulated days).

The `current` order among the services a counter serves (docs/queue-policy.md):
1. tickets transferred to this very counter, by original arrival;
2. checked-in appointments that are due (slot within `APPOINTMENT_EARLY_MINUTES`), by slot time;
3. visitors with legal priority, one for every `policy.priority_share` others (0 = priority always first);
4. everyone else by arrival time (a transfer keeps its original arrival time);
5. appointments not yet due, by slot time, when nobody else waits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple, cast

import sqlite_utils

from core import floor_control
from core.clock import now, utc_iso
from core.config import SiteConfig

APPOINTMENT_EARLY_MINUTES = 15
ORDERS = ("current", "fifo", "deadline")  # `policy.order`
APPOINTMENT_GRACE_MINUTES = 10.0  # the deadline policy's promise: called within 10 minutes of the slot

WAITING_FOR_COUNTER = """
    FROM tickets
    WHERE day = :day AND state = 'waiting'
      AND (target_counter = :counter OR (target_counter IS NULL AND service IN ({services})))
"""


def _placeholders(services: tuple[str, ...]) -> tuple[str, dict[str, str]]:
    names = {f"s{i}": code for i, code in enumerate(services)}
    return ", ".join(f":{name}" for name in names), names


# The head of one service's waiting line in one order, read from the start of an index range
# (core/migrations.py 013 and 015) rather than by sorting the day's waiting tickets: a call costs the same
# with 20 or 2,000 waiting. Untransferred tickets only: a counter's transferred ones are asked first
# (`_targeted_head`).
HEAD = """SELECT id, arrived_at, slot_at FROM tickets INDEXED BY {index}
          WHERE day = :day AND service = :service AND state = 'waiting' AND target_counter IS NULL {extra}
          ORDER BY {order} LIMIT 1"""
Head = tuple[str, str, str | None]  # id, arrived_at, slot_at


class Line(NamedTuple):
    """One step's line: the index it reads, its condition, and whether it goes by slot (else by arrival)."""

    index_name: str
    extra: str
    by_slot: bool = False

    def sql(self) -> str:
        order = "slot_at, arrived_at, id" if self.by_slot else "arrived_at, id"
        return HEAD.format(index=self.index_name, extra=self.extra, order=order)

    def key(self, head: Head) -> tuple[str, str, str]:
        """The same order in Python, across services (SQL sorts a NULL slot first)."""
        return (head[2] or "", head[1], head[0]) if self.by_slot else ("", head[1], head[0])


WALK_INS = Line("tickets_waiting_line", "AND kind != 'appointment'")
PRIORITY = Line("tickets_waiting_priority", "AND kind != 'appointment' AND priority = 1")
APPOINTMENTS = Line("tickets_waiting_appointments", "AND kind = 'appointment'", by_slot=True)
SLOTTED = Line("tickets_waiting_appointments", "AND kind = 'appointment' AND slot_at IS NOT NULL",
               by_slot=True)
EVERYONE = Line("tickets_waiting_line", "")


def _head(db: sqlite_utils.Database, services: tuple[str, ...], line: Line, day: str) -> Head | None:
    """The first ticket of `line` among these services' waiting lines, in the line's order."""
    sql = line.sql()
    heads = [row for service in services
             if (row := db.execute(sql, {"day": day, "service": service}).fetchone()) is not None]
    return min(heads, key=line.key, default=None)


def _targeted_head(db: sqlite_utils.Database, day: str, counter: int) -> Head | None:
    """The first ticket transferred to this very counter, by arrival."""
    return cast(Head | None, db.execute(
        """SELECT id, arrived_at, slot_at FROM tickets INDEXED BY tickets_waiting_targeted
           WHERE target_counter = :counter AND state = 'waiting' AND day = :day
           ORDER BY arrived_at, id LIMIT 1""", {"counter": counter, "day": day}).fetchone())


def _priority_turn(db: sqlite_utils.Database, day: str, services: tuple[str, ...], share: int) -> bool:
    """True when none of the last `share` walk-in calls of these services went to a priority visitor: the
    day's calls read newest first (an index of the calls, core/migrations.py 015) until `share` are found."""
    if share == 0:
        return True
    services_sql, names = _placeholders(services)
    rows = db.execute(
        f"""SELECT priority FROM tickets INDEXED BY tickets_calls
            WHERE day = :day AND called_at IS NOT NULL AND kind != 'appointment'
              AND service IN ({services_sql})
            ORDER BY called_at DESC LIMIT :share""",
        {**names, "day": day, "share": share},
    ).fetchall()
    return not any(row[0] for row in rows)


def choose_next(db: sqlite_utils.Database, config: SiteConfig, counter_number: int) -> str | None:
    """The id of the ticket this counter should call now, or None when nobody waits for it."""
    order = str(config.policy.get("order", "current"))
    if order == "current":
        return _choose_current(db, config, counter_number)
    if order == "fifo":
        return _choose_fifo(db, config, counter_number)
    if order == "deadline":
        return _choose_deadline(db, config, counter_number)
    if order != "current":
        raise ValueError(f"policy.order must be one of {', '.join(ORDERS)}, not {order!r}")
    return _choose_current(db, config, counter_number)


@dataclass(frozen=True)
class Waiting:
    """A waiting ticket as the deadline policy sees it (times in minutes on any common scale)."""

    id: str
    service: str
    kind: str
    priority: bool
    arrived: float
    slot: float | None
    targeted: bool  # transferred to this very counter


def waiting_since(ticket: Waiting) -> float:
    """An appointment waits from its slot when its visitor came early; anyone else from arrival (a transfer
    keeps the first arrival)."""
    return max(ticket.arrived, ticket.slot) if ticket.slot is not None else ticket.arrived


def deadline(ticket: Waiting, targets: dict[str, float]) -> float:
    """When the ticket's promise expires: an appointment `APPOINTMENT_GRACE_MINUTES` after it started to
    wait, anyone else the service's `target_wait_minutes` after arrival."""
    if ticket.kind == "appointment":
        return waiting_since(ticket) + APPOINTMENT_GRACE_MINUTES
    return ticket.arrived + targets.get(ticket.service, 30.0)


def quick_services(config: SiteConfig) -> frozenset[str]:
    """Services whose `average_service_minutes` is at most `policy.quick_service_minutes` (a pickup)."""
    limit = float(config.policy.get("quick_service_minutes", 5))
    return frozenset(code for code, s in config.services.items() if float(s.average_service_minutes) <= limit)


def rank_deadline(candidates: list[Waiting], moment: float, targets: dict[str, float], priority_turn: bool,
                  starvation_minutes: float, quick: frozenset[str] = frozenset(),
                  urgent_minutes: float = 5.0) -> str | None:
    """The deadline policy on the waiting tickets a counter may call (pure: no database, no clock).

    0. tickets transferred to this very counter, by arrival;
    1. anyone who has waited `starvation_minutes` or more, longest wait first (aging: nobody is starved);
    2. appointments whose slot has come, by slot;
    3. on their turn (the share), visitors with legal priority, by deadline;
    4. a `quick` service's ticket (a pickup: a few minutes at the counter) whose promise runs out within
       `urgent_minutes`, by deadline: it costs the others little and keeps its own short promise;
    5. walk-ins and pickups by deadline (arrival + the service's target wait: a pickup promised 10 minutes
       goes before a walk-in promised 30 who came less than 20 minutes earlier);
    6. appointments whose slot has not come yet, by slot, rather than leave the counter idle.
    """
    def key(ticket: Waiting) -> tuple[int, float, float, str]:
        since = waiting_since(ticket)
        if ticket.targeted:
            tier, first = 0, ticket.arrived
        elif moment - since >= starvation_minutes:
            tier, first = 1, since
        elif ticket.kind == "appointment":
            tier, first = (2 if since <= moment else 6), since
        elif priority_turn and ticket.priority:
            tier, first = 3, deadline(ticket, targets)
        else:
            first = deadline(ticket, targets)
            tier = 4 if ticket.service in quick and first - moment <= urgent_minutes else 5
        return tier, first, ticket.arrived, ticket.id

    return min(candidates, key=key).id if candidates else None


def _minutes(text: str, origin: datetime) -> float:
    return (datetime.fromisoformat(text.replace("Z", "+00:00")) - origin).total_seconds() / 60


def _choose_deadline(db: sqlite_utils.Database, config: SiteConfig, counter_number: int) -> str | None:
    moment = now()
    counter = floor_control.effective_counter(db, config, counter_number, moment)
    services_sql, names = _placeholders(counter.services)
    day = config.local_day(moment)
    params: dict[str, object] = {**names, "day": day, "counter": counter.number}
    rows = db.execute(
        "SELECT id, service, kind, priority, arrived_at, slot_at, target_counter "
        + WAITING_FOR_COUNTER.format(services=services_sql), params).fetchall()
    if not rows:
        return None
    candidates = [
        Waiting(row[0], row[1], row[2], bool(row[3]), _minutes(row[4], moment),
                _minutes(row[5], moment) if row[5] else None, row[6] == counter.number)
        for row in rows
    ]
    share = int(config.policy["priority_share"])
    turn = any(t.priority for t in candidates) and _priority_turn(db, day, counter.services, share)
    targets = {code: float(service.target_wait_minutes) for code, service in config.services.items()}
    return rank_deadline(candidates, 0.0, targets, turn, float(config.policy.get("starvation_minutes", 90)),
                         quick_services(config), float(config.policy.get("quick_urgent_minutes", 5)))


def _choose_fifo(db: sqlite_utils.Database, config: SiteConfig, counter_number: int) -> str | None:
    """Plain first come, first served (the simulator's baseline): by arrival, whatever the kind."""
    moment = now()
    counter = floor_control.effective_counter(db, config, counter_number, moment)
    day = config.local_day(moment)
    heads = [head for head in (_targeted_head(db, day, counter.number),
                               _head(db, counter.services, EVERYONE, day)) if head is not None]
    return min(heads, key=EVERYONE.key)[0] if heads else None


def _choose_current(db: sqlite_utils.Database, config: SiteConfig, counter_number: int) -> str | None:
    moment = now()
    counter = floor_control.effective_counter(db, config, counter_number, moment)
    day = config.local_day(moment)
    targeted = _targeted_head(db, day, counter.number)
    if targeted is not None:
        return targeted[0]
    services = counter.services
    appointment = _head(db, services, APPOINTMENTS, day)  # also the last resort, as SQL sorts: no slot first
    soonest = appointment if appointment is None or appointment[2] is not None else _head(
        db, services, SLOTTED, day)  # a check-in always has a slot; a ticket made otherwise may not
    due = utc_iso(moment + timedelta(minutes=APPOINTMENT_EARLY_MINUTES))
    if soonest is not None and soonest[2] is not None and soonest[2] <= due:
        return soonest[0]
    if _priority_turn(db, day, services, int(config.policy["priority_share"])):
        priority = _head(db, services, PRIORITY, day)
        if priority is not None:
            return priority[0]
    walk_in = _head(db, services, WALK_INS, day)
    found = walk_in if walk_in is not None else appointment
    return found[0] if found is not None else None
