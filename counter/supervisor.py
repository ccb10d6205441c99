"""The supervisor's live overview of the floor: services against their target waits, every counter, and the
link with eConsulat (counter/sync_status.py)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, redirect, render_template, url_for

from core.clock import now, utc_iso
from core.errors import N_, Conflict, Forbidden
from core.web import current_user, language_context, require_user, site
from counter.sync_status import request_pull, sync_view

bp = Blueprint("supervisor", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/supervisor")


@bp.get("/supervisor")
def supervisor_page() -> Any:
    user = current_user()
    if user is None:
        return redirect(url_for("counter.login_page"))
    if user["role"] != "supervisor":
        raise Forbidden(N_("Your role may not do that."))
    return render_template("supervisor.html", site=site().config.site, **language_context())


@bp.get("/api/supervisor/overview")
@require_user("supervisor")
def overview() -> Any:
    return jsonify(site().overview())


@bp.get("/api/supervisor/sync")
@require_user("supervisor")
def sync() -> Any:
    moment = now()
    return jsonify({**sync_view(site(), moment), "now": utc_iso(moment)})


@bp.post("/api/supervisor/sync/pull")
@require_user("supervisor")
def pull_now() -> Any:
    """The "Sync now" button: the worker sees the flag at its next round (2 s) and pulls at once."""
    if not str(site().config.sync.get("central_url") or "").strip():
        raise Conflict(N_("No central is configured: this site works on its own and has nothing to pull."))
    request_pull(site())
    return sync()
