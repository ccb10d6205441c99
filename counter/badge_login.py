"""Badge login at a desk: `POST /api/auth/badge`, the lock on the counter API, and the `/desk` namespace.

A desk's pages (its login page and the counter page) connect to `/desk` with `auth: {"counter": n}` and
hear `badge {counter, state, known}` when a card goes in or out of that counter's reader: nothing else, so
the namespace needs no login. A session opened by a badge keeps the insertion it saw; while another
insertion (or none) is in the reader, every API call except the logins answers 423 (CounterLocked).
"""

from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, Flask, current_app, jsonify, request, session
from flask_socketio import Namespace, emit, join_room

from core import badges
from core.errors import N_
from core.origin import socket_allowed
from core.realtime import socketio_of
from core.site import Site
from core.throttle import LoginThrottle
from core.web import field, json_body, log_in, site
from counter.badge import BadgeReaders, CounterLocked
from counter.routes import _public

bp = Blueprint("badge", __name__)
UNLOCKED_PATHS = frozenset({"/api/auth/badge", "/api/auth/login", "/api/health"})
NAMESPACE = "/desk"


def badge_readers() -> BadgeReaders:
    return cast(BadgeReaders, current_app.extensions["dour.badges"])


def desk_room(counter: int) -> str:
    return f"desk:{counter}"


@bp.post("/api/auth/badge")
def badge_login() -> Any:
    """Log in the agent whose badge is in `counter`'s reader, with their PIN, and open that counter."""
    data = json_body()
    counter, pin = field(data, "counter", int), field(data, "pin", str)
    site().config.counter(counter)
    badge_id, insertion = badge_readers().badge_in(counter)
    throttle = cast(LoginThrottle, current_app.extensions["dour.login_throttle"])
    user = badges.verify(site().store.read(), badge_id, pin, throttle)
    if site().open_counters().get(counter) != user["id"]:  # back after a lock: it is still theirs
        site().open_counter(counter, user)
    log_in(user, "badge", counter=counter, badge={"counter": counter, "insertion": insertion})
    badge_readers().logged_in(counter, insertion, user, badge_id)
    return jsonify({"user": _public(user), "counter": counter})


@bp.before_app_request
def refuse_locked_session() -> None:
    """A badge session whose badge left the reader may not use the API until the badge and PIN are back."""
    held = session.get("badge")
    if not held or not request.path.startswith("/api/") or request.path in UNLOCKED_PATHS:
        return
    if not badge_readers().is_current(int(held["counter"]), str(held["insertion"])):
        raise CounterLocked(N_("This counter is locked: your badge was removed. Insert your badge and enter "
                               "your PIN."))


class DeskNamespace(Namespace):
    """`/desk`: one counter's badge reader events, for the pages at that desk."""

    def __init__(self, namespace: str, readers: BadgeReaders) -> None:
        super().__init__(namespace)
        self.readers = readers

    def on_connect(self, auth: dict[str, Any] | None = None) -> bool:
        counter = auth.get("counter") if isinstance(auth, dict) else None
        if not socket_allowed(request.environ, site().config.public_url):
            return False
        if not isinstance(counter, int) or isinstance(counter, bool) or not self.readers.has_reader(counter):
            return False
        join_room(desk_room(counter))
        emit("badge", self.readers.state(counter))
        return True


def init_badges(app: Flask, site: Site, start_devices: bool) -> BadgeReaders:
    """The badge service, its route and namespace; the readers start only when the app starts devices."""
    socketio = socketio_of(app)

    def publish(counter: int, payload: dict[str, Any]) -> None:
        socketio.emit("badge", payload, namespace=NAMESPACE, to=desk_room(counter))

    readers = app.extensions["dour.badges"] = BadgeReaders(site, publish)
    app.register_blueprint(bp)
    socketio.on_namespace(DeskNamespace(NAMESPACE, readers))
    if start_devices:
        readers.open_configured()
    return readers
