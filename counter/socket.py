"""`/counter` namespace: logged-in agents see queue changes live (their page refreshes its lists).

Agents join the room `agents`, supervisors the room `supervisors`: each hears the journal's events as its
role may (core/realtime.py: no payment and no booking reference on an agent's desk). In `supervisors` the link
with eConsulat arrives as `sync` (on connect, then from counter/sync_watcher.py whenever it changes), and the
staffing advice as `staffing` (on connect once computed, then from the forecast refresher whenever it
changes: core/forecasts.py, core/staffing.py).
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_socketio import emit, join_room

from core.clock import now, utc_iso
from core.publisher import leads
from core.realtime import AGENTS_ROOM, SUPERVISORS_ROOM, audience, socketio_of
from core.revocation import Holder
from core.screens import ScreenNamespace
from core.site import Site
from counter.sync_status import sync_view

NAMESPACE = "/counter"


class CounterNamespace(ScreenNamespace):
    def admit(self, auth: dict[str, Any]) -> Holder | None:
        return self.session_holder() if self.user() is not None else None

    def snapshot(self) -> dict[str, Any]:
        return {**self.base_snapshot(), "open_counters": self.site.open_counters()}

    def on_connect(self, auth: dict[str, Any] | None = None) -> bool:
        if not super().on_connect(auth):
            return False
        user = self.user()
        supervisor = user is not None and audience(user["role"]) == "supervisor"
        join_room(SUPERVISORS_ROOM if supervisor else AGENTS_ROOM)
        if supervisor:
            moment = now()
            emit("sync", {**sync_view(self.site, moment), "now": utc_iso(moment)})
            staffing = self.site.forecasts.staffing_json()
            if staffing is not None:
                emit("staffing", staffing)
        return True


def init_staffing_push(app: Flask, site: Site) -> None:
    """Each change of the staffing advice, to the supervisors' room (sent from the refresher's thread); with
    several processes, by the one that speaks for the site (core/publisher.py), once."""
    socketio = socketio_of(app)

    def push(view: dict[str, Any]) -> None:
        if leads(app.extensions):
            socketio.emit("staffing", view, namespace=NAMESPACE, to=SUPERVISORS_ROOM)

    site.forecasts.on_staffing(push)
