"""`dour backup` while kiosks issue tickets, `dour restore` of it: the backup is a consistent snapshot (every
ticket its journal names is there), the restore checks it, keeps the replaced file, refuses while another
process holds the database open, and gives the journal a new epoch for the sync."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from core import backup
from core.cli import main
from core.errors import Conflict, InvalidInput
from core.site import Site
from core.store import Store, connect
from sync import outbox


def issue_until(site: Site, stop: threading.Event, issued: list[str]) -> None:
    while not stop.is_set():
        issued.append(site.issue_ticket(service="passport", kind="walk_in", lang="fr",
                                        actor="kiosk:k").ticket.id)


def test_a_backup_taken_while_tickets_are_issued_restores_whole(site: Site, tmp_path: Path) -> None:
    stop, issued = threading.Event(), list[str]()
    writer = threading.Thread(target=issue_until, args=(site, stop, issued))
    writer.start()
    try:
        while len(issued) < 50:
            time.sleep(0.01)
        info = backup.backup(site.store.path, tmp_path / "backups", keep=3)
    finally:
        stop.set()
        writer.join()
    assert info.path.parent == tmp_path / "backups" and info.journal_seq > 0
    assert len(issued) > info.tickets > 0

    fresh = tmp_path / "restored" / "dour.db"
    fresh.parent.mkdir()
    restored, aside = backup.restore(info.path, fresh)
    assert aside is None and restored.journal_seq == info.journal_seq
    db = connect(str(fresh))
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    named = {row[0] for row in db.execute(
        "SELECT ticket_id FROM journal WHERE type = 'ticket.issued' AND seq <= ?", [info.journal_seq])}
    kept = {row[0] for row in db.execute("SELECT id FROM tickets")}
    assert named == kept and len(kept) == info.tickets
    assert kept <= set(issued)


def test_backups_beyond_keep_are_removed(site: Site, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    made = [backup.backup(site.store.path, folder, keep=2).path for _ in range(4)]
    assert sorted(folder.glob("dour-*.db")) == made[-2:]
    assert not list(folder.glob(".*tmp"))


def test_restore_refuses_a_damaged_file_and_keeps_the_replaced_one(site: Site, tmp_path: Path) -> None:
    site.issue_ticket(service="passport", kind="walk_in", lang="fr", actor="kiosk:k")
    good = backup.backup(site.store.path, tmp_path / "b.db", keep=1)
    damaged = tmp_path / "damaged.db"
    db = connect(str(good.path))
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    root = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'tickets'").fetchone()[0]
    db.close()
    data = bytearray(good.path.read_bytes())
    start = (root - 1) * page_size
    data[start:start + 64] = b"\x0d\xff\xff" * 21 + b"\xff"  # the tickets table's root page overwritten
    damaged.write_bytes(bytes(data))
    target = tmp_path / "live" / "dour.db"
    Store(str(target)).close()
    before = target.read_bytes()
    for bad in (damaged, tmp_path / "missing.db"):
        with pytest.raises(InvalidInput):
            backup.restore(bad, target)
    assert target.read_bytes() == before

    _, aside = backup.restore(good.path, target)
    assert aside is not None and aside.read_bytes() == before
    assert not Path(f"{target}-wal").exists() or Path(f"{target}-wal").stat().st_size == 0


HOLDER = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1]); db.execute("PRAGMA journal_mode=WAL"); db.execute("SELECT 1 FROM journal")
print("open", flush=True); time.sleep(60)
"""


def test_restore_refuses_while_another_process_has_the_database_open(tmp_path: Path, capsys: Any) -> None:
    database = tmp_path / "live.db"
    store = Store(str(database))
    with store.write() as db:
        db.execute("INSERT INTO settings (key, value) VALUES (?, 'old-epoch')", [outbox.EPOCH_KEY])
    store.close()
    copy = backup.backup(str(database), tmp_path / "copy.db", keep=1)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(database)], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        assert backup.in_use(database)
        with pytest.raises(Conflict):
            backup.restore(copy.path, database)
        assert main(["--database", str(database), "restore", str(copy.path)]) == 2
        assert "stop them first" in capsys.readouterr().err
    finally:
        holder.kill()
        holder.wait()
    assert not backup.in_use(database)
    assert main(["--database", str(database), "restore", str(copy.path)]) == 0
    db = connect(str(database))
    assert db.execute("SELECT value FROM settings WHERE key = ?", [outbox.EPOCH_KEY]).fetchone() is None
    assert db.execute("SELECT type FROM journal ORDER BY seq DESC LIMIT 1").fetchone()[0] == "backup.restored"
    assert backup.EPOCH_KEY == outbox.EPOCH_KEY
