"""Failed-login throttling: after `limit` failures for one user name within `window` seconds, refuse that user
name until the window has passed, whatever the password. In memory (one server process): a restart clears it,
which is acceptable because a restart takes longer than an attacker gains."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from core.errors import N_, DourError


class TooManyAttempts(DourError):
    status = 429
    code = "too_many_attempts"


class LoginThrottle:
    def __init__(self, limit: int = 5, window: float = 300.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str) -> list[float]:
        since = self.clock() - self.window
        recent = [at for at in self._failures.get(key, []) if at > since]
        if recent:
            self._failures[key] = recent
        else:
            self._failures.pop(key, None)
        return recent

    def check(self, key: str) -> None:
        """TooManyAttempts if `key` failed `limit` times within the window."""
        with self._lock:
            if len(self._recent(key.lower())) >= self.limit:
                raise TooManyAttempts(N_("Too many failed attempts. Wait a few minutes or ask a supervisor."))

    def failed(self, key: str) -> None:
        with self._lock:
            self._failures[key.lower()] = [*self._recent(key.lower()), self.clock()]

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key.lower(), None)
