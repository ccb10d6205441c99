"""The visitor's touchscreen: language → service or pickup → ticket (printed and on screen)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from flask import Flask

from core.clock import now
from core.devices import list_devices
from core.payments import Payment
from core.site import IssuedTicket, Site
from hardware.printer import Ticket

if TYPE_CHECKING:
    from kiosk.printing import PrintService

STALE_PAYMENT_MINUTES = 5


def init_kiosk(app: Flask, site: Site, start_devices: bool = True) -> None:
    from kiosk.printing import PrintService
    from kiosk.routes import bp

    app.register_blueprint(bp)
    translate = translator(app)
    printing = PrintService(site, lambda issued: ticket_and_receipt(site, issued, translate), start_devices,
                            lambda reference: receipt_alone(site, reference, translate))
    app.extensions["dour.printer"] = printing
    if start_devices:
        for kiosk in enrolled_kiosks(site):
            printing.printer(kiosk)  # polls its health from the start, before the first visitor
    init_payments(app, site, printing, start_devices)
    init_scanning(app, site, start_devices)


def ticket_and_receipt(site: Site, issued: IssuedTicket, translate: Callable[[str, str], str]) -> Ticket:
    """The printed job: the ticket, and under it the receipt when the ticket was paid for at the kiosk."""
    from kiosk.receipt_layout import layout_receipt
    from kiosk.ticket_layout import layout_ticket

    ticket = layout_ticket(site, issued, translate)
    payment = site.ticket_payment(issued.ticket.id)
    if payment is None or payment.state != "approved":
        return ticket
    return Ticket([*ticket.blocks, *layout_receipt(site, payment, translate)])


def receipt_alone(site: Site, reference: str, translate: Callable[[str, str], str]) -> Ticket:
    """The printed job of a payment made after its ticket was printed (an appointment's fees): the receipt."""
    from core import payments
    from kiosk.receipt_layout import layout_receipt

    with site.store.reading() as db:
        payment = payments.get(db, reference)
    return Ticket(layout_receipt(site, payment, translate))


def init_payments(app: Flask, site: Site, printing: PrintService, start_devices: bool) -> None:
    """Card terminals: settle what a crash left unknown before any kiosk takes a payment."""
    from kiosk.payment_routes import bp as payments_bp
    from kiosk.terminals import TerminalService

    app.register_blueprint(payments_bp)
    terminals = TerminalService(site, lambda payment: print_paid(printing, site, payment), start_devices)
    app.extensions["dour.terminals"] = terminals
    if start_devices:
        terminals.recover_all(enrolled_kiosks(site))


def print_paid(printing: PrintService, site: Site, payment: Payment) -> None:
    """Print the ticket and its receipt of a payment approved while its visitor is still at the kiosk, or
    the receipt alone when the ticket was printed before (an appointment's fees paid after check-in); one
    recovered long after (a restart) is not printed to nobody: staff reprint it if the visitor comes."""
    from kiosk.payments import paid_issued_ticket

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


def init_scanning(app: Flask, site: Site, start_devices: bool) -> None:
    """QR scanners: each kiosk's server-side scanner, the `/kiosk` namespace, the page's wedge route."""
    from core import checkin
    from core.realtime import socketio_of
    from core.scans import register_verifier
    from kiosk.scan_routes import bp as scans_bp
    from kiosk.scan_routes import scanner_settings
    from kiosk.scanning import NAMESPACE, ScannerService
    from kiosk.socket import KioskNamespace

    register_verifier(checkin.KIND, checkin.verify_code)
    app.register_blueprint(scans_bp)
    app.add_template_global(scanner_settings)
    scanners = ScannerService(app, site, start_devices)
    app.extensions["dour.scanners"] = scanners
    socketio_of(app).on_namespace(KioskNamespace(NAMESPACE, site, scanners))
    scanners.start(enrolled_kiosks(site) if start_devices else [])


def translator(app: Flask) -> Callable[[str, str], str]:
    """Translate outside a request (the printer's worker thread), in the ticket's language."""
    from flask_babel import force_locale, gettext

    def translate(lang: str, message: str) -> str:
        with app.app_context(), force_locale(lang):
            return str(gettext(message))

    return translate
