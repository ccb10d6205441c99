"""The central's own SQLite file: the site store's discipline (WAL, synchronous=FULL, one writer, explicit
transactions) on the central's tables.

Every write goes through `CentralStore.write()`, one transaction: an event batch, an eTimbre and its number,
an appointment change and its change number, a daily report's revision commit together or not at all. The
CLI and the server may open the same file at once; BEGIN IMMEDIATE and the busy timeout serialise them.
"""

from __future__ import annotations

import sqlite_utils

from core.store import Store

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS sites (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        token_sha256 TEXT NOT NULL UNIQUE,
        currency TEXT NOT NULL DEFAULT 'EUR',
        fees_version INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS appointments (
        id TEXT PRIMARY KEY,
        reference TEXT NOT NULL UNIQUE,
        site TEXT NOT NULL REFERENCES sites(id),
        services TEXT NOT NULL,
        slot_start TEXT NOT NULL,
        slot_end TEXT NOT NULL,
        persons INTEGER NOT NULL,
        lang TEXT,
        applicant TEXT NOT NULL,
        documents TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('booked', 'cancelled')),
        version INTEGER NOT NULL,
        change_seq INTEGER NOT NULL UNIQUE
    )""",
    "CREATE INDEX IF NOT EXISTS appointments_changes ON appointments (site, change_seq)",
    """CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS events (
        id TEXT PRIMARY KEY,
        site TEXT NOT NULL,
        seq INTEGER NOT NULL,
        type TEXT NOT NULL,
        at TEXT NOT NULL,
        actor TEXT,
        ticket_id TEXT,
        data TEXT NOT NULL,
        received_at TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS events_site ON events (site, type)",
    """CREATE TABLE IF NOT EXISTS etimbres (
        payment_reference TEXT PRIMARY KEY,
        site TEXT NOT NULL,
        number TEXT NOT NULL UNIQUE,
        request TEXT NOT NULL,
        issued_at TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS signing_keys (
        kid TEXT PRIMARY KEY,
        private BLOB NOT NULL,
        public BLOB NOT NULL,
        valid_from TEXT NOT NULL,
        valid_until TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS fees (
        site TEXT NOT NULL REFERENCES sites(id),
        service TEXT NOT NULL,
        items TEXT NOT NULL,
        PRIMARY KEY (site, service)
    )""",
    """CREATE TABLE IF NOT EXISTS daily_reports (
        site TEXT NOT NULL,
        day TEXT NOT NULL,
        revision INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        report TEXT NOT NULL,
        received_at TEXT NOT NULL,
        PRIMARY KEY (site, day, revision)
    )""",
    """CREATE TABLE IF NOT EXISTS faults (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        mode TEXT NOT NULL,
        delay_seconds REAL NOT NULL,
        remaining INTEGER
    )""",
    "INSERT OR IGNORE INTO faults (id, mode, delay_seconds, remaining) VALUES (1, 'normal', 0, NULL)",
)


class CentralStore(Store):
    """core.store.Store (its writer lock, transactions and per-thread readers) on the central's schema
    instead of the site's migrations."""

    def __init__(self, path: str) -> None:
        super().__init__(path, schema=create_schema)


def create_schema(db: sqlite_utils.Database) -> None:
    """The central's tables, created once (IF NOT EXISTS), in one transaction."""
    db.execute("BEGIN IMMEDIATE")
    try:
        for sql in SCHEMA:
            db.execute(sql)
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def bump(db: sqlite_utils.Database, name: str, by: int = 1) -> int:
    """Add `by` to a named counter inside the caller's transaction; its new value."""
    row = db.execute(
        "INSERT INTO counters (name, value) VALUES (?, ?) "
        "ON CONFLICT (name) DO UPDATE SET value = value + excluded.value RETURNING value", [name, by]
    ).fetchone()
    return int(row[0])


def counter(db: sqlite_utils.Database, name: str) -> int:
    row = db.execute("SELECT value FROM counters WHERE name = ?", [name]).fetchone()
    return int(row[0]) if row else 0
