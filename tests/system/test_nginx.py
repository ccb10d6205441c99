"""docs/nginx/dour.conf in front of the real server (tests/system/nginx_proxy.py): TLS and HSTS, the redirect
from port 80, forwarded headers the server trusts (proxy_hops = 1), secure cookies, body limits, /metrics
kept from the LAN, /readyz, and Socket.IO through the proxy over a real websocket (a 101 in nginx's log)
and over long-polling."""

from __future__ import annotations

import http.client
import ssl
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.system.nginx_proxy import HOST, Proxied, bench_harness, proxied_site

pytestmark = pytest.mark.system


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxied]:
    with proxied_site(tmp_path_factory.mktemp("nginx"), bench_harness()) as proxied:
        yield proxied


def https(site: Proxied) -> requests.Session:
    """A browser on the site's pages: trusts the site's authority, says which origin it comes from."""
    session = requests.Session()
    session.trust_env = False  # else $REQUESTS_CA_BUNDLE would replace `verify`
    session.verify = str(site.tls.ca_file)
    session.headers["Origin"] = site.url
    return session


def agent_session(site: Proxied, dour: Any, counter: int) -> requests.Session:
    agent = https(site)
    body = {"username": dour.AGENT, "password": dour.AGENT_PASSWORD}
    assert agent.post(f"{site.url}/api/auth/login", json=body, timeout=10).status_code == 200
    opened = agent.post(f"{site.url}/api/counter/open", json={"counter": counter}, timeout=10)
    assert opened.status_code == 200, opened.text
    return agent


def test_https_answers_with_hsts_and_the_servers_own_headers(site: Proxied) -> None:
    answer = https(site).get(f"{site.url}/healthz", timeout=10)
    assert answer.status_code == 200
    assert answer.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "default-src 'self'" in answer.headers["Content-Security-Policy"]


def test_port_80_redirects_to_https(site: Proxied) -> None:
    answer = requests.get(f"http://{HOST}:{site.nginx.http_port}/kiosk", allow_redirects=False, timeout=10)
    assert answer.status_code == 301
    assert answer.headers["Location"].startswith(f"https://{HOST}") and answer.headers["Location"].endswith(
        "/kiosk")


def test_login_through_the_proxy_sets_a_secure_cookie_and_checks_the_origin(site: Proxied, dour: Any) -> None:
    agent = https(site)
    body = {"username": dour.AGENT, "password": dour.AGENT_PASSWORD}
    answer = agent.post(f"{site.url}/api/auth/login", json=body, timeout=10)
    assert answer.status_code == 200, answer.text
    cookie = answer.headers["Set-Cookie"]
    assert "; Secure" in cookie and "HttpOnly" in cookie, cookie
    assert agent.post(f"{site.url}/api/counter/open", json={"counter": 2}, timeout=10).status_code == 200
    # The same request from the plain-HTTP origin of the same host: another origin, refused.
    agent.headers["Origin"] = f"http://{HOST}:{site.nginx.https_port}"
    refused = agent.post(f"{site.url}/api/counter/close", timeout=10)
    assert refused.status_code == 403 and refused.json()["error"] == "cross_site_request"


def test_bodies_over_the_servers_limit_get_its_answer(site: Proxied) -> None:
    kiosk = https(site)
    kiosk.headers["Authorization"] = f"Bearer {site.kiosk_token}"
    over = kiosk.post(f"{site.url}/api/kiosk/tickets", data=b"x" * (3 * 2**19),  # 1.5 MiB
                      headers={"Content-Type": "application/json"}, timeout=10)
    assert over.status_code == 413 and over.headers["Content-Type"].startswith("application/json"), over.text
    far_over = kiosk.post(f"{site.url}/api/kiosk/tickets", data=b"x" * (3 * 2**20),
                          headers={"Content-Type": "application/json"}, timeout=10)
    assert far_over.status_code == 413 and "nginx" in far_over.text


def test_metrics_only_from_this_machine(site: Proxied) -> None:
    assert https(site).get(f"{site.url}/metrics", timeout=10).status_code == 200
    # Another address of the LAN (here the loopback's 127.0.0.2): refused by nginx itself.
    context = ssl.create_default_context(cafile=str(site.tls.ca_file))
    lan = http.client.HTTPSConnection(HOST, site.nginx.https_port, context=context, timeout=10,
                                      source_address=("127.0.0.2", 0))
    lan.request("GET", "/metrics")
    assert lan.getresponse().status == 403
    lan.close()


def test_readyz_through_the_proxy(site: Proxied) -> None:
    answer = https(site).get(f"{site.url}/readyz", timeout=10)
    assert answer.status_code == 200 and answer.json()["status"] in ("ready", "degraded")


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_a_display_hears_a_call_through_the_proxy(site: Proxied, dour: Any, transport: str) -> None:
    import socketio

    heard: list[dict[str, Any]] = []
    client = socketio.Client(reconnection=False, http_session=https(site))
    client.on("event", heard.append, namespace="/display")
    # The Origin header: the session's for polling, websocket-client's own (the same) for the websocket.
    client.connect(site.url, namespaces=["/display"], transports=[transport], wait_timeout=10,
                   auth={"token": site.display_token, "last_seq": None})
    try:
        assert client.transport() == transport
        kiosk = https(site)
        kiosk.headers["Authorization"] = f"Bearer {site.kiosk_token}"
        issued = kiosk.post(f"{site.url}/api/kiosk/tickets",
                            json={"service": "passport", "request_id": uuid.uuid4().hex}, timeout=10)
        assert issued.status_code == 201, issued.text
        agent = agent_session(site, dour, counter=1)
        called = agent.post(f"{site.url}/api/counter/next", timeout=10)
        assert called.status_code == 200, called.text
        number = issued.json()["ticket"]["number"]
        assert wait(lambda: any(e.get("number") == number for e in heard)), heard
        agent.post(f"{site.url}/api/counter/tickets/{called.json()['ticket']['id']}/no-show", timeout=10)
    finally:
        client.disconnect()
    if transport == "websocket":
        lines = site.nginx.wait_for_log("transport=websocket 101")
        assert any('"GET /socket.io/ HTTP/1.1" transport=websocket 101' in line for line in lines), (
            Path(site.nginx.access_log).read_text())


def wait(predicate: Any, timeout: float = 10.0) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_the_server_sees_the_scheme_host_and_address_nginx_forwards(site: Proxied, dour: Any) -> None:
    """X-Forwarded-Proto and -Host: the server's own origin is https://127.0.0.1 (nginx's $host has no port),
    not the http://127.0.0.1:<its port> it listens on. X-Forwarded-For: a guesser on another address of the
    LAN is locked out after 20 failed logins, and only that address (docs/security.md)."""
    agent = https(site)
    agent.headers["Origin"] = f"https://{HOST}"
    body = {"username": dour.AGENT, "password": dour.AGENT_PASSWORD}
    assert agent.post(f"{site.url}/api/auth/login", json=body, timeout=10).status_code == 200

    statuses = [lan_post(site, "/api/auth/login", {"username": f"guess{i}", "password": "not the password"})
                for i in range(21)]
    assert statuses[:20] == [401] * 20 and statuses[20] == 429, statuses
    assert https(site).post(f"{site.url}/api/auth/login", json=body, timeout=10).status_code == 200


def lan_post(site: Proxied, path: str, body: dict[str, Any]) -> int:
    """A POST from 127.0.0.2, another address of this machine, standing for another PC of the LAN."""
    import json

    context = ssl.create_default_context(cafile=str(site.tls.ca_file))
    lan = http.client.HTTPSConnection(HOST, site.nginx.https_port, context=context, timeout=10,
                                      source_address=("127.0.0.2", 0))
    try:
        lan.request("POST", path, body=json.dumps(body),
                    headers={"Content-Type": "application/json", "Origin": site.url})
        return lan.getresponse().status
    finally:
        lan.close()
