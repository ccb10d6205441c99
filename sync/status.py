"""The sync worker's state, in the site database's `sync_state` table, so that it survives a restart and the
server (the supervisor's sync panel) can read it without asking the worker.

| key | written by | what |
|---|---|---|
| `cursor` | puller | the central's appointment cursor, in the transaction of the page it follows |
| `acked_seq` | outbox | the highest journal seq acknowledged with every event before it |
| `fees`, `fees_differ` | puller | the central's fee schedule (JSON) and whether it differs from the site's |
| `pull_requested` | the server ("sync now") | "1": pull at once; the worker clears it |
| `status` | worker | JSON, rewritten after every round (see `write`) |
| `daily_report:<day>` | daily_reports | JSON: the revision and SHA-256 of the report the central holds |
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

import sqlite_utils

from core import keyring
from core.appointments import counts_of_day
from core.clock import utc_iso

STATUS_KEY = "status"
PULL_REQUESTED_KEY = "pull_requested"
FEES_DIFFER_KEY = "fees_differ"


def get(db: sqlite_utils.Database, key: str) -> str | None:
    row = db.execute("SELECT value FROM sync_state WHERE key = ?", [key]).fetchone()
    return None if row is None else str(row[0])


def put(db: sqlite_utils.Database, key: str, value: str) -> None:
    """Set one key inside the caller's transaction."""
    db.execute("INSERT INTO sync_state (key, value) VALUES (?, ?) "
               "ON CONFLICT (key) DO UPDATE SET value = excluded.value", [key, value])


def request_pull(db: sqlite_utils.Database) -> None:
    """The supervisor's "sync now": the worker pulls within a second instead of at its next turn."""
    put(db, PULL_REQUESTED_KEY, "1")


def pull_requested(db: sqlite_utils.Database) -> bool:
    return get(db, PULL_REQUESTED_KEY) == "1"


def clear_pull_request(db: sqlite_utils.Database) -> None:
    db.execute("DELETE FROM sync_state WHERE key = ?", [PULL_REQUESTED_KEY])


@dataclass
class Health:
    """How the rounds went: what the worker keeps between rounds, and finds again in the status at start."""

    failures: int = 0  # rounds failed in a row
    last_success: str | None = None
    last_error: str | None = None
    last_error_at: str | None = None
    next_attempt_at: str | None = None

    @classmethod
    def restored(cls, status: dict[str, Any]) -> Health:
        fields = {key: status.get(key) for key in cls.__dataclass_fields__}
        failures = fields.pop("failures")
        return cls(failures=failures if isinstance(failures, int) else 0,
                   **{key: value if isinstance(value, str) else None for key, value in fields.items()})


def write(db: sqlite_utils.Database, health: Health, *, acked_seq: int, pending: tuple[int, str | None],
          today: str, reports_waiting: int = 0) -> dict[str, Any]:
    """Rewrite the status inside the caller's transaction (so its figures agree with each other)."""
    pending_events, oldest_pending_at = pending
    status = {**asdict(health), "updated_at": utc_iso(), "acked_seq": acked_seq,
              "pending_events": pending_events, "oldest_pending_at": oldest_pending_at,
              "keys": keyring.validity(db), "appointments_today": counts_of_day(db, today),
              "fees_differ": get(db, FEES_DIFFER_KEY) == "1", "daily_reports_waiting": reports_waiting}
    put(db, STATUS_KEY, json.dumps(status, sort_keys=True))
    return status


def read_status(db: sqlite_utils.Database) -> dict[str, Any]:
    """The last status the worker wrote; {} before its first round (or if the row is unreadable)."""
    raw = get(db, STATUS_KEY)
    try:
        status = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return status if isinstance(status, dict) else {}
