"""`/display` namespace: enrolled displays (and supervisors) receive calls live, with catch-up by seq."""

from __future__ import annotations

from typing import Any

from core.screens import ScreenNamespace


class DisplayNamespace(ScreenNamespace):
    def allowed(self, auth: dict[str, Any]) -> bool:
        device = self.device(auth)
        if device is not None:
            return device["kind"] == "display"
        user = self.user()
        return user is not None and user["role"] == "supervisor"

    def snapshot(self) -> dict[str, Any]:
        return self.base_snapshot()
