"""The supervisor's floor controls in Chromium: a paused service goes unavailable on the kiosk with its
reason, live; a message appears on a display, live. Pausing a service, stopping walk-ins and closing a counter
ask first (Escape cancels and gives the focus back to the button)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

UNAVAILABLE = ("() => { const b = document.querySelector('[data-testid=service-judicial]');"
               " const why = document.querySelector('[data-testid=unavailable-judicial]');"
               " return b && b.disabled && why && !why.hidden"
               " && why.textContent === 'No agent can take this service right now. Back at 2 pm'; }")
TICKER = ("() => { const t = document.querySelector('[data-testid=ticker]');"
          " return t && !t.hidden && document.querySelector('[data-testid=ticker-text]').textContent"
          " === 'Le consulat ferme à 15 h'; }")


def confirm(page: Any, ok_label: str, says: str) -> None:
    """The confirmation is open, names its action on the OK button and says what happens; confirm it."""
    dialog = page.get_by_test_id("confirm-dialog")
    dialog.wait_for()
    assert page.get_by_test_id("confirm-ok").inner_text() == ok_label and says in dialog.inner_text()
    page.get_by_test_id("confirm-ok").click()


def test_a_pause_reaches_the_kiosk_and_a_message_the_display(
    server: Any, dour: Any, browser: Any, output_dir: Path
) -> None:
    server.add_user("boss", "supervisor-password-1", "supervisor")
    dour.agent_session(server, counter=2)
    kiosk = browser.new_page(viewport={"width": 1280, "height": 800}, has_touch=True)
    kiosk.goto(f"{server.url}/enrol?token={server.kiosk_token}&next=/kiosk")
    kiosk.get_by_test_id("lang-en").tap()  # a link: the English page loads in its place
    kiosk.wait_for_url("**/kiosk?lang=en")
    kiosk.wait_for_function("() => document.body?.dataset.scanner === 'connected'")
    assert kiosk.get_by_test_id("service-judicial").is_enabled()
    display = browser.new_page(viewport={"width": 1280, "height": 720})
    display.goto(f"{server.url}/enrol?token={server.display_token}&next=/display%3Flanguages%3Dfr")
    display.wait_for_function("() => document.body.dataset.lastSeq !== undefined")

    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(f"{server.url}/login?lang=en")
    page.get_by_test_id("username").fill("boss")
    page.get_by_test_id("password").fill("supervisor-password-1")
    page.get_by_test_id("login-submit").click()
    page.wait_for_url("**/counter**")
    page.goto(f"{server.url}/supervisor?lang=en")
    page.wait_for_function("() => document.querySelector('#pause-service option[value=judicial]') !== null")
    page.get_by_test_id("pause-service").select_option("judicial")
    page.get_by_test_id("pause-reason").select_option("staff")
    page.get_by_test_id("pause-note").fill("Back at 2 pm")
    page.get_by_test_id("pause").click()
    page.get_by_test_id("confirm-dialog").wait_for()
    page.screenshot(path=str(output_dir / "confirm-pause.png"))
    page.keyboard.press("Escape")  # cancels: nothing paused, the focus back on the button
    page.get_by_test_id("confirm-dialog").wait_for(state="hidden")
    assert page.evaluate("document.activeElement.dataset.testid") == "pause"
    assert page.locator("#paused li").count() == 0 and kiosk.get_by_test_id("service-judicial").is_enabled()
    page.get_by_test_id("pause").click()
    confirm(page, "Pause at the kiosks", "Visitors can no longer take a ticket")

    kiosk.wait_for_function(UNAVAILABLE)
    page.wait_for_function("() => document.querySelector('#paused li[data-service=judicial]') !== null")
    kiosk.screenshot(path=str(output_dir / "kiosk-service-paused.png"))

    page.get_by_test_id("control-why").fill("Early closing: strike")
    page.get_by_test_id("ticker-text").fill("Le consulat ferme à 15 h")
    page.get_by_test_id("ticker-until").fill("23:59")
    page.get_by_test_id("ticker-send").click()
    display.wait_for_function(TICKER)
    display.screenshot(path=str(output_dir / "display-ticker.png"))
    page.screenshot(path=str(output_dir / "supervisor-floor-control.png"), full_page=True)

    page.get_by_test_id("resume-judicial").click()
    kiosk.wait_for_function("() => { const b = document.querySelector('[data-testid=service-judicial]');"
                            " return b !== null && !b.disabled; }")

    page.get_by_test_id("walk-ins-stop").click()
    confirm(page, "Stop walk-in tickets for today", "Visitors without an appointment cannot take a ticket")
    page.wait_for_function("() => document.querySelector('#walk-ins-state').textContent"
                           ".startsWith('Walk-in tickets stopped at')")
    page.get_by_test_id("control-counter").select_option("2")
    page.wait_for_function("() => !document.querySelector('#counter-close').disabled")
    page.get_by_test_id("counter-close").click()
    confirm(page, "Close the counter", "Close counter 2, opened by")
    page.wait_for_function("() => document.querySelector('#counter-close').disabled")  # nobody there now
