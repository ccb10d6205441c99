"""Storage: durable settings on every connection, all-or-nothing writes, named migrations applied once."""

from __future__ import annotations

import threading

import pytest

from core import store as store_module
from core.migrations import MIGRATIONS
from core.store import Store, applied_migrations, migrate


def pragmas(db) -> tuple[str, int]:
    return db.execute("PRAGMA journal_mode").fetchone()[0], db.execute("PRAGMA synchronous").fetchone()[0]


def test_writer_is_wal_and_synchronous_full(store) -> None:
    with store.write() as db:
        assert pragmas(db) == ("wal", 2)


def test_reader_is_wal_and_synchronous_full(store) -> None:
    assert pragmas(store.read()) == ("wal", 2)


def test_each_thread_gets_its_own_durable_reader(store) -> None:
    seen = []
    thread = threading.Thread(target=lambda: seen.append((store.read(), pragmas(store.read()))))
    thread.start()
    thread.join(5)
    (other, settings), = seen
    assert other is not store.read()
    assert settings == ("wal", 2)


def test_write_is_all_or_nothing(store) -> None:
    with pytest.raises(RuntimeError):
        with store.write() as db:
            db.execute("INSERT INTO settings VALUES ('a', '1')")
            raise RuntimeError("boom")
    with store.write() as db:
        db.execute("INSERT INTO settings VALUES ('b', '2')")
    assert store.read().execute("SELECT key FROM settings").fetchall() == [("b",)]


def test_migrations_are_named_and_applied_once(tmp_path) -> None:
    path = str(tmp_path / "m.db")
    first = Store(path)
    names = [name for name, _ in MIGRATIONS]
    assert applied_migrations(first.read()) == names
    with first.write() as db:
        db.execute("INSERT INTO settings VALUES ('kept', 'yes')")
    first.close()
    again = Store(path)  # a restart
    db = again.read()
    assert applied_migrations(db) == names
    assert db.execute("SELECT COUNT(*) FROM _migrations").fetchone()[0] == len(names)
    assert db.execute("SELECT value FROM settings WHERE key = 'kept'").fetchone()[0] == "yes"
    assert migrate(store_module.connect(path)) == []
    again.close()


def test_a_failing_migration_leaves_no_trace(tmp_path, monkeypatch) -> None:
    def half_done(db) -> None:
        db.execute("CREATE TABLE half (x)")
        raise RuntimeError("broken migration")

    monkeypatch.setattr(store_module, "MIGRATIONS", [*MIGRATIONS, ("999_broken", half_done)])
    with pytest.raises(RuntimeError):
        Store(str(tmp_path / "m.db"))
    db = store_module.connect(str(tmp_path / "m.db"))
    assert "half" not in db.table_names()
    assert applied_migrations(db) == [name for name, _ in MIGRATIONS]
