"""`/kiosk` namespace: an enrolled kiosk's page hears its own scanner, answered in the visitor's language.

The page connects with its enrolment cookie (or `auth.token`) and `auth.lang`; it joins the room of its kiosk
and language. `language {lang}` moves it to another language's room when the visitor changes language.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_socketio import Namespace, join_room, leave_room, rooms

from core.origin import socket_allowed
from core.revocation import Holder
from core.screens import device_of
from core.site import Site
from core.web import live_connections, socket_sid
from kiosk.scanning import ScannerService, room

ROOM_PREFIX = "kiosk:"


class KioskNamespace(Namespace):
    def __init__(self, namespace: str, site: Site, scanners: ScannerService) -> None:
        super().__init__(namespace)
        self.site = site
        self.scanners = scanners

    def on_connect(self, auth: dict[str, Any] | None = None) -> bool:
        """Only an enrolled kiosk, from a page of this site; a kiosk enrolled after the server started gets
        its scanner now. What admitted it is remembered: revoking the kiosk closes the connection."""
        auth = auth if isinstance(auth, dict) else {}
        if not socket_allowed(request.environ, self.site.config.public_url):
            return False
        device = device_of(self.site, auth)
        if device is None or device["kind"] != "kiosk":
            return False
        live_connections().hold(self.namespace, socket_sid(), Holder(device_id=int(device["id"])))
        self.scanners.ensure(str(device["name"]))
        join_room(room(str(device["name"]), self.language(auth.get("lang"))))
        return True

    def on_disconnect(self, reason: object = None) -> None:
        live_connections().release(self.namespace, socket_sid())

    def on_language(self, data: dict[str, Any] | None = None) -> None:
        """`language {lang}`: later answers come in `lang` (the site's default for a language it lacks)."""
        lang = self.language(data.get("lang") if isinstance(data, dict) else None)
        for joined in rooms():
            if joined.startswith(ROOM_PREFIX):
                kiosk = joined[len(ROOM_PREFIX):].rpartition(":")[0]
                leave_room(joined)
                join_room(room(kiosk, lang))

    def language(self, lang: object) -> str:
        site = self.site.config.site
        return lang if isinstance(lang, str) and lang in site["languages"] else str(site["default_language"])
