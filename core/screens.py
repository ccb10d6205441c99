"""Socket.IO namespaces for screens: authenticate on connect, then catch up by journal `seq`.

A screen connects with `auth = {"token": ..., "last_seq": n}` (or its session cookie). If it missed at most
`policy.replay_limit` events it gets them again, in order, flagged `replay`; otherwise a fresh `snapshot`.
Either way a `synced {seq}` closes the catch-up.
Clients ignore any event whose seq they already have, so a race between catch-up and live events is harmless.
"""

from __future__ import annotations

from typing import Any

from flask import session
from flask_socketio import Namespace, emit

from core import devices, users
from core.realtime import shown_on
from core.site import Site


class ScreenNamespace(Namespace):
    def __init__(self, namespace: str, site: Site) -> None:
        super().__init__(namespace)
        self.site = site

    def allowed(self, auth: dict[str, Any]) -> bool:
        raise NotImplementedError

    def snapshot(self) -> dict[str, Any]:
        raise NotImplementedError

    def device(self, auth: dict[str, Any]) -> dict[str, Any] | None:
        token = auth.get("token") or session.get("device_token")
        return devices.device_for_token(self.site.store.read(), token) if isinstance(token, str) else None

    def user(self) -> dict[str, Any] | None:
        user_id = session.get("user_id")
        return users.get_user(self.site.store.read(), user_id) if user_id else None

    def on_connect(self, auth: dict[str, Any] | None = None) -> bool:
        auth = auth if isinstance(auth, dict) else {}
        if not self.allowed(auth):
            return False
        self.catch_up(auth.get("last_seq"))
        return True

    def on_resume(self, data: dict[str, Any] | None = None) -> None:
        """`resume {last_seq}`: the client asks for what it missed since `last_seq`."""
        self.catch_up((data or {}).get("last_seq") if isinstance(data, dict) else None)

    def catch_up(self, last_seq: object) -> None:
        """Replay what the client missed (or send a snapshot), then `synced` with the seq it now has, so
        that a client that missed nothing also knows it is up to date."""
        limit = int(self.site.config.policy["replay_limit"])
        if isinstance(last_seq, int) and not isinstance(last_seq, bool) and last_seq >= 0:
            missed = self.site.events_since(last_seq, limit + 1)
            if len(missed) <= limit and (missed or last_seq <= self.site.last_seq()):
                waiting = self.site.waiting_counts()
                for event in missed:
                    if shown_on(self.namespace, event):
                        emit("event", {**event.to_dict(), "waiting": waiting, "replay": True})
                emit("synced", {"seq": missed[-1].seq if missed else last_seq})
                return
        snapshot = self.snapshot()
        emit("snapshot", snapshot)
        emit("synced", {"seq": snapshot["seq"]})

    def base_snapshot(self) -> dict[str, Any]:
        return self.site.screen_snapshot()
