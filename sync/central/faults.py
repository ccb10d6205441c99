"""Faults the central can be told to show, so the site's sync is tested against the failures of a real one.

| mode | what a site request gets |
|---|---|
| `normal` | the answer |
| `slow` | the answer, after `delay_seconds` |
| `error` | 500, nothing done |
| `drop_after` | all done and committed, then the connection closed without an answer (the lost answer) |
| `stall_after` | all done and committed, then `delay_seconds` of silence before the answer (a kill -9 then |
|  | falls between storing and answering) |
| `unreachable` | the connection closed before anything is done |

`remaining` counts the site requests still affected (null: until changed). The state lives in the central's
database, so it holds across gunicorn workers and restarts. Faults apply to `/v1` only: the admin API that
sets them must keep working. Closing the connection needs the client socket, which gunicorn puts in the WSGI
environ (`gunicorn.socket`); under the Flask test client there is none, so `unreachable` answers 503 and
`drop_after` answers normally there.
"""

from __future__ import annotations

import logging
import socket
import time
from dataclasses import asdict, dataclass, replace
from typing import Any

import sqlite_utils
from flask import Blueprint, Response, g, jsonify, request

from sync.central.db import CentralStore
from sync.central.validate import integer, malformed, number
from sync.central.web import store

MODES = ("normal", "slow", "error", "drop_after", "stall_after", "unreachable")
MAX_DELAY = 600.0
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Fault:
    mode: str = "normal"
    delay_seconds: float = 0.0
    remaining: int | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def parse(body: dict[str, Any]) -> Fault:
    """PUT /admin/faults: `{"mode", "delay_seconds"?, "remaining"?}`."""
    if body.get("mode") not in MODES:
        raise malformed(f"mode must be one of {', '.join(MODES)}")
    delay = number(body, "delay_seconds", 0, MAX_DELAY) if "delay_seconds" in body else 0.0
    remaining = None if body.get("remaining") is None else integer(body, "remaining", 1, 10**9)
    return Fault(body["mode"], delay, remaining)


def current(db: sqlite_utils.Database) -> Fault:
    row = db.execute("SELECT mode, delay_seconds, remaining FROM faults WHERE id = 1").fetchone()
    mode, delay, remaining = row
    return Fault(mode, float(delay), remaining)


def set_fault(db: sqlite_utils.Database, fault: Fault) -> None:
    db.execute("UPDATE faults SET mode = ?, delay_seconds = ?, remaining = ? WHERE id = 1",
               [fault.mode, fault.delay_seconds, fault.remaining])


def take(central: CentralStore) -> Fault:
    """The fault this request gets, counted against `remaining` (back to normal when it reaches zero)."""
    if current(central.read()).mode == "normal":
        return Fault()  # the common case costs one read, no write transaction
    with central.write() as db:
        fault = current(db)
        if fault.mode != "normal" and fault.remaining is not None:
            left = fault.remaining - 1
            set_fault(db, replace(fault, remaining=left) if left > 0 else Fault())
        return fault


def _close_connection() -> bool:
    """Shut the client's socket (both ways), so it reads an end of stream instead of an answer."""
    client = request.environ.get("gunicorn.socket")
    if client is None:
        return False
    try:
        client.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # the client went first: the connection is gone either way
    return True


def _before() -> Any:
    fault = g.central_fault = take(store())
    if fault.mode == "slow":
        time.sleep(fault.delay_seconds)
    elif fault.mode == "error":
        return jsonify({"error": "injected_fault", "message": "the central failed (fault injected)"}), 500
    elif fault.mode == "unreachable":
        _close_connection()
        return jsonify({"error": "unreachable", "message": "the central is unreachable (fault injected)"}), \
            503
    return None


def _after(response: Response) -> Response:
    fault = getattr(g, "central_fault", Fault())
    if fault.mode == "stall_after":
        time.sleep(fault.delay_seconds)
    if fault.mode == "drop_after" and not _close_connection():
        log.warning("drop_after: no client socket to close (not under gunicorn); answering normally")
    return response


def install(blueprint: Blueprint) -> None:
    """Apply the current fault to every request of `blueprint` (the site API)."""
    blueprint.before_request(_before)
    blueprint.after_request(_after)
