"""Who may read `/metrics`: a monitoring host on `server.metrics_allow`, or anyone with the bearer token of
`server.metrics_token_file` (or `DOUR_METRICS_TOKEN`). Nobody else on the LAN: the figures tell how busy the
consulate is, which devices fail, and how far the link with the central lags.

A request forwarded by a proxy the server was not told about (`server.proxy_hops = 0` yet an
X-Forwarded-For, Forwarded or X-Real-IP header) is never trusted by its address: an nginx on the same machine
would otherwise make every LAN client look like the loopback.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from core.config import SiteConfig

log = logging.getLogger(__name__)
TOKEN_VARIABLE = "DOUR_METRICS_TOKEN"
FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")
MIN_TOKEN_LENGTH = 16
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class MetricsAccess:
    allowed: tuple[Network, ...]
    token: str | None
    behind_proxy: bool  # server.proxy_hops > 0: REMOTE_ADDR is the proxy fix's client address

    @classmethod
    def from_config(cls, config: SiteConfig, env: Mapping[str, str]) -> MetricsAccess:
        """Refuses (ValueError) an allow-list entry that is not an address or a network."""
        allowed = []
        for entry in config.server["metrics_allow"]:
            try:
                allowed.append(ipaddress.ip_network(str(entry).strip(), strict=False))
            except ValueError:
                raise ValueError(f"server.metrics_allow: {entry!r} is not an IP address or network") from None
        return cls(tuple(allowed), _token(str(config.server["metrics_token_file"]), env),
                   int(config.server["proxy_hops"]) > 0)

    def admits(self, environ: Mapping[str, object], authorization: str) -> bool:
        if self.token and authorization.startswith("Bearer "):
            return hmac.compare_digest(authorization[7:].strip().encode(), self.token.encode())
        return self._address_allowed(environ)

    def _address_allowed(self, environ: Mapping[str, object]) -> bool:
        if not self.behind_proxy and any(environ.get(header) for header in FORWARDING_HEADERS):
            return False
        try:
            address = ipaddress.ip_address(str(environ.get("REMOTE_ADDR") or ""))
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self.allowed)


def _token(path: str, env: Mapping[str, str]) -> str | None:
    """$DOUR_METRICS_TOKEN, else the file's first line. An unreadable file leaves the allow list only: the
    site must start even when its monitoring is misconfigured (logged as an error)."""
    token = env.get(TOKEN_VARIABLE, "").strip()
    if not token and path:
        try:
            token = Path(path).read_text(encoding="utf-8").strip()
        except OSError as error:
            log.error("cannot read server.metrics_token_file %s (%s): /metrics admits by address only",
                      path, error.strerror)
    if token and len(token) < MIN_TOKEN_LENGTH:
        log.warning("the metrics token is shorter than %d characters: use a random one", MIN_TOKEN_LENGTH)
    return token or None
