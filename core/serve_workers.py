"""gunicorn's two worker classes, each letting its screens go as soon as it is told to stop.

A graceful stop (SIGTERM: `systemctl restart dour`, a deploy) makes gunicorn stop accepting, then wait up to
`graceful_timeout` for the open connections to end. A display, a counter or a kiosk page holds a websocket
that never ends by itself, so every restart used to wait the whole timeout (5 s) before the new process
could start, and the screens stayed dark that long. These workers close every Engine.IO connection at the
stop signal, as a dropped connection (neither Socket.IO's "disconnect" nor Engine.IO's "close" packet, which
tell some clients not to come back): requests in flight still finish, and each screen's client reconnects by
itself, with its last seq, to whichever process answers next (docs/serving.md, "Restarts").

Named by dotted path in the gunicorn options (core/serve.py), so the master imports this module only when it
loads the worker class.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from gunicorn.workers.ggevent import GeventWorker
from gunicorn.workers.gthread import ThreadWorker

SWEEP_SECONDS = 0.1


def release_screens(app: Any) -> None:
    """Close every Engine.IO connection of `app` (a Flask app built with Flask-SocketIO)."""
    socketio = app.extensions.get("socketio") if app is not None else None
    if socketio is None or socketio.server is None:
        return
    eio = socketio.server.eio
    for connection in list(eio.sockets.values()):
        # abort: the connection just ends, as in a crash, without Engine.IO's "close" packet, which a
        # python-socketio client takes as "do not reconnect" (the browser's client reconnects either way).
        connection.close(wait=False, abort=True)


def loaded_app(worker: Any) -> Any:
    """The Flask app the worker serves (DourServer.loaded), or None before it is built."""
    return getattr(worker.app, "loaded", None)


class SiteGeventWorker(GeventWorker):  # type: ignore[misc]
    """Also ends the idle keep-alive connections at the stop signal: gunicorn would otherwise wait for each
    browser's next request or its `keepalive` timeout (30 s) before the graceful stop could finish. A
    connection in the middle of a request is left to finish it (gunicorn then closes it)."""

    def init_process(self) -> None:
        self.connections: dict[Any, Any] = {}  # greenlet -> client socket
        self.idle: set[Any] = set()  # greenlets waiting for their connection's next request
        super().init_process()

    def handle(self, listener: Any, client: Any, addr: Any) -> None:
        import gevent

        current = gevent.getcurrent()
        self.connections[current] = client
        try:
            super().handle(listener, client, addr)
        finally:
            self.connections.pop(current, None)

    @contextmanager
    def timeout_ctx(self) -> Iterator[None]:
        """gunicorn waits for a keep-alive connection's next request inside this context."""
        import gevent

        current = gevent.getcurrent()
        self.idle.add(current)
        try:
            with super().timeout_ctx():
                yield
        finally:
            self.idle.discard(current)

    def end_idle_connections(self) -> None:
        for greenlet in list(self.idle):
            client = self.connections.get(greenlet)
            if client is not None:
                # The OS socket under gevent's: the waiting read then sees the end of the stream and the
                # handler returns quietly (gevent's own shutdown cancels the wait with an error instead).
                with suppress(OSError):
                    getattr(client, "_sock", client).shutdown(socket.SHUT_RDWR)

    def let_go(self) -> None:
        """Until the process ends: gunicorn closes its listener only at its next look at `alive` (within a
        second), and a screen dropped now reconnects at once, so what comes in meanwhile goes the same way."""
        import gevent

        while True:
            self.end_idle_connections()
            release_screens(loaded_app(self))
            gevent.sleep(SWEEP_SECONDS)

    def handle_exit(self, sig: int, frame: Any) -> None:
        super().handle_exit(sig, frame)
        import gevent

        gevent.spawn(self.let_go)  # out of the signal handler, as handle_quit does


class SiteThreadWorker(ThreadWorker):  # type: ignore[misc]
    def handle_exit(self, sig: int, frame: Any) -> None:
        super().handle_exit(sig, frame)
        threading.Thread(target=self.let_go, daemon=True).start()

    def let_go(self) -> None:
        while True:  # as SiteGeventWorker.let_go
            release_screens(loaded_app(self))
            time.sleep(SWEEP_SECONDS)

