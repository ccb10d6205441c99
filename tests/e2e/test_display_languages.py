"""The waiting-room screen in its own languages: staff hints in the screen's first language (not the
browser's), the date changing with the words, and the recent calls read from the right in Arabic."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser


# In its Arabic turn, the screen's recent calls read from the right, the arrow mirrored.
MIRRORED_IN_ARABIC = """() => {
  const row = document.querySelector(".recent-list li"), arrow = document.querySelector(".recent-arrow");
  return document.body.dataset.language === "ar" && row !== null && arrow !== null
    && getComputedStyle(row).direction === "rtl" && getComputedStyle(arrow).transform.startsWith("matrix(-1");
}"""


def open_arabic_display(browser: Any, server: Any) -> Any:
    page = browser.new_page(viewport={"width": 1920, "height": 1080}, locale="en-GB")
    page.goto(f"{server.url}/enrol?token={server.display_token}&next=/display%3Flanguages%3Dar,fr")
    page.wait_for_function("() => document.body.dataset.lastSeq !== undefined")
    return page


def test_an_arabic_first_screen_speaks_arabic_to_staff_and_mirrors_its_calls(
    server: Any, dour: Any, browser: Any,
) -> None:
    page = open_arabic_display(browser, server)
    hint = page.get_by_test_id("sound-hint").text_content() or ""
    assert "Click" not in hint and any("\u0600" <= char <= "\u06ff" for char in hint)
    assert page.evaluate("document.body.dataset.language") == "ar"
    assert page.get_by_test_id("date").get_attribute("lang") == "ar"
    kiosk = dour.kiosk_session(server)
    assert kiosk.post(f"{server.url}/api/kiosk/tickets", json={"service": "cnie"}).status_code == 201
    counter = dour.open_counter_page(browser.new_page(), server)
    counter.get_by_test_id("btn-next").click()
    # The screen turns between Arabic and French every few seconds: the call is read in the Arabic turn.
    page.wait_for_function(MIRRORED_IN_ARABIC, timeout=15_000)


def test_the_date_turns_with_the_words(server: Any, browser: Any) -> None:
    page = open_arabic_display(browser, server)
    page.evaluate("""() => {
        window.seen = [];
        const date = document.querySelector('[data-testid=date]');
        const record = () => window.seen.push([document.body.dataset.language, date.lang, date.textContent]);
        new MutationObserver(record)
            .observe(document.body, {attributes: true, attributeFilter: ['data-language']});
    }""")
    page.wait_for_function("() => window.seen.length > 0", timeout=30_000)
    language, date_language, text = page.evaluate("window.seen[0]")
    assert language == "fr" and date_language == "fr"  # at once, not a second later
    assert not any("\u0600" <= char <= "\u06ff" for char in text)
