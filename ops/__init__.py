"""The operator's surface: Prometheus metrics at `/metrics` (for the monitoring host only), `/healthz` and
`/readyz` for a proxy or a supervisor of processes, request timing, and the one-line-per-event log.

It imports `core/` and `floor/`, never a visitor's or an agent's surface, and none of them imports it.
docs/monitoring.md.
"""

from __future__ import annotations

import os
import time
from typing import Any

from flask import Flask, request

from core import metrics, site_health
from core.logs import event_logger
from core.publisher import SITE_EVENTS
from core.revocation import EXTENSION as LIVE_CONNECTIONS
from core.revocation import LiveConnections
from core.site import Site
from ops.access import MetricsAccess
from ops.routes import OPS, Ops, blueprint

STARTED_KEY = "dour.request_started"


def init_ops(app: Flask, site: Site) -> None:
    """Call once the live-connections registry exists (core/app.py builds it before the surfaces)."""
    registry = metrics.new_registry()
    registry.register(metrics.SiteCollector(site, _screens(app.extensions[LIVE_CONNECTIONS])))
    app.extensions[OPS] = Ops(
        registry=registry, access=MetricsAccess.from_config(site.config, os.environ),
        probe=site_health.DatabaseProbe(site.store), site=site)
    _time_requests(app, metrics.request_histogram(registry))
    # One line per event for the whole site: with several processes, by one of them (core/publisher.py)
    app.extensions[SITE_EVENTS].subscribe(event_logger())
    app.register_blueprint(blueprint)


def _screens(live: LiveConnections) -> metrics.Screens | None:
    """One process: its screens, counted at the scrape. Several workers: each keeps its count in the shared
    metrics at every change, and the scrape adds them up."""
    if metrics.shared():
        live.on_change = metrics.SharedScreens().count
        return None
    return lambda: metrics.screens_by_namespace(live.held())


def _time_requests(app: Flask, histogram: Any) -> None:
    """From the first byte the WSGI server hands over (before the proxy fix, the session, the hooks) to the
    response; Socket.IO's own requests never reach Flask's hooks and are not counted."""
    inner = app.wsgi_app

    def stamped(environ: dict[str, Any], start_response: Any) -> Any:
        environ[STARTED_KEY] = time.perf_counter()
        return inner(environ, start_response)

    app.wsgi_app = stamped  # type: ignore[method-assign]

    @app.after_request
    def observe(response: Any) -> Any:
        started = request.environ.get(STARTED_KEY)
        if started is not None:
            endpoint = request.url_rule.endpoint if request.url_rule is not None else None
            histogram.labels(*metrics.request_labels(endpoint, request.method, response.status_code)).observe(
                time.perf_counter() - started)
        return response
