"""The supervisor's overview in Chromium updates live when a kiosk issues a ticket."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

CNIE_WAITING = ("n => document.querySelector('#services tr[data-service=cnie] td:nth-child(2)')"
                "?.textContent === n")


def test_overview_updates_live(server: Any, dour: Any, browser: Any, output_dir: Path) -> None:
    server.add_user("boss", "supervisor-password-1", "supervisor")
    kiosk = dour.kiosk_session(server)
    kiosk.post(f"{server.url}/api/kiosk/tickets", json={"service": "cnie"}, timeout=10).raise_for_status()
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(f"{server.url}/login?lang=fr")
    page.get_by_test_id("username").fill("boss")
    page.get_by_test_id("password").fill("supervisor-password-1")
    page.get_by_test_id("login-submit").click()
    page.wait_for_url("**/counter**")
    page.goto(f"{server.url}/supervisor?lang=fr")
    page.wait_for_function(CNIE_WAITING, arg="1")
    kiosk.post(f"{server.url}/api/kiosk/tickets", json={"service": "cnie"}, timeout=10).raise_for_status()
    page.wait_for_function(CNIE_WAITING, arg="2")
    page.screenshot(path=str(output_dir / "supervisor-overview.png"))
