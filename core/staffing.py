"""Staffing advice: which services the waiting-time forecast says will break their promise, and what one more
counter would change ("Passport: walk-ins called within 30 min: 62 % expected. Open one more counter
(counter 7): 91 %.").

Pure: a queue (core.forecast.Queue), its forecast, and the services each configured counter takes today in;
advice out. Per service and kind, the share of the tickets waiting now whose promise has not expired yet — and
of a walk-in taking a ticket now (the forecast's ghost) — expected to be called within their promise
(core.policy.deadline: an appointment within `APPOINTMENT_GRACE_MINUTES` of its slot, a walk-in or a pickup
within its service's `target_wait_minutes` of its arrival), a ticket counting as on time when its median (p50)
call is by then. Tickets already past their promise are counted apart (`overdue`): no counter changes that.
Below the kind's target share, the queue is replayed again with one more counter for that service: a
configured counter that is not open and takes it today, else a new counter taking only it. The cost stays
bounded: `runs` replays (a quarter of the forecast's) for at most `limit` services, the furthest behind
first. docs/queue-policy.md, "Staffing advice".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from core.clock import utc_iso
from core.config import SiteConfig
from core.forecast import SIGMA, Desk, Forecast, Queue, forecast, ghosts
from core.policy import Waiting, deadline
from core.replay import QueuedTicket

TARGET_SHARES = {"appointment": 0.95, "walk_in": 0.80, "pickup": 0.90}  # issue 10: the site's promises
KINDS = tuple(TARGET_SHARES)
ADVICE_RUNS = 10  # replays of each "one more counter" forecast (the forecast itself makes 40)
MAX_EVALUATED = 3  # services replayed with one more counter per computation, the furthest behind first


@dataclass(frozen=True)
class Advice:
    """One service and kind expected below its target share, and what one more counter would make of it."""

    service: str
    kind: str
    target_minutes: float  # the promise: called within this many minutes (of the slot, for an appointment)
    target_share: float
    waiting: int  # tickets of this service and kind waiting now
    overdue: int  # of them, already past their promise (not in the share)
    share: float  # expected to be called within the promise (the others waiting, and the next walk-in)
    share_with_counter: float | None = None  # with one more counter; None: not replayed this time
    counter: int | None = None  # the configured counter to open; None: a new one taking only this service

    def to_json(self) -> dict[str, Any]:
        return {"service": self.service, "kind": self.kind, "target_minutes": round(self.target_minutes),
                "target_percent": percent(self.target_share), "waiting": self.waiting,
                "overdue": self.overdue, "percent": percent(self.share),
                "percent_with_counter": None if self.share_with_counter is None
                else percent(self.share_with_counter), "counter": self.counter}


@dataclass(frozen=True)
class Staffing:
    at: datetime
    advice: tuple[Advice, ...]  # the furthest behind first; empty: every service on target
    replays: int  # forecasts replayed with one more counter

    def to_json(self) -> dict[str, Any]:
        return {"at": utc_iso(self.at), "advice": [item.to_json() for item in self.advice],
                "replays": self.replays}


def percent(share: float) -> int:
    """Rounded down: 79.6 % is shown as 79 %, never as a target of 80 % it does not reach."""
    return math.floor(share * 100 + 1e-9)


def promise(ticket: QueuedTicket, targets: Mapping[str, float]) -> float:
    """When the ticket's promise expires, in minutes from the queue's moment (core.policy.deadline)."""
    waiting = Waiting(ticket.id, ticket.service, ticket.kind, ticket.priority, ticket.arrived, ticket.slot,
                      ticket.target is not None)
    return deadline(waiting, dict(targets))


def on_time(queue: Queue, config: SiteConfig, result: Forecast) -> dict[tuple[str, str], list[bool]]:
    """Per (service, kind) with someone waiting: for each waiting ticket whose promise has not expired, then
    for a walk-in (or pickup) taking a ticket now, whether its median call comes by its promise. No estimate
    (no counter for it): late."""
    targets = targets_of(queue, config)
    marks: dict[tuple[str, str], list[bool]] = {}
    for ticket in queue.waiting:
        found = marks.setdefault((ticket.service, ticket.kind), [])
        if (due := promise(ticket, targets)) >= 0:
            estimate = result.tickets.get(ticket.id)
            found.append(estimate is not None and estimate.p50 <= due)
    for ghost in ghosts(config):
        if not ghost.priority and (ghost.service, ghost.kind) in marks:
            estimate = result.walk_in.get(ghost.service)
            marks[ghost.service, ghost.kind].append(estimate is not None
                                                    and estimate.p50 <= promise(ghost, targets))
    return marks


def share_of(marks: list[bool]) -> float:
    """The share on time; 1 when nobody can still be on time (only appointments past their promise)."""
    return sum(marks) / len(marks) if marks else 1.0


def targets_of(queue: Queue, config: SiteConfig) -> dict[str, float]:
    return {**{code: float(s.target_wait_minutes) for code, s in config.services.items()}, **queue.targets}


def extra_desk(queue: Queue, taking: Mapping[int, Sequence[str]], service: str) -> tuple[Desk, bool]:
    """One more counter for `service`: a configured one not open now that takes it today (the fewest other
    services first: more of its time goes to this one), else a new one taking only it. True: configured."""
    present = {desk.number for desk in queue.desks}
    closed = sorted((len(services), number) for number, services in taking.items()
                    if number not in present and service in services)
    if closed:
        number = closed[0][1]
        return Desk(number, frozenset(taking[number])), True
    return Desk(max([*present, *taking], default=0) + 1, frozenset({service})), False


def advise(queue: Queue, config: SiteConfig, taking: Mapping[int, Sequence[str]], current: Forecast,
           runs: int = ADVICE_RUNS, seed: int = 0, limit: int = MAX_EVALUATED,
           sigma: float = SIGMA) -> Staffing:
    """The advice on `queue`, whose forecast is `current`; `taking`: every configured counter with the
    services it takes today (core.floor_control.counters_taking). Replays (seeded) `runs` times with one
    more counter for each of the `limit` services with the most tickets expected late."""
    advice = below_target(queue, config, current)
    services = list(dict.fromkeys(item.service for item in advice))[:limit]
    for service in services:
        desk, configured = extra_desk(queue, taking, service)
        more = forecast(replace(queue, desks=(*queue.desks, desk)), config, runs, seed, sigma)
        shares = {key: share_of(marks) for key, marks in on_time(queue, config, more).items()}
        advice = [replace(item, share_with_counter=shares[item.service, item.kind],
                          counter=desk.number if configured else None) if item.service == service else item
                  for item in advice]
    return Staffing(queue.moment, tuple(advice), len(services))


def below_target(queue: Queue, config: SiteConfig, current: Forecast) -> list[Advice]:
    """Each service and kind below its target share, the most tickets expected late first."""
    targets = targets_of(queue, config)
    found = []
    for (service, kind), marks in on_time(queue, config, current).items():
        share = share_of(marks)
        if share < TARGET_SHARES[kind]:
            mine = [ticket for ticket in queue.waiting if (ticket.service, ticket.kind) == (service, kind)]
            overdue = sum(1 for ticket in mine if promise(ticket, targets) < 0)
            found.append((marks.count(False), Advice(service, kind, promise_minutes(kind, targets, service),
                                                     TARGET_SHARES[kind], len(mine), overdue, share)))
    found.sort(key=lambda item: (-item[0], item[1].service, KINDS.index(item[1].kind)))
    return [item for _late, item in found]


def promise_minutes(kind: str, targets: Mapping[str, float], service: str) -> float:
    """The promise as a supervisor reads it: minutes after the slot (appointments), or after arrival."""
    ticket = QueuedTicket("", service, kind, False, 0.0, 0.0 if kind == "appointment" else None, None)
    return promise(ticket, targets)
