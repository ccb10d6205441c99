"""The composition root: create_app wires the store, the site, Flask-SocketIO, the surfaces and devices."""

from __future__ import annotations

import logging
import secrets
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, render_template, request, send_from_directory
from flask_babel import Babel
from werkzeug.exceptions import HTTPException

from core import config as site_config
from core import revocation, site_names, web_security
from core.bus import Bus
from core.errors import DourError
from core.forecasts import ForecastRefresher
from core.journal import Event
from core.publisher import EXTENSION as PUBLISHER
from core.publisher import SITE_EVENTS, JournalPublisher, redis_prefix
from core.realtime import broadcaster, make_socketio, socketio_of
from core.serve import async_mode
from core.site import Site
from core.store import Store
from core.web import RTL_LANGUAGES, SessionCookies, error_response, page_language, select_locale

log = logging.getLogger(__name__)
VENDOR_DIR = Path(__file__).resolve().parent.parent / "node_modules" / "socket.io-client" / "dist"


def _secret_key(store: Store) -> str:
    """A per-site random key, created once and kept in the database (never a constant in the code)."""
    with store.write() as db:
        row = db.execute("SELECT value FROM settings WHERE key = 'secret_key'").fetchone()
        if row:
            return str(row[0])
        key = secrets.token_urlsafe(48)
        db.execute("INSERT INTO settings VALUES ('secret_key', ?)", [key])
        return key


def create_app(
    config: site_config.SiteConfig | None = None, database: str | None = None, start_devices: bool = True
) -> Flask:
    config = config or site_config.load()
    store = Store(database or str(config.server["database"]))
    site = Site(config, store, Bus())
    app = Flask(__name__, template_folder="templates", static_folder="static")
    app.config.update(
        SECRET_KEY=_secret_key(store),
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).resolve().parent / "translations"),
        BABEL_DEFAULT_LOCALE=config.site["default_language"],
        JSON_AS_ASCII=False,
    )
    app.extensions["dour.site"] = site
    app.session_interface = SessionCookies()
    Babel(app, locale_selector=select_locale)
    queue = str(config.server["message_queue"])
    make_socketio(app, async_mode(), config.public_url, queue, f"{redis_prefix(config.site_id)}:socketio")
    web_security.install(app, config)
    _watch_revocations(app, store, config.session_lifetime, start_devices)
    # What is said once per site (the event log): with several processes, only the publisher's lease holder.
    app.extensions[SITE_EVENTS] = Bus() if queue else site.bus
    _register_surfaces(app, site, start_devices)
    _register_errors(app)
    _publish_journal(app, site, queue, start_devices)
    _follow_journal(app, site, start_devices)
    _warn_simulated(site.config)
    if not (VENDOR_DIR / "socket.io.min.js").exists():
        log.error("the Socket.IO browser client is missing (%s): live pages will not work; run `make venv`",
                  VENDOR_DIR)
    return app


def _warn_simulated(config: site_config.SiteConfig) -> None:
    """A real site must not run on simulators by mistake: a simulated terminal "approves" without charging."""
    simulated = sorted(kind for kind in ("printer", "scanner", "card_reader", "payment")
                       if str(config.devices.get(kind, "")).startswith("sim://"))
    if simulated:
        log.warning("devices simulated (sim://), for demos and tests only: %s", ", ".join(simulated))


DEVICE_SERVICES = ("dour.printer", "dour.terminals", "dour.badges", "dour.scanners", "dour.follower",
                   "dour.publisher", "dour.sync_watcher", "dour.revocation", "dour.forecast")
FOLLOW_SECONDS = 0.5


def close_devices(app: Flask) -> None:
    """Stop every device service the app started (printers, terminals, readers, scanners, eTimbre)."""
    for name in DEVICE_SERVICES:
        service = app.extensions.get(name)
        stop = getattr(service, "close", None) or getattr(service, "stop", None)
        if stop is not None:
            stop()


class JournalFollower:
    """Publishes on this process's bus what other processes write in the journal (the sync worker's eTimbre
    numbers, cancellations after check-in, no-shows), in seq order with this process's own events
    (Site.follow_journal): the shared SQLite journal is the hand-over between processes, no message broker
    needed. docs/sync.md. With several server processes the screens hear the journal from the
    JournalPublisher instead, and the event log from its lease holder; the bus still feeds this process's
    waiting-time forecasts."""

    def __init__(self, site: Site, interval: float = FOLLOW_SECONDS) -> None:
        self.site, self.interval = site, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="journal-follower", daemon=True)

    def start(self) -> JournalFollower:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.site.follow_journal()
            except Exception:  # noqa: BLE001 - a locked database now is fine at the next turn
                log.exception("journal follower")


def _publish_journal(app: Flask, site: Site, message_queue: str, start: bool) -> None:
    """How journal events reach the screens. One process: this process's bus, right after each commit.
    With a message queue (several processes): the one process holding the publisher lease emits the journal
    for all (core/publisher.py), then hands each event to the site-wide bus (the event log); every process
    nudges it after its own commits."""
    broadcast = broadcaster(socketio_of(app), site)
    if not message_queue:
        site.bus.subscribe(broadcast)
        return
    import redis  # only a site with several processes needs it

    site_events: Bus = app.extensions[SITE_EVENTS]

    def emit(event: Event) -> None:
        broadcast(event)  # raises when Redis is gone: the publisher tries the event again, logs it once
        site_events.publish([event])

    publisher = JournalPublisher(site, redis.Redis.from_url(message_queue), emit)
    site.on_commit = publisher.nudge
    if start:
        app.extensions[PUBLISHER] = publisher.start()


def stop_publishing(app: Flask) -> None:
    """Hand the publisher lease over (a worker's graceful exit): another process emits from the cursor on."""
    publisher = app.extensions.get(PUBLISHER)
    if publisher is not None:
        publisher.stop()


def _follow_journal(app: Flask, site: Site, start: bool) -> None:
    if start:
        app.extensions["dour.follower"] = JournalFollower(site).start()
        # Waiting-time ranges, recomputed in the background as the queue changes (core/forecasts.py).
        app.extensions["dour.forecast"] = ForecastRefresher(site.forecasts, site.bus).start()


def _watch_revocations(app: Flask, store: Store, session_lifetime: timedelta, start: bool) -> None:
    """Live connections of revoked devices and ended sessions are closed (core/revocation.py)."""
    socketio = socketio_of(app)
    live = app.extensions[revocation.EXTENSION] = revocation.LiveConnections(
        store, lambda sid, namespace: socketio.server.disconnect(sid, namespace=namespace),
        session_lifetime)
    if start:
        app.extensions["dour.revocation"] = revocation.RevocationWatcher(live).start()


def _register_surfaces(app: Flask, site: Site, start_devices: bool) -> None:
    from counter import init_counter
    from display import init_display
    from floor import init_floor
    from kiosk import init_kiosk
    from ops import init_ops

    init_ops(app, site)  # first, so the event log hears the devices' first reports: docs/monitoring.md
    init_floor(app, site, start_devices)
    init_kiosk(app, site, start_devices)
    init_counter(app, site, start_devices)
    init_display(app, site)

    @app.context_processor
    def template_language() -> dict[str, Any]:
        """Any page can set `<html lang dir>` to the language Flask-Babel renders it in."""
        return {"page_language": page_language, "rtl_languages": RTL_LANGUAGES}

    @app.template_global("site_name")
    def localized_site_name() -> str:
        """The site's name in the page's language (`site.names`, else `site.name`): `{{ site_name() }}`."""
        return site_names.site_name(site.config.site, page_language())

    @app.get("/")
    def index() -> Any:
        return render_template("index.html", site=site.config.site)

    @app.get("/static/vendor/socket.io.min.js")
    def socketio_client() -> Any:
        """The pinned Socket.IO browser client, installed from the npm registry by the Makefile."""
        return send_from_directory(VENDOR_DIR, "socket.io.min.js", mimetype="text/javascript")

    @app.get("/favicon.ico")
    def favicon() -> Any:
        """Browsers ask for it on every page; an SVG icon rather than a 404 in every log."""
        return send_from_directory(Path(__file__).resolve().parent / "static", "favicon.svg",
                                   mimetype="image/svg+xml", max_age=86400)

    @app.get("/api/health")
    def health() -> Any:
        return jsonify({"status": "ok", "site": site.config.site_id, "seq": site.last_seq()})


def _register_errors(app: Flask) -> None:
    @app.errorhandler(DourError)
    def dour_error(error: DourError) -> Any:
        return error_response(error)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        if request.path.startswith("/api/"):
            return jsonify({"error": error.name.lower().replace(" ", "_"), "message": error.description}), \
                error.code
        return error

