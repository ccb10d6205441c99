"""The HTTP side of the site's defences, installed once by create_app: same-origin state changes, response
headers (CSP and friends), the request body limit, JSON that cannot crash a handler, path integers SQLite
can store, and the reverse proxy's headers when one is configured. docs/security.md says why each is there.

Not a domain module: part of the composition root with core/app.py and core/web.py.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from core.config import SiteConfig
from core.errors import N_, DourError, Forbidden
from core.origin import request_source, same_origin
from core.web import bearer_token, current_device, error_response

MAX_BODY_BYTES = 1024 * 1024  # the largest legitimate body (a reconciliation, a note) is under 2 KB
SQLITE_MAX_INT = 2**63 - 1
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SECURITY_HEADERS = {
    # No inline script or style anywhere: the pages' settings travel in <script type="application/json">
    # blocks, which are data, never executed.
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
                               "base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers older than CSP 2
}


class CrossSiteRequest(Forbidden):
    code = "cross_site_request"


class BodyTooLarge(DourError):
    status = 413
    code = "body_too_large"


class SiteInt(IntegerConverter):
    """`<int:…>` in a URL, at most what SQLite stores: a larger id is a 404, never an OverflowError."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", SQLITE_MAX_INT)
        super().__init__(map, *args, **kwargs)


class SiteJSON(DefaultJSONProvider):
    """JSON nested deeper than Python's recursion limit is malformed JSON (a 400), not a RecursionError."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return json.loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def install(app: Flask, config: SiteConfig) -> None:
    """Call after make_socketio (the proxy fix must wrap Socket.IO too) and before the blueprints (their
    URL rules take the integer converter when they are registered)."""
    app.url_map.converters["int"] = SiteInt
    app.json = SiteJSON(app)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.config.update(MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
                      SESSION_COOKIE_SECURE=bool(config.server["secure_cookies"]))
    hops = int(config.server["proxy_hops"])
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops,  # type: ignore[method-assign]
                                x_port=hops)
    public_url = config.public_url
    app.before_request(lambda: refuse_cross_site(app, public_url))
    app.after_request(add_security_headers)
    app.register_error_handler(413, lambda _error: error_response(BodyTooLarge(
        N_("The request is too large. Send less data at once."))))


def refuse_cross_site(app: Flask, public_url: str) -> None:
    """A state-changing request must come from a page of this site (Origin, else Referer), unless a bearer
    token authenticates it: a browser never adds a bearer token to another site's request by itself. One
    that says nothing of where it comes from is refused when it carries a session cookie that could act."""
    if request.method not in UNSAFE_METHODS or (bearer_token() and current_device() is not None):
        return
    source = request_source(request.environ)
    if source is None and app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        return  # no cookie, no ambient authority to abuse (a script's login, a kiosk with its token)
    if source is None or not same_origin(source, request.environ, public_url):
        raise CrossSiteRequest(N_("This request did not come from a page of this site and was refused. Open "
                                  "the page from the site's address and try again."))


def add_security_headers(response: Any) -> Any:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
