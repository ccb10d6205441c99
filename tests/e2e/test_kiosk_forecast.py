"""The waiting-time range in real Chromium: on the kiosk's service buttons before a ticket is taken, on the
ticket screen, and on the visitor's phone page. The server's background refresher computes it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser
RANGE = re.compile(r"^about \d+–\d+ min$")  # before the ticket, and on the phone; "15–25 min" on the ticket


@pytest.fixture
def server(tmp_path: Path, dour: Any) -> Iterator[Any]:
    srv = dour.Server(tmp_path).provision()
    srv.start()
    yield srv
    srv.stop()


def test_the_kiosk_shows_a_range_before_and_after_the_ticket(server: Any, browser: Any,
                                                             output_dir: Path) -> None:
    page = browser.new_page(viewport={"width": 1080, "height": 1920}, has_touch=True)
    # the first forecast is computed at start; a reload shows it on the buttons
    page.goto(f"{server.url}/enrol?token={server.kiosk_token}&next=/kiosk?lang=en")
    for _ in range(20):
        if page.get_by_test_id("estimate-registration").count():
            break
        page.wait_for_timeout(500)
        page.reload()
    assert RANGE.match(page.get_by_test_id("estimate-registration").inner_text())
    page.screenshot(path=str(output_dir / "services.png"))
    page.get_by_test_id("service-registration").tap()
    page.get_by_test_id("ticket-number").wait_for()
    page.wait_for_function(
        "() => /^\\d+–\\d+$/.test(document.querySelector('[data-testid=wait-minutes]').textContent)")
    page.screenshot(path=str(output_dir / "ticket.png"))
    ticket_url = page.get_by_test_id("ticket-qr").get_attribute("src").replace("/qr.svg", "")
    phone = browser.new_page(viewport={"width": 390, "height": 844})
    phone.goto(f"{server.url}{ticket_url}")
    assert RANGE.match(phone.get_by_test_id("wait-range").inner_text())
    phone.screenshot(path=str(output_dir / "phone.png"))
