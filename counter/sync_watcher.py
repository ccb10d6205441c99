"""Pushes the link with eConsulat to supervisors' pages live: every 2 s the server reads the sync view and,
when what the panel shows changed, emits `sync` to the supervisors' room of `/counter`. The browser never
polls.

The sync worker is another process: the database is the hand-over (as for JournalFollower in core/app.py).
The watcher runs with the app's devices (`start_devices`) and stops with them (core.app.close_devices).
With several server processes, every one runs it but only the one that speaks for the site emits (the
journal publisher's lease holder, core/publisher.py): a supervisor hears each change once, and a process that
takes the lease over sends the current view at its first look.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Flask

from core.clock import now, utc_iso
from core.publisher import leads
from core.realtime import socketio_of
from core.site import Site
from counter.socket import NAMESPACE, SUPERVISORS_ROOM
from counter.sync_status import as_shown, sync_view

log = logging.getLogger(__name__)
WATCH_SECONDS = 2.0
EXTENSION = "dour.sync_watcher"


class SyncWatcher:
    def __init__(self, site: Site, publish: Callable[[dict[str, Any]], None],
                 interval: float = WATCH_SECONDS, leading: Callable[[], bool] = lambda: True) -> None:
        self.site, self.publish, self.interval, self.leading = site, publish, interval, leading
        self._shown: dict[str, Any] | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sync-watcher", daemon=True)

    def check(self, moment: datetime | None = None) -> bool:
        """Read the view once; publish it (with the server's time) when what the panel shows changed."""
        moment = moment or now()
        with self._lock:
            if not self.leading():  # another process speaks for the site; should this one take over, it
                self._shown = None  # starts with the view as it is then
                return False
            view = sync_view(self.site, moment)
            shown = as_shown(view)
            if shown == self._shown:
                return False
            self._shown = shown
        self.publish({**view, "now": utc_iso(moment)})
        return True

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def start(self) -> SyncWatcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.check()
            except Exception:  # noqa: BLE001 - a locked or busy database now is fine at the next turn
                log.exception("sync watcher")


def init_sync_watcher(app: Flask, site: Site, start: bool) -> SyncWatcher:
    """The watcher, kept in app.extensions (close_devices stops it); its thread runs only with the devices."""
    socketio = socketio_of(app)

    def publish(view: dict[str, Any]) -> None:
        socketio.emit("sync", view, namespace=NAMESPACE, to=SUPERVISORS_ROOM)

    watcher = app.extensions[EXTENSION] = SyncWatcher(site, publish, leading=lambda: leads(app.extensions))
    return watcher.start() if start else watcher
