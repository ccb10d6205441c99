"""The waiting-room screen: the current call, the last calls, waiting counts, a clock and a chime."""

from __future__ import annotations

from flask import Flask

from core.realtime import socketio_of
from core.site import Site


def init_display(app: Flask, site: Site) -> None:
    from display.routes import bp
    from display.socket import DisplayNamespace

    app.register_blueprint(bp)
    socketio_of(app).on_namespace(DisplayNamespace("/display", site))
