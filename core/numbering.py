"""Ticket numbers: per service prefix per local day (`A-001`…), allocated inside the issuing transaction.

The counter row is bumped with an UPSERT under the single writer (BEGIN IMMEDIATE), and the tickets table has
UNIQUE(day, prefix, seq_no): two kiosks issuing at the same instant get consecutive numbers, never the same.
"""

from __future__ import annotations

import sqlite_utils


def format_number(prefix: str, seq_no: int) -> str:
    return f"{prefix}-{seq_no:03d}"


def allocate(db: sqlite_utils.Database, day: str, prefix: str) -> tuple[int, str]:
    """Reserve the next number for `prefix` on `day` (the site's local day). Call inside a transaction."""
    row = db.execute(
        """INSERT INTO number_sequences (day, prefix, last) VALUES (?, ?, 1)
           ON CONFLICT (day, prefix) DO UPDATE SET last = last + 1
           RETURNING last""",
        [day, prefix],
    ).fetchone()
    seq_no = int(row[0])
    return seq_no, format_number(prefix, seq_no)
