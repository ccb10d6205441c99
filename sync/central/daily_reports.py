"""Sites' daily reports (core/daily_report.py): one per closed day, kept as revisions.

A site sends a day's report after closing it, and again whenever its content changes (a late correction).
The central keys each revision by the SHA-256 of the report's canonical JSON: the same content as the day's
latest revision (a retry after a lost answer, a worker restarted) stores nothing and answers that revision;
another content becomes the next revision. So a report is stored once per content, whatever the network
does, and the latest revision is what the site holds now.

A daily report is figures and codes only. The check is structural, so no free text can slip in: every
leaf must be a number (0 or more), true/false, null, or a code (letters, digits and `. _ : / + -`, no blank),
and every key a code too. A visitor's or agent's name, a sentence, cannot pass.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date
from typing import Any

import sqlite_utils

from core.clock import now
from core.daily_report import SCHEMA, SCHEMA_VERSION, sha256
from sync.central.db import bump, counter
from sync.central.validate import Refused, iso_z, malformed, moment

CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/+-]{0,99}")
MAX_DEPTH, MAX_ITEMS = 6, 5000
PARTS = ("tickets", "payments", "devices")


def check_day(day: str) -> str:
    """The path's day, `YYYY-MM-DD`."""
    try:
        valid = len(day) == 10 and date.fromisoformat(day).isoformat() == day
    except ValueError:
        valid = False
    if not valid:
        raise malformed("day must be a date written YYYY-MM-DD")
    return day


def parse(body: dict[str, Any], site: str, day: str) -> dict[str, Any]:
    """The report, checked: its schema, the path's site and day, and figures and codes only."""
    if body.get("schema") != SCHEMA:
        raise malformed(f"schema must be {SCHEMA}")
    version = body.get("schema_version")
    if isinstance(version, bool) or version != SCHEMA_VERSION:
        raise malformed(f"schema_version must be {SCHEMA_VERSION}, the version this central reads")
    if body.get("site") != site or body.get("day") != day:
        raise malformed("site and day must be the path's")
    moment(body, "closed_at")
    missing = [part for part in PARTS if part not in body]
    if missing:
        raise malformed(f"the report lacks {', '.join(missing)}")
    figures_only(body, "report", 0)
    return body


def figures_only(value: Any, where: str, depth: int) -> None:
    """Refuse anything but figures and codes, nested at most MAX_DEPTH deep."""
    if depth > MAX_DEPTH:
        raise malformed(f"{where} is nested too deep")
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int | float):
        if not math.isfinite(value) or value < 0:
            raise malformed(f"{where} must be a figure of 0 or more")
    elif isinstance(value, str):
        if not CODE.fullmatch(value):
            raise malformed(f"{where} must be a code (letters, digits, . _ : / + -): a daily report holds "
                            "figures and codes only, never free text")
    elif isinstance(value, list) and len(value) <= MAX_ITEMS:
        for index, item in enumerate(value):
            figures_only(item, f"{where}[{index}]", depth + 1)
    elif isinstance(value, dict) and len(value) <= MAX_ITEMS:
        for key, item in value.items():
            if not CODE.fullmatch(key):
                raise malformed(f"{where} has a key that is not a code")
            figures_only(item, f"{where}.{key}", depth + 1)
    else:
        raise malformed(f"{where} must be a figure, a code, a list or an object (at most {MAX_ITEMS} items)")


def _latest(db: sqlite_utils.Database, site: str, day: str) -> tuple[Any, ...] | None:
    row = db.execute("SELECT revision, sha256, received_at, report FROM daily_reports "
                     "WHERE site = ? AND day = ? ORDER BY revision DESC LIMIT 1", [site, day]).fetchone()
    return tuple(row) if row else None


def _held(site: str, day: str, row: tuple[Any, ...]) -> dict[str, Any]:
    return {"site": site, "day": day, "revision": row[0], "sha256": row[1], "received_at": row[2]}


def store_report(db: sqlite_utils.Database, site: str, day: str, report: dict[str, Any]) -> dict[str, Any]:
    """Keep `report` as the day's next revision, unless it is the latest one already."""
    digest, latest = sha256(report), _latest(db, site, day)
    if latest is not None and latest[1] == digest:
        bump(db, f"daily_report_repeats:{site}")
        return {**_held(site, day, latest), "new_revision": False}
    row = ((latest[0] if latest else 0) + 1, digest, iso_z(now()))
    db.execute("INSERT INTO daily_reports (site, day, revision, sha256, report, received_at) "
               "VALUES (?, ?, ?, ?, ?, ?)",
               [site, day, row[0], digest, json.dumps(report, ensure_ascii=False, sort_keys=True), row[2]])
    return {**_held(site, day, row), "new_revision": True}


def latest(db: sqlite_utils.Database, site: str, day: str) -> dict[str, Any]:
    """The day's latest revision with its report; 404 when the site sent none."""
    row = _latest(db, site, day)
    if row is None:
        raise Refused(404, "not_found", f"no daily report of {site} for {day}")
    return {**_held(site, day, row), "report": json.loads(row[3])}


LISTING = """
    SELECT r.site, r.day, r.revision, n.revisions, r.sha256, r.received_at FROM daily_reports r
    JOIN (SELECT site, day, MAX(revision) AS top, COUNT(*) AS revisions FROM daily_reports
          WHERE (? IS NULL OR site = ?) GROUP BY site, day) n
      ON n.site = r.site AND n.day = r.day AND n.top = r.revision
    ORDER BY r.site, r.day"""


def listing(db: sqlite_utils.Database, site: str | None = None) -> list[dict[str, Any]]:
    """Each (site, day) with its latest revision and how many revisions it had, by site then day."""
    keys = ("site", "day", "revision", "revisions", "sha256", "received_at")
    return [dict(zip(keys, row, strict=True)) for row in db.execute(LISTING, [site, site]).fetchall()]


def counts(db: sqlite_utils.Database, site: str) -> dict[str, int]:
    """For the stats: days reported, revisions stored, reports received again unchanged."""
    days, revisions = db.execute("SELECT COUNT(DISTINCT day), COUNT(*) FROM daily_reports WHERE site = ?",
                                 [site]).fetchone()
    return {"daily_reports": int(days), "daily_report_revisions": int(revisions),
            "daily_report_repeats": counter(db, f"daily_report_repeats:{site}")}
