"""Agents and supervisors: accounts with scrypt-hashed passwords. No default account or password exists."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Any

import sqlite_utils

from core.clock import utc_iso
from core.errors import N_, Conflict, InvalidInput

ROLES = ("agent", "supervisor")
MIN_PASSWORD_LENGTH = 10
SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **SCRYPT)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    expected = base64.b64decode(digest)
    actual = hashlib.scrypt(
        password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
    )
    return hmac.compare_digest(actual, expected)


def add_user(db: sqlite_utils.Database, username: str, display_name: str, role: str, password: str) -> int:
    """Create an account (inside the caller's transaction) and return its id."""
    if role not in ROLES:
        raise InvalidInput(N_("Unknown role: %(role)s."), role=role)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(N_("The password needs at least %(n)s characters."), n=MIN_PASSWORD_LENGTH)
    if not username or not username.isprintable() or " " in username:
        raise InvalidInput(N_("A user name is one word without spaces."))
    if db.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
        raise Conflict(N_("The user %(username)s already exists."), username=username)
    cursor = db.execute(
        "INSERT INTO users (username, display_name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
        [username, display_name or username, role, hash_password(password), utc_iso()],
    )
    return int(cursor.lastrowid or 0)


def authenticate(db: sqlite_utils.Database, username: str, password: str) -> dict[str, Any] | None:
    """The user row if the password matches an active account, else None (same cost either way)."""
    rows = list(db.query("SELECT * FROM users WHERE username = ? AND active = 1", [username]))
    if not rows:
        verify_password(password, hash_password("timing-equaliser"))
        return None
    user = rows[0]
    return user if verify_password(password, user["password_hash"]) else None


def get_user(db: sqlite_utils.Database, user_id: int) -> dict[str, Any] | None:
    rows = list(db.query("SELECT id, username, display_name, role FROM users WHERE id = ? AND active = 1",
                         [user_id]))
    return rows[0] if rows else None
