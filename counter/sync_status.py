"""The supervisor's view of the link with eConsulat: the sync worker's last report, and what the site knows
without it.

The worker (`dour sync`) rewrites a JSON report into sync_state `status` after each round (sync/status.py).
Whatever must stay true when the worker is dead is computed here from the database instead: the events the
central has not acknowledged yet (journal − sync_state `acked_seq`), today's appointments, the cached signing
keys, whether a central is configured, and how old the worker's last report is. docs/sync.md.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from core import appointments, journal, keyring
from core.appointments import parse_utc
from core.clock import utc_iso
from core.site import Site
from sync import status

ACKED_KEY = "acked_seq"  # written by sync/outbox.py
KEY_WARNING_DAYS = 7
STALE_GRACE_SECONDS = 30
# The report's own time (sync/status.py writes `updated_at`); without one, its latest success or error.
REPORT_TIME_KEYS = ("updated_at", "reported_at")
REPORT_TEXTS = ("last_success", "last_error", "last_error_at", "next_attempt_at")
SHOWN_TIMES, MINUTE = ("last_success", "last_error_at", "next_attempt_at"), len("2026-12-02T09:30")


def sync_view(site: Site, moment: datetime) -> dict[str, Any]:
    """Everything the "Link with eConsulat" panel shows. Nothing in it moves with the clock alone except at
    the stale threshold and key expiry, so the watcher can compare two views to know what changed."""
    with site.store.reading() as db:
        report = status.read_status(db) or None
        acked = _as_int(status.get(db, ACKED_KEY))
        pull_requested = status.pull_requested(db)
        pending = max(0, journal.last_seq(db) - acked)
        oldest = db.execute("SELECT at FROM journal WHERE seq > ? ORDER BY seq LIMIT 1", [acked]).fetchone()
        counts = appointments.counts_of_day(db, site.config.local_day(moment))
        keys = keyring.validity(db)
    configured = bool(str(site.config.sync.get("central_url") or "").strip())
    reported_at, next_attempt = _reported_at(report), _text(report, "next_attempt_at")
    stale = report is not None and _stale(reported_at, next_attempt, moment, site.config.sync)
    return {
        "state": _state(configured, report, stale), "central_configured": configured,
        "reported": report is not None, "reported_at": reported_at,
        "worker_running": report is not None and not stale,
        **{key: _text(report, key) for key in REPORT_TEXTS},
        "failures": _as_int((report or {}).get("failures")),
        "fees_differ": bool((report or {}).get("fees_differ")),
        "pending_events": pending, "oldest_pending_at": oldest[0] if oldest and pending else None,
        "acked_seq": acked, "appointments_today": counts,
        "keys": [_key(key, moment) for key in keys], "keys_warning": _keys_warning(keys, moment),
        "pull_requested": pull_requested,
    }


def as_shown(view: dict[str, Any]) -> dict[str, Any]:
    """The view as the panel shows it: times to the minute, without the report's own time. A healthy worker
    rewrites its report every round (2 s); what supervisors see changes far less often."""
    shown = {key: value for key, value in view.items() if key != "reported_at"}
    return shown | {key: (view.get(key) or "")[:MINUTE] for key in SHOWN_TIMES}


def request_pull(site: Site) -> None:
    """Ask the worker to pull now (it looks at the flag every second and clears it); journals nothing."""
    with site.store.write() as db:
        status.request_pull(db)


def _as_int(value: object) -> int:
    if isinstance(value, bool):
        return 0
    try:
        return max(0, int(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 0


def _text(report: dict[str, Any] | None, key: str) -> str | None:
    value = (report or {}).get(key)
    return str(value)[:500] if isinstance(value, str) and value else None


def _when(text: str | None) -> datetime | None:
    try:
        return parse_utc(text) if text else None
    except ValueError:
        return None


def _reported_at(report: dict[str, Any] | None) -> str | None:
    if report is None:
        return None
    for key in REPORT_TIME_KEYS:
        moment = _when(_text(report, key))
        if moment is not None:
            return utc_iso(moment)
    known = [m for m in (_when(_text(report, "last_success")), _when(_text(report, "last_error_at"))) if m]
    return utc_iso(max(known)) if known else None


def _stale(reported_at: str | None, next_attempt_at: str | None, moment: datetime,
           sync: dict[str, Any]) -> bool:
    """No report for three push rounds and a grace: the worker is not running. A worker backing off after
    failures reports again only after the attempt it announced, so the wait counts from then."""
    expected = [m for m in (_when(reported_at), _when(next_attempt_at)) if m is not None]
    limit = timedelta(seconds=3 * float(sync.get("push_seconds") or 0) + STALE_GRACE_SECONDS)
    return not expected or moment - max(expected) > limit


def _state(configured: bool, report: dict[str, Any] | None, stale: bool) -> str:
    if not configured:
        return "not_configured"
    if report is None:
        return "not_reported"
    if stale:
        return "not_running"
    return "unreachable" if _failing(report) else "ok"


def _failing(report: dict[str, Any]) -> bool:
    """The worker's latest round failed: counted failures, else an error newer than the last success."""
    failures = report.get("failures")
    if isinstance(failures, int) and not isinstance(failures, bool):
        return failures > 0
    error, success = _when(_text(report, "last_error_at")), _when(_text(report, "last_success"))
    return error is not None and (success is None or error > success)


def _key(key: dict[str, str], moment: datetime) -> dict[str, Any]:
    start, until = _when(key["valid_from"]), _when(key["valid_until"])
    state = ("not_yet" if start and moment < start else "expired" if until and until < moment else "valid")
    days = (until - moment).days if until else None
    return {**key, "state": state, "expires_in_days": days}


def _keys_warning(keys: list[dict[str, str]], moment: datetime) -> str | None:
    """`no_key` when no key verifies codes now; `expiring` when the newest one ends within a week."""
    valid = [key for key in keys if _key(key, moment)["state"] == "valid"]
    if not valid:
        return "no_key"
    ends = [end for end in (_when(key["valid_until"]) for key in keys) if end is not None]
    return "expiring" if ends and max(ends) - moment < timedelta(days=KEY_WARNING_DAYS) else None
