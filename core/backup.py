"""Backups with SQLite's online backup API, and their restore (docs/operations.md, "Backups").

`backup` copies the database as of one instant while the site runs (the source is read in one step, so a
writer never restarts it), into a temporary file beside the destination that is checked, flushed and then
renamed: a backup file is always whole. The newest `server.backup_keep` backups of the folder are kept.

`restore` refuses a file that fails `PRAGMA integrity_check`, and a database that another process holds open
(the server, the sync worker) unless forced; it keeps the replaced file (and its WAL) aside, and gives the
restored journal a new epoch, so that the events written after the backup, whose seqs come again, are never
taken by the central for those it already has (sync/outbox.py).
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from core.errors import N_, Conflict, InvalidInput

PREFIX = "dour-"
SUFFIX = ".db"
EPOCH_KEY = "journal_epoch"  # sync/outbox.py EPOCH_KEY
SHM_DMS_BYTE = 128  # every SQLite connection holds a shared lock on this byte of the -shm file (os_unix.c)


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    journal_seq: int
    tickets: int


def default_folder(database: str, configured: str) -> Path:
    return Path(configured) if configured else Path(database).resolve().parent / "backup"


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def verify(path: Path) -> BackupInfo:
    """A database file that passes `integrity_check` and is a Dour database; InvalidInput otherwise."""
    if not path.is_file():
        raise InvalidInput(N_("No such backup file: %(path)s."), path=str(path))
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            verdict = db.execute("PRAGMA integrity_check").fetchone()[0]
            seq = int(db.execute("SELECT COALESCE(MAX(seq), 0) FROM journal").fetchone()[0])
            tickets = int(db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0])
        finally:
            db.close()
    except sqlite3.DatabaseError as error:
        raise InvalidInput(N_("%(path)s is not a Dour database: %(error)s."), path=str(path),
                           error=str(error)) from None
    if verdict != "ok":
        raise InvalidInput(N_("%(path)s is damaged: %(error)s."), path=str(path), error=verdict)
    return BackupInfo(path, seq, tickets)


def backup(database: str, to: Path, keep: int) -> BackupInfo:
    """Copy `database` into `to` (a folder: a new dated file in it, the oldest beyond `keep` removed)."""
    folder = to if to.is_dir() or not to.suffix else to.parent
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{PREFIX}{_stamp()}{SUFFIX}" if folder == to else to
    temporary = target.with_name(f".{target.name}.tmp")
    source = sqlite3.connect(database, timeout=10)
    copy = sqlite3.connect(temporary)
    try:
        source.backup(copy)  # all pages in one step: one consistent snapshot, never restarted by writers
        copy.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
    finally:
        copy.close()
        source.close()
    try:
        info = verify(temporary)
    except InvalidInput:
        temporary.unlink(missing_ok=True)
        raise
    _fsync(temporary)
    os.replace(temporary, target)
    _fsync(folder)
    if folder == to:
        rotate(folder, keep)
    return BackupInfo(target, info.journal_seq, info.tickets)


def rotate(folder: Path, keep: int) -> list[Path]:
    """Remove the oldest backups of `folder` beyond the newest `keep` (at least one is always kept)."""
    backups = sorted(folder.glob(f"{PREFIX}*{SUFFIX}"))
    removed = backups[:-max(1, keep)]
    for old in removed:
        old.unlink()
    return removed


def in_use(database: Path) -> bool:
    """Whether another process has the database open: it holds SQLite's shared lock on the -shm file.

    Only for a process that has not opened the database itself: POSIX locks belong to the process, and
    closing our descriptor would drop its own connections' locks."""
    shm = Path(f"{database}-shm")
    if not shm.exists():
        return False
    descriptor = os.open(shm, os.O_RDWR)
    try:
        fcntl.lockf(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, SHM_DMS_BYTE)
    except OSError:
        return True
    finally:
        os.close(descriptor)  # also releases our lock, if we got it
    return False


def restore(backup_file: Path, database: Path, force: bool = False) -> tuple[BackupInfo, Path | None]:
    """Replace `database` by `backup_file`; (what was restored, where the replaced file was put)."""
    info = verify(backup_file)
    if not force and in_use(database):
        raise Conflict(N_("The database is open by another process (the server or the sync worker): stop "
                          "them first, or force the restore."))
    aside = None
    if database.exists():
        aside = database.with_name(f"{database.name}.replaced-{_stamp()}")
        os.replace(database, aside)
    for suffix in ("-wal", "-shm"):  # a WAL left behind would be replayed onto the restored file
        companion = Path(f"{database}{suffix}")
        if companion.exists():
            if aside is not None and suffix == "-wal":
                os.replace(companion, Path(f"{aside}{suffix}"))
            else:
                companion.unlink()
    temporary = database.with_name(f".{database.name}.restoring")
    temporary.write_bytes(backup_file.read_bytes())
    _fsync(temporary)
    os.replace(temporary, database)
    _fsync(database.parent)
    return info, aside


def new_journal_epoch(db: sqlite_utils.Database) -> None:
    """Forget the restored database's journal epoch: the sync worker creates a new one at its next push."""
    db.execute("DELETE FROM settings WHERE key = ?", [EPOCH_KEY])
