"""`/metrics` (Prometheus text format, for allowed monitoring hosts), `/healthz` (the process answers) and
`/readyz` (the site can serve: 200 ready or degraded, 503 not ready, with what is wrong)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from flask import Blueprint, Response, current_app, jsonify, request
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

from core import site_health
from core.clock import now
from core.site import Site
from ops.access import MetricsAccess

OPS = "dour.ops"
NO_STORE = {"Cache-Control": "no-store"}
blueprint = Blueprint("ops", __name__)


@dataclass(frozen=True)
class Ops:
    registry: CollectorRegistry
    access: MetricsAccess
    probe: site_health.DatabaseProbe
    site: Site


def ops() -> Ops:
    return cast(Ops, current_app.extensions[OPS])


@blueprint.get("/metrics")
def metrics() -> Any:
    access = ops().access
    if not access.admits(request.environ, request.headers.get("Authorization", "")):
        return _refused(access)
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    return Response(encoder(ops().registry), headers={"Content-Type": content_type, **NO_STORE})


def _refused(access: MetricsAccess) -> Any:
    """401 with a challenge when a token would be accepted; 403 when only the allow list admits."""
    if access.token:
        body = {"error": "not_authenticated",
                "message": "Send the metrics token as a bearer token, or scrape from an allowed address."}
        return jsonify(body), 401, {"WWW-Authenticate": 'Bearer realm="metrics"', **NO_STORE}
    body = {"error": "forbidden", "message": "This address may not read the metrics (server.metrics_allow)."}
    return jsonify(body), 403, NO_STORE


@blueprint.get("/healthz")
def healthz() -> Any:
    """The process answers; nothing else is looked at (no database, no device)."""
    return jsonify({"status": "ok"}), 200, NO_STORE


@blueprint.get("/readyz")
def readyz() -> Any:
    found = site_health.readiness(ops().site.store, ops().site.config, ops().probe, now())
    return jsonify(found.to_dict()), 200 if found.ready else 503, NO_STORE
