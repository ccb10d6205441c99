"""The device-control page's link with the demo's reference central: today's appointment QR codes (valid ones
and every kind of bad one) to scan with one click, and a switch that cuts the link and restores it.

Demo and test sites only: active when `sync.demo_admin_token_file` names the reference central's admin token
(`make demo` sets it). A real central's admin API is never reachable from a site.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests
from flask import Blueprint, jsonify

from core import appointments
from core.errors import N_, Conflict
from core.web import field, json_body, require_user, site

bp = Blueprint("central_control", __name__)
TIMEOUT = 3.0
NOT_DEMO = N_("This site has no demo central: the control page acts on the demo's reference central only.")
CENTRAL_DOWN = N_("The demo central does not answer.")


def _admin() -> tuple[str, dict[str, str]]:
    config = site().config.sync
    token_file, url = str(config.get("demo_admin_token_file") or ""), str(config.get("central_url") or "")
    if not token_file or not url:
        raise Conflict(NOT_DEMO)
    token = Path(token_file).read_text(encoding="utf-8").strip()
    return url.rstrip("/"), {"Authorization": f"Bearer {token}"}


def _call(method: str, path: str, **kwargs: Any) -> Any:
    base, headers = _admin()
    try:
        response = requests.request(method, f"{base}/admin{path}", headers=headers, timeout=TIMEOUT, **kwargs)
        response.raise_for_status()
        return response.json()
    except (requests.RequestException, ValueError):
        raise Conflict(CENTRAL_DOWN) from None


def _used(samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mark the samples whose appointment is already checked in here: scanning them shows the same ticket."""
    db = site().store.read()
    for sample in samples:
        known = appointments.get(db, str(sample.get("appointment_id")))
        sample["checked_in"] = bool(known and known.ticket_id)
    return samples


@bp.get("/api/sim/central")
@require_user("supervisor")
def central_state() -> Any:
    config = site().config
    answer = _call("GET", f"/sites/{config.site_id}/qr-samples", params={"timezone": config.site["timezone"]})
    samples = answer.get("samples") if isinstance(answer, dict) else None
    return jsonify({"samples": _used(samples if isinstance(samples, list) else []),
                    "faults": _call("GET", "/faults")})


@bp.put("/api/sim/central/link")
@require_user("supervisor")
def central_link() -> Any:
    """`{"up": false}` makes the central drop every connection (unreachable); `{"up": true}` restores it."""
    up = field(json_body(), "up", bool)
    return jsonify(_call("PUT", "/faults", json={"mode": "normal" if up else "unreachable"}))
