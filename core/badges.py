"""Agent badges: a badge id bound to an account, with a PIN, revocable. A badge login needs both the card in
the desk's reader and the PIN.

The badge id is stored as its SHA-256: it is an identifier that anyone holding the card can read, not a
secret. The PIN is the secret, hashed with scrypt like passwords (core/users.py). Wrong PINs are throttled per
badge (core/throttle.py): a found badge gives 5 guesses every 5 minutes, and a supervisor revokes it.
"""

from __future__ import annotations

import hashlib
from functools import cache
from typing import Any

import sqlite_utils

from core import journal, users
from core.clock import utc_iso
from core.errors import N_, Conflict, Forbidden, InvalidInput, NotAuthenticated
from core.throttle import LoginThrottle

PIN_LENGTHS = range(4, 13)
MAX_BADGE_ID = 64
UNKNOWN_BADGE = N_("This card is not an enrolled badge. Log in with your password, or ask a supervisor to "
                   "enrol it.")


class UnknownBadge(Forbidden):
    code = "unknown_badge"


class WrongPin(NotAuthenticated):
    code = "wrong_pin"


def digest(badge_id: str) -> str:
    return hashlib.sha256(badge_id.encode()).hexdigest()


def fingerprint(badge_id: str) -> str:
    """A short, non-reversible name for a badge in lists and the journal (never the id itself)."""
    return digest(badge_id)[:8]


def enrol(db: sqlite_utils.Database, username: str, badge_id: str, pin: str) -> int:
    """Bind a badge to an active account with a PIN (inside the caller's transaction); the badge row id."""
    if not 0 < len(badge_id) <= MAX_BADGE_ID or not badge_id.isprintable():
        raise InvalidInput(N_("A badge id is 1 to 64 printable characters."))
    if not pin.isascii() or not pin.isdigit() or len(pin) not in PIN_LENGTHS:
        raise InvalidInput(N_("A PIN is 4 to 12 digits."))
    user = db.execute("SELECT id FROM users WHERE username = ? AND active = 1", [username]).fetchone()
    if user is None:
        raise InvalidInput(N_("There is no active account named %(username)s."), username=username)
    if _active(db, badge_id) is not None:
        raise Conflict(N_("This badge is already enrolled. Revoke it first."))
    cursor = db.execute(
        "INSERT INTO badges (badge_hash, user_id, pin_hash, created_at) VALUES (?, ?, ?, ?)",
        [digest(badge_id), user[0], users.hash_password(pin), utc_iso()],
    )
    return int(cursor.lastrowid or 0)


def revoke(db: sqlite_utils.Database, badge_id: str) -> bool:
    """Revoke an enrolled badge (lost, or its agent left); False if it was not enrolled."""
    cursor = db.execute("UPDATE badges SET revoked_at = ? WHERE badge_hash = ? AND revoked_at IS NULL",
                        [utc_iso(), digest(badge_id)])
    return cursor.rowcount == 1


def revoke_user(db: sqlite_utils.Database, username: str) -> int:
    """Revoke every badge of an account (a badge lost without its id at hand); how many were revoked."""
    cursor = db.execute(
        "UPDATE badges SET revoked_at = ? WHERE revoked_at IS NULL "
        "AND user_id = (SELECT id FROM users WHERE username = ?)", [utc_iso(), username])
    return cursor.rowcount


def list_badges(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every badge ever enrolled, with its account and fingerprint, oldest first."""
    rows = db.query(
        "SELECT b.id, substr(b.badge_hash, 1, 8) AS fingerprint, u.username, b.created_at, b.revoked_at "
        "FROM badges b JOIN users u ON u.id = b.user_id ORDER BY b.id")
    return list(rows)


def is_enrolled(db: sqlite_utils.Database, badge_id: str) -> bool:
    return _active(db, badge_id) is not None


def verify(db: sqlite_utils.Database, badge_id: str, pin: str, throttle: LoginThrottle) -> dict[str, Any]:
    """The badge's account if `pin` is its PIN; UnknownBadge, WrongPin, or TooManyAttempts (per badge)."""
    key = f"badge:{digest(badge_id)}"
    throttle.check(key)
    row = _active(db, badge_id)
    if row is None:
        users.verify_password(pin, _decoy_hash())  # the same cost either way
        raise UnknownBadge(UNKNOWN_BADGE)
    if not users.verify_password(pin, row["pin_hash"]):
        throttle.failed(key)
        raise WrongPin(N_("Wrong PIN. Try again."))
    throttle.succeeded(key)
    user = users.get_user(db, row["user_id"])
    assert user is not None  # _active only finds badges of active accounts
    return user


def journal_desk(db: sqlite_utils.Database, type_: str, counter: int, user: dict[str, Any],
                 **data: Any) -> journal.Event:
    """`badge.login` or `badge.locked` at `counter`, with the agent as actor (the audit of who was there)."""
    return journal.append(db, type_, f"user:{user['id']}", {"counter": counter, **data})


def _active(db: sqlite_utils.Database, badge_id: str) -> dict[str, Any] | None:
    rows = list(db.query(
        "SELECT b.id, b.user_id, b.pin_hash FROM badges b JOIN users u ON u.id = b.user_id "
        "WHERE b.badge_hash = ? AND b.revoked_at IS NULL AND u.active = 1", [digest(badge_id)]))
    return rows[0] if rows else None


@cache
def _decoy_hash() -> str:
    return users.hash_password("decoy-pin")
