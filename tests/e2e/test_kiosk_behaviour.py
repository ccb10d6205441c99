"""Kiosk behaviour a visitor relies on, in real Chromium: a double tap gives one ticket; an idle kiosk warns,
then returns to its start page; Arabic pages are right to left."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

pytestmark = pytest.mark.browser


@pytest.fixture
def quick_idle_server(tmp_path: Path, dour: Any) -> Any:
    # The warning shows 3 s after the last touch and stays 5 s: room for a screenshot and a touch on a slow
    # machine before the reset.
    srv = dour.Server(tmp_path, env={"DOUR_POLICY_KIOSK_IDLE_SECONDS": "8",
                                     "DOUR_POLICY_KIOSK_IDLE_WARNING_SECONDS": "5"}).provision()
    srv.start()
    yield srv
    srv.stop()


def kiosk_page(browser: Any, server: Any, lang: str) -> Any:
    page = browser.new_page(viewport={"width": 1080, "height": 1920}, has_touch=True)
    page.goto(f"{server.url}/enrol?token={server.kiosk_token}&next=/kiosk?lang={lang}")
    return page


def test_double_tap_gives_one_ticket(server: Any, browser: Any, output_dir: Path) -> None:
    page = kiosk_page(browser, server, "en")
    page.get_by_test_id("service-registration").dblclick()  # a free service: straight to the ticket
    page.get_by_test_id("ticket-number").wait_for()
    assert page.get_by_test_id("ticket-number").inner_text().strip() == "D-001"
    page.screenshot(path=str(output_dir / "kiosk-after-double-tap.png"))
    services = requests.get(f"{server.url}/api/kiosk/services", timeout=10,
                            headers={"Authorization": f"Bearer {server.kiosk_token}"}).json()["services"]
    waiting = {service["code"]: service["waiting"] for service in services}
    assert waiting["registration"] == 1  # the second tap issued nothing


def test_idle_kiosk_warns_then_returns_to_the_start(quick_idle_server: Any, browser: Any,
                                                    output_dir: Path) -> None:
    page = kiosk_page(browser, quick_idle_server, "fr")
    page.get_by_test_id("services-screen").wait_for()
    warning = page.get_by_test_id("idle-warning")
    warning.wait_for(state="visible", timeout=10_000)
    page.screenshot(path=str(output_dir / "kiosk-idle-warning.png"))
    page.mouse.click(5, 5)  # a touch keeps the visitor's screen
    warning.wait_for(state="hidden", timeout=5_000)
    assert "lang=fr" in page.url
    page.wait_for_url(lambda url: "lang=" not in url, timeout=15_000)
    page.get_by_test_id("start-screen").wait_for()


def test_arabic_kiosk_is_right_to_left(server: Any, browser: Any, output_dir: Path) -> None:
    page = kiosk_page(browser, server, "ar")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("document.documentElement.lang") == "ar"
    page.get_by_test_id("service-civil_status").tap()
    page.get_by_test_id("ticket-number").wait_for()
    assert "الحالة المدنية" in page.get_by_test_id("ticket-service").inner_text()
    page.screenshot(path=str(output_dir / "kiosk-arabic-ticket.png"))
