"""End-of-day reconciliation: a terminal's batch totals against our ledger, each difference an exception.

Nothing is adjusted silently: a count or amount that differs, a payment still unsettled, an approval still
without its eTimbre, each becomes a row that a supervisor resolves with a note (kept, with who and when).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import sqlite_utils

from core import journal
from core.clock import utc_iso
from core.errors import N_, Conflict, NotFound

KINDS = ("debit", "refund", "void")


@dataclass(frozen=True)
class Totals:
    """Counts and amounts (minor units) of one terminal's day, by operation."""

    debit_count: int = 0
    debit_minor: int = 0
    refund_count: int = 0
    refund_minor: int = 0
    void_count: int = 0
    void_minor: int = 0

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


CHARGED = "operation = 'payment' AND state IN ('approved', 'voided', 'refunded')"
LEDGER = f"""
    SELECT
      SUM({CHARGED}), SUM(CASE WHEN {CHARGED} THEN amount_minor END),
      SUM(operation = 'refund' AND state = 'approved'),
      SUM(CASE WHEN operation = 'refund' AND state = 'approved' THEN amount_minor END),
      SUM(operation = 'void' AND state = 'approved'),
      SUM(CASE WHEN operation = 'void' AND state = 'approved' THEN amount_minor END)
    FROM payments WHERE day = ? AND terminal = ? AND currency = ?
"""


def ledger_totals(db: sqlite_utils.Database, day: str, terminal: str, currency: str) -> Totals:
    row = db.execute(LEDGER, [day, terminal, currency]).fetchone()
    return Totals(*(int(value or 0) for value in row))


def differences(ours: Totals, theirs: Totals) -> list[dict[str, Any]]:
    """One exception per operation whose count or amount differs."""
    found = []
    for kind in KINDS:
        mine = (getattr(ours, f"{kind}_count"), getattr(ours, f"{kind}_minor"))
        terminal = (getattr(theirs, f"{kind}_count"), getattr(theirs, f"{kind}_minor"))
        if mine != terminal:
            detail = f"ledger {mine[0]} for {mine[1]}, terminal {terminal[0]} for {terminal[1]}"
            found.append({"kind": f"{kind}_mismatch", "reference": None,
                          "amount_minor": terminal[1] - mine[1], "detail": detail})
    return found


def open_items(db: sqlite_utils.Database, day: str, terminal: str) -> list[dict[str, Any]]:
    """Payments of the day that are not settled, or approved but still without an eTimbre."""
    rows = db.execute(
        "SELECT reference, state, amount_minor, etimbre_state FROM payments WHERE day = ? AND terminal = ? "
        "AND (state IN ('pending', 'sent', 'unknown') OR (state = 'approved' AND etimbre_state = 'pending'))",
        [day, terminal]).fetchall()
    return [{"kind": "unsettled" if state != "approved" else "etimbre_pending", "reference": reference,
             "amount_minor": amount, "detail": state} for reference, state, amount, _ in rows]


def record(db: sqlite_utils.Database, day: str, terminal: str, found: list[dict[str, Any]],
           actor: str) -> list[journal.Event]:
    """Keep new exceptions (one per day, terminal, kind and reference); an exception seen again is not new."""
    events = []
    for item in found:
        cursor = db.execute(
            "INSERT OR IGNORE INTO payment_exceptions (day, terminal, kind, reference, amount_minor, detail, "
            "found_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [day, terminal, item["kind"], item["reference"] or "", item["amount_minor"], item["detail"],
             utc_iso()])
        if cursor.rowcount:
            events.append(journal.append(db, "payment.exception", actor, {"day": day, "terminal": terminal,
                                                                          **item}))
    return events


def exceptions(db: sqlite_utils.Database, day: str) -> list[dict[str, Any]]:
    return list(db.query("SELECT * FROM payment_exceptions WHERE day = ? ORDER BY id", [day]))


def resolve(db: sqlite_utils.Database, exception_id: int, note: str, actor: str) -> journal.Event:
    """A supervisor closes an exception with a note saying what was found and done."""
    row = db.execute("SELECT resolved_at FROM payment_exceptions WHERE id = ?", [exception_id]).fetchone()
    if row is None:
        raise NotFound(N_("Unknown exception: %(id)s."), id=exception_id)
    if row[0] is not None:
        raise Conflict(N_("This exception is already resolved."))
    db.execute("UPDATE payment_exceptions SET resolved_by = ?, resolved_at = ?, note = ? WHERE id = ?",
               [actor, utc_iso(), note, exception_id])
    return journal.append(db, "payment.exception_resolved", actor, {"exception": exception_id, "note": note})
