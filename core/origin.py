"""Same-origin rules: a page of another origin (another port of this host, a sibling subdomain, any other
site) must not act with the cookie of an agent, a supervisor or an enrolled kiosk. docs/security.md.

The site's own origins are the one a request was addressed to (scheme and Host as the server sees them, after
the proxy's X-Forwarded-* headers only when `server.proxy_hops` says a proxy is in front) and the origin of
`server.public_url`. The same test guards HTTP requests (core/web_security.py) and Socket.IO connections
(python-engineio's handshake, and each namespace's connect for the test client, which skips the handshake).

Not a domain module: part of the composition root with core/app.py and core/web.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str | None:
    """`scheme://host[:port]` of an absolute http(s) URL, lower case, default port left out; None for
    anything else (`null`, a relative path, garbage), which therefore never matches."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != DEFAULT_PORTS[parts.scheme] else "")


def site_origins(environ: Mapping[str, Any], public_url: str) -> set[str]:
    """The origins a page of this site has: the request's own, and `server.public_url`'s."""
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME', '')}:{environ.get('SERVER_PORT', '')}"
    own = origin_of(f"{environ.get('wsgi.url_scheme', 'http')}://{host}")
    configured = origin_of(public_url) if public_url else None
    return {origin for origin in (own, configured) if origin}


def same_origin(source: str, environ: Mapping[str, Any], public_url: str) -> bool:
    """Whether `source` (an Origin header, or a Referer URL) is one of the site's origins."""
    origin = origin_of(source)
    return origin is not None and origin in site_origins(environ, public_url)


def request_source(environ: Mapping[str, Any]) -> str | None:
    """Where a request says it comes from: its Origin header, else its Referer; None when it says neither
    (a non-browser client, or a browser told to send no Referer)."""
    return environ.get("HTTP_ORIGIN") or environ.get("HTTP_REFERER") or None


def socket_origin_check(public_url: str):  # type: ignore[no-untyped-def]
    """python-engineio's `cors_allowed_origins` as a callable: a connection whose Origin is not the site's is
    refused at the handshake. (engineio's `[]` would switch the check off altogether, whatever its name
    suggests; a client that sends no Origin, which no browser does, is let through to the namespace's own
    authentication.)"""

    def allowed(origin: str | None, environ: Mapping[str, Any]) -> bool:
        return origin is None or same_origin(origin, environ, public_url)

    return allowed


def socket_allowed(environ: Mapping[str, Any], public_url: str) -> bool:
    """For a namespace's connect: the handshake's Origin (if any) is the site's."""
    origin = environ.get("HTTP_ORIGIN")
    return not origin or same_origin(origin, environ, public_url)
