"""The supervisor's payments: the day's ledger, settling an unknown outcome, void and refund through the
terminal, and end-of-day reconciliation with its exceptions. Every action is journaled with who did it."""

from __future__ import annotations

import re
from typing import Any, cast

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext

from core import fees, payments, reconciliation, tickets
from core.errors import N_, Conflict, Forbidden, InvalidInput
from core.payments import Payment
from core.reconciliation import Totals
from core.web import current_user, field, json_body, language_context, page_language, require_user, site
from floor import enrolled_kiosks
from floor.card_payments import KioskTerminal
from floor.terminals import TerminalService
from hardware.errors import HardwareError
from hardware.payment import TOTALS, PaymentResult, PaymentState

bp = Blueprint("payments", __name__)
AUTH_CODE = re.compile(r"[0-9A-Za-z]{1,12}")
MAX_NOTE = 500


def terminals() -> TerminalService:
    return cast(TerminalService, current_app.extensions["dour.terminals"])


def _actor() -> str:
    return f"user:{(current_user() or {}).get('id')}"


def _terminal(kiosk: str) -> KioskTerminal:
    """An enrolled kiosk's terminal (never one opened for a made-up name)."""
    if kiosk not in enrolled_kiosks(site()):
        raise InvalidInput(N_("Unknown kiosk: %(name)s."), name=kiosk)
    return terminals().require(kiosk)


def _payment(reference: str) -> Payment:
    with site().store.reading() as db:
        return payments.get(db, reference)


def _note(data: dict[str, Any], required: bool = False) -> str:
    note = field(data, "note", str, required=required) or ""
    if len(note) > MAX_NOTE or (required and not note.strip()):
        raise InvalidInput(N_("Write a note of at most %(max)s characters."), max=MAX_NOTE)
    return note.strip()


def fees_at_counter(ticket_id: str, service_code: str) -> dict[str, Any] | None:
    """What the agent serving a ticket must know of its fees: paid at the kiosk (and the eTimbre, or that it
    is still pending), or to be collected here; None for a free service."""
    service = site().config.service(service_code)
    if not service.fees:
        return None
    payment = site().ticket_payment(ticket_id)
    currency = str(site().config.site["currency"])
    if payment is None:
        total = fees.format_amount(fees.total(service.fees), currency, page_language())
        return {"paid": False, "text": gettext(TO_COLLECT, amount=total)}
    amount = fees.format_amount(payment.amount_minor, payment.currency, page_language())
    if not payment.settled:  # an appointment's fees paid at the kiosk after check-in, outcome not known yet
        return {"paid": False, "state": payment.state, "reference": payment.reference,
                "etimbre": None, "etimbre_state": payment.etimbre_state,
                "text": gettext(UNCONFIRMED_AT_KIOSK, amount=amount, reference=payment.reference)}
    stamp = payment.etimbre or gettext(ETIMBRE_PENDING)
    return {"paid": payment.state == "approved", "state": payment.state, "reference": payment.reference,
            "etimbre": payment.etimbre, "etimbre_state": payment.etimbre_state,
            "text": gettext(PAID_AT_KIOSK, amount=amount, reference=payment.reference, etimbre=stamp)}


TO_COLLECT = N_("%(amount)s to collect at the counter (not paid at the kiosk)")
PAID_AT_KIOSK = N_("%(amount)s paid by card at the kiosk (ref. %(reference)s) · eTimbre: %(etimbre)s")
ETIMBRE_PENDING = N_("pending")
UNCONFIRMED_AT_KIOSK = N_("%(amount)s by card at the kiosk not confirmed (ref. %(reference)s): do not charge "
                          "the visitor again; a supervisor settles it on the payments page.")


@bp.get("/supervisor/payments")
def payments_page() -> Any:
    """The supervisor's payments page (HTML): the day's ledger, unknown ones to settle, void, refund,
    reconciliation and its exceptions."""
    user = current_user()
    if user is None:
        return redirect(url_for("counter.login_page"))
    if user["role"] != "supervisor":
        raise Forbidden(N_("Your role may not do that."))
    kiosks = enrolled_kiosks(site())
    return render_template("payments.html", site=site().config.site, kiosks=kiosks, **language_context())


@bp.get("/api/payments")
@require_user("supervisor")
def day_payments() -> Any:
    """The day's payments (today unless `day=YYYY-MM-DD`), oldest first, with the number of each state
    and the number of the ticket each approved payment issued."""
    day = request.args.get("day") or site().today()
    with site().store.reading() as db:
        rows = [{**payment.to_dict(), "ticket_number": tickets.get(db, payment.ticket_id).number
                 if payment.ticket_id else None} for payment in payments.of_day(db, day)]
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["state"]] = counts.get(row["state"], 0) + 1
    return jsonify({"day": day, "payments": rows, "states": counts})


@bp.get("/api/payments/<reference>")
@require_user()
def one_payment(reference: str) -> Any:
    """Any agent: a payment by its reference, as a visitor shows it at the desk (e.g. "not confirmed")."""
    payment = _payment(reference.strip().upper())
    number = site().ticket_view(payment.ticket_id).ticket.number if payment.ticket_id else None
    amount = fees.format_amount(payment.amount_minor, payment.currency, page_language())
    return jsonify({"payment": payment.to_dict(), "ticket_number": number, "amount": amount})


@bp.post("/api/payments/<reference>/resolve")
@require_user("supervisor")
def resolve(reference: str) -> Any:
    """Settle an unknown payment from the terminal's own journal or ticket: `charged` (with the
    authorisation code printed there) or `not_charged`."""
    data = json_body()
    outcome = field(data, "outcome", str)
    payment = _payment(reference)
    if payment.state != "unknown":
        raise Conflict(N_("Only a payment whose outcome is unknown can be settled by hand."))
    if outcome == "charged":
        code = field(data, "auth_code", str)
        if not AUTH_CODE.fullmatch(code):
            raise InvalidInput(N_("Copy the authorisation code from the terminal's ticket "
                                  "(letters and digits)."))
        result = PaymentResult(reference, PaymentState.APPROVED, payment.amount_minor, auth_code=code,
                               terminal_code="supervisor")
    elif outcome == "not_charged":
        result = PaymentResult(reference, PaymentState.FAILED, payment.amount_minor,
                               terminal_code="supervisor")
    else:
        raise InvalidInput(N_("The outcome must be charged or not_charged."))
    note = _note(data, required=True)
    settled = _terminal(str(payment.kiosk)).record(result, _actor(), resolved_by=_actor(), note=note)
    return jsonify({"payment": settled.to_dict()})


@bp.post("/api/payments/<reference>/<operation>")
@require_user("supervisor")
def reverse(reference: str, operation: str) -> Any:
    """`void` (same day, before the terminal's batch closes) or `refund` (the card at the terminal again)."""
    if operation not in ("void", "refund"):
        raise InvalidInput(N_("Unknown action."))
    payment = _payment(reference)
    if operation == "void" and payment.day != site().today():
        raise Conflict(N_("The terminal's batch of that day is closed: refund the payment instead."))
    row = _terminal(str(payment.kiosk)).reverse(payment, operation, _actor())
    return jsonify({"payment": row.to_dict()}), 202


@bp.post("/api/payments/reconciliation")
@require_user("supervisor")
def reconcile() -> Any:
    """Compare a kiosk terminal's totals for today with the ledger; differences become exceptions.
    `totals` (as printed by the terminal) is needed when the terminal cannot report them itself."""
    data = json_body()
    terminal = _terminal(field(data, "kiosk", str))
    theirs = _terminal_totals(terminal.terminal, data.get("totals"))
    day, currency = site().today(), str(site().config.site["currency"])
    with site().change() as (db, events):
        ours = reconciliation.ledger_totals(db, day, terminal.device, currency)
        found = reconciliation.differences(ours, theirs) + reconciliation.open_items(db, day, terminal.device)
        events.extend(reconciliation.record(db, day, terminal.device, found, _actor()))
        listed = reconciliation.exceptions(db, day)
    return jsonify({"day": day, "terminal": terminal.device, "ledger": ours.to_dict(),
                    "terminal_totals": theirs.to_dict(), "balanced": not found, "exceptions": listed})


def _terminal_totals(terminal: Any, given: Any) -> Totals:
    if given is not None:
        if not isinstance(given, dict) or any(type(given.get(k, 0)) is not int or given.get(k, 0) < 0
                                              for k in Totals.__dataclass_fields__):
            raise InvalidInput(N_("The terminal's totals must be whole numbers (counts and cents)."))
        return Totals(**{k: given.get(k, 0) for k in Totals.__dataclass_fields__})
    if TOTALS not in terminal.capabilities:
        raise Conflict(N_("This terminal cannot report its totals: enter the totals printed by the "
                          "terminal."))
    try:
        batch = terminal.totals(str(site().config.site["currency"]))
    except HardwareError as error:
        raise Conflict(N_("The terminal did not answer: %(error)s"), error=str(error)) from None
    return Totals(batch.debit_count, batch.debit_minor, batch.refund_count, batch.refund_minor,
                  batch.void_count, batch.void_minor)


@bp.get("/api/payments/exceptions")
@require_user("supervisor")
def day_exceptions() -> Any:
    day = request.args.get("day") or site().today()
    with site().store.reading() as db:
        return jsonify({"day": day, "exceptions": reconciliation.exceptions(db, day)})


@bp.post("/api/payments/exceptions/<int:exception_id>/resolve")
@require_user("supervisor")
def resolve_exception(exception_id: int) -> Any:
    note = _note(json_body(), required=True)
    with site().change() as (db, events):
        events.append(reconciliation.resolve(db, exception_id, note, _actor()))
    return jsonify({"resolved": exception_id})
