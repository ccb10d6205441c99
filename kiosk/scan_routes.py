"""The kiosk page's side of scanning: `POST /api/kiosk/scans` for codes read in the page (keyboard-wedge
scanner, later the camera), checked by the same core.scans.validate as the serial scanner's, and the
settings scanner.js needs."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, url_for

from core.errors import N_, InvalidInput
from core.scans import validate
from core.web import current_device, field, json_body, require_device, site
from kiosk.scanning import NAMESPACE, accepted

bp = Blueprint("kiosk_scans", __name__)

PAGE_SOURCES = ("wedge", "camera")
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
    return jsonify(accepted(validate(site(), code), source))


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
        "ticketUrl": url_for("kiosk.ticket_status", ticket_id="TICKET_ID"),
        "chosenUrl": url_for("kiosk.kiosk_page", lang=lang),
        "wedgeLayout": wedge_layout(device.get("name")),
        "strings": strings,
    }
