"""Agents' sessions, kept on the server: a login opens one, logout ends it, and disabling an account or
changing its password ends all of its sessions.

Flask's session is a signed cookie that stays valid as long as the site's key does, so a copied cookie used
to outlive a logout. The cookie now carries a random session id (256 bits); the server keeps only its SHA-256
(like device tokens) and checks it on every request and live connection. The server's revocation watcher
(core/revocation.py) closes the live connections of an ended session, also when another process (the `dour`
command) ended it. A session also ends by itself `server.session_hours` after its login (a working day, 12 h
by default): a desk left logged in overnight is logged out, its live connections closed, by the morning.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import sqlite_utils

from core.clock import now, utc_iso

VIAS = ("password", "badge")


def digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def open_session(db: sqlite_utils.Database, user_id: int, via: str) -> str:
    """Start a session for `user_id` (logged in by `via`) and return its id, for the cookie only."""
    session_id = secrets.token_urlsafe(32)
    db.execute("INSERT INTO sessions (id_hash, user_id, via, created_at) VALUES (?, ?, ?, ?)",
               [digest(session_id), user_id, via, utc_iso()])
    return session_id


def opened_since(lifetime: timedelta) -> str:
    """Sessions opened before this instant have outlived `lifetime`."""
    return utc_iso(now() - lifetime)


def session_user(db: sqlite_utils.Database, session_id: str, lifetime: timedelta) -> dict[str, Any] | None:
    """The account of a live session (not ended, not older than `lifetime`, account active), else None."""
    rows = list(db.query(
        "SELECT u.id, u.username, u.display_name, u.role FROM sessions s JOIN users u ON u.id = s.user_id "
        "WHERE s.id_hash = ? AND s.ended_at IS NULL AND s.created_at > ? AND u.active = 1",
        [digest(session_id), opened_since(lifetime)]))
    return rows[0] if rows else None


def end_session(db: sqlite_utils.Database, session_id: str, why: str = "logout") -> bool:
    """End one session (a logout: the agent's other sessions, at another desk, go on)."""
    cursor = db.execute(
        "UPDATE sessions SET ended_at = ?, ended_why = ? WHERE id_hash = ? AND ended_at IS NULL",
        [utc_iso(), why, digest(session_id)])
    return cursor.rowcount == 1


def end_user_sessions(db: sqlite_utils.Database, user_id: int, why: str) -> int:
    """End every live session of an account; how many."""
    cursor = db.execute(
        "UPDATE sessions SET ended_at = ?, ended_why = ? WHERE user_id = ? AND ended_at IS NULL",
        [utc_iso(), why, user_id])
    return cursor.rowcount


def live(db: sqlite_utils.Database, hashes: Iterable[str], lifetime: timedelta) -> set[str]:
    """Which of these session hashes are still live (the revocation watcher's question, once a second)."""
    wanted = list(dict.fromkeys(hashes))
    if not wanted:
        return set()
    marks = ", ".join("?" * len(wanted))
    rows = db.execute(
        f"SELECT s.id_hash FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash IN ({marks}) "
        "AND s.ended_at IS NULL AND s.created_at > ? AND u.active = 1",
        [*wanted, opened_since(lifetime)]).fetchall()
    return {row[0] for row in rows}
