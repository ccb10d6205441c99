"""Chromium, an agent logged in, and a page of another origin on the same host (another loopback port: the
same *site* for SameSite cookies, so the browser does send the agent's cookie) that tries to call the next
ticket and to open the agent's live connection. Both are refused; the site's own page goes on working."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

pytestmark = pytest.mark.browser

EVIL_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Totally harmless</title>
<script src="{site}/static/vendor/socket.io.min.js"></script></head>
<body><p>Nothing to see here.</p>
<script>
window.outcome = {{}};
fetch("{site}/api/counter/next", {{method: "POST", credentials: "include", mode: "no-cors"}})
  .then(() => {{ window.outcome.fetch = "sent"; }}, () => {{ window.outcome.fetch = "failed"; }});
const options = {{transports: ["websocket"], withCredentials: true, reconnection: false}};
const socket = io("{site}/counter", options);
socket.on("connect", () => {{ window.outcome.socket = "connected"; }});
socket.on("snapshot", () => {{ window.outcome.snapshot = true; }});
socket.on("connect_error", () => {{ window.outcome.socket = "refused"; }});
</script></body></html>
"""


@pytest.fixture
def evil_origin(server: Any, tmp_path: Path) -> Iterator[str]:
    """A tiny HTTP server on another loopback port, serving the attacker's page."""
    (tmp_path / "evil.html").write_text(EVIL_PAGE.format(site=server.url), encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def waiting_numbers(server: Any) -> list[str]:
    answer = requests.get(f"{server.url}/api/display/snapshot", timeout=10,
                          headers={"Authorization": f"Bearer {server.display_token}"})
    return [str(call["number"]) for call in answer.json()["recent"]]


def test_another_origin_cannot_call_or_listen_with_the_agents_cookie(server: Any, dour: Any, browser: Any,
                                                                     evil_origin: str, output_dir: Path):
    kiosk = dour.kiosk_session(server)
    kiosk.post(f"{server.url}/api/kiosk/tickets", json={"service": "passport"}, timeout=10).raise_for_status()
    context = browser.new_context()
    desk = dour.open_counter_page(context.new_page(), server)  # agent1 logged in, counter 1 open
    seq = dour.health_seq(server)

    evil = context.new_page()
    evil.goto(f"{evil_origin}/evil.html")
    evil.wait_for_function("() => window.outcome.fetch && window.outcome.socket", timeout=15_000)
    outcome = evil.evaluate("window.outcome")
    evil.screenshot(path=str(output_dir / "evil-page.png"))

    called = dour.health_seq(server) != seq or waiting_numbers(server) != []
    assert (outcome["socket"], "snapshot" in outcome, called) == ("refused", False, False), outcome
    desk.get_by_test_id("btn-next").click()  # the agent's own page still works with the same cookie
    desk.wait_for_function("() => document.querySelector('[data-testid=current-number]').textContent"
                           ".includes('A-001')")
    assert dour.health_seq(server) > seq
    context.close()


def test_no_page_breaks_the_content_security_policy(server: Any, dour: Any, browser: Any) -> None:
    """Every page, under the site's Content-Security-Policy (no inline script or style): Chromium reports no
    violation while each loads and starts its scripts."""
    server.add_user("boss", "supervisor-password-1", "supervisor")
    kiosk = dour.kiosk_session(server)
    ticket = kiosk.post(f"{server.url}/api/kiosk/tickets", json={"service": "passport"}, timeout=10).json()
    violations: list[str] = []
    staff = browser.new_context()
    screen = browser.new_context()
    for context in (staff, screen):
        context.on("console", lambda message: violations.append(message.text)
                   if "Content Security Policy" in message.text else None)
    login = staff.new_page()
    login.goto(f"{server.url}/login")
    login.get_by_test_id("username").fill("boss")
    login.get_by_test_id("password").fill("supervisor-password-1")
    login.get_by_test_id("login-submit").click()
    login.wait_for_url("**/counter**")
    for path in ("/counter", "/supervisor", "/supervisor/payments", "/devices/control", "/",
                 f"/t/{ticket['ticket']['id']}"):
        page = staff.new_page()
        page.goto(f"{server.url}{path}")
        page.wait_for_load_state("networkidle")
    for path in (f"/enrol?token={server.kiosk_token}&next=/kiosk?lang=ar", "/kiosk",
                 f"/enrol?token={server.display_token}&next=/display"):
        page = screen.new_page()
        page.goto(f"{server.url}{path}")
        page.wait_for_load_state("networkidle")
    assert violations == []
