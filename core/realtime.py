"""Flask-SocketIO, one server per app (tests build many apps), and the post-commit broadcast.

One process (the default): the bus calls `broadcaster` after each commit. Several processes sharing a message
queue: the journal publisher calls it, in one process only (core/publisher.py)."""

from __future__ import annotations

from typing import Any, cast

from flask import Flask
from flask_socketio import SocketIO

from core import zones
from core.journal import Event
from core.origin import socket_origin_check
from core.site import Site

# What a waiting-room screen may hear: calls and counters. Payments, appointments (booking references) and
# device events are for staff only.
DISPLAY_EVENT_PREFIXES = ("ticket.", "counter.")
# ... and of those, only what it shows: never a ticket id (the visitor's credential for `/t/<id>`), the
# actor (a staff account), a priority flag, a language, a printer or its fault.
DISPLAY_FIELDS = ("seq", "at", "type", "number", "service", "counter")
# The supervisor's message on the displays: its text(s) and end, never its author or reason. A display's new
# zone: no name, no zone (each display asks for its own snapshot again, and reloads if its zone changed).
DISPLAY_FLOOR_FIELDS = {"floor.ticker": ("text", "texts", "ends_at"), "floor.ticker_cleared": (),
                        "display.zone": ()}
# What changes the kiosks' list of services (a pause, the walk-in stop): a kiosk hears `floor {seq, type}` on
# `/kiosk` and asks again for its services, in its visitor's language (no author, no reason).
KIOSK_NAMESPACE = "/kiosk"
KIOSK_FLOOR_EVENTS = ("floor.service_paused", "floor.service_resumed", "floor.walk_ins_stopped",
                      "floor.walk_ins_resumed")


# On `/counter`, supervisors hear every event whole. An agent's desk hears no payment (reference, amount,
# authorisation code, card's last four: the payments page is the supervisors'), and of an appointment only
# which ticket it concerns: never its booking reference, slot, persons or services. The desk holding that
# ticket reads them from `GET /api/counter/state`; other desks have no business with them.
SUPERVISORS_ROOM = "supervisors"
AGENTS_ROOM = "agents"
SUPERVISOR_EVENT_PREFIXES = ("payment.",)
APPOINTMENT_EVENT_PREFIXES = ("appointment.",)
AGENT_APPOINTMENT_FIELDS = ("seq", "at", "type")


def audience(role: str | None) -> str:
    """Whose view a `/counter` connection gets: a supervisor's, or an agent's (any other role)."""
    return "supervisor" if role == "supervisor" else "agent"


def counter_views(event: Event) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The supervisors' and the agents' view of `event` on `/counter` (None: agents hear nothing of it), the
    same object when both hear it alike. An appointment's event names its ticket as `ticket_id`."""
    whole = event.to_dict()
    if event.type.startswith(SUPERVISOR_EVENT_PREFIXES):
        return whole, None
    if not event.type.startswith(APPOINTMENT_EVENT_PREFIXES):
        return whole, whole
    held = {"ticket_id": event.ticket_id} if event.ticket_id else {}
    return {**whole, **held}, {**{key: whole[key] for key in AGENT_APPOINTMENT_FIELDS}, **held}


def projected(namespace: str, event: Event, role: str | None = None) -> dict[str, Any] | None:
    """The event as `namespace` (on `/counter`, a user of `role`) may receive it, or None when it hears
    nothing of it."""
    if namespace == "/counter":
        supervisors, agents = counter_views(event)
        return supervisors if audience(role) == "supervisor" else agents
    whole = event.to_dict()
    if namespace != "/display":
        return whole
    if event.type in DISPLAY_FLOOR_FIELDS:
        return {key: whole[key] for key in ("seq", "at", "type", *DISPLAY_FLOOR_FIELDS[event.type])}
    if not event.type.startswith(DISPLAY_EVENT_PREFIXES):
        return None
    return {key: whole[key] for key in DISPLAY_FIELDS if key in whole}


def make_socketio(app: Flask, async_mode: str, public_url: str, message_queue: str = "",
                  channel: str = "flask-socketio") -> SocketIO:
    """`gevent` under gunicorn's gevent worker, `threading` elsewhere (gthread worker, tests). Only pages of
    this site may connect (core/origin.py): python-engineio's `cors_allowed_origins=[]` would switch its
    Origin check off. With a `message_queue` (Redis), an emit reaches the screens of every process
    (`server.message_queue`, docs/serving.md)."""
    queue: dict[str, Any] = {"message_queue": message_queue, "channel": channel} if message_queue else {}
    return SocketIO(app, async_mode=async_mode, cors_allowed_origins=socket_origin_check(public_url),
                    manage_session=False, **queue)


def socketio_of(app: Flask) -> SocketIO:
    return cast(SocketIO, app.extensions["socketio"])


def broadcaster(socketio: SocketIO, site: Site):  # type: ignore[no-untyped-def]
    """A bus subscriber: every screen namespace gets each event with its seq and fresh waiting counts."""

    def broadcast(event: Event) -> None:
        waiting = site.waiting_counts()
        emit_to_counters(socketio, event, waiting)
        payload = projected("/display", event)
        if payload is not None and event.type in zones.CALLS:
            emit_to_zones(socketio, site, event, {**payload, "waiting": waiting})
        elif payload is not None:
            socketio.emit("event", {**payload, "waiting": waiting}, namespace="/display")
        if event.type in KIOSK_FLOOR_EVENTS:
            socketio.emit("floor", {"seq": event.seq, "type": event.type}, namespace=KIOSK_NAMESPACE)

    return broadcast


def emit_to_counters(socketio: SocketIO, event: Event, waiting: dict[str, int]) -> None:
    """An event to the staff's pages: once to all when supervisors and agents hear it alike, else each
    audience its own view (agents may hear nothing of it)."""
    supervisors, agents = counter_views(event)
    if agents is supervisors:
        socketio.emit("event", {**supervisors, "waiting": waiting}, namespace="/counter")
        return
    socketio.emit("event", {**supervisors, "waiting": waiting}, namespace="/counter", to=SUPERVISORS_ROOM)
    if agents is not None:
        socketio.emit("event", {**agents, "waiting": waiting}, namespace="/counter", to=AGENTS_ROOM)


def emit_to_zones(socketio: SocketIO, site: Site, event: Event, payload: dict[str, Any]) -> None:
    """A call, to the displays of each zone in use: the call itself where it belongs, else its `seq` only
    (core/zones.py). Each display is in exactly one zone's room; the whole site's room gets every call."""
    socketio.emit("event", payload, namespace="/display", to=zones.EVERYWHERE.room)
    for zone in zones.in_use(site.store.read()):
        socketio.emit("event", zones.message(zone, event, payload), namespace="/display", to=zone.room)
