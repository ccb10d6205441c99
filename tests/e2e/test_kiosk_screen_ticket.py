"""A ticket that exists only on the kiosk screen (the printer failed) stays there until the visitor touches
"Done", in real Chromium: no "are you still there?" warning covers it and the idle reset does not take it
away while they photograph it or scan its QR code. A printed ticket still leaves the screen when idle."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

IDLE_SECONDS = 3


def quick_idle_server(tmp_path: Path, dour: Any, printer: str) -> Any:
    return dour.Server(tmp_path, env={"DOUR_DEVICES_PRINTER": printer,
                                      "DOUR_POLICY_KIOSK_IDLE_SECONDS": str(IDLE_SECONDS),
                                      "DOUR_POLICY_KIOSK_IDLE_WARNING_SECONDS": "2"}).provision()


@pytest.fixture
def broken_printer_server(tmp_path: Path, dour: Any) -> Iterator[Any]:
    """The kiosk's printer is a network printer that nobody answers for: every ticket fails to print."""
    srv = quick_idle_server(tmp_path, dour, f"tcp://127.0.0.1:{dour.free_port()}")
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def printing_server(tmp_path: Path, dour: Any) -> Iterator[Any]:
    srv = quick_idle_server(tmp_path, dour, "sim://")
    srv.start()
    yield srv
    srv.stop()


def take_ticket(browser: Any, server: Any) -> Any:
    page = browser.new_page(viewport={"width": 1080, "height": 1920}, has_touch=True)
    page.goto(f"{server.url}/enrol?token={server.kiosk_token}&next=/kiosk?lang=de")
    page.evaluate("""() => {
        window.warned = false;  // any moment the warning shows, however short
        const overlay = document.querySelector('[data-testid=idle-warning]');
        new MutationObserver(() => { window.warned ||= !overlay.hidden; })
            .observe(overlay, {attributes: true, attributeFilter: ['hidden']});
    }""")
    page.get_by_test_id("service-registration").tap()
    page.get_by_test_id("ticket-number").wait_for()
    return page


def test_a_ticket_that_did_not_print_stays_on_screen_until_done(broken_printer_server: Any, browser: Any,
                                                                output_dir: Path) -> None:
    page = take_ticket(browser, broken_printer_server)
    page.get_by_test_id("not-printed").wait_for(timeout=15_000)
    assert "Fertig" in page.get_by_test_id("keep-hint").inner_text()  # the visitor knows it waits for them
    page.wait_for_timeout(IDLE_SECONDS * 1000 * 3)  # well past the idle time: nobody touches the screen
    assert "lang=de" in page.url
    assert page.get_by_test_id("ticket-number").inner_text().strip() == "D-001"
    assert page.get_by_test_id("ticket-qr").is_visible()
    assert page.evaluate("window.warned") is False
    page.screenshot(path=str(output_dir / "ticket-kept-on-screen.png"))
    page.get_by_test_id("done").tap()
    page.get_by_test_id("start-screen").wait_for()


def test_a_printed_ticket_still_leaves_the_screen_when_idle(printing_server: Any, browser: Any) -> None:
    page = take_ticket(browser, printing_server)
    page.get_by_test_id("take-ticket").wait_for(timeout=15_000)
    assert not page.get_by_test_id("keep-hint").is_visible()
    page.get_by_test_id("idle-warning").wait_for(state="visible", timeout=10_000)
    page.wait_for_url(lambda url: "lang=" not in url, timeout=15_000)
    page.get_by_test_id("start-screen").wait_for()
