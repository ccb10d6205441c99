"""A supervisor's actions on the floor, for the rest of the site day: pause a service at the kiosks, stop
walk-in tickets, change the services a counter takes, show a message on the displays, close a counter left
open. Each is one row of `floor_controls` (gone the next day) and one journal event with who and why.

Every action here runs inside the caller's write transaction (core/site.py publishes after the commit) and
returns its journal events. docs/supervision.md says what each does and why.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, time
from typing import Any

import sqlite_utils

from core import journal, tickets
from core.clock import utc_iso
from core.config import Counter, SiteConfig
from core.errors import N_, Conflict, InvalidInput
from core.states import Action

PAUSE, WALK_INS, COUNTER, TICKER = "service_pause", "walk_in_stop", "counter_services", "ticker"
# Why a service is paused, as the kiosk says it in the visitor's language; `other` needs a note (shown as
# typed).
PAUSE_REASONS: dict[str, str] = {
    "system": N_("The computer system this service needs is down."),
    "staff": N_("No agent can take this service right now."),
    "full": N_("Today's capacity for this service has been reached."),
    "break": N_("The counters of this service are on a short break."),
    "other": N_("Please ask a member of staff."),
}
PAUSED = N_("This service is not available at the moment. %(reason)s")
PAUSED_NOTE = N_("This service is not available at the moment. %(reason)s %(note)s")
WALK_INS_STOPPED = N_("No more walk-in tickets today: the last one has been issued. Appointments and "
                      "document pickups are still accepted.")
MAX_TEXT = 280


def clean_text(value: object, name: str, required: bool = True) -> str:
    """A supervisor's free text, on one line, at most MAX_TEXT characters."""
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(N_("The field %(name)s is missing or has the wrong type."), name=name)
    text = " ".join(value.split())
    if (required and not text) or len(text) > MAX_TEXT:
        raise InvalidInput(N_("Write %(name)s in 1 to %(max)s characters."), name=name, max=MAX_TEXT)
    return text


def local_time(config: SiteConfig, moment: datetime, hhmm: object, name: str) -> datetime:
    """`HH:MM` on the site's clock, the day of `moment`."""
    try:
        clock = time.fromisoformat(str(hhmm))
    except ValueError:
        raise InvalidInput(N_("The field %(name)s is missing or has the wrong type."), name=name) from None
    local = moment.astimezone(config.tz)
    return datetime.combine(local.date(), clock.replace(second=0, microsecond=0), config.tz)


def _rows(db: sqlite_utils.Database, day: str) -> list[tuple[str, str, dict[str, Any], str, str]]:
    found = db.execute("SELECT kind, key, value, set_by, set_at FROM floor_controls WHERE day = ?", [day])
    return [(kind, key, json.loads(value), by, at) for kind, key, value, by, at in found.fetchall()]


def _get(db: sqlite_utils.Database, day: str, kind: str, key: str = "") -> dict[str, Any] | None:
    row = db.execute("SELECT value FROM floor_controls WHERE day = ? AND kind = ? AND key = ?",
                     [day, kind, key]).fetchone()
    return json.loads(row[0]) if row else None


def _set(db: sqlite_utils.Database, day: str, kind: str, key: str, value: dict[str, Any], actor: str) -> None:
    db.execute("INSERT OR REPLACE INTO floor_controls VALUES (?, ?, ?, ?, ?, ?)",
               [day, kind, key, json.dumps(value, ensure_ascii=False), actor, utc_iso()])


def _unset(db: sqlite_utils.Database, day: str, kind: str, key: str = "") -> bool:
    cursor = db.execute("DELETE FROM floor_controls WHERE day = ? AND kind = ? AND key = ?", [day, kind, key])
    return bool(cursor.rowcount)


# --- what the floor looks like ---------------------------------------------------------------------------
def view(db: sqlite_utils.Database, config: SiteConfig, moment: datetime) -> dict[str, Any]:
    """Today's controls: paused services, the walk-in stop, counters' services, the displays' message."""
    floor: dict[str, Any] = {"paused": {}, "walk_ins": None, "counters": {}, "ticker": None}
    for kind, key, value, by, at in _rows(db, config.local_day(moment)):
        value = {**value, "set_by": by, "set_at": at}
        if kind == PAUSE:
            floor["paused"][key] = value
        elif kind == WALK_INS:
            floor["walk_ins"] = {**value, "in_effect": value["from"] <= utc_iso(moment)}
        elif kind == COUNTER:
            floor["counters"][key] = value
        elif kind == TICKER and value["ends_at"] > utc_iso(moment):
            floor["ticker"] = value
    return floor


def ticker(db: sqlite_utils.Database, config: SiteConfig, moment: datetime) -> dict[str, Any] | None:
    """The displays' message as a screen shows it (no author, no reason), until its end."""
    value = view(db, config, moment)["ticker"]
    return {key: value[key] for key in ("text", "texts", "ends_at")} if value else None


def effective_counter(db: sqlite_utils.Database, config: SiteConfig, number: int,
                      moment: datetime) -> Counter:
    """The counter with the services it takes today: a supervisor's change, else the configuration."""
    counter = config.counter(number)
    changed = _get(db, config.local_day(moment), COUNTER, str(counter.number))
    return replace(counter, services=tuple(changed["services"])) if changed else counter


def counters_taking(db: sqlite_utils.Database, config: SiteConfig, day: str) -> dict[int, tuple[str, ...]]:
    """Every configured counter with the services it takes on `day` (a supervisor's change, else the
    configuration), in one query: the capacity of the wait estimates and of the forecast."""
    changed = {int(key): tuple(json.loads(value)["services"]) for key, value in db.execute(
        "SELECT key, value FROM floor_controls WHERE day = ? AND kind = ?", [day, COUNTER]).fetchall()}
    return {number: changed.get(number, counter.services) for number, counter in config.counters.items()}


def check_issue(db: sqlite_utils.Database, config: SiteConfig, service: str, kind: str,
                moment: datetime) -> None:
    """Refuse a kiosk ticket of a paused service, or a walk-in once walk-ins stopped. Appointments always
    pass: their visitors were promised a slot (docs/supervision.md)."""
    if kind == "appointment":
        return
    day = config.local_day(moment)
    pause = _get(db, day, PAUSE, config.service(service).code)
    if pause:
        message = PAUSED_NOTE if pause["note"] else PAUSED
        raise Conflict(message, translate=("reason",), reason=PAUSE_REASONS[pause["reason"]],
                       note=pause["note"])
    stop = _get(db, day, WALK_INS)
    if kind == "walk_in" and stop and stop["from"] <= utc_iso(moment):
        raise Conflict(WALK_INS_STOPPED)


# --- the actions -----------------------------------------------------------------------------------------
def pause_service(db: sqlite_utils.Database, config: SiteConfig, *, moment: datetime, actor: str,
                  service: str, reason: str, note: str = "") -> list[journal.Event]:
    code = config.service(service).code
    if reason not in PAUSE_REASONS:
        raise InvalidInput(N_("Choose one of the reasons offered."))
    note = clean_text(note, "note", required=reason == "other")
    _set(db, config.local_day(moment), PAUSE, code, {"reason": reason, "note": note}, actor)
    data = {"service": code, "reason": reason, "note": note}
    return [journal.append(db, "floor.service_paused", actor, data)]


def resume_service(db: sqlite_utils.Database, config: SiteConfig, *, moment: datetime, actor: str,
                   service: str, reason: str) -> list[journal.Event]:
    code = config.service(service).code
    why = clean_text(reason, "reason")
    if not _unset(db, config.local_day(moment), PAUSE, code):
        raise Conflict(N_("This service is not paused."))
    return [journal.append(db, "floor.service_resumed", actor, {"service": code, "reason": why})]


def stop_walk_ins(db: sqlite_utils.Database, config: SiteConfig, *, moment: datetime, actor: str,
                  reason: str, at: str | None = None) -> list[journal.Event]:
    """The last walk-in ticket: now, or the last one before `at` (HH:MM today, site time)."""
    why = clean_text(reason, "reason")
    start = local_time(config, moment, at, "at") if at else moment
    value = {"from": utc_iso(max(start, moment)), "rule": "at" if at else "now", "at": at, "reason": why}
    _set(db, config.local_day(moment), WALK_INS, "", value, actor)
    return [journal.append(db, "floor.walk_ins_stopped", actor, value)]


def resume_walk_ins(db: sqlite_utils.Database, config: SiteConfig, *, moment: datetime, actor: str,
                    reason: str) -> list[journal.Event]:
    return _lift(db, config.local_day(moment), WALK_INS, actor, reason, "floor.walk_ins_resumed",
                 N_("Walk-in tickets have not been stopped today."))


def set_counter_services(db: sqlite_utils.Database, config: SiteConfig, *, moment: datetime, actor: str,
                         counter: int, services: list[str], reason: str) -> list[journal.Event]:
    """The services `counter` takes for the rest of the day; its configured list again ends the change."""
    why = clean_text(reason, "reason")
    configured = config.counter(counter)
    codes = tuple(dict.fromkeys(config.service(code).code for code in services))
    if not codes:
        raise InvalidInput(N_("Choose at least one service for the counter."))
    day = config.local_day(moment)
    if codes == configured.services:
        _unset(db, day, COUNTER, str(configured.number))
    else:
        _set(db, day, COUNTER, str(configured.number), {"services": list(codes), "reason": why}, actor)
    data = {"counter": configured.number, "services": list(codes), "configured": list(configured.services),
            "reason": why}
    return [journal.append(db, "floor.counter_services", actor, data)]


def set_ticker(db: sqlite_utils.Database, config: SiteConfig, *, moment: datetime, actor: str, text: str,
               until: str, reason: str, texts: dict[str, Any] | None = None) -> list[journal.Event]:
    """The displays show `text` (or `texts[lang]` in a language that has its own) until `until` (HH:MM)."""
    why = clean_text(reason, "reason")
    ends = local_time(config, moment, until, "until")
    if ends <= moment:
        raise InvalidInput(N_("Choose an end time later today."))
    own = {lang: clean_text(value, "texts") for lang, value in (texts or {}).items()
           if lang in config.site["languages"] and str(value or "").strip()}
    value = {"text": clean_text(text, "text"), "texts": own, "ends_at": utc_iso(ends), "reason": why}
    _set(db, config.local_day(moment), TICKER, "", value, actor)
    return [journal.append(db, "floor.ticker", actor, value)]


def clear_ticker(db: sqlite_utils.Database, config: SiteConfig, *, moment: datetime, actor: str,
                 reason: str) -> list[journal.Event]:
    return _lift(db, config.local_day(moment), TICKER, actor, reason, "floor.ticker_cleared",
                 N_("No message is shown on the displays."))


def _lift(db: sqlite_utils.Database, day: str, kind: str, actor: str, reason: str, event: str,
          none_to_lift: str) -> list[journal.Event]:
    """End today's control of `kind` (journaled as `event` with its reason), or say there is none."""
    why = clean_text(reason, "reason")
    if not _unset(db, day, kind):
        raise Conflict(none_to_lift)
    return [journal.append(db, event, actor, {"reason": why})]


def close_counter(db: sqlite_utils.Database, config: SiteConfig, *, moment: datetime, actor: str,
                  counter: int, reason: str) -> list[journal.Event]:
    """Close a counter left open; its current ticket goes back to waiting, first in its service's line (it
    keeps its arrival time), so another counter calls it."""
    why = clean_text(reason, "reason")
    number = config.counter(counter).number
    row = db.execute("SELECT user_id FROM counter_sessions WHERE counter = ?", [number]).fetchone()
    if not row:
        raise Conflict(N_("Counter %(counter)s is not open."), counter=number)
    db.execute("DELETE FROM counter_sessions WHERE counter = ?", [number])
    held = db.execute("SELECT id FROM tickets WHERE counter = ? AND state IN ('called', 'serving')",
                      [number]).fetchone()
    ticket = tickets.get(db, held[0]) if held else None
    data = {"counter": number, "closed_for": f"user:{row[0]}", "reason": why,
            "requeued": ticket.number if ticket else None}
    events = [journal.append(db, "counter.closed", actor, data)]
    if ticket:
        _ticket, event = tickets.apply(
            db, ticket, Action.TRANSFER, actor=actor,
            changes={"counter": None, "agent_id": None, "target_counter": None},
            extra={"from_counter": number, "to_service": None, "to_counter": None, "counter_closed": True})
        events.append(event)
    return events
