"""Flask-SocketIO, one server per app (tests build many apps), and the post-commit broadcast."""

from __future__ import annotations

from typing import cast

from flask import Flask
from flask_socketio import SocketIO

from core.journal import Event
from core.origin import socket_origin_check
from core.site import Site

NAMESPACES = ("/display", "/counter")
# What a waiting-room screen may hear: calls and counters. Payments, appointments (booking references) and
# device events are for staff only.
DISPLAY_EVENT_PREFIXES = ("ticket.", "counter.")


def shown_on(namespace: str, event: Event) -> bool:
    return namespace != "/display" or event.type.startswith(DISPLAY_EVENT_PREFIXES)


def make_socketio(app: Flask, async_mode: str, public_url: str) -> SocketIO:
    """`gevent` under gunicorn's gevent worker, `threading` elsewhere (gthread worker, tests). Only pages of
    this site may connect (core/origin.py): python-engineio's `cors_allowed_origins=[]` would switch its
    Origin check off."""
    return SocketIO(app, async_mode=async_mode, cors_allowed_origins=socket_origin_check(public_url),
                    manage_session=False)


def socketio_of(app: Flask) -> SocketIO:
    return cast(SocketIO, app.extensions["socketio"])


def broadcaster(socketio: SocketIO, site: Site):  # type: ignore[no-untyped-def]
    """A bus subscriber: every screen namespace gets each event with its seq and fresh waiting counts."""

    def broadcast(event: Event) -> None:
        payload = {**event.to_dict(), "waiting": site.waiting_counts()}
        for namespace in NAMESPACES:
            if shown_on(namespace, event):
                socketio.emit("event", payload, namespace=namespace)

    return broadcast
