"""The QR signing keys: Ed25519, rotated, the public halves published at GET /v1/keys.

`rotate` adds a key valid from now for N days and signs with it from then on; older keys stay published until
their own `valid_until`, so a QR issued last month still verifies at a site that fetched the keys since.
Validity bounds are whole seconds because token times are: a token issued in the first second of a key must
not look older than the key.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from core.clock import now as clock_now
from sync.central.validate import Refused, iso_z, parse_moment
from sync.tokens import AppointmentClaims, SigningKey, new_private_key, public_bytes, sign

TOKEN_GRACE = timedelta(days=1)  # a QR stays usable until a day after its slot ends
MAX_DAYS = 3650


def _whole_second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def rotate(db: sqlite_utils.Database, days: int, valid_from: datetime | None = None) -> SigningKey:
    """A signing key valid from `valid_from` (default now) for `days` days, in the caller's transaction."""
    start = _whole_second(valid_from or clock_now())
    private = new_private_key()
    kid = f"k{start:%Y%m%d}-{secrets.token_hex(3)}"
    key = SigningKey(kid, public_bytes(private), start, start + timedelta(days=days))
    db.execute("INSERT INTO signing_keys (kid, private, public, valid_from, valid_until) "
               "VALUES (?, ?, ?, ?, ?)",
               [kid, private.private_bytes_raw(), key.public, iso_z(key.valid_from), iso_z(key.valid_until)])
    return key


def _key(row: tuple[Any, ...]) -> SigningKey:
    return SigningKey(row[0], bytes(row[1]), parse_moment(row[2], "valid_from"),
                      parse_moment(row[3], "valid_until"))


def published(db: sqlite_utils.Database) -> list[SigningKey]:
    """Every key not yet past its validity, oldest first (future keys too: sites may cache them early)."""
    rows = db.execute("SELECT kid, public, valid_from, valid_until FROM signing_keys WHERE valid_until > ? "
                      "ORDER BY valid_from, kid", [iso_z(clock_now())]).fetchall()
    return [_key(row) for row in rows]


def current(db: sqlite_utils.Database) -> tuple[SigningKey, Ed25519PrivateKey]:
    """The key to sign with now: the newest one in its validity. 503 when there is none."""
    moment = iso_z(clock_now())
    row = db.execute("SELECT kid, public, valid_from, valid_until, private FROM signing_keys "
                     "WHERE valid_from <= ? AND valid_until > ? ORDER BY valid_from DESC, kid DESC LIMIT 1",
                     [moment, moment]).fetchone()
    if row is None:
        raise Refused(503, "unavailable", "no signing key is valid now: run `dour central key rotate`")
    return _key(row[:4]), Ed25519PrivateKey.from_private_bytes(bytes(row[4]))


def has_current(db: sqlite_utils.Database) -> bool:
    try:
        current(db)
    except Refused:
        return False
    return True


def claims_for(appointment: dict[str, Any], issued_at: datetime,
               expires_at: datetime | None = None) -> AppointmentClaims:
    """The token claims of an appointment as booked now (default expiry: a day after the slot ends)."""
    slot_end = parse_moment(appointment["slot_end"], "slot_end")
    return AppointmentClaims(
        appointment_id=appointment["id"], reference=appointment["reference"], site=appointment["site"],
        services=tuple(appointment["services"]),
        slot_start=parse_moment(appointment["slot_start"], "slot_start"), slot_end=slot_end,
        persons=appointment["persons"], lang=appointment["lang"], version=appointment["version"],
        issued_at=_whole_second(issued_at), expires_at=expires_at or slot_end + TOKEN_GRACE)


def token_for(db: sqlite_utils.Database, appointment: dict[str, Any]) -> str:
    """A fresh QR token for an appointment, signed with the current key (iat = now)."""
    key, private = current(db)
    return sign(claims_for(appointment, clock_now()), private, key.kid)
