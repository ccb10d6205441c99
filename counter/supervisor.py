"""The supervisor's live overview of the floor: services against their target waits, and every counter."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, redirect, render_template, url_for

from core.errors import N_, Forbidden
from core.web import current_user, language_context, require_user, site

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
