"""QR samples for a demo page or a test: one genuine token per case a kiosk must tell apart.

Labels: `valid` (several booked appointments of the day, nearest to now first), `forged` (a valid token whose
signature bytes were altered), `expired`, `unknown_key` (signed by a key the central never published),
`other_site`, `cancelled`, `too_early` (a slot at least 3 hours ahead, else the last slot of the day) and
`other_day` (tomorrow's). A case with no appointment to show it (no cancellation that day, say) is left out.
"""

from __future__ import annotations

import secrets
import zlib
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import base45
import cbor2
import sqlite_utils
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from core.clock import now as clock_now
from sync.central import appointments, keys
from sync.central.validate import iso_z, malformed, parse_moment
from sync.tokens import PREFIX, SigningKey, new_private_key, sign

VALID_SAMPLES = 4
TOO_EARLY = timedelta(hours=3)


def parse_day(day: str | None, timezone: str) -> tuple[date, ZoneInfo]:
    """The `day` and `timezone` query parameters (day default: today there)."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise malformed(f"unknown timezone {timezone!r}; use an IANA name such as Europe/Paris") from None
    if day is None:
        return clock_now().astimezone(zone).date(), zone
    try:
        return date.fromisoformat(day), zone
    except ValueError:
        raise malformed("day must be a date, YYYY-MM-DD") from None


def _booked_on(db: sqlite_utils.Database, where: str, day: date, zone: ZoneInfo,
               *params: Any) -> list[dict[str, Any]]:
    """Appointments whose slot starts on `day` (local), matching `where`, in slot order."""
    start = datetime.combine(day, time(0), zone)
    bounds = [iso_z(start), iso_z(start + timedelta(days=1))]
    ids = db.execute(f"SELECT id FROM appointments WHERE {where} AND slot_start >= ? AND slot_start < ? "
                     "ORDER BY slot_start, id", [*params, *bounds]).fetchall()
    return [appointments.get(db, row[0]) for row in ids]


def _sample(label: str, text: str, appointment: dict[str, Any]) -> dict[str, Any]:
    return {"label": label, "text": text, "appointment_id": appointment["id"],
            "reference": appointment["reference"]}


def _too_early(booked: list[dict[str, Any]], now: datetime) -> dict[str, Any] | None:
    later = [a for a in booked if parse_moment(a["slot_start"], "slot_start") >= now + TOO_EARLY]
    return later[0] if later else (booked[-1] if booked else None)


def forge(token: str) -> str:
    """The same token with one signature bit flipped: well formed, signed by a known key, not genuine."""
    cose = cbor2.loads(zlib.decompress(base45.b45decode(token[len(PREFIX):])))
    protected, unprotected, payload, signature = cose.value
    altered = bytes([signature[0] ^ 1]) + signature[1:]
    message = cbor2.dumps(cbor2.CBORTag(cose.tag, [protected, unprotected, payload, altered]))
    return PREFIX + base45.b45encode(zlib.compress(message, 9)).decode("ascii")


def samples(db: sqlite_utils.Database, site: str, day: date, zone: ZoneInfo) -> list[dict[str, Any]]:
    now = clock_now()
    key, private = keys.current(db)

    def genuine(appointment: dict[str, Any]) -> str:
        return sign(keys.claims_for(appointment, now), private, key.kid)

    booked = _booked_on(db, "site = ? AND status = 'booked'", day, zone, site)
    early = _too_early(booked, now)
    due = sorted((a for a in booked if a is not early),
                 key=lambda a: abs(parse_moment(a["slot_start"], "slot_start") - now))[:VALID_SAMPLES]
    found = [_sample("valid", genuine(a), a) for a in due]
    if due:
        found += _altered(due[0], now, key, private)
    cases: list[tuple[str, list[dict[str, Any]]]] = [
        ("other_site", _booked_on(db, "site != ? AND status = 'booked'", day, zone, site)),
        ("cancelled", _booked_on(db, "site = ? AND status = 'cancelled'", day, zone, site)),
        ("too_early", [early] if early else []),
        ("other_day", _booked_on(db, "site = ? AND status = 'booked'", day + timedelta(days=1), zone, site))]
    found += [_sample(label, genuine(rows[0]), rows[0]) for label, rows in cases if rows]
    return found


def _altered(appointment: dict[str, Any], now: datetime, key: SigningKey,
             private: Ed25519PrivateKey) -> list[dict[str, Any]]:
    """`forged`, `expired` and `unknown_key` variants of one valid appointment's token.

    The expired one is issued inside the key's validity (else a kiosk would see "key not valid" first) and
    expires the instant it is issued."""
    issued = max(key.valid_from, now - timedelta(hours=2))
    stranger, unknown_kid = new_private_key(), f"unknown-{secrets.token_hex(3)}"
    return [
        _sample("forged", forge(sign(keys.claims_for(appointment, now), private, key.kid)), appointment),
        _sample("expired", sign(keys.claims_for(appointment, issued, issued), private, key.kid), appointment),
        _sample("unknown_key", sign(keys.claims_for(appointment, now), stranger, unknown_kid), appointment)]
