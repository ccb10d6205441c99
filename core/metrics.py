"""The site's Prometheus metrics: what each one is and where its figure comes from. No Flask here; the
operator's surface (ops/) serves them at `/metrics` and times the requests.

Everything a restart must not reset, and every process must agree on, is read from the database at scrape
time by `SiteCollector`: today's tickets, calls, waits and service times (a projection of the journal,
core/journal_tally.py), today's payments by state, the devices' states, the sync backlog and the worker's
last report. Only what belongs to one process is kept in it: request latencies, and the screens connected to
it. With several gunicorn workers (core/shared_metrics.py), those two are kept in prometheus_client's shared
files instead, and any worker's scrape reports the whole server's. docs/monitoring.md lists every metric.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

import sqlite_utils
from prometheus_client import (
    CollectorRegistry,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector

from core import device_health, payments, site_health
from core.clock import now
from core.journal_tally import JournalTally
from core.shared_metrics import VARIABLE as SHARED_DIR
from core.site import Site

log = logging.getLogger(__name__)
SCREEN_NAMESPACES = ("/display", "/counter", "/kiosk")
REQUEST_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
PAYMENT_STATES = ("pending", *payments.UNSETTLED, *payments.FINAL)
Screens = Callable[[], Mapping[str, int]]


def shared() -> bool:
    """Whether this process is one of several workers adding up their figures (core/shared_metrics.py)."""
    return bool(os.environ.get(SHARED_DIR))


def new_registry() -> CollectorRegistry:
    """One registry per app (tests build many apps), with the process' own figures (memory, CPU, fds, GC).
    Several workers: the sum of their shared files instead, and no process figures, which would describe
    whichever worker answers the scrape and have no meaning summed (docs/monitoring.md)."""
    registry = CollectorRegistry()
    if shared():
        MultiProcessCollector(registry)
        PlatformCollector(registry=registry)  # python_info: the same in every worker
        return registry
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry


def request_histogram(registry: CollectorRegistry) -> Histogram:
    """Request latency in this process (several workers: in its shared file, outside the registry, which
    reads every worker's). Labels stay few: the route's endpoint (never the URL path, which holds ticket
    ids), the method, and the status class."""
    return Histogram("dour_http_request_duration_seconds",
                     "Time to answer an HTTP request, by Flask endpoint, method and status class.",
                     ["endpoint", "method", "status"], buckets=REQUEST_BUCKETS,
                     registry=None if shared() else registry)


def request_labels(endpoint: str | None, method: str, status: int) -> tuple[str, str, str]:
    return (endpoint or "unmatched", method if method in METHODS else "other", f"{status // 100}xx")


def screens_by_namespace(held: Iterable[tuple[str, str]]) -> dict[str, int]:
    """Connections per namespace from core/revocation.LiveConnections' (namespace, sid) keys."""
    counts = dict.fromkeys(SCREEN_NAMESPACES, 0)
    counts.update(Counter(namespace for namespace, _sid in held))
    return counts


class SharedScreens:
    """Several workers: each one's connected screens in its shared file, set at every connection and
    disconnection, and summed over the live workers at the scrape (a worker that ended counts no more)."""

    def __init__(self) -> None:
        self.gauge = Gauge("dour_screens_connected", HELP["screens"], ["namespace"],
                           multiprocess_mode="livesum", registry=None)
        self.count([])

    def count(self, held: Iterable[tuple[str, str]]) -> None:
        for namespace, count in screens_by_namespace(held).items():
            self.gauge.labels(namespace).set(count)


class SiteCollector:
    """A prometheus_client collector reading the site's figures from the database at each scrape, and the
    screens connected to this process (`screens`; None when SharedScreens counts them)."""

    def __init__(self, site: Site, screens: Screens | None) -> None:
        self.site, self.screens = site, screens
        self.tally = JournalTally(site.config)

    def collect(self) -> Iterator[Metric]:
        if self.screens is not None:
            screens = GaugeMetricFamily("dour_screens_connected", HELP["screens"], labels=["namespace"])
            for namespace, count in sorted(self.screens().items()):
                screens.add_metric([namespace], count)
            yield screens
        moment = now()
        try:
            with self.site.store.reading() as db:
                families = [*self._queue(db, moment), *self._payments(db, moment), *self._devices(db),
                            *self._sync(db, moment)]
        except sqlite3.Error:
            log.exception("metrics: the database could not be read")
            families = []
        yield GaugeMetricFamily("dour_database_up", HELP["database_up"], value=1 if families else 0)
        yield from families
        yield from self._forecasts(moment)

    # --- queue: today's journal ----------------------------------------------------------------------------
    def _queue(self, db: sqlite_utils.Database, moment: datetime) -> list[Metric]:
        figures = self.tally.figures(db, moment)
        config = self.site.config
        pairs = [(code, kind) for code, service in config.services.items() for kind in service.kinds]
        codes = sorted({*config.services, *figures.calls, *figures.waits, *figures.service_times})
        families = [
            _counter("dour_tickets_issued", ["service", "kind"], _per(figures.issued, pairs)),
            _counter("dour_tickets_served", ["service", "kind"], _per(figures.served, pairs)),
            _counter("dour_tickets_no_show", ["service"], _per(figures.no_shows, codes)),
            _counter("dour_ticket_calls", ["service"], _per(figures.calls, codes)),
            _counter("dour_ticket_recalls", ["service"], _per(figures.recalls, codes)),
        ]
        waits = HistogramMetricFamily("dour_ticket_wait_seconds", HELP["waits"], labels=["service"])
        times = HistogramMetricFamily("dour_ticket_service_seconds", HELP["service_times"],
                                      labels=["service"])
        for code in codes:
            wait, service_time = figures.wait(code), figures.service_time(code)
            waits.add_metric([code], wait.cumulative(), wait.total)
            times.add_metric([code], service_time.cumulative(), service_time.total)
        waiting = GaugeMetricFamily("dour_tickets_waiting", HELP["waiting"], labels=["service"])
        for code, count in sorted(self.site.waiting_counts().items()):
            waiting.add_metric([code], count)
        last = int(db.execute("SELECT COALESCE(MAX(seq), 0) FROM journal").fetchone()[0])
        seq = GaugeMetricFamily("dour_journal_seq", HELP["seq"], value=last)
        return [*families, waits, times, waiting, seq]

    # --- the waiting-time forecast: this process's, in memory ---------------------------------------------
    def _forecasts(self, moment: datetime) -> list[Metric]:
        forecasts = self.site.forecasts
        families: list[Metric] = [
            CounterMetricFamily("dour_forecast_refreshes", HELP["dour_forecast_refreshes"],
                                value=forecasts.refreshes),
            CounterMetricFamily("dour_forecast_busy_seconds", HELP["dour_forecast_busy_seconds"],
                                value=forecasts.busy_seconds)]
        latest, last = forecasts.latest, forecasts.last_refresh_seconds
        if latest is not None and last is not None:
            age = max(0.0, (moment - latest.at).total_seconds())
            families += [GaugeMetricFamily("dour_forecast_age_seconds", HELP["dour_forecast_age_seconds"],
                                           value=age),
                         GaugeMetricFamily("dour_forecast_last_refresh_seconds",
                                           HELP["dour_forecast_last_refresh_seconds"], value=last)]
        return families

    # --- payments, devices, sync ------------------------------------------------------------------------
    def _payments(self, db: sqlite_utils.Database, moment: datetime) -> list[Metric]:
        rows = db.execute("SELECT operation, state, COUNT(*) FROM payments WHERE day = ? "
                          "GROUP BY operation, state", [self.site.config.local_day(moment)]).fetchall()
        counts = {("payment", state): 0 for state in PAYMENT_STATES}
        counts.update({(operation, state): int(count) for operation, state, count in rows})
        family = GaugeMetricFamily("dour_payments", HELP["payments"], labels=["operation", "state"])
        for (operation, state), count in sorted(counts.items()):
            family.add_metric([operation, state], count)
        return [family]

    def _devices(self, db: sqlite_utils.Database) -> list[Metric]:
        family = GaugeMetricFamily("dour_device_state", HELP["devices"], labels=["device", "kind", "state"])
        for device in device_health.all_devices(db):
            for state in device_health.STATES:
                family.add_metric([device.device, device.kind, state], 1 if device.state == state else 0)
        return [family]

    def _sync(self, db: sqlite_utils.Database, moment: datetime) -> list[Metric]:
        link = site_health.sync_figures(db, self.site.config, moment)
        oldest = site_health.when(link.oldest_pending_at)
        age = max(0.0, (moment - oldest).total_seconds()) if oldest else 0.0
        values: dict[str, float | None] = {
            "dour_sync_configured": int(link.configured),
            "dour_sync_backlog_events": link.backlog,
            "dour_sync_failures": link.failures,
            "dour_sync_oldest_pending_age_seconds": age,
            "dour_sync_last_success_timestamp_seconds": _timestamp(link.last_success),
            "dour_sync_report_timestamp_seconds": _timestamp(link.reported_at),
        }
        return [GaugeMetricFamily(name, HELP[name], value=value) for name, value in values.items()
                if value is not None]


HELP = {
    "screens": "Live Socket.IO connections to this server (all its workers), by namespace.",
    "database_up": "1 when this scrape could read the database.",
    "dour_tickets_issued": "Tickets issued today (the site's local day), by service and kind.",
    "dour_tickets_served": "Tickets served (finished) today, by service and kind.",
    "dour_tickets_no_show": "Tickets marked no-show today, by service.",
    "dour_ticket_calls": "Calls of a ticket to a counter today, by service.",
    "dour_ticket_recalls": "Recalls (the same ticket called again) today, by service.",
    "waits": "Wait from arrival to the call, for the calls of today, by service.",
    "service_times": "Service time (start to finish) of the tickets finished today, by service.",
    "waiting": "Tickets waiting now, by service.",
    "seq": "The journal's last seq.",
    "payments": "Today's card payments (and voids, refunds) by operation and state.",
    "devices": "1 for the state each device last reported, 0 for the others.",
    "dour_sync_configured": "1 when a central is configured (sync.central_url).",
    "dour_sync_backlog_events": "Journal events the central has not acknowledged yet.",
    "dour_sync_failures": "Sync rounds failed in a row, as the worker last reported.",
    "dour_sync_oldest_pending_age_seconds": "Age of the oldest event not acknowledged yet (0: none).",
    "dour_sync_last_success_timestamp_seconds": "When the sync worker last completed a round (Unix time).",
    "dour_sync_report_timestamp_seconds": "When the sync worker last reported, failed rounds included.",
    "dour_forecast_refreshes": "Waiting-time forecasts computed by this server process.",
    "dour_forecast_busy_seconds": "Seconds this process spent on forecasts and the staffing advice.",
    "dour_forecast_age_seconds": "Age of the waiting-time ranges shown now (since their forecast's time).",
    "dour_forecast_last_refresh_seconds": "How long the last forecast refresh of this process took.",
}


def _timestamp(text: str | None) -> float | None:
    moment = site_health.when(text)
    return moment.timestamp() if moment is not None else None


def _per(counts: Mapping[Any, int], keys: Iterable[Any]) -> dict[tuple[str, ...], int]:
    """Every expected label set (zero when nothing happened yet) and every one that did happen."""
    return {key if isinstance(key, tuple) else (key,): counts.get(key, 0) for key in [*keys, *counts]}


def _counter(name: str, labels: list[str], values: dict[tuple[str, ...], int]) -> Metric:
    family = CounterMetricFamily(name, HELP[name], labels=labels)
    for key, value in sorted(values.items()):
        family.add_metric(list(key), value)
    return family
