"""SQLite storage: WAL, one writer, durable commits, named migrations applied at start.

Durability: `journal_mode=WAL` with `synchronous=FULL`. In WAL mode, FULL makes SQLite fsync the WAL at every
commit, so a ticket whose transaction returned (and only then is it shown or printed) survives a power cut.
NORMAL would only fsync at checkpoints and can lose the last commits on power loss. See docs/operations.md.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from core.migrations import MIGRATIONS

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA busy_timeout=10000",
    "PRAGMA foreign_keys=ON",
)


def connect(path: str) -> sqlite_utils.Database:
    """A connection in autocommit mode with our pragmas; transactions are explicit."""
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
    for pragma in PRAGMAS:
        conn.execute(pragma)
    return sqlite_utils.Database(conn)


class Store:
    """One writer connection behind a lock (plus BEGIN IMMEDIATE for other processes), per-thread readers."""

    def __init__(self, path: str, schema: Callable[[sqlite_utils.Database], object] | None = None) -> None:
        """`schema` brings the database up to date (default: the site's migrations)."""
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._writer = connect(path)
        self._local = os_thread_local()
        (schema or migrate)(self._writer)

    @contextmanager
    def serialized(self) -> Iterator[None]:
        """Hold the writer lock across a transaction and what must follow its commit in order."""
        with self._lock:
            yield

    @contextmanager
    def write(self) -> Iterator[sqlite_utils.Database]:
        """One transaction on the single writer: all or nothing."""
        with self._lock:
            db = self._writer
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def read(self) -> sqlite_utils.Database:
        """This thread's read connection (WAL readers never block the writer)."""
        if self.path == ":memory:":
            return self._writer
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = connect(self.path)
        return db

    @contextmanager
    def reading(self) -> Iterator[sqlite_utils.Database]:
        """A read transaction: several queries that see one consistent snapshot (e.g. state + last seq)."""
        if self.path == ":memory:":
            with self._lock:
                yield self._writer
            return
        db = self.read()
        db.execute("BEGIN")
        try:
            yield db
        finally:
            db.execute("COMMIT")

    def close(self) -> None:
        self._writer.close()


def os_thread_local() -> threading.local:
    """Per OS thread storage, even under gevent: all greenlets of the hub thread share one read connection.

    That is safe because a sqlite3 call never yields to the gevent loop, so no greenlet can interleave with
    another's query; it saves a connection (and its page cache) per HTTP or websocket client.
    """
    try:
        from gevent import monkey
    except ImportError:
        return threading.local()
    if monkey.is_module_patched("threading"):
        return monkey.get_original("threading", "local")()  # type: ignore[no-any-return]
    return threading.local()


def applied_migrations(db: sqlite_utils.Database) -> list[str]:
    if "_migrations" not in db.table_names():
        return []
    return [row[0] for row in db.execute("SELECT name FROM _migrations ORDER BY rowid").fetchall()]


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply, in order and each in its own transaction, the named migrations not yet applied."""
    db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = set(applied_migrations(db))
    applied = []
    for name, step in MIGRATIONS:
        if name in done:
            continue
        db.execute("BEGIN IMMEDIATE")
        try:
            if db.execute("SELECT 1 FROM _migrations WHERE name = ?", [name]).fetchone() is None:
                step(db)
                db.execute("INSERT INTO _migrations VALUES (?, datetime('now'))", [name])
                applied.append(name)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
    return applied
