"""What sites send up: journal event batches (stored once per id) and eTimbre requests (one number each).

Both are idempotent because the network is not: a site whose answer was lost sends again, and must get the
same outcome without a second event or a second stamp. eTimbre numbers are `ETB` + the UTC year of issue +
an 8-digit sequence of that year (`ETB202600000042`): unique, increasing, and readable over the phone.
"""

from __future__ import annotations

import json
import re
from typing import Any

import sqlite_utils

from core.clock import now as clock_now
from core.clock import utc_iso
from core.fees import MAX_AMOUNT_MINOR
from sync.central import daily_reports
from sync.central.db import bump, counter
from sync.central.validate import Refused, identifier, integer, json_object, malformed, moment, text

MAX_EVENTS = 1000
MAX_SEQ = 2**63 - 1
CURRENCY = re.compile(r"[A-Z]{3}")


def parse_events(body: dict[str, Any], site: str) -> list[dict[str, Any]]:
    """The batch's events, each checked; 413 above MAX_EVENTS (the site splits its batch)."""
    events = body.get("events")
    if not isinstance(events, list):
        raise malformed("events must be a list")
    if len(events) > MAX_EVENTS:
        raise Refused(413, "too_large", f"at most {MAX_EVENTS} events per batch, not {len(events)}")
    return [_event(json_object(event, f"events[{index}]"), site) for index, event in enumerate(events)]


def _event(event: dict[str, Any], site: str) -> dict[str, Any]:
    event_id = identifier(event.get("id"), "id")
    if not event_id.startswith(f"{site}:"):
        raise malformed(f"event id {event_id} must start with the site id ({site}:epoch:seq)")
    moment(event, "at")
    data = event.get("data", {})
    return {"id": event_id, "seq": integer(event, "seq", 0, MAX_SEQ), "type": text(event, "type"),
            "at": event["at"], "actor": text(event, "actor", optional=True),
            "ticket_id": text(event, "ticket_id", optional=True),
            "data": json.dumps(json_object(data, f"data of {event_id}"), ensure_ascii=False, sort_keys=True)}


def store_events(db: sqlite_utils.Database, site: str, events: list[dict[str, Any]]) -> list[str]:
    """Store each new id once; every id of the batch is acknowledged, already stored ones included."""
    received_at = utc_iso()
    duplicates = 0
    for event in events:
        cursor = db.execute(
            "INSERT OR IGNORE INTO events (id, site, seq, type, at, actor, ticket_id, data, received_at) "
            "VALUES (:id, :site, :seq, :type, :at, :actor, :ticket_id, :data, :received_at)",
            {**event, "site": site, "received_at": received_at})
        duplicates += cursor.rowcount == 0
    if duplicates:
        bump(db, f"duplicates:{site}", duplicates)
    return list(dict.fromkeys(event["id"] for event in events))


def parse_etimbre(body: dict[str, Any], site: str, payment_reference: str) -> dict[str, Any]:
    """The eTimbre request, checked: it must name the path's site and reference, and its items add up."""
    if body.get("site_id") != site:
        raise malformed("site_id must be the site of the path")
    if body.get("payment_reference") != payment_reference:
        raise malformed("payment_reference must be the reference of the path")
    items = _items(body.get("items"))
    amount = integer(body, "amount_minor", 0, MAX_AMOUNT_MINOR * 100)
    if sum(amount_minor for _, amount_minor in items) != amount:
        raise malformed("amount_minor must be the sum of the items' amounts")
    if not isinstance(body.get("currency"), str) or not CURRENCY.fullmatch(body["currency"]):
        raise malformed("currency must be an ISO 4217 code such as EUR")
    moment(body, "paid_at")
    return {"site_id": site, "payment_reference": payment_reference, "service": text(body, "service"),
            "items": items, "amount_minor": amount, "currency": body["currency"], "paid_at": body["paid_at"],
            "authorisation": text(body, "authorisation", optional=True),
            "ticket_number": text(body, "ticket_number", optional=True)}


def _items(raw: Any) -> list[tuple[str, int]]:
    """Fee items as `[code, amount_minor]` pairs or `{"code", "amount_minor"}` objects."""
    if not isinstance(raw, list) or not 1 <= len(raw) <= 100:
        raise malformed("items must be a list of 1 to 100 fee items")
    items = []
    for item in raw:
        if isinstance(item, list) and len(item) == 2:
            item = {"code": item[0], "amount_minor": item[1]}
        if not isinstance(item, dict):
            raise malformed("each item must be [code, amount_minor] or {\"code\", \"amount_minor\"}")
        items.append((text(item, "code"), integer(item, "amount_minor", 0, MAX_AMOUNT_MINOR)))
    return items


def issue_etimbre(db: sqlite_utils.Database, site: str, request: dict[str, Any]) -> tuple[str, bool]:
    """(number, newly issued?): the reference's number, issued now if it has none yet."""
    reference = request["payment_reference"]
    row = db.execute("SELECT site, number FROM etimbres WHERE payment_reference = ?", [reference]).fetchone()
    if row is not None:
        if row[0] != site:
            raise Refused(409, "conflict", f"payment reference {reference} belongs to another site")
        return str(row[1]), False
    issued = clock_now()
    number = f"ETB{issued:%Y}{bump(db, f'etimbre:{issued:%Y}'):08d}"
    db.execute("INSERT INTO etimbres (payment_reference, site, number, request, issued_at) "
               "VALUES (?, ?, ?, ?, ?)",
               [reference, site, number, json.dumps(request, sort_keys=True), utc_iso(issued)])
    return number, True


def stats(db: sqlite_utils.Database, site: str) -> dict[str, Any]:
    """What a test or an operator checks after a sync: counts, never contents."""
    by_type = dict(db.execute("SELECT type, COUNT(*) FROM events WHERE site = ? GROUP BY type ORDER BY type",
                              [site]).fetchall())

    def count(table: str) -> int:
        return int(db.execute(f"SELECT COUNT(*) FROM {table} WHERE site = ?", [site]).fetchone()[0])

    return {"events": sum(by_type.values()), "events_by_type": by_type,
            "duplicates": counter(db, f"duplicates:{site}"), "etimbres": count("etimbres"),
            "appointments": count("appointments"), **daily_reports.counts(db, site)}
