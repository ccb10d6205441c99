"""The floor: what every surface of the site shares — printing tickets and receipts, the card terminals and
the recovery of their payments, the list of enrolled kiosks. Kiosk, counter and display import this layer and
`core/`, never each other; this layer may drive `hardware/` but knows no page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from flask import Flask

from core import payments
from core.clock import now
from core.devices import list_devices
from core.payments import Payment
from core.site import IssuedTicket, Site
from floor.card_payments import paid_issued_ticket
from floor.printing import PrintService
from floor.receipt_layout import layout_receipt
from floor.terminals import TerminalService
from floor.ticket_layout import layout_ticket
from hardware.printer import Ticket

STALE_PAYMENT_MINUTES = 5


def init_floor(app: Flask, site: Site, start_devices: bool = True) -> None:
    """The printers and card terminals of every enrolled kiosk; payments a crash left unknown are settled
    before any kiosk takes a new one."""
    translate = translator(app)
    printing = PrintService(site, lambda issued: ticket_and_receipt(site, issued, translate), start_devices,
                            lambda reference: receipt_alone(site, reference, translate))
    app.extensions["dour.printer"] = printing
    terminals = TerminalService(site, lambda payment: print_paid(printing, site, payment), start_devices)
    app.extensions["dour.terminals"] = terminals
    if start_devices:
        kiosks = enrolled_kiosks(site)
        for kiosk in kiosks:
            printing.printer(kiosk)  # polls its health from the start, before the first visitor
        terminals.recover_all(kiosks)


def ticket_and_receipt(site: Site, issued: IssuedTicket, translate: Callable[[str, str], str]) -> Ticket:
    """The printed job: the ticket, and under it the receipt when the ticket was paid for at the kiosk."""
    ticket = layout_ticket(site, issued, translate)
    payment = site.ticket_payment(issued.ticket.id)
    if payment is None or payment.state != "approved":
        return ticket
    return Ticket([*ticket.blocks, *layout_receipt(site, payment, translate)])


def receipt_alone(site: Site, reference: str, translate: Callable[[str, str], str]) -> Ticket:
    """The printed job of a payment made after its ticket was printed (an appointment's fees): the receipt."""
    with site.store.reading() as db:
        payment = payments.get(db, reference)
    return Ticket(layout_receipt(site, payment, translate))


def print_paid(printing: PrintService, site: Site, payment: Payment) -> None:
    """Print the ticket and its receipt of a payment approved while its visitor is still at the kiosk, or
    the receipt alone when the ticket was printed before (an appointment's fees paid after check-in); one
    recovered long after (a restart) is not printed to nobody: staff reprint it if the visitor comes."""
    if payment.kiosk and payment.ticket_id and not stale(payment.created_at):
        issued = site.ticket_view(payment.ticket_id)
        actor = f"payment:{payment.reference}"
        if paid_issued_ticket(payment, issued.ticket):
            printing.submit(payment.kiosk, issued, actor=actor)
        else:
            printing.submit_receipt(payment.kiosk, payment.reference, actor=actor)


def stale(created_at: str, minutes: int = STALE_PAYMENT_MINUTES) -> bool:
    return datetime.fromisoformat(created_at.replace("Z", "+00:00")) < now() - timedelta(minutes=minutes)


def enrolled_kiosks(site: Site) -> list[str]:
    with site.store.reading() as db:
        return [d["name"] for d in list_devices(db) if d["kind"] == "kiosk" and not d["revoked_at"]]


def translator(app: Flask) -> Callable[[str, str], str]:
    """Translate outside a request (the printer's worker thread), in the ticket's language."""
    from flask_babel import force_locale, gettext

    def translate(lang: str, message: str) -> str:
        with app.app_context(), force_locale(lang):
            return str(gettext(message))

    return translate
