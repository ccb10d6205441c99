"""Appointments as the central books them, and the change feed sites pull them from.

One global change counter orders every create, move and cancel: each gives the appointment its next
`change_seq` (and a higher `version`), so the row's latest state sits at its latest change. A site asks for
"my rows with change_seq above my cursor", oldest first: a page holds each appointment once, in its latest
state, and nothing changed after the cursor is ever skipped. The cursor is opaque to sites (base64url of
`c1:<change_seq>`), so the central may change what it encodes without changing the contract.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
from datetime import datetime
from typing import Any

import sqlite_utils

from sync.central import sites
from sync.central.db import bump
from sync.central.validate import Refused, iso_z, malformed

REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud and typed without doubt
DEFAULT_LIMIT, MAX_LIMIT = 1000, 5000
CURSOR_TEXT = re.compile(r"c1:(0|[1-9][0-9]{0,17})")
COLUMNS = ("id, reference, site, services, slot_start, slot_end, persons, lang, applicant, documents, "
           "status, version")


def new_reference() -> str:
    return "RDV-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))


def new_id() -> str:
    return "apt_" + secrets.token_hex(8)


def new_applicant() -> str:
    """A pseudonym: the central never hands a site the applicant's name."""
    return "APL-" + secrets.token_hex(4).upper()


def encode_cursor(change_seq: int) -> str:
    return base64.urlsafe_b64encode(f"c1:{change_seq}".encode()).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str | None) -> int:
    """The change_seq a cursor stands for (absent or empty: from the start); 400 for anything else."""
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        raw = ""
    found = CURSOR_TEXT.fullmatch(raw) if len(cursor) <= 40 else None
    if found is None:
        raise malformed("cursor is not one this central gave: send the last cursor received, or none")
    return int(found.group(1))


def _to_json(row: tuple[Any, ...]) -> dict[str, Any]:
    keys = [name.strip() for name in COLUMNS.split(",")]
    data = dict(zip(keys, row, strict=True))
    data["services"] = json.loads(data["services"])
    data["documents"] = json.loads(data["documents"])
    return data


def get(db: sqlite_utils.Database, appointment_id: str) -> dict[str, Any]:
    row = db.execute(f"SELECT {COLUMNS} FROM appointments WHERE id = ?", [appointment_id]).fetchone()
    if row is None:
        raise Refused(404, "not_found", f"no appointment {appointment_id}")
    return _to_json(row)


def create(db: sqlite_utils.Database, site: str, services: list[str], slot: tuple[datetime, datetime],
           persons: int, lang: str | None, applicant: str | None = None, documents: list[str] | None = None,
           appointment_id: str | None = None) -> dict[str, Any]:
    """Book an appointment (version 1) inside the caller's transaction."""
    if not sites.exists(db, site):
        raise Refused(404, "not_found", f"no site {site}")
    _check_slot(slot)
    appointment_id = appointment_id or new_id()
    reference = _free_reference(db)
    db.execute(
        f"INSERT INTO appointments ({COLUMNS}, change_seq) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'booked', 1, ?)",
        [appointment_id, reference, site, json.dumps(services), iso_z(slot[0]), iso_z(slot[1]), persons, lang,
         applicant or new_applicant(), json.dumps(documents or []), bump(db, "change_seq")])
    return get(db, appointment_id)


def move(db: sqlite_utils.Database, appointment_id: str, slot: tuple[datetime, datetime]) -> dict[str, Any]:
    _check_slot(slot)
    _booked(db, appointment_id)
    return _change(db, appointment_id, "slot_start = ?, slot_end = ?", [iso_z(slot[0]), iso_z(slot[1])])


def cancel(db: sqlite_utils.Database, appointment_id: str) -> dict[str, Any]:
    _booked(db, appointment_id)
    return _change(db, appointment_id, "status = 'cancelled'", [])


def changes(db: sqlite_utils.Database, site: str, cursor: str | None, limit: int) -> dict[str, Any]:
    """GET /v1/sites/{site}/appointments: the page of changes after `cursor`."""
    after = decode_cursor(cursor)
    rows = db.execute(
        f"SELECT {COLUMNS}, change_seq FROM appointments WHERE site = ? AND change_seq > ? "
        "ORDER BY change_seq LIMIT ?", [site, after, limit + 1]).fetchall()
    page = rows[:limit]
    last = page[-1][-1] if page else after
    return {"appointments": [_to_json(row[:-1]) for row in page], "cursor": encode_cursor(last),
            "more": len(rows) > limit}


def _change(db: sqlite_utils.Database, appointment_id: str, assignments: str,
            values: list[Any]) -> dict[str, Any]:
    """Apply a change: the version goes up and the row moves to the head of the change feed."""
    db.execute(f"UPDATE appointments SET {assignments}, version = version + 1, change_seq = ? WHERE id = ?",
               [*values, bump(db, "change_seq"), appointment_id])
    return get(db, appointment_id)


def _booked(db: sqlite_utils.Database, appointment_id: str) -> None:
    if get(db, appointment_id)["status"] != "booked":
        raise Refused(409, "conflict", f"appointment {appointment_id} is cancelled")


def _check_slot(slot: tuple[datetime, datetime]) -> None:
    if not slot[0] < slot[1]:
        raise malformed("slot_end must come after slot_start")


def _free_reference(db: sqlite_utils.Database) -> str:
    """A reference not yet used (31^6 ≈ 900 million: a clash is rare, and retried)."""
    while True:
        reference = new_reference()
        if db.execute("SELECT 1 FROM appointments WHERE reference = ?", [reference]).fetchone() is None:
            return reference
