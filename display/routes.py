"""Display page and its snapshot API. Ticket numbers only, never names."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template

from core.errors import N_, Forbidden, NotAuthenticated
from core.web import current_device, current_user, site

bp = Blueprint("display", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/display")


def _require_screen() -> None:
    device = current_device()
    user = current_user()
    if device is None and user is None:
        raise NotAuthenticated(N_("This device is not enrolled. Ask staff to enrol it."))
    if not ((device and device["kind"] == "display") or (user and user["role"] == "supervisor")):
        raise Forbidden(N_("This device may not do that."))


def service_names() -> dict[str, dict[str, str]]:
    return {code: dict(service.names) for code, service in site().config.services.items()}


@bp.get("/display")
def display_page() -> Any:
    try:
        _require_screen()
    except (NotAuthenticated, Forbidden):
        return render_template("not_enrolled.html", lang="fr", rtl=False), 401
    config = site().config
    return render_template("display.html", site=config.site, services=service_names(),
                           languages=config.site["languages"])


@bp.get("/api/display/snapshot")
def snapshot() -> Any:
    _require_screen()
    with site().store.reading():
        data = {"seq": site().last_seq(), "waiting": site().waiting_counts(), "recent": site().recent_calls()}
    return jsonify({**data, "services": service_names()})
