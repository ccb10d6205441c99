"""What the retention (core/retention.py) does to one day's rows, inside its transaction.

Pseudonyms are built from what is not personal: a ticket becomes `~<day>/<number>` (its number is public on
the displays; the day and number stay unique), an appointment `~<day>/a<row>`, a payment `~<day>/p<row>`.
The same pseudonym replaces an identifier wherever it appears (tables and the journal's JSON), so a day's
figures still join (a ticket, its payment, its events); a reference that cannot be mapped becomes `~`. The
values that only identify (card last four, authorisation code, eTimbre number, request keys, applicant,
documents, language, free-text notes) are cleared. A pseudonym starts with `~`, which no real id does: rows
already done are skipped, and `/` keeps it out of the `/t/<id>` route.
"""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

MAPPED_KEYS = frozenset({"id", "ticket_id", "reference", "original_reference", "appointment"})
CLEARED_KEYS = frozenset({"auth_code", "card_last4", "etimbre", "terminal_code", "note", "applicant",
                          "documents", "request_key", "lang"})
TICKET = "'~' || day || '/' || number"
APPOINTMENT = "'~' || day || '/a' || rowid"
PAYMENT = "'~' || day || '/p' || id"
DAY_TICKETS = "SELECT id FROM tickets WHERE day = ?"
DAY_EVENTS = f"(at >= ? AND at < ?) OR ticket_id IN ({DAY_TICKETS})"


def mapping(db: sqlite_utils.Database, day: str) -> dict[str, str]:
    """Every identifier of the day not yet pseudonymised, with its pseudonym."""
    found: dict[str, str] = {}
    for sql in (f"SELECT id, {TICKET} FROM tickets WHERE day = ? AND id NOT LIKE '~%'",
                f"SELECT id, {APPOINTMENT} FROM appointments WHERE day = ? AND id NOT LIKE '~%'",
                f"SELECT reference, {APPOINTMENT} FROM appointments WHERE day = ? AND id NOT LIKE '~%'",
                f"SELECT reference, {PAYMENT} FROM payments WHERE day = ? AND reference NOT LIKE '~%'"):
        found.update({str(old): str(new) for old, new in db.execute(sql, [day]).fetchall()})
    return found


def rewrite(value: Any, names: dict[str, str], key: str = "") -> Any:
    """`value` (decoded JSON) with identifiers replaced and identifying values cleared."""
    if isinstance(value, dict):
        return {name: rewrite(item, names, name) for name, item in value.items()}
    if isinstance(value, list):
        return [rewrite(item, names, key) for item in value]
    if key in CLEARED_KEYS:
        return None
    if isinstance(value, str) and value in names:
        return names[value]
    if key in MAPPED_KEYS and isinstance(value, str) and value and not value.startswith("~"):
        return "~"
    return value


def _journal(db: sqlite_utils.Database, day: str, start: str, end: str, names: dict[str, str]) -> int:
    """Rewrite the JSON of the day's events and of any event about one of its tickets."""
    rows = db.execute(f"SELECT seq, data FROM journal WHERE {DAY_EVENTS}", [start, end, day]).fetchall()
    for seq, data in rows:
        new = json.dumps(rewrite(json.loads(data), names), ensure_ascii=False, sort_keys=True)
        if new != data:
            db.execute("UPDATE journal SET data = ? WHERE seq = ?", [new, seq])
    return len(rows)


def _links(db: sqlite_utils.Database, day: str) -> None:
    """Point every row that names one of the day's tickets, appointments or payments at its pseudonym."""
    for table in ("print_jobs", "payments", "appointments", "carried_tickets", "journal"):
        db.execute(f"UPDATE {table} SET ticket_id = (SELECT {TICKET} FROM tickets t "
                   f"WHERE t.id = {table}.ticket_id) "
                   f"WHERE ticket_id IN ({DAY_TICKETS} AND id NOT LIKE '~%')", [day])
    db.execute(f"UPDATE tickets SET appointment_ref = COALESCE((SELECT {APPOINTMENT} FROM appointments a "
               "WHERE a.id = tickets.appointment_ref), '~') "
               "WHERE day = ? AND appointment_ref IS NOT NULL AND appointment_ref NOT LIKE '~%'", [day])
    db.execute(f"UPDATE payments SET original_reference = COALESCE((SELECT {PAYMENT} FROM payments o "
               "WHERE o.reference = payments.original_reference), '~') "
               "WHERE day = ? AND original_reference IS NOT NULL AND original_reference NOT LIKE '~%'", [day])
    db.execute(f"UPDATE payment_exceptions SET reference = COALESCE((SELECT {PAYMENT} FROM payments p "
               "WHERE p.reference = payment_exceptions.reference), '~') "
               "WHERE day = ? AND reference != '' AND reference NOT LIKE '~%'", [day])
    db.execute("UPDATE payment_exceptions SET note = NULL WHERE day = ?", [day])


def pseudonymise(db: sqlite_utils.Database, day: str, start: str, end: str) -> dict[str, int]:
    """Replace the day's identifiers by pseudonyms; how many rows of each kind were done."""
    db.execute("PRAGMA defer_foreign_keys = ON")  # ids and the rows naming them change in one transaction
    names = mapping(db, day)
    _links(db, day)
    counts = {
        "tickets": db.execute(f"UPDATE tickets SET id = {TICKET}, request_key = NULL, lang = '' "
                              "WHERE day = ? AND id NOT LIKE '~%'", [day]).rowcount,
        "appointments": db.execute(
            f"UPDATE appointments SET id = {APPOINTMENT}, reference = {APPOINTMENT}, applicant = NULL, "
            "documents = '[]', lang = NULL WHERE day = ? AND id NOT LIKE '~%'", [day]).rowcount,
        "payments": db.execute(
            f"UPDATE payments SET reference = {PAYMENT}, auth_code = NULL, card_last4 = NULL, "
            "etimbre = NULL, "
            "terminal_code = NULL, request_key = NULL, note = NULL, lang = '' "
            "WHERE day = ? AND reference NOT LIKE '~%'", [day]).rowcount,
    }
    counts["events"] = _journal(db, day, start, end, names)
    return counts


def purge(db: sqlite_utils.Database, day: str, start: str, end: str) -> dict[str, int]:
    """Delete the day's rows of visitors and its events; resolved exceptions go, open ones stay (money)."""
    counts = {"events": db.execute(f"DELETE FROM journal WHERE {DAY_EVENTS}", [start, end, day]).rowcount}
    for table in ("print_jobs", "payments", "appointments"):
        where = "ticket_id IN (" + DAY_TICKETS + ")" + ("" if table == "print_jobs" else " OR day = ?")
        params = [day] if table == "print_jobs" else [day, day]
        counts[table] = db.execute(f"DELETE FROM {table} WHERE {where}", params).rowcount
    db.execute("DELETE FROM carried_tickets WHERE from_day = ?", [day])
    counts["tickets"] = db.execute("DELETE FROM tickets WHERE day = ?", [day]).rowcount
    db.execute("DELETE FROM number_sequences WHERE day = ?", [day])
    db.execute("DELETE FROM payment_exceptions WHERE day = ? AND resolved_at IS NOT NULL", [day])
    return counts
