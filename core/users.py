"""Agents and supervisors: accounts with scrypt-hashed passwords. No default account or password exists.

Disabling an account or changing its password ends every session it has (core/sessions.py): a cookie
copied before stops working, on the pages and on the open live connections.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

from core import sessions
from core.clock import utc_iso
from core.errors import N_, Conflict, InvalidInput, NotFound
from core.passwords import MIN_PASSWORD_LENGTH, check_policy, decoy_hash, hash_password, verify_password

__all__ = ["MIN_PASSWORD_LENGTH", "ROLES", "add_user", "authenticate", "disable_user", "get_user",
           "hash_password", "set_password", "verify_password"]
ROLES = ("agent", "supervisor")


def add_user(db: sqlite_utils.Database, username: str, display_name: str, role: str, password: str) -> int:
    """Create an account (inside the caller's transaction) and return its id."""
    if role not in ROLES:
        raise InvalidInput(N_("Unknown role: %(role)s."), role=role)
    if not username or not username.isprintable() or " " in username:
        raise InvalidInput(N_("A user name is one word without spaces."))
    check_policy(password, username)
    if db.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
        raise Conflict(N_("The user %(username)s already exists."), username=username)
    cursor = db.execute(
        "INSERT INTO users (username, display_name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
        [username, display_name or username, role, hash_password(password), utc_iso()],
    )
    return int(cursor.lastrowid or 0)


def authenticate(db: sqlite_utils.Database, username: str, password: str) -> dict[str, Any] | None:
    """The user row if the password matches an active account, else None: one scrypt either way (an unknown
    name is checked against a decoy hash of the same cost), so timing does not tell which names exist."""
    rows = list(db.query("SELECT * FROM users WHERE username = ? AND active = 1", [username]))
    if not rows:
        verify_password(password, decoy_hash())
        return None
    user = rows[0]
    return user if verify_password(password, user["password_hash"]) else None


def get_user(db: sqlite_utils.Database, user_id: int) -> dict[str, Any] | None:
    rows = list(db.query("SELECT id, username, display_name, role FROM users WHERE id = ? AND active = 1",
                         [user_id]))
    return rows[0] if rows else None


def _user_id(db: sqlite_utils.Database, username: str) -> int:
    row = db.execute("SELECT id FROM users WHERE username = ?", [username]).fetchone()
    if row is None:
        raise NotFound(N_("No user named %(username)s."), username=username)
    return int(row[0])


def disable_user(db: sqlite_utils.Database, username: str) -> int:
    """Disable an account (it can no longer log in, by password or badge) and end its sessions; how many
    sessions were ended."""
    user_id = _user_id(db, username)
    db.execute("UPDATE users SET active = 0 WHERE id = ?", [user_id])
    return sessions.end_user_sessions(db, user_id, "disabled")


def enable_user(db: sqlite_utils.Database, username: str) -> None:
    """Let a disabled account log in again (its old sessions stay ended)."""
    db.execute("UPDATE users SET active = 1 WHERE id = ?", [_user_id(db, username)])


def set_password(db: sqlite_utils.Database, username: str, password: str) -> int:
    """Give an account a new password (the policy applies) and end its sessions; how many were ended."""
    user_id = _user_id(db, username)
    check_policy(password, username)
    db.execute("UPDATE users SET password_hash = ? WHERE id = ?", [hash_password(password), user_id])
    return sessions.end_user_sessions(db, user_id, "password_changed")
