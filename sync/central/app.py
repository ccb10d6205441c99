"""The reference central's Flask app: the site API (`/v1`), the admin API (`/admin`) and `/health`."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify

from sync.central.admin import admin
from sync.central.api import v1
from sync.central.db import CentralStore
from sync.central.web import ADMIN_TOKEN, EXTENSION, register_errors

MAX_BODY_BYTES = 8 * 1024 * 1024  # a batch of 1000 events fits in well under 1 MB


def create_app(database: str, admin_token: str) -> Flask:
    """The central on `database` (created if missing), its admin API guarded by `admin_token`."""
    if len(admin_token) < 16:
        raise ValueError("the central's admin token must be at least 16 characters")
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.config[ADMIN_TOKEN] = admin_token
    app.extensions[EXTENSION] = CentralStore(database)
    app.register_blueprint(v1)
    app.register_blueprint(admin)
    register_errors(app)
    app.add_url_rule("/health", "health", _health)
    return app


def _health() -> Any:
    """Liveness for the process manager and the tests' start-up wait: no token, no faults."""
    return jsonify({"status": "ok"})
