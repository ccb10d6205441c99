"""A printer fault in Chromium, end to end: the supervisor switches the simulated printer to "paper out" on
the device-control page; the visitor's ticket stays on the kiosk screen with the message in their language;
the staff pages show the alert and the ticket to reprint; paper back, the reprint comes out and shows as an
image on the device page."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser
# The device-control page says the printer's fault is cleared once the server has done it.
PAPER_BACK = ("() => document.querySelector('[data-testid=fault-none]')"
              "?.getAttribute('aria-pressed') === 'true'")


@pytest.fixture
def printing_server(tmp_path: Path, dour: Any) -> Iterator[Any]:
    srv = dour.Server(tmp_path, env={"DOUR_DEVICES_PRINTER": "sim://"}).provision()
    srv.add_user("boss", "supervisor-password-1", "supervisor")
    srv.start()
    yield srv
    srv.stop()


def supervisor_page(browser: Any, server: Any, path: str) -> Any:
    page = browser.new_page(viewport={"width": 1366, "height": 1000}, locale="fr-FR")
    page.goto(f"{server.url}/login?lang=fr")
    page.get_by_test_id("username").fill("boss")
    page.get_by_test_id("password").fill("supervisor-password-1")
    page.get_by_test_id("login-submit").click()
    page.wait_for_url("**/counter**")
    page.goto(f"{server.url}{path}?lang=fr")
    return page


def test_paper_out_keeps_the_ticket_on_screen_then_staff_reprint_it(
    printing_server: Any, browser: Any, dour: Any, output_dir: Path,
) -> None:
    control = supervisor_page(browser, printing_server, "/devices/control")
    control.get_by_test_id("fault-paper_out").click()
    control.wait_for_function("() => document.querySelector('[data-testid=fault-paper_out]')"
                              "?.getAttribute('aria-pressed') === 'true'")

    kiosk = browser.new_page(viewport={"width": 1080, "height": 1920}, has_touch=True)
    kiosk.goto(f"{printing_server.url}/enrol?token={printing_server.kiosk_token}&next=/kiosk?lang=ar")
    tapped = time.monotonic()
    kiosk.get_by_test_id("service-civil_status").tap()
    message = kiosk.get_by_test_id("not-printed")
    message.wait_for()
    on_screen_ms = (time.monotonic() - tapped) * 1000
    assert "الطابعة لا تعمل" in message.inner_text()
    assert kiosk.get_by_test_id("ticket-number").inner_text().strip() == "C-001"
    assert kiosk.get_by_test_id("ticket-qr").is_visible()
    assert not kiosk.get_by_test_id("take-ticket").is_visible()
    kiosk.screenshot(path=str(output_dir / "1-kiosk-paper-out-arabic.png"))
    print(f"tap to on-screen ticket with the paper-out message: {on_screen_ms:.0f} ms")

    supervision = supervisor_page(browser, printing_server, "/supervisor")
    supervision.locator("#print-problems tr[data-ticket='C-001']").wait_for()
    alerts = supervision.get_by_test_id("device-alerts")
    alerts.wait_for()
    assert "Plus de papier" in alerts.inner_text()
    desk_page = browser.new_page(viewport={"width": 1366, "height": 900})
    desk = dour.open_counter_page(desk_page, printing_server, counter=4)  # counter 4 serves civil status
    problem = desk.locator("#device-alerts li[data-ticket='C-001']")
    problem.wait_for()
    desk.screenshot(path=str(output_dir / "2-counter-alert.png"))
    control.get_by_test_id("fault-none").click()
    control.wait_for_function(PAPER_BACK)  # the printer has its paper again before the reprint
    problem.get_by_test_id("reprint").click()  # the visitor came to the desk without paper
    supervision.locator("#print-problems tr[data-ticket='C-001']").wait_for(state="detached", timeout=15_000)
    supervision.screenshot(path=str(output_dir / "3-supervisor-after-reprint.png"))

    control.get_by_test_id("printed-ticket").first.wait_for(timeout=15_000)
    control.screenshot(path=str(output_dir / "4-device-page-printed.png"))


def test_once_the_paper_is_back_the_visitor_prints_their_ticket_at_the_kiosk(printing_server: Any,
                                                                             browser: Any) -> None:
    control = supervisor_page(browser, printing_server, "/devices/control")
    control.get_by_test_id("fault-cover_open").click()
    control.wait_for_function("() => document.querySelector('[data-testid=fault-cover_open]')"
                              "?.getAttribute('aria-pressed') === 'true'")
    kiosk = browser.new_page(viewport={"width": 1080, "height": 1920}, has_touch=True)
    kiosk.goto(f"{printing_server.url}/enrol?token={printing_server.kiosk_token}&next=/kiosk?lang=en")
    kiosk.get_by_test_id("service-registration").tap()
    kiosk.get_by_test_id("not-printed").wait_for()
    control.get_by_test_id("fault-none").click()
    control.wait_for_function(PAPER_BACK)
    kiosk.get_by_test_id("print-again").tap()
    kiosk.get_by_test_id("take-ticket").wait_for()
    assert not kiosk.get_by_test_id("print-again").is_visible()
    control.get_by_test_id("printed-ticket").first.wait_for(timeout=15_000)
