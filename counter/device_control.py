"""The device-control page of demo and test sites: act on the *simulated* devices through their real paths.

Scan a code into a kiosk's simulated scanner (pty → pyserial → validation → kiosk page), switch a simulated
printer's fault (the real ESC/POS driver then sees the real status bytes), see the last printed tickets as
images (rendered back from the captured ESC/POS bytes), script the simulated card terminal's next answer,
insert or remove a badge in a counter's simulated reader. Supervisors only; a real device is never touched:
each action on one that is not simulated is refused.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, url_for

from core.errors import N_, Conflict, Forbidden, InvalidInput
from core.web import current_user, field, json_body, language_context, require_user, site
from floor import enrolled_kiosks
from hardware.payment.simulation import Outcome
from hardware.printer import FAULTS
from hardware.printer.render import render_png

bp = Blueprint("device_control", __name__)
RECENT_JOBS = 6
NOT_SIMULATED = N_("This device is not simulated: the control page acts on simulated devices only.")


def _kiosk(name: str) -> str:
    if name not in enrolled_kiosks(site()):
        raise InvalidInput(N_("Unknown kiosk: %(name)s."), name=name)
    return name


def _simulator_of(driver: Any) -> Any:
    """The simulator a sim:// driver owns; Conflict for a real device (or none)."""
    simulator = getattr(driver, "simulator", None)
    if simulator is None:
        raise Conflict(NOT_SIMULATED)
    return simulator


def _printer_simulator(kiosk: str) -> Any:
    printer = current_app.extensions["dour.printer"].printer(_kiosk(kiosk))
    return _simulator_of(printer.printer if printer else None)


def _terminal_simulator(kiosk: str) -> Any:
    terminal = current_app.extensions["dour.terminals"].terminal(_kiosk(kiosk))
    return _simulator_of(terminal.terminal if terminal else None)


def _kiosk_state(kiosk: str) -> dict[str, Any]:
    state: dict[str, Any] = {"name": kiosk, "printer": None, "terminal": None, "scanner": False}
    try:
        printer = _printer_simulator(kiosk)
        state["printer"] = {"fault": printer.fault, "jobs": len(printer.jobs)}
    except Conflict:
        pass
    try:
        terminal = _terminal_simulator(kiosk)
        state["terminal"] = {"charges": len(terminal.ledger.entries)}
    except Conflict:
        pass
    state["scanner"] = current_app.extensions["dour.scanners"].simulator(kiosk) is not None
    return state


@bp.get("/devices/control")
def control_page() -> Any:
    user = current_user()
    if user is None:
        return redirect(url_for("counter.login_page"))
    if user["role"] != "supervisor":
        raise Forbidden(N_("Your role may not do that."))
    return render_template("device_control.html", site=site().config.site, **language_context(),
                           faults=[fault for fault in FAULTS if fault], outcomes=[o.value for o in Outcome],
                           counters=sorted(site().config.counters))


@bp.get("/api/sim/devices")
@require_user("supervisor")
def simulated_devices() -> Any:
    """The simulated devices of each enrolled kiosk, with their state."""
    return jsonify({"kiosks": [_kiosk_state(kiosk) for kiosk in enrolled_kiosks(site())]})


@bp.post("/api/sim/printers/<kiosk>/fault")
@require_user("supervisor")
def printer_fault(kiosk: str) -> Any:
    fault = field(json_body(), "fault", str, required=False)
    if fault not in FAULTS:
        raise InvalidInput(N_("Unknown printer fault: %(fault)s."), fault=fault)
    _printer_simulator(kiosk).set_fault(fault)
    return jsonify(_kiosk_state(kiosk))


@bp.get("/api/sim/printers/<kiosk>/jobs/<int:index>.png")
@require_user("supervisor")
def printed_job(kiosk: str, index: int) -> Any:
    """A printed piece of paper (0 = the most recent), rendered back from the bytes the printer received."""
    jobs = _printer_simulator(kiosk).jobs
    if not 0 <= index < min(len(jobs), RECENT_JOBS):
        raise InvalidInput(N_("No such printed ticket."))
    return Response(render_png(jobs[-1 - index]), mimetype="image/png",
                    headers={"Cache-Control": "no-store"})


@bp.post("/api/sim/scanners/<kiosk>/scan")
@require_user("supervisor")
def scan(kiosk: str) -> Any:
    """Type a code into the kiosk's simulated scanner, with the CR a real scanner sends."""
    code = field(json_body(), "code", str)
    if not 0 < len(code) <= 512 or any(c in code for c in "\r\n"):
        raise InvalidInput(N_("The field %(name)s is missing or has the wrong type."), name="code")
    try:
        current_app.extensions["dour.scanners"].simulate_scan(_kiosk(kiosk), code)
    except LookupError:
        raise Conflict(NOT_SIMULATED) from None
    return jsonify({"scanned": True})


@bp.post("/api/sim/terminals/<kiosk>/script")
@require_user("supervisor")
def terminal_script(kiosk: str) -> Any:
    """What the simulated card terminal does with the next payment."""
    outcome = field(json_body(), "outcome", str)
    if outcome not in {o.value for o in Outcome}:
        raise InvalidInput(N_("Unknown terminal outcome: %(outcome)s."), outcome=outcome)
    _terminal_simulator(kiosk).script(outcome)
    return jsonify(_kiosk_state(kiosk))


@bp.post("/api/sim/card-readers/<int:counter>/<action>")
@require_user("supervisor")
def card_reader(counter: int, action: str) -> Any:
    """Insert a badge (`badge`: its id; null: a bank card, which is refused) or remove the card."""
    readers = current_app.extensions["dour.badges"]
    if action == "insert":
        readers.sim_insert(counter, field(json_body(), "badge", str, required=False))
    elif action == "remove":
        readers.sim_remove(counter)
    else:
        raise InvalidInput(N_("Unknown action."))
    return jsonify(readers.state(counter))
