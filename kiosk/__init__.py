"""The visitor's touchscreen: language → service or pickup → ticket (printed and on screen)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from core.site import Site


def init_kiosk(app: Flask, site: Site, start_devices: bool = True) -> None:
    from kiosk.printing import TicketPrinter
    from kiosk.routes import bp

    app.register_blueprint(bp)
    uri = str(site.config.devices.get("printer", "")) if start_devices else ""
    app.extensions["dour.printer"] = TicketPrinter.from_uri(uri, site, translator(app))


def translator(app: Flask) -> Callable[[str, str], str]:
    """Translate outside a request (the printer's worker thread), in the ticket's language."""
    from flask_babel import force_locale, gettext

    def translate(lang: str, message: str) -> str:
        with app.app_context(), force_locale(lang):
            return str(gettext(message))

    return translate
