"""Staff view of the devices: health of every device, tickets that did not print, reprint; the zone of each
display (the services and counters it is limited to, core/zones.py).

Agents see the alerts (a printer running out of paper is everybody's problem on the floor); supervisors see
the same on their overview. Reasons are stable codes; the pages translate them.
"""

from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, current_app, jsonify, request

from core import zones
from core.errors import N_, Conflict, InvalidInput
from core.web import current_user, field, json_body, require_user, site
from floor import enrolled_kiosks
from floor.printing import PrintService

bp = Blueprint("devices", __name__)


def printing() -> PrintService:
    return cast(PrintService, current_app.extensions["dour.printer"])


@bp.get("/api/devices/health")
@require_user()
def health() -> Any:
    """Every device's last known state, since when and why; `alerts` are those not ok."""
    devices = [device.to_dict() for device in site().device_states()]
    return jsonify({"devices": devices, "alerts": [d for d in devices if d["state"] != "ok"],
                    "print_problems": len(site().print_problems())})


@bp.get("/api/print-problems")
@require_user()
def print_problems() -> Any:
    """Today's tickets, still waiting, whose last print failed: what staff may reprint."""
    return jsonify({"tickets": [vars(problem) for problem in site().print_problems()]})


@bp.post("/api/tickets/<ticket_id>/reprint")
@require_user()
def reprint(ticket_id: str) -> Any:
    """Print a ticket again, on the printer it went to or on the kiosk named in `kiosk`."""
    kiosk = field(json_body(), "kiosk", str, required=False) if request.content_length else None
    if kiosk is not None and kiosk not in enrolled_kiosks(site()):
        raise InvalidInput(N_("Unknown kiosk: %(name)s."), name=kiosk)
    site().ticket_view(ticket_id)
    user = current_user() or {}
    printed_at = printing().reprint(ticket_id, f"user:{user.get('id')}", kiosk=kiosk)
    if printed_at is None:
        raise Conflict(N_("No printer is known for this ticket: choose a kiosk."))
    return jsonify({"kiosk": printed_at, "state": "pending"}), 202


@bp.get("/api/supervisor/displays")
@require_user("supervisor")
def displays() -> Any:
    """Every enrolled display with its zone (empty lists: the whole site)."""
    with site().store.reading() as db:
        found = zones.displays(db)
    return jsonify({"displays": [{"name": name, "zone": zone.to_dict()} for name, zone in found.items()]})


@bp.put("/api/supervisor/displays/<name>/zone")
@require_user("supervisor")
def display_zone(name: str) -> Any:
    """Limit a display to `services` and/or `counters` (both empty: the whole site), with the `reason`."""
    data = json_body()
    user = current_user() or {}
    with site().change() as (db, events):
        _zone, event = zones.set_zone(db, site().config, display=name, services=field(data, "services", list),
                                      counters=field(data, "counters", list), reason=data.get("reason"),
                                      actor=f"user:{user.get('id')}")
        events.append(event)
    return displays()
