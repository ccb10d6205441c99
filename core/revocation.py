"""Revocation reaches open live connections: a revoked display or kiosk, a disabled or logged-out agent has
its Socket.IO connections closed, and hears nothing more.

Each namespace that admits a connection records what admitted it (a device id, or the hash of an agent's
session) under the connection's sid. A logout in this process closes that session's connections at once;
what another process changes (`dour device revoke`, `dour user disable|passwd`) reaches the server through
the database, where a watcher looks every second: the same hand-over as the journal follower (core/app.py).

Flask-free: the server (core/app.py) gives it the function that closes a connection.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from core import devices, sessions
from core.store import Store

log = logging.getLogger(__name__)
WATCH_SECONDS = 1.0
EXTENSION = "dour.live_connections"
Disconnect = Callable[[str, str], None]  # (sid, namespace)


@dataclass(frozen=True)
class Holder:
    """What admitted a connection: an enrolled device, or an agent's session (by its hash)."""

    device_id: int | None = None
    session_hash: str | None = None


class LiveConnections:
    def __init__(self, store: Store, disconnect: Disconnect, session_lifetime: timedelta) -> None:
        self.store, self.disconnect, self.session_lifetime = store, disconnect, session_lifetime
        self._held: dict[tuple[str, str], Holder] = {}  # (namespace, sid) → holder
        self._lock = threading.Lock()

    # Told the connections held after each change, under the lock (so in order): with several workers, the
    # metrics' count of connected screens (core/metrics.py:SharedScreens).
    on_change: Callable[[Iterable[tuple[str, str]]], None] | None = None

    def hold(self, namespace: str, sid: str, holder: Holder) -> None:
        with self._lock:
            self._held[(namespace, sid)] = holder
            self._changed()

    def release(self, namespace: str, sid: str) -> None:
        with self._lock:
            self._held.pop((namespace, sid), None)
            self._changed()

    def _changed(self) -> None:
        if self.on_change is not None:
            try:
                self.on_change(self._held)
            except Exception:  # noqa: BLE001 - a metric must not refuse a screen
                log.exception("counting the live connections")

    def held(self) -> dict[tuple[str, str], Holder]:
        with self._lock:
            return dict(self._held)

    def end_session(self, session_hash: str) -> int:
        """Close, now, the connections a session (just ended here: a logout) admitted."""
        return self._drop([key for key, holder in self.held().items() if holder.session_hash == session_hash])

    def sweep(self) -> int:
        """Close the connections whose device was revoked or whose session ended; how many."""
        held = self.held()
        if not held:
            return 0
        db = self.store.read()
        revoked = devices.revoked_among(db, [h.device_id for h in held.values() if h.device_id])
        alive = sessions.live(db, [h.session_hash for h in held.values() if h.session_hash],
                              self.session_lifetime)
        return self._drop([key for key, holder in held.items()
                           if holder.device_id in revoked
                           or (holder.session_hash is not None and holder.session_hash not in alive)])

    def _drop(self, keys: list[tuple[str, str]]) -> int:
        for namespace, sid in keys:
            self.release(namespace, sid)
            try:
                self.disconnect(sid, namespace)
            except Exception:  # noqa: BLE001 - a client gone meanwhile: nothing left to close
                log.debug("disconnecting %s on %s", sid, namespace, exc_info=True)
        return len(keys)


class RevocationWatcher:
    """Sweeps the live connections every second, in a thread of the server (started with the devices)."""

    def __init__(self, live: LiveConnections, interval: float = WATCH_SECONDS) -> None:
        self.live, self.interval = live, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="revocation-watcher", daemon=True)

    def start(self) -> RevocationWatcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.live.sweep()
            except Exception:  # noqa: BLE001 - a busy database now is fine at the next turn
                log.exception("revocation watcher")
