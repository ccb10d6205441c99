"""`/counter` namespace: logged-in agents see queue changes live (their page refreshes its lists)."""

from __future__ import annotations

from typing import Any

from core.screens import ScreenNamespace


class CounterNamespace(ScreenNamespace):
    def allowed(self, auth: dict[str, Any]) -> bool:
        return self.user() is not None

    def snapshot(self) -> dict[str, Any]:
        return {**self.base_snapshot(), "open_counters": self.site.open_counters()}
