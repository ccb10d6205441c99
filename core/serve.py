"""Production serving: gunicorn with one worker process (Socket.IO keeps its clients in one process), or
`server.workers` of them sharing broadcasts through `server.message_queue` (Redis; core/publisher.py) and
their metrics through files (core/shared_metrics.py).

The worker class is `server.worker`: `gevent` (default: one greenlet per connection, so 20 displays and 40
counter pages hold no threads) or `gthread` (`server.threads` OS threads, each websocket holds one). The app
is built inside the worker, after the fork and after gevent's monkey-patching, so its threads, sockets and
SQLite connections belong to the process that serves. docs/serving.md has the measurements.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from core import shared_metrics
from core.logs import logging_config

if TYPE_CHECKING:  # Flask itself is imported by the worker only: the master stays ~8 MB smaller
    from flask import Flask

WORKERS = ("gevent", "gthread")
# gunicorn's own worker classes, each letting its websockets go at the stop signal (core/serve_workers.py)
WORKER_CLASSES = {"gevent": "core.serve_workers.SiteGeventWorker",
                  "gthread": "core.serve_workers.SiteThreadWorker"}


def async_mode() -> str:
    """Flask-SocketIO's mode for the running process: gevent once gevent has patched the socket module."""
    try:
        from gevent import monkey
    except ImportError:
        return "threading"
    return "gevent" if monkey.is_module_patched("socket") else "threading"


def check_workers(workers: int, message_queue: str) -> None:
    """Several workers only with a message queue: without it a screen hears only its own worker's emits."""
    if workers < 1:
        raise ValueError(f"server.workers must be 1 or more, not {workers}")
    if workers > 1 and not message_queue:
        raise ValueError("server.workers > 1 needs server.message_queue (e.g. redis://127.0.0.1:6379/0)")


class SiteLogger(Logger):  # type: ignore[misc]
    """gunicorn's logger without the access line that goes nowhere: our logging configuration gives
    `gunicorn.access` no handler (core/logs.py), yet gunicorn would still build each request's line for it,
    about a tenth of a millisecond of CPU per request (docs/serving.md, "Cost per ticket")."""

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        if self.access_log.hasHandlers():
            super().access(resp, req, environ, request_time)


class DourServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, factory: Callable[[], Flask], bind: str, worker: str, threads: int,
                 certfile: str | None = None, keyfile: str | None = None, log_format: str = "text",
                 workers: int = 1, metrics_dir: Path | None = None) -> None:
        if worker not in WORKERS:
            raise ValueError(f"server.worker must be one of {', '.join(WORKERS)}, not {worker!r}")
        self.factory = factory
        self.loaded: Flask | None = None
        self.metrics_dir = metrics_dir  # several workers: their shared metrics (core/shared_metrics.py)
        self.options: dict[str, Any] = {
            "bind": bind,
            "workers": workers,
            "worker_exit": self.worker_exit,
            "worker_class": WORKER_CLASSES[worker],
            "threads": threads,
            "worker_connections": 2000,
            "timeout": 60,
            "graceful_timeout": 5,
            "keepalive": 30,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "warning",
            "logconfig_dict": logging_config(log_format),  # one line per record (core/logs.py)
            "logger_class": SiteLogger,
        }
        if metrics_dir is not None:
            self.options.update(on_starting=self.on_starting, child_exit=self.child_exit)
        if certfile or keyfile:  # HTTPS straight from gunicorn (the reference central); the site uses a proxy
            self.options.update(certfile=certfile, keyfile=keyfile)
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        if "control_socket_disable" in self.cfg.settings:
            # gunicorn 25+ opens a control socket at ~/.gunicorn/gunicorn.ctl, one path shared by every
            # server of the user (the site, the central, tests); nothing here uses it.
            self.cfg.set("control_socket_disable", True)

    def load(self) -> Flask:
        app = self.loaded = self.factory()
        # Everything built so far (modules, app, config) lives as long as the process: keep it out of the
        # cyclic GC, whose full collections otherwise walk it all and stall every request for 40-55 ms.
        gc.freeze()
        return app

    def on_starting(self, _arbiter: Any) -> None:
        """The master, before it forks the workers."""
        assert self.metrics_dir is not None
        shared_metrics.prepare(self.metrics_dir)

    def child_exit(self, _arbiter: Any, worker: Any) -> None:
        """The master, once a worker has ended (a graceful stop, a crash, a kill by the timeout)."""
        shared_metrics.worker_gone(worker.pid)

    def worker_exit(self, _arbiter: Any, _worker: Any) -> None:
        """A worker stopping gracefully hands the journal publisher's lease over now (core/publisher.py)."""
        if self.loaded is not None:
            from core.app import stop_publishing

            stop_publishing(self.loaded)


def serve(
    factory: Callable[[], Flask], host: str, port: int, worker: str = "gevent", threads: int = 64,
    certfile: str | None = None, keyfile: str | None = None, log_format: str = "text", workers: int = 1,
    metrics_dir: Path | None = None,
) -> None:
    DourServer(factory, f"{host}:{port}", worker, threads, certfile, keyfile, log_format, workers,
               metrics_dir).run()
