"""Closing the day from the supervisor's page in Chromium: the confirmation says what ends (Cancel or Escape
change nothing), the summary is shown after, and the page keeps showing it (a second close is not offered)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser
STATE_SAYS = "(text) => document.querySelector('#day-close-state')?.textContent.includes(text)"


def test_supervisor_closes_the_day_after_confirming(server: Any, dour: Any, browser: Any,
                                                     output_dir: Path) -> None:
    server.add_user("boss", "supervisor-password-1", "supervisor")
    kiosk = dour.kiosk_session(server)
    for service in ("cnie", "cnie", "passport"):
        answer = kiosk.post(f"{server.url}/api/kiosk/tickets", json={"service": service}, timeout=10)
        answer.raise_for_status()
    page = browser.new_page(viewport={"width": 1366, "height": 1400})
    page.goto(f"{server.url}/login?lang=fr")
    page.get_by_test_id("username").fill("boss")
    page.get_by_test_id("password").fill("supervisor-password-1")
    page.get_by_test_id("login-submit").click()
    page.wait_for_url("**/counter**")
    page.goto(f"{server.url}/supervisor?lang=fr")
    page.wait_for_function(STATE_SAYS, arg="3 en attente")
    page.get_by_test_id("leftover-carry").check()
    page.get_by_test_id("close-day").click()
    dialog = page.get_by_test_id("confirm-dialog")
    assert "3" in dialog.inner_text() and "reportés" in dialog.inner_text()
    page.screenshot(path=str(output_dir / "1-confirm.png"), full_page=True)
    page.get_by_test_id("confirm-cancel").click()
    assert page.get_by_test_id("day-summary").is_hidden()
    page.get_by_test_id("close-day").click()
    dialog.wait_for()
    page.keyboard.press("Escape")  # cancels too, and the focus goes back to the button
    dialog.wait_for(state="hidden")
    assert page.evaluate("document.activeElement.dataset.testid") == "close-day"
    assert page.get_by_test_id("day-summary").is_hidden()

    page.get_by_test_id("close-day").click()
    page.get_by_test_id("confirm-ok").click()
    page.get_by_test_id("day-summary").wait_for()
    assert "3 reportés" in page.get_by_test_id("summary-tickets").inner_text()
    assert page.locator("#day-summary-services tr").count() == 2
    page.wait_for_function(STATE_SAYS, arg="clôturée")
    assert page.get_by_test_id("close-day").is_hidden()
    page.wait_for_function("() => document.querySelector('#services tr[data-service=cnie] td:nth-child(2)')"
                           "?.textContent === '0'")  # the overview follows the close live
    page.screenshot(path=str(output_dir / "2-summary.png"), full_page=True)
    page.reload()
    page.get_by_test_id("day-summary").wait_for()
    assert "3 reportés" in page.get_by_test_id("summary-tickets").inner_text()
