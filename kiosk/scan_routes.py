"""The kiosk page's side of scanning: `POST /api/kiosk/scans` for codes read in the page (keyboard-wedge
scanner, later the camera), checked by the same core.scans.validate as the serial scanner's, and the
settings scanner.js needs."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, url_for

from core import checkin
from core.errors import N_, InvalidInput
from core.scans import ScanResult, validate
from core.web import current_device, field, json_body, require_device, site
from kiosk.scanning import NAMESPACE, accepted, newly_issued, print_checkin

bp = Blueprint("kiosk_scans", __name__)

PAGE_SOURCES = ("wedge", "camera")
MAX_REFERENCE = 32
WEDGE_LAYOUTS = ("us", "os")


@bp.post("/api/kiosk/scans")
@require_device("kiosk")
def scan() -> Any:
    """Check a code read in the kiosk page; the answer (or the error) is in the page's language."""
    data = json_body()
    code = field(data, "code", str)
    source = field(data, "source", str, required=False) or "wedge"
    if source not in PAGE_SOURCES:
        raise InvalidInput(N_("The field %(name)s is missing or has the wrong type."), name="source")
    return answer(validate(site(), code), source)


@bp.post("/api/kiosk/appointments/check-in")
@require_device("kiosk")
def check_in_by_reference() -> Any:
    """A booking reference typed on the kiosk's keypad (the QR is damaged or missing): only an appointment the
    site has synced is found; anything else sends the visitor to the reception desk."""
    reference = field(json_body(), "reference", str)
    if not 0 < len(reference) <= MAX_REFERENCE:
        raise InvalidInput(N_("The field %(name)s is missing or has the wrong type."), name="reference")
    return answer(checkin.check_in_reference(site(), reference), "keypad")


def answer(result: ScanResult, source: str) -> Any:
    """An accepted code; an appointment it just checked in is printed here, at this kiosk."""
    device = current_device() or {}
    kiosk = str(device.get("name"))
    print_checkin(current_app.extensions["dour.printer"], kiosk, result, f"device:{device.get('id')}")
    return jsonify(accepted(result, source, kiosk)), 201 if newly_issued(result) else 200


def wedge_layout(kiosk: str | None) -> str:
    """`devices.wedge_layout` (per kiosk under `devices.kiosks."<name>"`): "us" decodes the physical keys
    as a US keyboard, "os" trusts the characters the operating system's layout produced."""
    layout = site().config.device_uri("wedge_layout", kiosk) or "us"
    return layout if layout in WEDGE_LAYOUTS else "us"


def scanner_settings(lang: str, chosen: bool, strings: dict[str, str]) -> dict[str, Any]:
    """What kiosk.html hands to scanner.js (called from the template, which translates `strings`)."""
    device = current_device() or {}
    return {
        "lang": lang,
        "chosen": chosen,
        "namespace": NAMESPACE,
        "scanUrl": url_for("kiosk_scans.scan"),
        "referenceUrl": url_for("kiosk_scans.check_in_by_reference"),
        "ticketUrl": url_for("kiosk.ticket_status", ticket_id="TICKET_ID"),
        "chosenUrl": url_for("kiosk.kiosk_page", lang=lang),
        "wedgeLayout": wedge_layout(device.get("name")),
        "strings": strings,
    }
