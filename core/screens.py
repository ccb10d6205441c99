"""Socket.IO namespaces for screens: authenticate on connect, then catch up by journal `seq`.

A screen connects with `auth = {"token": ..., "last_seq": n}` (or its session cookie). If it missed at most
`policy.replay_limit` events it gets them again, in order, flagged `replay`; otherwise a fresh `snapshot`.
Either way a `synced {seq}` closes the catch-up.
Clients ignore any event whose seq they already have, so a race between catch-up and live events is harmless.
"""

from __future__ import annotations

from typing import Any

from flask import request, session
from flask_socketio import Namespace, emit

from core import devices, sessions
from core.journal import Event
from core.origin import socket_allowed
from core.realtime import projected
from core.revocation import Holder
from core.site import Site
from core.web import cookie_device, current_user, live_connections, socket_sid

MAX_SEQ = 2**63 - 1  # a larger `last_seq` cannot be compared in SQLite: it gets a snapshot


class ScreenNamespace(Namespace):
    def __init__(self, namespace: str, site: Site) -> None:
        super().__init__(namespace)
        self.site = site

    def admit(self, auth: dict[str, Any]) -> Holder | None:
        """What lets this connection in (a device, an agent's session), or None to refuse it."""
        raise NotImplementedError

    def snapshot(self) -> dict[str, Any]:
        raise NotImplementedError

    def device(self, auth: dict[str, Any]) -> dict[str, Any] | None:
        """The device of `auth.token`, else of the enrolment cookie (which holds the token's hash)."""
        return device_of(self.site, auth)

    def user(self) -> dict[str, Any] | None:
        return current_user()

    @staticmethod
    def session_holder() -> Holder:
        return Holder(session_hash=sessions.digest(str(session.get("sid"))))

    def on_connect(self, auth: dict[str, Any] | None = None) -> bool:
        auth = auth if isinstance(auth, dict) else {}
        holder = self.admit(auth) if socket_allowed(request.environ, self.site.config.public_url) else None
        if holder is None:
            return False
        live_connections().hold(self.namespace, socket_sid(), holder)
        self.catch_up(auth.get("last_seq"))
        return True

    def on_disconnect(self, reason: object = None) -> None:
        live_connections().release(self.namespace, socket_sid())

    def on_resume(self, data: dict[str, Any] | None = None) -> None:
        """`resume {last_seq}`: the client asks for what it missed since `last_seq`."""
        self.catch_up((data or {}).get("last_seq") if isinstance(data, dict) else None)

    def catch_up(self, last_seq: object) -> None:
        """Replay what the client missed (or send a snapshot), then `synced` with the seq it now has, so
        that a client that missed nothing also knows it is up to date."""
        limit = int(self.site.config.policy["replay_limit"])
        if isinstance(last_seq, int) and not isinstance(last_seq, bool) and 0 <= last_seq <= MAX_SEQ:
            missed = self.site.events_since(last_seq, limit + 1)
            if len(missed) <= limit and (missed or last_seq <= self.site.last_seq()):
                waiting = self.site.waiting_counts()
                for event in missed:
                    message = self.message(event, waiting)
                    if message is not None:
                        emit("event", {**message, "replay": True})
                emit("synced", {"seq": missed[-1].seq if missed else last_seq})
                return
        snapshot = self.snapshot()
        emit("snapshot", snapshot)
        emit("synced", {"seq": snapshot["seq"]})

    def message(self, event: Event, waiting: dict[str, int]) -> dict[str, Any] | None:
        """What this connection gets of `event` in a catch-up (None: nothing): on `/counter`, by its user's
        role (core/realtime.py)."""
        user = self.user()
        payload = projected(self.namespace, event, user["role"] if user is not None else None)
        return {**payload, "waiting": waiting} if payload is not None else None

    def base_snapshot(self) -> dict[str, Any]:
        return self.site.screen_snapshot()


def device_of(site: Site, auth: dict[str, Any]) -> dict[str, Any] | None:
    """A live connection's device: `auth.token`, else the enrolment cookie."""
    token = auth.get("token")
    return devices.device_for_token(site.store.read(), token) if isinstance(token, str) else cookie_device()
