"""The visitor's touchscreen: language → service or pickup → ticket (printed and on screen)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from core.devices import list_devices
from core.site import Site


def init_kiosk(app: Flask, site: Site, start_devices: bool = True) -> None:
    from kiosk.printing import PrintService
    from kiosk.routes import bp
    from kiosk.ticket_layout import layout_ticket

    app.register_blueprint(bp)
    translate = translator(app)
    printing = PrintService(site, lambda issued: layout_ticket(site, issued, translate), start_devices)
    app.extensions["dour.printer"] = printing
    if start_devices:
        for kiosk in enrolled_kiosks(site):
            printing.printer(kiosk)  # polls its health from the start, before the first visitor


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
