"""Agent login, counter pages and the JSON API behind the desk's buttons."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session, url_for

from core import no_show, users
from core.clock import utc_iso
from core.errors import N_, InvalidInput, NotAuthenticated
from core.states import Action
from core.throttle import LoginThrottle
from core.web import (
    LANGUAGE_NAMES,
    current_user,
    field,
    json_body,
    language_context,
    log_in,
    log_out,
    require_user,
    site,
)
from counter import appointment_desk
from counter.payments import fees_at_counter

bp = Blueprint("counter", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/counter")

ACTIONS = {"recall": Action.RECALL, "start": Action.START, "finish": Action.FINISH, "no-show": Action.NO_SHOW}


def language_links() -> list[dict[str, str]]:
    """Each site language named in itself, for the login page's language links."""
    return [{"code": code, "name": LANGUAGE_NAMES[code]} for code in site().config.site["languages"]]


@bp.get("/login")
def login_page() -> Any:
    return render_template("login.html", languages=language_links(), site=site().config.site,
                           **language_context())


@bp.post("/api/auth/login")
def login() -> Any:
    """Password login: throttled per user name and per client address (the decoy hash makes an unknown
    name as slow as a known one, so guessing names costs as much as guessing passwords)."""
    data = json_body()
    username, password = field(data, "username", str), field(data, "password", str)
    per_name: LoginThrottle = current_app.extensions["dour.login_throttle"]
    per_client: LoginThrottle = current_app.extensions["dour.client_throttle"]
    client = f"client:{request.remote_addr}"
    per_client.check(client)
    per_name.check(username)
    user = users.authenticate(site().store.read(), username, password)  # never under the writer lock
    if user is None:
        per_name.failed(username)
        per_client.failed(client)  # kept after a success: one known account must not reset an address
        raise NotAuthenticated(N_("Wrong user name or password."))
    per_name.succeeded(username)
    log_in(user, "password")
    return jsonify({"user": _public(user)})


@bp.post("/api/auth/logout")
def logout() -> Any:
    """End the session on the server too: the cookie, even copied, no longer works, and the live
    connections it opened are closed."""
    user = current_user()
    counter = session.get("counter")
    log_out()  # first: the closing of the counter is not sent to this session's pages any more
    if user and counter:
        site().close_counter(counter, user)
    return jsonify({"ok": True})


@bp.get("/api/auth/me")
@require_user()
def me() -> Any:
    return jsonify({"user": _public(current_user() or {}), "counter": session.get("counter")})


def _public(user: dict[str, Any]) -> dict[str, Any]:
    return {key: user.get(key) for key in ("id", "username", "display_name", "role")}


@bp.get("/counter")
def counter_page() -> Any:
    if current_user() is None:
        return redirect(url_for("counter.login_page", lang=request.args.get("lang")))
    return render_template("counter.html", site=site().config.site, **language_context())


@bp.get("/api/counters")
@require_user()
def counters() -> Any:
    config = site().config
    open_by = site().open_counters()
    return jsonify({"counters": [
        {"number": c.number, "services": list(c.services), "open_by": open_by.get(c.number)}
        for c in config.counters.values()
    ], "services": {code: dict(s.names) for code, s in config.services.items()}})


@bp.post("/api/counter/open")
@require_user()
def open_counter() -> Any:
    number = field(json_body(), "counter", int)
    site().open_counter(number, current_user() or {})
    session["counter"] = number
    return jsonify({"counter": number})


@bp.post("/api/counter/close")
@require_user()
def close_counter() -> Any:
    number = _my_counter()
    site().close_counter(number, current_user() or {})
    session.pop("counter", None)
    return jsonify({"ok": True})


def _my_counter() -> int:
    number = session.get("counter")
    if number is None:
        raise InvalidInput(N_("Choose your counter first."))
    return int(number)


@bp.get("/api/counter/state")
@require_user()
def state() -> Any:
    number = _my_counter()
    current = site().current_ticket(number)
    db = site().store.read()
    held = None
    if current:
        held = current.public() | {"recalls": current.recalls, "slot_at": current.slot_at,
                                   "fees": fees_at_counter(current.id, current.service),
                                   "appointment": appointment_desk.for_desk(db, current)}
    return jsonify({
        "counter": number, "seq": site().last_seq(), "now": utc_iso(),
        "current": held,
        "waiting": appointment_desk.with_persons(db, site().waiting_list(number)),
    })


@bp.post("/api/counter/next")
@require_user()
def call_next() -> Any:
    ticket = site().call_next(_my_counter(), current_user() or {})
    return jsonify({"ticket": ticket.public() if ticket else None})


@bp.post("/api/counter/tickets/<ticket_id>/<action>")
@require_user()
def act(ticket_id: str, action: str) -> Any:
    if action == "transfer":
        return _transfer(ticket_id)
    if action not in ACTIONS:
        raise InvalidInput(N_("Unknown action."))
    ticket = site().act(ticket_id, ACTIONS[action], _my_counter(), current_user() or {})
    answer: dict[str, Any] = {"ticket": ticket.public()}
    if action == "no-show" and ticket.finished_at and no_show.undo_seconds(site().config) > 0:
        answer["undo_until"] = utc_iso(no_show.undo_deadline(site().config, ticket.finished_at))
        answer["now"] = utc_iso()
    return jsonify(answer)


@bp.post("/api/counter/tickets/<ticket_id>/no-show/undo")
@require_user()
def undo_no_show(ticket_id: str) -> Any:
    """The desk's Undo after a no-show: the same agent and counter, within the window (core/no_show.py)."""
    ticket = site().undo_no_show(ticket_id, _my_counter(), current_user() or {})
    return jsonify({"ticket": ticket.public()})


@bp.post("/api/tickets/<ticket_id>/cancel")
@require_user("supervisor")
def cancel(ticket_id: str) -> Any:
    """A supervisor cancels a ticket that is waiting, called or being served (the visitor left)."""
    user = current_user() or {}
    ticket = site().cancel(ticket_id, f"user:{user.get('id')}")
    return jsonify({"ticket": ticket.public()})


def _transfer(ticket_id: str) -> Any:
    data = json_body()
    ticket = site().transfer(
        ticket_id, _my_counter(), current_user() or {},
        to_service=field(data, "service", str, required=False),
        to_counter=field(data, "counter", int, required=False),
    )
    return jsonify({"ticket": ticket.public()})
