"""`/display` namespace: enrolled displays (and supervisors) receive calls live, with catch-up by seq."""

from __future__ import annotations

from typing import Any

from core.revocation import Holder
from core.screens import ScreenNamespace


class DisplayNamespace(ScreenNamespace):
    def admit(self, auth: dict[str, Any]) -> Holder | None:
        device = self.device(auth)
        if device is not None:
            return Holder(device_id=int(device["id"])) if device["kind"] == "display" else None
        user = self.user()
        return self.session_holder() if user is not None and user["role"] == "supervisor" else None

    def snapshot(self) -> dict[str, Any]:
        return self.base_snapshot()
