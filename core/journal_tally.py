"""Today's queue figures as a projection of the journal: tickets issued, served and no-shows (by service and
kind), calls and recalls, waits before the call and service times (by service).

The journal is the one source, so the figures survive a restart and agree between processes: a tally starts
at the first event of the site's local day (found by bisecting the journal's seqs, which follow time) and then
reads only what was appended since its last look. They start again from zero at local midnight, which
Prometheus takes as a counter reset. docs/monitoring.md.
"""

from __future__ import annotations

import copy
import json
import threading
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any

import sqlite_utils

from core.clock import utc_iso
from core.config import SiteConfig

TALLIED = ("ticket.issued", "ticket.called", "ticket.recalled", "ticket.started", "ticket.finished",
           "ticket.no_show", "ticket.closed")
# Seconds. Waits: a consulate's target is 10 to 40 minutes, hours are possible on a bad morning.
WAIT_BUCKETS = (60.0, 300.0, 600.0, 900.0, 1200.0, 1800.0, 2700.0, 3600.0, 5400.0, 7200.0)
SERVICE_BUCKETS = (60.0, 120.0, 300.0, 600.0, 900.0, 1200.0, 1800.0, 2700.0, 3600.0)
CLOCK_MARGIN = 100  # events read before the day's bisected start, in case the clock stepped back at midnight


@dataclass
class Distribution:
    """A histogram's buckets (observations per bucket, the last one above every bound) and its sum."""

    bounds: tuple[float, ...]
    counts: list[int] = field(default_factory=list)
    total: float = 0.0

    def __post_init__(self) -> None:
        self.counts = self.counts or [0] * (len(self.bounds) + 1)

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.bounds, value)] += 1
        self.total += value

    def cumulative(self) -> list[tuple[str, float]]:
        """Prometheus' buckets: (upper bound, observations at or below it), ending with +Inf."""
        running, buckets = 0, []
        for bound, count in zip([*map(str, self.bounds), "+Inf"], self.counts, strict=True):
            running += count
            buckets.append((bound, float(running)))
        return buckets


@dataclass
class DayFigures:
    day: str
    issued: Counter[tuple[str, str]] = field(default_factory=Counter)  # (service, kind)
    served: Counter[tuple[str, str]] = field(default_factory=Counter)
    no_shows: Counter[str] = field(default_factory=Counter)  # service
    calls: Counter[str] = field(default_factory=Counter)
    recalls: Counter[str] = field(default_factory=Counter)
    waits: dict[str, Distribution] = field(default_factory=dict)
    service_times: dict[str, Distribution] = field(default_factory=dict)

    def wait(self, service: str) -> Distribution:
        return self.waits.setdefault(service, Distribution(WAIT_BUCKETS))

    def service_time(self, service: str) -> Distribution:
        return self.service_times.setdefault(service, Distribution(SERVICE_BUCKETS))


class JournalTally:
    """Thread-safe; one per process (each process derives the same figures from the same journal)."""

    def __init__(self, config: SiteConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._figures = DayFigures("")
        self._seq = 0  # the last journal seq read
        self._started: dict[str, datetime] = {}  # ticket id → when its service started (today)

    def figures(self, db: sqlite_utils.Database, moment: datetime) -> DayFigures:
        """Today's figures as of the journal's last seq; call inside a read transaction (Store.reading)."""
        day = self.config.local_day(moment)
        start = day_start(self.config, day)
        with self._lock:
            last = int(db.execute("SELECT COALESCE(MAX(seq), 0) FROM journal").fetchone()[0])
            if self._figures.day != day or last < self._seq:  # a new day, or a database restored
                self._figures, self._started = DayFigures(day), {}
                self._seq = max(0, last_seq_before(db, start, last) - CLOCK_MARGIN)
            self._read(db, start, last)
            return copy.deepcopy(self._figures)

    def _read(self, db: sqlite_utils.Database, start: str, last: int) -> None:
        marks = ", ".join("?" for _ in TALLIED)
        rows = db.execute(
            f"SELECT at, type, ticket_id, data FROM journal WHERE seq > ? AND seq <= ? AND type IN ({marks}) "
            "ORDER BY seq", [self._seq, last, *TALLIED])
        for at, type_, ticket_id, data in rows:
            if at >= start:
                self._count(at, type_, ticket_id, json.loads(data))
        self._seq = last

    def _count(self, at: str, type_: str, ticket_id: str | None, data: dict[str, Any]) -> None:
        figures, service = self._figures, str(data.get("service"))
        ticket = data["ticket"] if isinstance(data.get("ticket"), dict) else {}
        kind = str(ticket.get("kind"))
        if type_ == "ticket.issued":
            figures.issued[(service, kind)] += 1
        elif type_ == "ticket.called":
            figures.calls[service] += 1
            if isinstance(ticket.get("arrived_at"), str):
                figures.wait(service).observe(_seconds(ticket["arrived_at"], at))
        elif type_ == "ticket.recalled":
            figures.recalls[service] += 1
        elif type_ == "ticket.started" and ticket_id:
            self._started[ticket_id] = _parse(at)
        elif type_ == "ticket.finished":
            figures.served[(service, kind)] += 1
            began = self._started.pop(ticket_id or "", None)
            if began is not None:
                figures.service_time(service).observe(max(0.0, (_parse(at) - began).total_seconds()))
        elif type_ == "ticket.no_show" or (type_ == "ticket.closed" and data.get("outcome") == "no_show"):
            figures.no_shows[service] += 1  # a leftover the day's close ended as a no-show counts too


def day_start(config: SiteConfig, day: str) -> str:
    """Local midnight of `day` as the journal writes times (UTC ISO, sortable as text)."""
    midnight = datetime.combine(datetime.fromisoformat(day).date(), time(0), tzinfo=config.tz)
    return utc_iso(midnight.astimezone(UTC))


def last_seq_before(db: sqlite_utils.Database, start: str, last: int) -> int:
    """The highest seq written before `start`, by bisection (seqs follow time; seqs may have gaps)."""
    low, high = 0, last  # every seq <= low is before start; the answer is in [low, high]
    while low < high:
        middle = (low + high + 1) // 2
        row = db.execute("SELECT seq, at FROM journal WHERE seq >= ? ORDER BY seq LIMIT 1",
                         [middle]).fetchone()
        if row is not None and row[1] < start:
            low = int(row[0])
        else:
            high = middle - 1
    return low


def _parse(at: str) -> datetime:
    return datetime.fromisoformat(at)


def _seconds(since: str, until: str) -> float:
    return max(0.0, (_parse(until) - _parse(since)).total_seconds())
