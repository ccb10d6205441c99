"""Appointments booked on eConsulat: as the central publishes them, or as a verified QR token told us.

The central is the source of truth for an appointment (services, slot, status); the site adds what happened on
its floor (the ticket of the check-in, the no-show). A newer `version` from the central always wins, except
that a check-in is never undone: an appointment cancelled or moved after its visitor checked in keeps its
ticket, and the counter is warned (`appointment.changed`). Names never come here: the applicant is a
pseudonymous reference.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from core import journal
from core.clock import utc_iso
from core.config import SiteConfig

STATUSES = ("booked", "cancelled")
SOURCES = ("sync", "token")
MAX_PERSONS = 50


@dataclass(frozen=True)
class Appointment:
    id: str
    reference: str
    site: str
    services: tuple[str, ...]
    slot_start: str  # UTC ISO 8601
    slot_end: str
    day: str  # the slot's day in the site's time zone
    persons: int
    lang: str | None
    applicant: str | None
    documents: tuple[str, ...]
    status: str
    version: int
    source: str  # sync: from the central; token: accepted from its QR alone, not synced yet
    ticket_id: str | None = None
    checked_in_at: str | None = None
    no_show_at: str | None = None
    updated_at: str = ""

    def public(self) -> dict[str, Any]:
        """What the kiosk may show the visitor who holds the code (and the agent): no applicant reference."""
        return {"reference": self.reference, "services": list(self.services), "slot_start": self.slot_start,
                "slot_end": self.slot_end, "persons": self.persons, "status": self.status}

    def for_agent(self) -> dict[str, Any]:
        """What the agent serving its ticket sees."""
        return {**self.public(), "id": self.id, "applicant": self.applicant,
                "documents": list(self.documents), "version": self.version, "source": self.source}


def _row(row: Mapping[str, Any]) -> Appointment:
    data = dict(row)
    data["services"] = tuple(json.loads(data["services"]))
    data["documents"] = tuple(json.loads(data["documents"]))
    return Appointment(**data)


def get(db: sqlite_utils.Database, appointment_id: str) -> Appointment | None:
    rows = list(db.query("SELECT * FROM appointments WHERE id = ?", [appointment_id]))
    return _row(rows[0]) if rows else None


def by_reference(db: sqlite_utils.Database, reference: str) -> Appointment | None:
    rows = list(db.query("SELECT * FROM appointments WHERE reference = ?", [normalise_reference(reference)]))
    return _row(rows[0]) if rows else None


def for_ticket(db: sqlite_utils.Database, ticket_id: str) -> Appointment | None:
    rows = list(db.query("SELECT * FROM appointments WHERE ticket_id = ?", [ticket_id]))
    return _row(rows[0]) if rows else None


def of_day(db: sqlite_utils.Database, day: str) -> list[Appointment]:
    rows = db.query("SELECT * FROM appointments WHERE day = ? ORDER BY slot_start", [day])
    return [_row(row) for row in rows]


def normalise_reference(text: str) -> str:
    """A booking reference as typed on a keypad: case and blanks do not matter."""
    return "".join(text.split()).upper()


def parse_utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("a time without its zone")
    return moment


class BadAppointment(ValueError):
    """What the central sent is not an appointment we can keep (wrong types, missing fields)."""


def validated(item: object, config: SiteConfig) -> dict[str, Any]:
    """The row of one appointment from the central's JSON, every field type-checked; BadAppointment if not."""
    if not isinstance(item, dict):
        raise BadAppointment("an appointment must be an object")
    try:
        start, end = parse_utc(_text(item, "slot_start")), parse_utc(_text(item, "slot_end"))
        services = item["services"]
        documents = item.get("documents", [])
        persons, version = item["persons"], item["version"]
    except (KeyError, TypeError, ValueError) as error:
        raise BadAppointment(str(error)) from None
    if not (isinstance(services, list) and services and all(isinstance(s, str) and s for s in services)):
        raise BadAppointment("services must be a non-empty list of codes")
    if not (isinstance(documents, list) and all(isinstance(d, str) for d in documents)):
        raise BadAppointment("documents must be a list of strings")
    if not (_is_int(persons) and 1 <= persons <= MAX_PERSONS and _is_int(version) and version >= 0):
        raise BadAppointment("persons and version must be integers in range")
    status = _text(item, "status")
    if status not in STATUSES or end <= start:
        raise BadAppointment("unknown status or empty slot")
    lang, applicant = item.get("lang"), item.get("applicant")
    if not (lang is None or isinstance(lang, str)) or not (applicant is None or isinstance(applicant, str)):
        raise BadAppointment("lang and applicant must be strings")
    return {"id": _text(item, "id"), "reference": normalise_reference(_text(item, "reference")),
            "site": _text(item, "site"), "services": json.dumps(services), "slot_start": utc_iso(start),
            "slot_end": utc_iso(end), "day": config.local_day(start), "persons": persons, "lang": lang,
            "applicant": applicant, "documents": json.dumps(documents), "status": status, "version": version}


def _text(item: Mapping[str, Any], key: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value or len(value) > 200:
        raise BadAppointment(f"{key} must be a non-empty string")
    return value


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def store_from_central(db: sqlite_utils.Database, row: dict[str, Any], actor: str) -> journal.Event | None:
    """Keep the central's version of one appointment (inside the caller's transaction). An older or equal
    version changes nothing. A change to an appointment already checked in is journaled for the counter."""
    current = get(db, row["id"])
    if current is not None and current.version >= row["version"] and current.source == "sync":
        return None
    _upsert(db, {**row, "source": "sync", "updated_at": utc_iso()})
    if current is None:
        return None
    changed = row["status"] != current.status or row["slot_start"] != current.slot_start
    if current.ticket_id and changed:
        data = {"appointment": current.reference, "status": row["status"], "slot_start": row["slot_start"],
                "previous_slot_start": current.slot_start, "version": row["version"]}
        return journal.append(db, "appointment.changed", actor, data, current.ticket_id)
    return None


def store_from_token(db: sqlite_utils.Database, row: dict[str, Any]) -> Appointment:
    """An appointment the site has not synced yet, accepted from its verified QR alone (reconciled when the
    central's version arrives: `store_from_central` replaces it whatever the versions)."""
    _upsert(db, {**row, "applicant": None, "documents": "[]", "source": "token", "updated_at": utc_iso()})
    found = get(db, row["id"])
    assert found is not None
    return found


CENTRAL_COLUMNS = ("id", "reference", "site", "services", "slot_start", "slot_end", "day", "persons", "lang",
                   "applicant", "documents", "status", "version", "source", "updated_at")
UPSERT = (f"INSERT INTO appointments ({', '.join(CENTRAL_COLUMNS)}) "
          f"VALUES ({', '.join('?' for _ in CENTRAL_COLUMNS)}) ON CONFLICT (id) DO UPDATE SET "
          + ", ".join(f"{column} = excluded.{column}" for column in CENTRAL_COLUMNS[1:]))


def _upsert(db: sqlite_utils.Database, values: dict[str, Any]) -> None:
    """Insert or update the central's columns of one appointment; the site's own (its ticket, check-in and
    no-show) are left as they are. A plain statement: sqlite-utils' insert reads the schema at each call,
    which made a pull of 10,000 appointments three times slower."""
    db.execute(UPSERT, [values[column] for column in CENTRAL_COLUMNS])


def mark_checked_in(db: sqlite_utils.Database, appointment: Appointment, ticket_id: str, at: str) -> None:
    db.execute("UPDATE appointments SET ticket_id = ?, checked_in_at = ? WHERE id = ?",
               [ticket_id, at, appointment.id])


def forget_before(db: sqlite_utils.Database, day: str) -> int:
    """Drop appointments of days before `day` that never came (kept ones hold a ticket for the reports)."""
    cursor = db.execute("DELETE FROM appointments WHERE day < ? AND ticket_id IS NULL", [day])
    return int(cursor.rowcount)


def mark_no_shows(db: sqlite_utils.Database, config: SiteConfig, moment: datetime,
                  actor: str) -> list[journal.Event]:
    """Booked appointments of the site whose check-in window closed without a check-in become no-shows."""
    late = timedelta(minutes=int(config.policy["checkin_late_minutes"]))
    cutoff = utc_iso(moment - late)
    rows = db.execute(
        """SELECT id, reference, slot_start, services, persons FROM appointments
           WHERE site = ? AND status = 'booked' AND ticket_id IS NULL AND no_show_at IS NULL
             AND slot_start < ?""", [config.site_id, cutoff]).fetchall()
    events = []
    for appointment_id, reference, slot_start, services, persons in rows:
        db.execute("UPDATE appointments SET no_show_at = ? WHERE id = ?", [utc_iso(moment), appointment_id])
        data = {"appointment": reference, "slot_start": slot_start, "services": json.loads(services),
                "persons": persons}
        events.append(journal.append(db, "appointment.no_show", actor, data))
    return events


def counts_of_day(db: sqlite_utils.Database, day: str) -> dict[str, int]:
    """Today's appointments by what became of them, for the supervisor."""
    row = db.execute(
        """SELECT COUNT(*), SUM(status = 'cancelled'), SUM(ticket_id IS NOT NULL), SUM(no_show_at IS NOT NULL)
           FROM appointments WHERE day = ?""", [day]).fetchone()
    total, cancelled, checked_in, no_show = (int(value or 0) for value in row)
    return {"total": total, "cancelled": cancelled, "checked_in": checked_in, "no_show": no_show}
