"""The kiosk's payment API: start a card payment for a service's fees, or for the fees of a ticket issued
before (an appointment checked in), follow it, ask to cancel it.

For a service, the visitor's ticket is issued by the server in the same transaction as the approval
(kiosk/payments.py), so a visitor who paid always has a ticket, even if the kiosk page was closed meanwhile.
For a ticket, the approval issues nothing: the visitor keeps the ticket, and the kiosk prints the receipt.
"""

from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, current_app, jsonify
from flask_babel import gettext

from core import fees, payments
from core.config import Service
from core.errors import N_, Conflict, InvalidInput
from core.payments import Payment
from core.web import current_device, field, json_body, page_language, require_device, site
from floor.card_payments import paid_issued_ticket
from floor.printing import receipt_job
from floor.terminals import TerminalService
from kiosk.routes import MAX_REQUEST_ID, fee_view, print_state, ticket_json, wait_seconds

bp = Blueprint("kiosk_payments", __name__)

OUTCOME_MESSAGES = {
    "pending": N_("Follow the instructions on the payment terminal."),
    "sent": N_("Follow the instructions on the payment terminal."),
    "approved": N_("Payment accepted. Here is your ticket and your receipt."),
    "declined": N_("Your payment was declined. You can try again, or take a ticket and pay at the counter."),
    "abandoned": N_("The payment was cancelled. You can try again, or take a ticket and pay at the counter."),
    "failed": N_("The payment terminal is not working. Please take a ticket and pay at the counter."),
    "unknown": N_("We are checking your payment with the terminal. Please wait: you will not be charged "
                  "twice."),
}
# A payment of a ticket the visitor already holds: the way out is paying at the counter, with that ticket.
TICKET_MESSAGES = {
    "approved": N_("Payment accepted. Here is your receipt."),
    "declined": N_("Your payment was declined. You can try again, or pay at the counter with your ticket."),
    "abandoned": N_("The payment was cancelled. You can try again, or pay at the counter with your ticket."),
    "failed": N_("The payment terminal is not working. Please pay at the counter with your ticket."),
}
CANCEL_ON_TERMINAL = N_("To cancel, press the red key on the payment terminal.")
MISSING = N_("The field %(name)s is missing or has the wrong type.")


def terminals() -> TerminalService:
    return cast(TerminalService, current_app.extensions["dour.terminals"])


def _kiosk() -> str:
    return str((current_device() or {}).get("name"))


@bp.post("/api/kiosk/payments")
@require_device("kiosk")
def start_payment() -> Any:
    """Pay the fees of `service` (the ticket comes at approval), or of the ticket `ticket_id` (an appointment
    checked in), on this kiosk's terminal; the same `request_id` never pays twice."""
    data = json_body()
    ticket_id = field(data, "ticket_id", str, required=False)
    request_id = field(data, "request_id", str)
    priority = field(data, "priority", bool, required=False) or False
    if not 0 < len(request_id) <= MAX_REQUEST_ID:
        raise InvalidInput(MISSING, name="request_id")
    if ticket_id is not None and "service" in data:
        raise InvalidInput(MISSING, name="service")  # one or the other
    service = _ticket_service(ticket_id) if ticket_id is not None else _walk_in_service(data)
    if not service.fees:
        raise Conflict(payments.FREE)
    payment = terminals().require(_kiosk()).start(
        service=service.code, items=[{"code": i.code, "amount_minor": i.amount_minor} for i in service.fees],
        amount_minor=fees.total(service.fees), lang=page_language(), request_key=f"{_kiosk()}:{request_id}",
        actor=f"device:{(current_device() or {}).get('id')}", priority=priority, ticket_id=ticket_id)
    return jsonify(payment_json(payment)), 202


def _walk_in_service(data: dict[str, Any]) -> Service:
    service = site().config.service(field(data, "service", str))
    if "walk_in" not in service.kinds:
        raise InvalidInput(N_("A kiosk issues walk-in or pickup tickets only."))
    site().check_issue(service.code, "walk_in")  # paused, or walk-ins stopped: refused before any payment
    return service


def _ticket_service(ticket_id: str) -> Service:
    """The service of the ticket whose fees are to be paid; the ticket itself is checked when the payment is
    written (core.payments.payable_ticket), after a repeated request_id has found its payment."""
    if not 0 < len(ticket_id) <= MAX_REQUEST_ID:
        raise InvalidInput(MISSING, name="ticket_id")
    return site().config.service(site().ticket_view(ticket_id).ticket.service)


@bp.get("/api/kiosk/payments/<reference>")
@require_device("kiosk")
def follow_payment(reference: str) -> Any:
    """The payment's state, waiting up to `wait` seconds (at most 10) while the terminal has not answered."""
    terminal = terminals().require(_kiosk())
    payment = terminal.outcome(reference, wait_seconds())
    if payment.kiosk != _kiosk():
        raise Conflict(N_("This payment was not made at this kiosk."))
    return jsonify(payment_json(payment))


@bp.post("/api/kiosk/payments/<reference>/cancel")
@require_device("kiosk")
def cancel_payment(reference: str) -> Any:
    """Concert terminals take no cancel from us: the visitor is told to press the red key."""
    terminal = terminals().require(_kiosk())
    payment = terminal.outcome(reference)
    if payment.kiosk != _kiosk():
        raise Conflict(N_("This payment was not made at this kiosk."))
    aborted = not payment.settled and terminal.terminal.abort()
    return jsonify({**payment_json(payment), "aborted": aborted,
                    "cancel_message": "" if aborted else gettext(CANCEL_ON_TERMINAL)})


def _outcome_message(state: str, of_ticket: bool) -> str:
    messages = {**OUTCOME_MESSAGES, **TICKET_MESSAGES} if of_ticket else OUTCOME_MESSAGES
    return gettext(messages[state]) if state in messages else ""


def payment_json(payment: Payment) -> dict[str, Any]:
    """What the kiosk page shows: state, a sentence in the visitor's language, and once approved, the
    ticket (on screen) and the receipt. `print` follows the paper: the ticket with its receipt, or for the
    fees of a ticket printed before (`of_ticket`), the receipt alone."""
    fees_shown = fee_view(str(payment.service), page_language()) if payment.service else None
    data: dict[str, Any] = {"payment": payment.to_dict(), "fees": fees_shown, "of_ticket": False}
    if payment.ticket_id:
        issued = site().ticket_view(payment.ticket_id)
        data["of_ticket"] = not paid_issued_ticket(payment, issued.ticket)
        data["ticket"] = ticket_json(issued)
        if not data["of_ticket"]:
            data["print"] = print_state(_kiosk(), payment.ticket_id)
        elif payment.state == "approved":
            data["print"] = print_state(_kiosk(), receipt_job(payment.reference))
    data["message"] = _outcome_message(payment.state, data["of_ticket"])
    return data
