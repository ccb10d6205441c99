"""Revocation made by the `dour` command (another process) reaches the running server's open connections:
real python-socketio clients against `dour serve` (gevent), closed within a few seconds, hearing nothing
more. And the websocket handshake from another origin is refused by the real server."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
import socketio

pytestmark = pytest.mark.system
CLOSED_WITHIN = 5.0  # the watcher looks every second


def wait_for(condition: Callable[[], bool], timeout: float = CLOSED_WITHIN) -> bool:
    limit = time.monotonic() + timeout
    while time.monotonic() < limit:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def issue(server: Any, dour: Any) -> None:
    kiosk = dour.kiosk_session(server)
    kiosk.post(f"{server.url}/api/kiosk/tickets", json={"service": "passport"}, timeout=10).raise_for_status()


def agent_socket(server: Any, http: requests.Session) -> tuple[socketio.Client, list[str]]:
    heard: list[str] = []
    client = socketio.Client(reconnection=False)
    client.on("event", lambda payload: heard.append(str(payload["type"])), namespace="/counter")
    cookie = "; ".join(f"{name}={value}" for name, value in http.cookies.items())
    client.connect(server.url, namespaces=["/counter"], transports=["websocket"], headers={"Cookie": cookie},
                   wait_timeout=10)
    return client, heard


def test_a_display_revoked_by_the_cli_is_disconnected_and_hears_nothing(server: Any, displays: Any,
                                                                        dour: Any) -> None:
    display = displays(last_seq=0)
    assert display.sio.connected
    server.cli("device", "revoke", "display1")
    assert wait_for(lambda: not display.sio.connected)
    heard = len(display.events)
    issue(server, dour)
    time.sleep(0.5)
    assert len(display.events) == heard


@pytest.mark.parametrize("command", [("user", "disable", "agent1"), "logout"])
def test_an_agent_disabled_by_the_cli_or_logged_out_is_disconnected(server: Any, dour: Any, command) -> None:
    http = dour.agent_session(server)
    client, heard = agent_socket(server, http)
    issue(server, dour)
    assert wait_for(lambda: heard == ["ticket.issued"])
    if command == "logout":
        http.post(f"{server.url}/api/auth/logout", timeout=10).raise_for_status()
    else:
        server.cli(*command)
    assert wait_for(lambda: not client.connected)
    issue(server, dour)
    time.sleep(0.5)
    assert heard == ["ticket.issued"]


def test_the_real_server_refuses_a_socket_from_another_origin(server: Any) -> None:
    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(server.url, namespaces=["/display"], transports=["polling"],
                       headers={"Origin": "http://evil.example"}, auth={"token": server.display_token},
                       wait_timeout=5)
    same_site = socketio.Client(reconnection=False)
    same_site.connect(server.url, namespaces=["/display"], transports=["polling"],
                      headers={"Origin": server.url}, auth={"token": server.display_token}, wait_timeout=5)
    assert same_site.connected
    same_site.disconnect()
