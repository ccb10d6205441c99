"""`/kiosk` namespace: an enrolled kiosk's page hears its own scanner, answered in the visitor's language.

The page connects with its enrolment cookie (or `auth.token`) and `auth.lang`; it joins the room of its kiosk
and language. `language {lang}` moves it to another language's room when the visitor changes language.
"""

from __future__ import annotations

from typing import Any

from flask import session
from flask_socketio import Namespace, join_room, leave_room, rooms

from core import devices
from core.site import Site
from kiosk.scanning import ScannerService, room

ROOM_PREFIX = "kiosk:"


class KioskNamespace(Namespace):
    def __init__(self, namespace: str, site: Site, scanners: ScannerService) -> None:
        super().__init__(namespace)
        self.site = site
        self.scanners = scanners

    def on_connect(self, auth: dict[str, Any] | None = None) -> bool:
        """Only an enrolled kiosk; a kiosk enrolled after the server started gets its scanner now."""
        auth = auth if isinstance(auth, dict) else {}
        kiosk = self.kiosk(auth.get("token") or session.get("device_token"))
        if kiosk is None:
            return False
        self.scanners.ensure(kiosk)
        join_room(room(kiosk, self.language(auth.get("lang"))))
        return True

    def on_language(self, data: dict[str, Any] | None = None) -> None:
        """`language {lang}`: later answers come in `lang` (the site's default for a language it lacks)."""
        lang = self.language(data.get("lang") if isinstance(data, dict) else None)
        for joined in rooms():
            if joined.startswith(ROOM_PREFIX):
                kiosk = joined[len(ROOM_PREFIX):].rpartition(":")[0]
                leave_room(joined)
                join_room(room(kiosk, lang))

    def kiosk(self, token: object) -> str | None:
        """The name of the enrolled, unrevoked kiosk holding `token`."""
        device = devices.device_for_token(self.site.store.read(), token) if isinstance(token, str) else None
        return str(device["name"]) if device is not None and device["kind"] == "kiosk" else None

    def language(self, lang: object) -> str:
        site = self.site.config.site
        return lang if isinstance(lang, str) and lang in site["languages"] else str(site["default_language"])
