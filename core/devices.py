"""Enrolled devices (kiosks, displays): each has its own secret token, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from typing import Any

import sqlite_utils

from core.clock import utc_iso
from core.errors import N_, Conflict, InvalidInput

DEVICE_KINDS = ("kiosk", "display")


def digest(token: str) -> str:
    """What the database keeps of a token, and what an enrolled browser's cookie holds: never the token."""
    return hashlib.sha256(token.encode()).hexdigest()


def add_device(db: sqlite_utils.Database, name: str, kind: str) -> str:
    """Enrol a device and return its token (shown once; only its hash is kept)."""
    if kind not in DEVICE_KINDS:
        raise InvalidInput(N_("Unknown device kind: %(kind)s."), kind=kind)
    if db.execute("SELECT 1 FROM devices WHERE name = ?", [name]).fetchone():
        raise Conflict(N_("A device named %(name)s already exists."), name=name)
    token = secrets.token_urlsafe(32)
    db.execute(
        "INSERT INTO devices (name, kind, token_hash, created_at) VALUES (?, ?, ?, ?)",
        [name, kind, digest(token), utc_iso()],
    )
    return token


def device_for_token(db: sqlite_utils.Database, token: str) -> dict[str, Any] | None:
    return device_for_hash(db, digest(token))


def device_for_hash(db: sqlite_utils.Database, token_hash: str) -> dict[str, Any] | None:
    """The enrolled, unrevoked device whose token has this SHA-256 (an enrolment cookie's)."""
    row = db.execute(
        "SELECT id, name, kind FROM devices WHERE token_hash = ? AND revoked_at IS NULL", [token_hash]
    ).fetchone()  # every request of a kiosk asks: no sqlite-utils query (and its savepoint) here
    return {"id": row[0], "name": row[1], "kind": row[2]} if row else None


def revoked_among(db: sqlite_utils.Database, device_ids: Iterable[int]) -> set[int]:
    """Which of these devices are revoked (the revocation watcher's question, once a second)."""
    wanted = list(dict.fromkeys(device_ids))
    if not wanted:
        return set()
    marks = ", ".join("?" * len(wanted))
    rows = db.execute(f"SELECT id FROM devices WHERE id IN ({marks}) AND revoked_at IS NOT NULL", wanted)
    return {int(row[0]) for row in rows.fetchall()}


def revoke_device(db: sqlite_utils.Database, name: str) -> bool:
    cursor = db.execute("UPDATE devices SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                        [utc_iso(), name])
    return cursor.rowcount == 1


def list_devices(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return list(db.query("SELECT id, name, kind, created_at, revoked_at FROM devices ORDER BY id"))
