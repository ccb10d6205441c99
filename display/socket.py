"""`/display` namespace: enrolled displays (and supervisors) receive calls live, with catch-up by seq."""

from __future__ import annotations

from typing import Any

from flask_socketio import join_room

from core import zones
from core.journal import Event
from core.revocation import Holder
from core.screens import ScreenNamespace
from core.site import Site
from core.web import socket_sid


class DisplayNamespace(ScreenNamespace):
    def __init__(self, namespace: str, site: Site) -> None:
        super().__init__(namespace, site)
        self.zones: dict[str, zones.Zone] = {}  # each live connection's zone, by sid

    def admit(self, auth: dict[str, Any]) -> Holder | None:
        device = self.device(auth)
        if device is not None:
            if device["kind"] != "display":
                return None
            self.enter(zones.of_display(self.site.store.read(), device["name"]))
            return Holder(device_id=int(device["id"]))
        user = self.user()
        if user is None or user["role"] != "supervisor":
            return None
        self.enter(zones.EVERYWHERE)
        return self.session_holder()

    def snapshot(self) -> dict[str, Any]:
        zone = self.zone()
        return {**self.site.screen_snapshot(zone), "zone": zone.to_dict()}

    # --- zones (core/zones.py): the room a display's calls are emitted to, its catch-up cut to its zone ----
    def enter(self, zone: zones.Zone) -> None:
        """Join the zone's room before the catch-up: a call committed meanwhile comes twice, not never."""
        self.zones[socket_sid()] = zone
        join_room(zone.room)

    def zone(self) -> zones.Zone:
        return self.zones.get(socket_sid(), zones.EVERYWHERE)

    def message(self, event: Event, waiting: dict[str, int]) -> dict[str, Any] | None:
        payload = super().message(event, waiting)
        return None if payload is None else zones.message(self.zone(), event, payload)

    def on_disconnect(self, reason: object = None) -> None:
        self.zones.pop(socket_sid(), None)
        super().on_disconnect(reason)
