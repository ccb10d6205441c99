"""The visitor's touchscreen: language → service or pickup → ticket (printed and on screen).

Printing and card terminals are the floor's (`floor/`), shared with the counter; the kiosk adds its pages,
its payment routes and its QR scanners.
"""

from __future__ import annotations

from flask import Flask

from core.site import Site
from floor import enrolled_kiosks


def init_kiosk(app: Flask, site: Site, start_devices: bool = True) -> None:
    from kiosk.assist import assist_settings
    from kiosk.payment_routes import bp as payments_bp
    from kiosk.routes import bp
    from kiosk.speech_routes import bp as speech_bp

    app.register_blueprint(bp)
    app.register_blueprint(payments_bp)
    app.register_blueprint(speech_bp)
    app.add_template_global(assist_settings)
    init_scanning(app, site, start_devices)


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
