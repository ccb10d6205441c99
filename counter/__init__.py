"""The agent's desk: log in, open a counter, call next, recall, start, finish, no-show, transfer."""

from __future__ import annotations

from flask import Flask

from core.realtime import socketio_of
from core.site import Site

CLIENT_LOGIN_FAILURES = 20  # failed password logins from one address in 5 minutes (docs/security.md)


def init_counter(app: Flask, site: Site, start_devices: bool = True) -> None:
    from core.throttle import LoginThrottle
    from counter.badge_login import init_badges
    from counter.central_control import bp as central_control_bp
    from counter.device_control import bp as device_control_bp
    from counter.devices import bp as devices_bp
    from counter.payments import bp as payments_bp
    from counter.reports import bp as reports_bp
    from counter.routes import bp
    from counter.socket import CounterNamespace, init_staffing_push
    from counter.supervisor import bp as supervisor_bp
    from counter.sync_watcher import init_sync_watcher

    app.register_blueprint(bp)
    app.register_blueprint(supervisor_bp)
    app.register_blueprint(devices_bp)
    app.register_blueprint(payments_bp)
    app.register_blueprint(device_control_bp)
    app.register_blueprint(central_control_bp)
    app.register_blueprint(reports_bp)
    app.extensions["dour.login_throttle"] = LoginThrottle()  # per user name
    app.extensions["dour.client_throttle"] = LoginThrottle(limit=CLIENT_LOGIN_FAILURES)  # per address
    socketio_of(app).on_namespace(CounterNamespace("/counter", site))
    init_badges(app, site, start_devices)  # each desk's badge reader (start_devices: open them now)
    init_sync_watcher(app, site, start_devices)  # the supervisors' live link with eConsulat
    init_staffing_push(app, site)  # the supervisors' staffing advice, live (core/staffing.py)
