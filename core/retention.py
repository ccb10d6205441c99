"""Retention of visitors' personal data (docs/privacy.md): pseudonymised a day after, purged after at most 30.

Day by day, oldest first, once a day has ended for `policy.pseudonymise_hours`, its identifiers are replaced
(core/pseudonyms.py): ticket ids (the visitor's `/t/` link), appointment ids, references and applicants,
payment references, card last four, authorisation codes, eTimbre numbers, request keys, languages, notes, in
the tables and in the journal's JSON. Once it has ended for `policy.purge_days` (at most 30), its rows are
deleted; the day's summary (core/day_summary.py: counts and durations) stays. A day not closed by hand is
closed first (leftovers as no-shows), so its figures are kept before anything is touched.

The journal is also the sync outbox: while a central is configured, a day whose events the central has not
acknowledged yet is held, and the days after it too; it is done at the next run after the push. Its purge is
also held until the central has acknowledged the day's report (sync/daily_reports.py) as it stands: the
report is computed from the rows the purge deletes.

The purge's writes use `secure_delete` (freed space is zeroed), then the WAL is checkpointed and truncated,
so no copy of an identifier stays in the database file or its WAL.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlite_utils

from core import day_close, day_summary, journal, pseudonyms
from core.clock import now, utc_iso
from core.config import SiteConfig
from core.site import Site
from core.store import connect
from sync import daily_reports

MAX_PURGE_DAYS = 30
ACTOR = "system:retention"
ACKED_KEY = "acked_seq"  # the sync outbox's position in sync_state (sync/outbox.py)
DATA_TABLES = ("tickets", "appointments", "payments", "payment_exceptions")
log = logging.getLogger(__name__)


@dataclass
class RetentionReport:
    closed: list[str] = field(default_factory=list)
    pseudonymised: list[str] = field(default_factory=list)
    purged: list[str] = field(default_factory=list)
    held: str | None = None  # the first day waiting for the central's acknowledgement
    checkpoint: tuple[int, int, int] | None = None  # (busy, WAL frames, frames checkpointed)

    def to_dict(self) -> dict[str, Any]:
        return {"closed": self.closed, "pseudonymised": self.pseudonymised, "purged": self.purged,
                "held": self.held}


def pseudonymise_hours(config: SiteConfig) -> int:
    return min(MAX_PURGE_DAYS * 24, max(0, int(config.policy["pseudonymise_hours"])))


def purge_days(config: SiteConfig) -> int:
    """`policy.purge_days`, never more than 30, never before the pseudonymisation."""
    days = min(MAX_PURGE_DAYS, max(0, int(config.policy["purge_days"])))
    return max(days, -(-pseudonymise_hours(config) // 24))


def day_end(config: SiteConfig, day: str) -> datetime:
    """The instant `day` ends in the site's time zone, in UTC."""
    following = date.fromisoformat(day) + timedelta(days=1)
    return datetime.combine(following, time(0), tzinfo=config.tz).astimezone(UTC)


def _due_days(db: sqlite_utils.Database, config: SiteConfig, column: str, delay: timedelta,
              moment: datetime) -> list[str]:
    """Days not yet done for `column` (pseudonymised_at, purged_at) that ended `delay` before `moment`."""
    done = db.execute(f"SELECT MAX(day) FROM retention_days WHERE {column} IS NOT NULL").fetchone()[0]
    firsts = [db.execute(f"SELECT MIN(day) FROM {table}").fetchone()[0] for table in DATA_TABLES]
    first_event = db.execute("SELECT MIN(at) FROM journal").fetchone()[0]
    if first_event:
        firsts.append(config.local_day(datetime.fromisoformat(first_event.replace("Z", "+00:00"))))
    known = [day for day in firsts if day]
    if not known:
        return []
    start = date.fromisoformat(min(known))
    if done:
        start = max(start, date.fromisoformat(done) + timedelta(days=1))
    days = []
    while day_end(config, start.isoformat()) + delay <= moment:
        days.append(start.isoformat())
        start += timedelta(days=1)
    return days


def _central(config: SiteConfig) -> bool:
    return bool(str(config.sync.get("central_url") or "").strip())


def report_held(db: sqlite_utils.Database, config: SiteConfig, day: str) -> bool:
    """A central is configured and has not acknowledged `day`'s report as its rows make it now."""
    return _central(config) and daily_reports.unacknowledged(db, day, config.local_day(now()))


def held(db: sqlite_utils.Database, config: SiteConfig, day: str) -> bool:
    """A central is configured and has not acknowledged every event of `day` (or about its tickets)."""
    if not _central(config):
        return False
    row = db.execute("SELECT value FROM sync_state WHERE key = ?", [ACKED_KEY]).fetchone()
    acked = int(row[0]) if row else 0
    waiting = db.execute(
        "SELECT 1 FROM journal WHERE seq > ? "
        "AND (at < ? OR ticket_id IN (SELECT id FROM tickets WHERE day = ?)) LIMIT 1",
        [acked, utc_iso(day_end(config, day)), day]).fetchone()
    return waiting is not None


def has_visits(db: sqlite_utils.Database, day: str) -> bool:
    return any(db.execute(f"SELECT 1 FROM {table} WHERE day = ? LIMIT 1", [day]).fetchone()
               for table in ("tickets", "appointments", "payments"))


@contextmanager
def secure_delete(db: sqlite_utils.Database) -> Iterator[None]:
    """Zero what this transaction frees (rows deleted or rewritten), then restore the connection's setting."""
    before = int(db.execute("PRAGMA secure_delete").fetchone()[0])
    db.execute("PRAGMA secure_delete = ON")
    try:
        yield
    finally:
        db.execute(f"PRAGMA secure_delete = {before}")


def _mark(db: sqlite_utils.Database, day: str, column: str) -> None:
    db.execute(f"INSERT INTO retention_days (day, {column}) VALUES (?, ?) "
               f"ON CONFLICT (day) DO UPDATE SET {column} = excluded.{column}", [day, utc_iso()])


def pseudonymise_day(site: Site, day: str) -> None:
    _retire_day(site, day, pseudonyms.pseudonymise, "pseudonymised_at", "retention.pseudonymised")


def purge_day(site: Site, day: str) -> None:
    _retire_day(site, day, pseudonyms.purge, "purged_at", "retention.purged")


Step = Callable[[sqlite_utils.Database, str, str, str], dict[str, int]]  # (db, day, start, end) → counts


def _retire_day(site: Site, day: str, step: Step, column: str, event: str) -> None:
    """One retention step over `day`'s rows, secure-deleted, marked done and journaled if it changed any."""
    with site.change() as (db, events), secure_delete(db):
        counts = step(db, day, utc_iso(day_start(site.config, day)), utc_iso(day_end(site.config, day)))
        _mark(db, day, column)
        if any(counts.values()):
            events.append(journal.append(db, event, ACTOR, {"day": day, **counts}))


def day_start(config: SiteConfig, day: str) -> datetime:
    return day_end(config, (date.fromisoformat(day) - timedelta(days=1)).isoformat())


def _step(site: Site, day: str, report: RetentionReport, purge: bool) -> bool:
    """Do one day (close it if needed first); False when it is held for the central."""

    def waits(db: sqlite_utils.Database) -> bool:
        return held(db, site.config, day) or (purge and report_held(db, site.config, day))

    db = site.store.read()
    if waits(db):
        report.held = day
        return False
    if has_visits(db, day) and day_summary.stored(db, day) is None:
        day_close.close_day(site, day=day, leftover="no_show", actor=ACTOR, force=True)
        report.closed.append(day)
        if waits(site.store.read()):  # the close's own events (and its report) wait for the central
            report.held = day
            return False
    (purge_day if purge else pseudonymise_day)(site, day)
    (report.purged if purge else report.pseudonymised).append(day)
    return True


def run(site: Site, moment: datetime | None = None) -> RetentionReport:
    """Pseudonymise and purge what is due at `moment` (default now), then checkpoint the WAL."""
    moment = moment or now()
    report = RetentionReport()
    config = site.config
    for purge, delay in ((False, timedelta(hours=pseudonymise_hours(config))),
                         (True, timedelta(days=purge_days(config)))):
        column = "purged_at" if purge else "pseudonymised_at"
        for day in _due_days(site.store.read(), config, column, delay, moment):
            if not _step(site, day, report, purge):
                break
    if report.pseudonymised or report.purged:
        report.checkpoint = checkpoint(site.store.path)
    return report


def checkpoint(path: str) -> tuple[int, int, int] | None:
    """Copy the WAL into the database and truncate it, so the old page images it held are gone too."""
    if path == ":memory:":
        return None
    db = connect(path)
    try:
        busy, frames, done = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        db.close()
    if busy:
        log.warning("the WAL could not be truncated (a reader held it); the next run tries again")
    return int(busy), int(frames), int(done)
