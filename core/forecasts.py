"""The latest waiting-time forecast, kept in memory, and the background refresher that keeps it fresh.

Pages read `Forecasts.for_ticket` / `for_service`: a dictionary look-up, never a computation on a request.
`ForecastRefresher` listens to the bus: a ticket or counter event marks the queue as changed; the refresher
waits `DEBOUNCE_SECONDS` for the burst to settle, recomputes, then rests until
`policy.forecast_interval_seconds` have passed since the start of that refresh, and at least
1 / `MAX_SHARE` times what the refresh took (a long queue's replay never takes more than that share of the
server's time: docs/serving.md, "Cost per ticket"); with no event it still refreshes every `MAX_AGE_SECONDS`
(time passes: appointments fall due, services run long). The replay runs in gevent's thread pool under
gevent, so the server's loop goes on serving meanwhile.

After each forecast, the supervisors' staffing advice on the same queue (core/staffing.py,
`Forecasts.refresh_staffing`; its cost counts in the refresh's time above): kept here too, and handed to the
listeners (the supervisors' room on `/counter`, counter/socket.py) when it changed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from core import floor_control
from core.bus import Bus
from core.clock import now
from core.config import SiteConfig
from core.forecast import Estimate, Forecast, Queue, forecast, read_queue
from core.forecast_calibration import Calibration
from core.journal import Event
from core.offload import off_loop
from core.staffing import Staffing, advise
from core.store import Store
from core.tickets import Ticket

log = logging.getLogger(__name__)
DEBOUNCE_SECONDS = 0.5
MAX_AGE_SECONDS = 30.0
QUEUE_EVENTS = ("ticket.", "counter.", "floor.")
MAX_SHARE = 0.05
QueueRead = tuple[Queue, dict[int, tuple[str, ...]]]  # a forecast's queue, and each counter's services today


def rest_after(duration: float, interval: float) -> float:
    """Seconds from the start of a refresh that took `duration` to the start of the next: at least
    `interval`, and long enough that refreshing takes at most `MAX_SHARE` of the time."""
    return max(interval, duration / MAX_SHARE)


def _aged(estimate: Estimate, forecast_at: datetime, moment: datetime) -> Estimate:
    """The estimate less the minutes passed since its forecast (never below zero)."""
    spent = max(0.0, (moment - forecast_at).total_seconds() / 60)
    if spent < 0.5:
        return estimate
    return Estimate(*(max(0, round(value - spent)) for value in (estimate.p10, estimate.p50, estimate.p90)))


class Forecasts:
    """The last forecast of this process's site (None until the first refresh)."""

    def __init__(self, config: SiteConfig, store: Store) -> None:
        self.config, self.store = config, store
        self.latest: Forecast | None = None
        self.runs = int(config.policy.get("forecast_runs", 40))
        self._seed = 0
        self.staffing: Staffing | None = None
        self._read: QueueRead | None = None  # the last forecast's queue
        self._listeners: list[Callable[[dict[str, Any]], None]] = []
        self.calibration = Calibration()
        self._service_kinds = {code: next((k for k in ("walk_in", "pickup") if k in service.kinds), "walk_in")
                               for code, service in config.services.items()}
        # What this process spent on forecasts (`/metrics`, docs/monitoring.md): refreshes, and the seconds
        # they and the staffing advice took (at most MAX_SHARE of the time under the refresher).
        self.refreshes = 0
        self.busy_seconds = 0.0
        self.last_refresh_seconds: float | None = None

    def refresh(self) -> Forecast:
        """Read the queue and today's calls (one read transaction, no write), replay the queue, widen the
        ranges as today's errors say (core/forecast_calibration.py); keep the result. All of it off the
        gevent loop: with thousands waiting, reading the queue alone takes tens of milliseconds."""
        self._seed += 1
        started = time.monotonic()
        self.latest, self._read = off_loop(self._compute, now(), self._seed)
        self.last_refresh_seconds = time.monotonic() - started
        self.refreshes += 1
        self.busy_seconds += self.last_refresh_seconds
        return self.latest

    def _compute(self, moment: datetime, seed: int) -> tuple[Forecast, QueueRead]:
        day = self.config.local_day(moment)
        with self.store.reading() as db:
            queue = read_queue(db, self.config, moment)
            self.calibration.learn(db, day)
            taking = floor_control.counters_taking(db, self.config, day)
        replayed = forecast(queue, self.config, self.runs, seed)
        kinds = {ticket.id: ticket.kind for ticket in queue.waiting}
        self.calibration.remember(replayed, kinds)
        return self.calibration.apply(replayed, kinds, self._service_kinds), (queue, taking)

    def refresh_staffing(self) -> Staffing | None:
        """The staffing advice on the last forecast's queue (its p50s), with a quarter of its runs; the
        listeners hear it when what it says changed. None before the first forecast."""
        latest, read = self.latest, self._read
        if latest is None or read is None:
            return None
        queue, taking = read
        started = time.monotonic()
        staffing = off_loop(advise, queue, self.config, taking, latest, max(1, self.runs // 4), self._seed)
        self.busy_seconds += time.monotonic() - started
        shown = staffing.to_json()
        changed = self.staffing is None or self.staffing.to_json()["advice"] != shown["advice"]
        self.staffing = staffing
        if changed:
            for listener in self._listeners:
                listener(shown)
        return staffing

    def on_staffing(self, listener: Callable[[dict[str, Any]], None]) -> None:
        """`listener(advice as JSON)` after each change of the staffing advice (in the refresher's thread)."""
        self._listeners.append(listener)

    def staffing_json(self) -> dict[str, Any] | None:
        return self.staffing.to_json() if self.staffing is not None else None

    def for_ticket(self, ticket: Ticket) -> Estimate | None:
        """A waiting ticket's range; a ticket issued since the last refresh gets what the kiosk showed for
        its service (the same replay, for someone taking a ticket at that time)."""
        latest = self.latest
        if latest is None or ticket.state != "waiting":
            return None
        found = latest.tickets.get(ticket.id)
        if found is None and ticket.kind != "appointment":
            found = (latest.priority if ticket.priority else latest.walk_in).get(ticket.service)
        return _aged(found, latest.at, now()) if found else None

    def for_service(self, service: str, priority: bool = False) -> Estimate | None:
        latest = self.latest
        if latest is None:
            return None
        found = (latest.priority if priority else latest.walk_in).get(service)
        return _aged(found, latest.at, now()) if found else None

    def to_json(self) -> dict[str, dict[str, int]]:
        """Per service, the range of a visitor without priority taking a ticket now."""
        return {code: estimate.to_json() for code in self.config.services
                if (estimate := self.for_service(code)) is not None}


class ForecastRefresher:
    def __init__(self, forecasts: Forecasts, bus: Bus) -> None:
        self.forecasts = forecasts
        self.interval = float(forecasts.config.policy.get("forecast_interval_seconds", 3))
        self.bus = bus
        self._changed = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="forecast", daemon=True)
        self.refreshes = 0

    def start(self) -> ForecastRefresher:
        self.bus.subscribe(self._heard)
        self._changed.set()  # a first forecast at once
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._changed.set()
        self._thread.join(timeout=5)

    def _heard(self, event: Event) -> None:
        if event.type.startswith(QUEUE_EVENTS):
            self._changed.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._changed.wait(MAX_AGE_SECONDS)
            if self._stop.wait(DEBOUNCE_SECONDS):
                return
            self._changed.clear()
            started = time.monotonic()
            try:
                self.forecasts.refresh()
                self.refreshes += 1
                self.forecasts.refresh_staffing()
            except Exception:  # noqa: BLE001 - a locked database now is fine at the next turn
                log.exception("waiting-time forecast")
            spent = time.monotonic() - started
            self._stop.wait(max(0.0, rest_after(spent, self.interval) - spent))


