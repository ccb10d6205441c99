"""The supervisor's live overview of the floor: services against their target waits, every counter, the
link with eConsulat (counter/sync_status.py), and closing the day (core/day_close.py) with the tickets the
last close carried over. The floor's controls (pause a service, stop walk-ins, a counter's services, close a
counter, the displays' message) are core/floor_control.py's actions, each with who and why."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from babel.lists import format_list
from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale, get_translations, gettext

from core import day_close, policy_words, retention
from core import floor_control as floor
from core.clock import now, utc_iso
from core.errors import N_, Conflict, Forbidden, InvalidInput
from core.web import current_user, field, json_body, language_context, page_language, require_user, site
from counter.sync_status import request_pull, sync_view

log = logging.getLogger(__name__)
bp = Blueprint("supervisor", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/supervisor")


@bp.get("/supervisor")
def supervisor_page() -> Any:
    user = current_user()
    if user is None:
        return redirect(url_for("counter.login_page"))
    if user["role"] != "supervisor":
        raise Forbidden(N_("Your role may not do that."))
    reasons = {code: gettext(text) for code, text in floor.PAUSE_REASONS.items()}
    return render_template("supervisor.html", site=site().config.site, pause_reasons_translated=reasons,
                           rule=rule_in_words(), **language_context())


def rule_in_words() -> list[dict[str, Any]]:
    """The calling rule, "who is called next" (core/policy_words.py), in the page's language: each step's
    sentence and the sentences it lists."""
    steps = policy_words.rule_steps(site().config, page_language())
    return [{"text": said(step.sentence), "details": [said(detail) for detail in step.details]}
            for step in steps]


def said(sentence: policy_words.Sentence) -> str:
    """A core sentence translated in the page's language; a tuple parameter (names) as a list in it."""
    translations = get_translations()
    text = (translations.ngettext(sentence.message, sentence.plural, sentence.count) if sentence.plural
            else translations.gettext(sentence.message))
    params = {key: format_list(list(value), locale=get_locale()) if isinstance(value, tuple) else value
              for key, value in sentence.params.items()}
    return text % params if params else text


@bp.get("/api/supervisor/overview")
@require_user("supervisor")
def overview() -> Any:
    """Today per service and counter, and the staffing advice last computed in the background (or null)."""
    return jsonify({**site().overview(), "staffing": site().forecasts.staffing_json()})


@bp.get("/api/supervisor/sync")
@require_user("supervisor")
def sync() -> Any:
    moment = now()
    return jsonify({**sync_view(site(), moment), "now": utc_iso(moment)})


@bp.post("/api/supervisor/sync/pull")
@require_user("supervisor")
def pull_now() -> Any:
    """The "Sync now" button: the worker sees the flag at its next round (2 s) and pulls at once."""
    if not str(site().config.sync.get("central_url") or "").strip():
        raise Conflict(N_("No central is configured: this site works on its own and has nothing to pull."))
    request_pull(site())
    return sync()


@bp.get("/api/supervisor/day-close")
@require_user("supervisor")
def day_close_view() -> Any:
    """What closing the day (today unless `day=YYYY-MM-DD`) would end, or its kept summary; and the tickets
    the last close before today carried over."""
    today = site().today()
    day = day_close.check_day(site().config, request.args.get("day") or today, today)
    with site().store.reading() as db:
        return jsonify({**day_close.preview(db, site().config, day), "today": today,
                        "carried": day_close.carried_list(db, today)})


@bp.post("/api/supervisor/day-close")
@require_user("supervisor")
def close_the_day() -> Any:
    """Close the day: `leftover` no_show or carry; `force` once the supervisor confirmed that tickets still
    at a counter end too (409 `confirmation_needed` otherwise). Then the retention runs (docs/privacy.md)."""
    data = json_body()
    user = current_user() or {}
    force = bool(field(data, "force", bool, required=False))
    closing = day_close.close_day(site(), day=field(data, "day", str, required=False),
                                  leftover=field(data, "leftover", str), actor=f"user:{user.get('id')}",
                                  force=force)
    try:
        retention.run(site())
    except Exception:  # the day is closed and kept; the retention runs again at the next close or purge
        log.exception("the retention after closing the day failed")
    return jsonify({"day": closing.day, "already_closed": closing.already_closed, "summary": closing.summary})


# --- floor control (docs/supervision.md) ----------------------------------------------------------------
def _control(action: Callable[..., Any], **kwargs: Any) -> Any:
    """Run a floor action as the supervisor logged in, with the body's `reason`; answer the floor's view."""
    user = current_user() or {}
    site().control_floor(action, actor=f"user:{user.get('id')}", **kwargs)
    return floor_view()


@bp.get("/api/supervisor/floor")
@require_user("supervisor")
def floor_view() -> Any:
    """Today's controls, and the reasons a pause may give (their codes)."""
    return jsonify({**site().floor(), "pause_reasons": sorted(floor.PAUSE_REASONS)})


@bp.post("/api/supervisor/floor/services/<code>/pause")
@require_user("supervisor")
def pause_service(code: str) -> Any:
    data = json_body()
    return _control(floor.pause_service, service=code, reason=field(data, "reason", str),
                    note=field(data, "note", str, required=False) or "")


@bp.post("/api/supervisor/floor/services/<code>/resume")
@require_user("supervisor")
def resume_service(code: str) -> Any:
    return _control(floor.resume_service, service=code, reason=field(json_body(), "reason", str))


@bp.post("/api/supervisor/floor/walk-ins/stop")
@require_user("supervisor")
def stop_walk_ins() -> Any:
    data = json_body()
    return _control(floor.stop_walk_ins, reason=field(data, "reason", str),
                    at=field(data, "at", str, required=False) or None)


@bp.post("/api/supervisor/floor/walk-ins/resume")
@require_user("supervisor")
def resume_walk_ins() -> Any:
    return _control(floor.resume_walk_ins, reason=field(json_body(), "reason", str))


@bp.put("/api/supervisor/floor/counters/<int:number>/services")
@require_user("supervisor")
def counter_services(number: int) -> Any:
    data = json_body()
    services = field(data, "services", list)
    if not all(isinstance(code, str) for code in services):
        raise InvalidInput(N_("The field %(name)s is missing or has the wrong type."), name="services")
    return _control(floor.set_counter_services, counter=number, services=services,
                    reason=field(data, "reason", str))


@bp.post("/api/supervisor/floor/counters/<int:number>/close")
@require_user("supervisor")
def close_counter(number: int) -> Any:
    return _control(floor.close_counter, counter=number, reason=field(json_body(), "reason", str))


@bp.put("/api/supervisor/floor/ticker")
@require_user("supervisor")
def set_ticker() -> Any:
    data = json_body()
    return _control(floor.set_ticker, text=field(data, "text", str), until=field(data, "until", str),
                    reason=field(data, "reason", str), texts=field(data, "texts", dict, required=False))


@bp.post("/api/supervisor/floor/ticker/clear")
@require_user("supervisor")
def clear_ticker() -> Any:
    return _control(floor.clear_ticker, reason=field(json_body(), "reason", str))
