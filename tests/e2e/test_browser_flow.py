"""The whole floor in real Chromium: a kiosk ticket → called at the counter → shown on the display.

Screenshots go to the test's output folder (tests/e2e/conftest.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

SHOWS_NUMBER = "n => document.querySelector('[data-testid=current-number]')?.textContent.trim() === n"


def test_kiosk_ticket_is_called_at_the_counter_and_shown_on_the_display(
    server: Any, dour: Any, browser: Any, output_dir: Path
) -> None:
    display = dour.open_display_page(browser.new_page(viewport={"width": 1920, "height": 1080}), server)

    kiosk = browser.new_page(viewport={"width": 1080, "height": 1920}, has_touch=True)
    kiosk.goto(f"{server.url}/enrol?token={server.kiosk_token}&next=/kiosk")
    kiosk.get_by_test_id("lang-fr").tap()
    kiosk.get_by_test_id("service-passport").tap()  # 60,00 € of fees: paid by card on the simulated terminal
    assert kiosk.get_by_test_id("fee-total").inner_text().strip() == "60,00\u00a0€"
    kiosk.screenshot(path=str(output_dir / "0-kiosk-fees.png"))
    kiosk.get_by_test_id("pay-card").tap()
    number = kiosk.get_by_test_id("ticket-number")
    number.wait_for()
    ticket_number = number.inner_text().strip()
    assert ticket_number == "A-001"
    assert kiosk.get_by_test_id("receipt-card").inner_text().strip() == "**** 4242"
    kiosk.screenshot(path=str(output_dir / "1-kiosk-ticket.png"))

    counter = dour.open_counter_page(browser.new_page(viewport={"width": 1366, "height": 768}), server)
    counter.get_by_test_id("btn-next").click()
    counter.wait_for_function(SHOWS_NUMBER, arg=ticket_number)
    counter.screenshot(path=str(output_dir / "2-counter-called.png"))

    display.wait_for_function(SHOWS_NUMBER, arg=ticket_number)
    assert display.get_by_test_id("current-counter").inner_text().strip() == "1"
    recent = display.get_by_test_id("recent-calls")
    assert ticket_number in recent.inner_text()
    display.screenshot(path=str(output_dir / "3-display-call.png"))
