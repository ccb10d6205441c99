"""Sending the central the report of each closed day (core/daily_report.py), once per content.

Nothing is queued. A day's report is derived from its rows whenever it is needed, so a crash, a restart or a
lost answer loses nothing, and the central keeps one revision per content, so sending again is harmless:
at least once on the wire, once stored. What the worker keeps per day, in `sync_state` under
`daily_report:<day>`, is what the central acknowledged: the revision, the SHA-256 of the content, and the
day's fingerprint when that content was computed.

The fingerprint is cheap (the close, the tickets per state, the carried tickets, the payments and their last
change, read from indexes): a round computes a report only for a day whose fingerprint moved since its last
acknowledged report — a day just closed, or a payment of the day voided or refunded since. A report whose
SHA-256 is the acknowledged one is not sent again; one that differs is sent, and becomes the central's next
revision. Days older than REPORT_DAYS, or whose rows the retention purged, are left as last sent.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import date, timedelta
from typing import Any

import sqlite_utils

from core import daily_report
from core.clock import utc_iso
from core.site import Site
from sync import status
from sync.http_client import CentralMalformed, SiteCentral

KEY_PREFIX = "daily_report:"
REPORT_DAYS = 31  # the retention purges a day's rows after at most 30 days (core/retention.py)
FINGERPRINTS = """
    SELECT s.day, s.closed_at,
           (SELECT group_concat(n) FROM (SELECT t.state || ':' || COUNT(*) AS n FROM tickets t
                                         WHERE t.day = s.day GROUP BY t.state)),
           (SELECT COUNT(*) FROM carried_tickets c WHERE c.from_day = s.day),
           (SELECT COUNT(*) || '/' || IFNULL(MAX(p.updated_at), '') FROM payments p WHERE p.day = s.day)
    FROM day_summaries s LEFT JOIN retention_days r ON r.day = s.day
    WHERE r.purged_at IS NULL AND {where} ORDER BY s.day"""


def fingerprints(db: sqlite_utils.Database, where: str, params: list[Any]) -> dict[str, str]:
    """{day: fingerprint} of the closed, not purged days matching `where` (on `s.day`)."""
    rows = db.execute(FINGERPRINTS.format(where=where), params).fetchall()
    return {row[0]: json.dumps([daily_report.SCHEMA_VERSION, *row[1:]]) for row in rows}


def held(db: sqlite_utils.Database) -> dict[str, dict[str, Any]]:
    """{day: what the central acknowledged} for the days whose report went up."""
    rows = db.execute("SELECT key, value FROM sync_state WHERE key > ? AND key < ?",
                      [KEY_PREFIX, KEY_PREFIX + "\uffff"]).fetchall()
    return {key.removeprefix(KEY_PREFIX): json.loads(value) for key, value in rows}


def first_day(today: str) -> str:
    """The oldest day whose report the worker still sends."""
    return (date.fromisoformat(today) - timedelta(days=REPORT_DAYS)).isoformat()


def unacknowledged(db: sqlite_utils.Database, day: str, today: str) -> bool:
    """Whether `day` is closed, its rows still there, and its report not acknowledged as they make it now
    (never sent, or changed since: a payment voided after the close), while the worker still sends it
    (REPORT_DAYS). The retention holds its purge."""
    if day < first_day(today):
        return False
    mark = fingerprints(db, "s.day = ?", [day]).get(day)
    return mark is not None and held(db).get(day, {}).get("fingerprint") != mark


class DailyReports:
    """Sends `site`'s closed days' reports through `client`."""

    def __init__(self, site: Site, client: SiteCentral) -> None:
        self.site = site
        self.client = client
        self.waiting: int | None = None  # due days left by the last push_all (None: none ran since)

    def first_day(self) -> str:
        return first_day(self.site.today())

    def due(self) -> list[str]:
        """The closed days whose report may differ from what the central acknowledged, oldest first."""
        with self.site.store.reading() as db:
            found = fingerprints(db, "s.day >= ?", [self.first_day()])
            acknowledged = held(db)
        return [day for day, mark in found.items() if acknowledged.get(day, {}).get("fingerprint") != mark]

    def push_all(self, deadline: float, stop: threading.Event | None = None) -> int:
        """Send every due report until done, `stop` is set or time.monotonic() passes `deadline`; how many
        the central stored or already held. Raises what the client raises: the rest waits for a retry."""
        sent, due = 0, self.due()
        self.waiting = len(due)
        for day in due:
            if time.monotonic() >= deadline or (stop is not None and stop.is_set()):
                break
            sent += self.push(day)
            self.waiting -= 1
        return sent

    def waiting_now(self) -> int:
        """Closed days whose report may still have to go up: as the last push_all left them, else counted."""
        waiting, self.waiting = self.waiting, None
        return len(self.due()) if waiting is None else waiting

    def push(self, day: str) -> bool:
        """Send `day`'s report if its content is not the acknowledged one; whether it was sent."""
        with self.site.store.reading() as db:
            mark = fingerprints(db, "s.day = ?", [day]).get(day)
            report = daily_report.build(db, self.site.config, day)
            before = held(db).get(day, {})
        if report is None or mark is None:
            return False  # not closed (or purged): nothing to send
        digest = daily_report.sha256(report)
        if before.get("sha256") == digest:
            self._record(day, {**before, "fingerprint": mark})
            return False
        answer = self.client.put_daily_report(self.site.config.site_id, day, report)
        if answer.sha256 != digest:
            raise CentralMalformed(f"the central holds another content for the report of {day} "
                                   f"(sha256 {answer.sha256[:12]}…, sent {digest[:12]}…)")
        self._record(day, {"revision": answer.revision, "sha256": digest, "fingerprint": mark,
                           "sent_at": utc_iso()})
        return True

    def _record(self, day: str, value: dict[str, Any]) -> None:
        """Keep what the central acknowledged for `day`; forget the days past REPORT_DAYS."""
        with self.site.store.write() as db:
            status.put(db, KEY_PREFIX + day, json.dumps(value, sort_keys=True))
            db.execute("DELETE FROM sync_state WHERE key > ? AND key < ?",
                       [KEY_PREFIX, KEY_PREFIX + self.first_day()])
