"""Production serving: gunicorn, one gthread worker (Socket.IO needs one process without a message queue).

Why: docs/serving.md has the measurements that chose it.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

THREADS = 64


class DourServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, app: Flask, host: str, port: int, threads: int = THREADS) -> None:
        self.application = app
        self.options = {
            "bind": f"{host}:{port}",
            "workers": 1,
            "worker_class": "gthread",
            "threads": threads,
            "timeout": 60,
            "keepalive": 30,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "warning",
        }
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self.application


def serve(app: Flask, host: str, port: int, threads: int = THREADS) -> None:
    DourServer(app, host, port, threads).run()
