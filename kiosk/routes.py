"""Kiosk pages and JSON API. Only an enrolled kiosk may issue tickets."""

from __future__ import annotations

import math
from typing import Any, cast
from urllib.parse import urlsplit

import qrcode
from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_babel import force_locale, gettext
from qrcode.image.svg import SvgPathFillImage

from core import fees
from core import floor_control as floor
from core.clock import utc_iso
from core.config import LANGUAGES
from core.devices import device_for_token, digest
from core.errors import N_, Conflict, InvalidInput, NotAuthenticated, NotFound
from core.forecast import Estimate
from core.site import IssuedTicket
from core.tickets import Ticket
from core.web import (
    LANGUAGE_NAMES,
    RTL_LANGUAGES,
    current_device,
    field,
    json_body,
    language_context,
    page_language,
    require_device,
    site,
)
from floor.printing import PrintService

bp = Blueprint("kiosk", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/kiosk")

MAX_REQUEST_ID = 64


@bp.get("/enrol")
def enrol() -> Any:
    """A device opens `/enrol?token=…&next=/kiosk` once; its session cookie keeps the token's SHA-256 (a
    copied cookie does not give away the token, and revoking the device ends it)."""
    token = request.args.get("token", "")
    device = device_for_token(site().store.read(), token) if token else None
    if device is None:
        raise NotAuthenticated(N_("This enrolment link is not valid. Ask staff for a new one."))
    session.clear()
    session["device"] = digest(token)
    session.permanent = True
    default = url_for("kiosk.kiosk_page") if device["kind"] == "kiosk" else url_for("display.display_page")
    return redirect(local_path(request.args.get("next", ""), default))


def local_path(target: str, default: str) -> str:
    """`target` if it is a path on this site, else `default`. Browsers drop tabs and newlines from a URL and
    read a backslash as a slash, so "/", a tab, "/evil.example" (or a backslash and "evil.example") would
    leave the site: any control character, space or backslash refuses the target, as do a scheme and a
    host."""
    if not target.startswith("/") or any(ch.isspace() or not ch.isprintable() or ch == "\\" for ch in target):
        return default
    parts = urlsplit(target)
    return target if not (parts.scheme or parts.netloc or target.startswith("//")) else default


@bp.get("/kiosk")
def kiosk_page() -> Any:
    device = current_device()
    if device is None or device["kind"] != "kiosk":
        return render_template("not_enrolled.html", **language_context()), 401
    config = site().config
    chosen = "lang" in request.args
    # Before a visitor chooses, the kiosk speaks the site's language (a scan refused on the start screen
    # included), not the kiosk PC's browser language nor the previous visitor's.
    lang = page_language() if chosen else str(config.site["default_language"])
    with force_locale(lang):
        return render_template(
            "kiosk.html", **language_context(lang), site=config.site, languages=_languages(),
            chosen=chosen, services=_services(lang), walk_ins_stop=walk_ins_stop(), now=utc_iso(),
            idle_seconds=config.policy["kiosk_idle_seconds"],
            warning_seconds=config.policy["kiosk_idle_warning_seconds"],
            payment_timeout=float(config.devices.get("payment_timeout_seconds", 180)),
            has_printer=printing().printer(str(device["name"])) is not None,
            has_terminal=_has_terminal(str(device["name"])),
        )


def _has_terminal(kiosk: str) -> bool:
    """Whether this kiosk takes cards (it offers an appointment's fees for payment only then)."""
    terminals = current_app.extensions.get("dour.terminals")
    return terminals is not None and terminals.terminal(kiosk) is not None


def _languages() -> list[dict[str, Any]]:
    offered = site().config.site["languages"]
    return [{"code": code, "name": LANGUAGE_NAMES[code], "rtl": code in RTL_LANGUAGES} for code in LANGUAGES
            if code in offered]


def _services(lang: str) -> list[dict[str, Any]]:
    counts = site().waiting_counts()
    fallback = site().config.site["default_language"]
    paused = site().floor()["paused"]
    return [
        {"code": s.code, "prefix": s.prefix, "name": s.name(lang, fallback), "waiting": counts[s.code],
         "kinds": list(s.kinds), "fees": fee_view(s.code, lang), "paused": _paused(paused.get(s.code)),
         "estimate": estimate_json(site().forecasts.for_service(s.code))}
        for s in site().config.services.values()
        if "walk_in" in s.kinds or "pickup" in s.kinds
    ]


def _paused(pause: dict[str, Any] | None) -> str | None:
    """Why a paused service is unavailable, in the page's language; the supervisor's note as typed."""
    if pause is None:
        return None
    return " ".join(filter(None, [gettext(floor.PAUSE_REASONS[pause["reason"]]), pause["note"]]))


def walk_ins_stop() -> dict[str, Any] | None:
    """The day's walk-in stop: from when, and the sentence the kiosk shows once it is in effect."""
    stop = site().floor()["walk_ins"]
    return {"from": stop["from"], "message": gettext(floor.WALK_INS_STOPPED)} if stop else None


def fee_view(service_code: str, lang: str) -> dict[str, Any] | None:
    """The service's fees as the kiosk shows them, or None for a free service."""
    service = site().config.service(service_code)
    if not service.fees:
        return None
    return fees.to_json(service.fees, str(site().config.site["currency"]), lang)


@bp.get("/api/kiosk/services")
@require_device("kiosk")
def services() -> Any:
    return jsonify({"lang": page_language(), "services": _services(page_language()),
                    "walk_ins_stop": walk_ins_stop(), "now": utc_iso()})


@bp.post("/api/kiosk/tickets")
@require_device("kiosk")
def issue() -> Any:
    data = json_body()
    service = field(data, "service", str)
    kind = field(data, "kind", str, required=False) or "walk_in"
    if kind not in ("walk_in", "pickup"):
        raise InvalidInput(N_("A kiosk issues walk-in or pickup tickets only."))
    priority = field(data, "priority", bool, required=False) or False
    request_id = field(data, "request_id", str, required=False)
    if request_id is not None and not 0 < len(request_id) <= MAX_REQUEST_ID:
        raise InvalidInput(N_("The field %(name)s is missing or has the wrong type."), name="request_id")
    # An explicit `lang` the site does not offer is refused (issue_ticket checks it), never silently replaced.
    lang = field(data, "lang", str, required=False) or page_language()
    device = current_device() or {}
    issued = site().issue_ticket(
        service=service, kind=kind, lang=lang, actor=f"device:{device.get('id')}",
        priority=priority, request_key=f"{device.get('id')}:{request_id}" if request_id else None,
    )
    kiosk = str(device.get("name"))
    if not issued.replayed:
        printing().submit(kiosk, issued, actor=f"device:{device.get('id')}")
    return jsonify({**ticket_json(issued), "print": print_state(kiosk, issued.ticket.id)}), \
        200 if issued.replayed else 201


def printing() -> PrintService:
    return cast(PrintService, current_app.extensions["dour.printer"])


MAX_WAIT = 10.0  # seconds a long poll may hold a request
NOT_PRINTED = N_("The printer is not working: your ticket is on this screen. Take a photo of it or scan the "
                 "QR code with your phone, and keep your number.")


def print_state(kiosk: str, ticket_id: str, wait: float = 0.0) -> dict[str, Any]:
    """What the kiosk should tell the visitor about the paper ticket: none (no printer), pending, printed,
    or failed with a sentence in the page's language."""
    if printing().printer(kiosk) is None:
        return {"state": "none"}
    outcome = printing().outcome(kiosk, ticket_id, wait)
    if outcome is None:
        return {"state": "unknown"}
    message = gettext(NOT_PRINTED) if outcome.state == "failed" else ""
    return {"state": outcome.state, "reason": outcome.reason, "message": message}


@bp.get("/api/kiosk/tickets/<ticket_id>/print")
@require_device("kiosk")
def ticket_print(ticket_id: str) -> Any:
    """The paper ticket's fate, waiting up to `wait` seconds (at most 10) while it is being printed."""
    wait = wait_seconds()
    site().ticket_view(ticket_id)  # 404 for an unknown ticket
    return jsonify(print_state(str((current_device() or {}).get("name")), ticket_id, wait))


def wait_seconds(limit: float = MAX_WAIT) -> float:
    """The long poll's `wait` query parameter, in seconds, between 0 and `limit` (`nan` is no number: it
    would reach the lock's timeout and fail there)."""
    try:
        wait = float(request.args.get("wait", "0"))
    except ValueError:
        wait = math.nan
    if math.isnan(wait):
        raise InvalidInput(N_("The field %(name)s is missing or has the wrong type."), name="wait")
    return min(max(wait, 0.0), limit)


@bp.post("/api/kiosk/tickets/<ticket_id>/reprint")
@require_device("kiosk")
def kiosk_reprint(ticket_id: str) -> Any:
    """A visitor whose ticket did not print (shown on screen or scanned from the phone) prints it here, once
    the printer works again. A ticket that printed is not printed twice at a kiosk: staff can do that."""
    site().ticket_view(ticket_id)
    device = current_device() or {}
    kiosk = str(device.get("name"))
    if print_state(kiosk, ticket_id)["state"] in ("pending", "printed"):
        raise Conflict(N_("This ticket has already been printed. Ask staff if you lost it."))
    if printing().reprint(ticket_id, f"device:{device.get('id')}", kiosk=kiosk) is None:
        raise Conflict(N_("This kiosk has no printer: please show your ticket on screen to staff."))
    return jsonify(print_state(kiosk, ticket_id)), 202


def ticket_json(issued: IssuedTicket) -> dict[str, Any]:
    ticket = issued.ticket
    config = site().config
    service = config.service(ticket.service)
    return {
        "ticket": {**ticket.public(), "service_name": service.name(page_language(), ticket.lang),
                   "slot_at": ticket.slot_at},
        "people_ahead": issued.people_ahead,
        "wait_minutes": issued.wait_minutes,
        "estimate": estimate_json(issued.estimate),
        "url": ticket_url(ticket),
        "replayed": issued.replayed,
    }


def estimate_json(estimate: Estimate | None) -> dict[str, int] | None:
    """The waiting-time range (core/forecasts.py): minutes until the call, p10/p50/p90 and the range shown."""
    return estimate.to_json() if estimate else None


def ticket_url(ticket: Ticket) -> str:
    return site().ticket_url(ticket.id)


@bp.get("/t/<ticket_id>")
def visitor_ticket(ticket_id: str) -> Any:
    """The visitor's live ticket page (the QR on the printed ticket). The id itself is the credential. An
    unknown id gets a page in the phone's language (a 404 page, not JSON)."""
    try:
        issued = site().ticket_view(ticket_id)
    except NotFound:
        return render_template("ticket_not_found.html", **language_context(), site=site().config.site), 404
    lang = request.args.get("lang", "")
    lang = lang if lang in site().config.site["languages"] else issued.ticket.lang
    with force_locale(lang):  # the ticket's language, not the phone's, unless ?lang= says otherwise
        return render_template("visitor_ticket.html", **language_context(lang), ticket=ticket_json(issued),
                               site=site().config.site)


@bp.get("/t/<ticket_id>/qr.svg")
def ticket_qr(ticket_id: str) -> Any:
    """The QR code of the ticket's link, drawn on the server so the kiosk needs no JavaScript QR library."""
    image = qrcode.make(ticket_url(site().ticket_view(ticket_id).ticket), image_factory=SvgPathFillImage,
                        border=2)
    headers = {"Content-Type": "image/svg+xml", "Cache-Control": "private, max-age=86400"}
    return image.to_string(encoding="unicode"), 200, headers


@bp.get("/api/tickets/<ticket_id>")
def ticket_status(ticket_id: str) -> Any:
    return jsonify(ticket_json(site().ticket_view(ticket_id)))
