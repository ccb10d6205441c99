"""Is the site fit to serve? What `/readyz` answers and the metrics report: the database takes a write, the
devices' states, and the link with the central as the sync worker last reported it.

Only a database that cannot be written makes the site *not ready*: nothing can be issued or called then.
A printer out of paper or an unreachable central leave it *ready but degraded*: the other kiosks print, and
the site works offline by design; a proxy must not take the whole site out of rotation for either.
Nothing here touches the network: the central's reachability is the worker's last attempt, read from the
database. docs/monitoring.md.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from core import device_health
from core.clock import utc_iso
from core.config import SiteConfig
from core.store import Store
from sync import outbox, status

PROBE_KEY = "readyz_probe"  # the settings row each probe rewrites
PROBE_TIMEOUT_SECONDS = 1.0
PROBE_MIN_INTERVAL_SECONDS = 0.5  # a probe answered less than this ago is answered again, unwritten
SILENT_GRACE_SECONDS = 30  # the supervisor's panel uses the same rule (counter/sync_status.py)


class DatabaseProbe:
    """One real write, committed on a connection of its own with a short busy timeout: a read-only file or
    filesystem, a full disk, or a lock held by another process fails it within PROBE_TIMEOUT_SECONDS."""

    def __init__(self, store: Store, timeout: float = PROBE_TIMEOUT_SECONDS,
                 min_interval: float = PROBE_MIN_INTERVAL_SECONDS) -> None:
        self.store, self.timeout, self.min_interval = store, timeout, min_interval
        self._lock = threading.Lock()
        self._last: tuple[float, dict[str, Any]] | None = None

    def check(self) -> dict[str, Any]:
        with self._lock:
            if self._last is not None and time.monotonic() - self._last[0] < self.min_interval:
                return self._last[1]
            began = time.perf_counter()
            try:
                self._write()
                result: dict[str, Any] = {"ok": True}
            except sqlite3.Error as error:
                result = {"ok": False, "error": str(error)}
            result["ms"] = round((time.perf_counter() - began) * 1000, 2)
            self._last = (time.monotonic(), result)
            return result

    def _write(self) -> None:
        if self.store.path == ":memory:":  # tests only: there is no file to open a second time
            with self.store.write() as db:
                _upsert(db.conn)
            return
        # mode=rw: a database file that vanished is an error, never a new empty database.
        uri = Path(self.store.path).resolve().as_uri() + "?mode=rw"
        conn = sqlite3.connect(uri, uri=True, timeout=self.timeout, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            _upsert(conn)
            conn.execute("COMMIT")
        finally:
            conn.close()


def _upsert(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) "
                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value", [PROBE_KEY, utc_iso()])


@dataclass(frozen=True)
class SyncFigures:
    """The link with the central: the worker's last report, and the backlog computed from the journal (true
    even when the worker is dead)."""

    configured: bool
    state: str  # not_configured | not_reported | worker_silent | unreachable | ok
    failures: int
    last_success: str | None
    last_error_at: str | None
    reported_at: str | None
    backlog: int
    oldest_pending_at: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"configured": self.configured, "state": self.state, "failures": self.failures,
                "last_success": self.last_success, "last_error_at": self.last_error_at,
                "reported_at": self.reported_at, "backlog": self.backlog,
                "oldest_pending_at": self.oldest_pending_at}


def sync_figures(db: sqlite_utils.Database, config: SiteConfig, moment: datetime) -> SyncFigures:
    report = status.read_status(db)
    backlog, oldest = outbox.pending(db)
    configured = bool(str(config.sync.get("central_url") or "").strip())
    failures = report.get("failures")
    failures = failures if isinstance(failures, int) and not isinstance(failures, bool) else 0
    reported_at = _text(report, "updated_at") or _text(report, "reported_at")
    push_seconds = float(config.sync["push_seconds"])
    silent = _silent(reported_at, _text(report, "next_attempt_at"), moment, push_seconds)
    state = ("not_configured" if not configured else "not_reported" if not report
             else "worker_silent" if silent else "unreachable" if failures else "ok")
    return SyncFigures(configured, state, failures, _text(report, "last_success"),
                       _text(report, "last_error_at"), reported_at, backlog, oldest if backlog else None)


def _text(report: dict[str, Any], key: str) -> str | None:
    value = report.get(key)
    return value if isinstance(value, str) and value else None


def when(text: str | None) -> datetime | None:
    """A stored UTC time, or None when absent or unreadable."""
    try:
        moment = datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _silent(reported_at: str | None, next_attempt_at: str | None, moment: datetime,
            push_seconds: float) -> bool:
    """No report for three push rounds and a grace, counting from the retry it announced when backing off."""
    expected = [m for m in (when(reported_at), when(next_attempt_at)) if m is not None]
    return not expected or (moment - max(expected)).total_seconds() > 3 * push_seconds + SILENT_GRACE_SECONDS


def device_summary(db: sqlite_utils.Database) -> dict[str, Any]:
    known = device_health.all_devices(db)
    return {"states": dict(Counter(device.state for device in known)),
            "not_ok": [{"device": d.device, "kind": d.kind, "state": d.state, "reason": d.reason,
                        "since": d.since} for d in known if d.state != "ok"]}


@dataclass
class Readiness:
    checks: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # what makes the site not ready
    warnings: list[str] = field(default_factory=list)  # degraded, still ready

    @property
    def ready(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        state = "not_ready" if self.problems else "degraded" if self.warnings else "ready"
        return {"status": state, "problems": self.problems, "warnings": self.warnings, "checks": self.checks}


def readiness(store: Store, config: SiteConfig, probe: DatabaseProbe, moment: datetime) -> Readiness:
    found = Readiness()
    found.checks["database"] = probe.check()
    if not found.checks["database"]["ok"]:
        found.problems.append(f"database not writable: {found.checks['database']['error']}")
    try:
        with store.reading() as db:
            devices, link = device_summary(db), sync_figures(db, config, moment)
    except sqlite3.Error as error:
        found.problems.append(f"database not readable: {error}")
        return found
    found.checks["devices"], found.checks["central"] = devices, link.to_dict()
    found.warnings += [f"{d['device']} {d['state']}" + (f" ({d['reason']})" if d["reason"] else "")
                       for d in devices["not_ok"]]
    if link.configured and link.state != "ok":
        found.warnings.append(f"central {link.state.replace('_', ' ')}")
    return found
