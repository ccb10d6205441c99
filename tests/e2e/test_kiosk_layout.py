"""The kiosk fits its screen in every language, in real Chromium: portrait (1080×1920), landscape
(1920×1080) and a small landscape panel (1280×800). On each screen a visitor reaches, the page does not
scroll, every button, the QR code and "Done" lie wholly inside the viewport with a touch target of at least
44×44 CSS px, and no text overflows its box. One page is reused: it is resized, and its language switched.
Also: the Arabic receipt date reads right to left, in its natural order."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from hardware.payment import CaisseApSimulator

pytestmark = pytest.mark.browser

LANGUAGES = ["ar", "fr", "en", "es", "it", "de", "nl"]
VIEWPORTS = [(1080, 1920), (1920, 1080), (1280, 800)]
SUPERVISOR = {"username": "layout-boss", "password": "supervisor-password-1"}

# What a visitor would see as broken, for the screen on display: a list of sentences, empty when it fits.
# The kiosk breaks a word rather than clip it (a last resort for a site's own long names), so a word that is
# split across two lines counts as a problem too.
FIT_PROBLEMS = """() => {
  const problems = [];
  const width = window.innerWidth, height = window.innerHeight, root = document.documentElement;
  const label = (el) => `${el.tagName.toLowerCase()}[${el.dataset.testid || el.className || ""}]` +
    ` "${(el.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 40)}"`;
  const shown = (el) => !el.closest("svg, script, [hidden]") && el.checkVisibility();
  const blockOf = (el) => {
    while (el !== document.body && ["inline", "contents"].includes(getComputedStyle(el).display)) {
      el = el.parentElement;
    }
    return el;
  };
  if (root.scrollHeight > height || root.scrollWidth > width || document.body.scrollWidth > width) {
    problems.push(`the page scrolls: ${root.scrollWidth}×${root.scrollHeight}`);
  }
  const targets = "button, .button, [data-testid=ticket-qr], [data-testid=done]";
  for (const el of document.querySelectorAll("body *")) {
    if (!shown(el)) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (box.left < -0.5 || box.top < -0.5 || box.right > width + 0.5 || box.bottom > height + 0.5) {
      problems.push(`off screen: ${label(el)} at ${Math.round(box.left)},${Math.round(box.top)}` +
        `–${Math.round(box.right)},${Math.round(box.bottom)}`);
    }
    if (el.matches(targets) && (box.width < 44 || box.height < 44)) {
      problems.push(`touch target under 44 px: ${label(el)} ` +
        `${Math.round(box.width)}×${Math.round(box.height)}`);
    }
    // Overflow that scrolls (scrollWidth), and overflow that is centred or to the start side, which does not:
    // the box sticks out of the one that holds it.
    const holder = blockOf(el.parentElement);
    const outer = holder.getBoundingClientRect();
    if (holder !== document.body && (box.left < outer.left - 1 || box.right > outer.right + 1 ||
                                     box.top < outer.top - 1 || box.bottom > outer.bottom + 1)) {
      problems.push(`sticks out of its box: ${label(el)} from ${label(holder)}`);
    }
    const display = getComputedStyle(el).display;
    if (display === "inline" || display === "contents") continue;
    if (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1) {
      problems.push(`text overflows: ${label(el)} ${el.scrollWidth}×${el.scrollHeight}` +
        ` in ${el.clientWidth}×${el.clientHeight}`);
    }
  }
  const texts = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let text = texts.nextNode(); text; text = texts.nextNode()) {
    if (!text.data.trim() || !shown(text.parentElement)) continue;
    for (const word of text.data.matchAll(/[^\\s\\-\\u2010-\\u2014\\/]+/g)) {
      const range = document.createRange();
      range.setStart(text, word.index);
      range.setEnd(text, word.index + word[0].length);
      const lines = new Set([...range.getClientRects()].map((rect) => Math.round(rect.bottom)));
      if (lines.size > 1) {
        problems.push(`word broken across lines: "${word[0]}" in ${label(text.parentElement)}`);
      }
    }
  }
  return problems;
}"""


@pytest.fixture
def layout_server(tmp_path: Path, dour: Any) -> Iterator[Any]:
    """A kiosk with a simulated printer (its faults set through the device-control API) and a card terminal;
    a long idle time, so that the kiosk stays on the screen under test."""
    with CaisseApSimulator(slow_seconds=0.05) as terminal:
        srv = dour.Server(tmp_path, env={"DOUR_DEVICES_PAYMENT": terminal.uri,
                                         "DOUR_DEVICES_PRINTER": "sim://",
                                         "DOUR_POLICY_KIOSK_IDLE_SECONDS": "600"}).provision()
        srv.add_user(SUPERVISOR["username"], SUPERVISOR["password"], "supervisor")
        srv.start()
        try:
            yield srv
        finally:
            srv.stop()


@pytest.fixture
def printer_fault(layout_server: Any) -> Callable[[str | None], None]:
    """`printer_fault("paper_out")` breaks the kiosk's simulated printer, `printer_fault(None)` mends it."""
    staff = requests.Session()
    staff.headers["Origin"] = layout_server.url
    staff.post(f"{layout_server.url}/api/auth/login", json=SUPERVISOR, timeout=10).raise_for_status()

    def set_fault(fault: str | None) -> None:
        staff.post(f"{layout_server.url}/api/sim/printers/kiosk1/fault", json={"fault": fault},
                   timeout=10).raise_for_status()

    return set_fault


class Fit:
    """Checks the screen on display at every viewport; gathers what does not fit, with a screenshot each."""

    def __init__(self, page: Any, output_dir: Path) -> None:
        self.page = page
        self.output_dir = output_dir
        self.problems: list[str] = []

    def check(self, name: str) -> None:
        for width, height in VIEWPORTS:
            self.page.set_viewport_size({"width": width, "height": height})
            found = self.page.evaluate(FIT_PROBLEMS)
            if found:
                shot = f"{name}-{width}x{height}.png"
                self.page.screenshot(path=str(self.output_dir / shot))
                self.problems += [f"{name} {width}×{height}: {problem}" for problem in found]
        self.page.set_viewport_size({"width": 1080, "height": 1920})


def open_kiosk(page: Any, server: Any, lang: str) -> None:
    page.goto(f"{server.url}/kiosk?lang={lang}")
    page.get_by_test_id("services-screen").wait_for()


def pay_passport(page: Any) -> None:
    page.get_by_test_id("service-passport").click()
    page.get_by_test_id("pay-card").click()
    page.get_by_test_id("receipt").wait_for(timeout=15_000)


def test_every_kiosk_screen_fits_every_language_and_screen_size(
    layout_server: Any, printer_fault: Callable[[str | None], None], browser: Any, output_dir: Path,
) -> None:
    page = browser.new_page(viewport={"width": 1080, "height": 1920})
    fit = Fit(page, output_dir)
    page.goto(f"{layout_server.url}/enrol?token={layout_server.kiosk_token}&next=/kiosk")
    page.get_by_test_id("start-screen").wait_for()
    fit.check("start")
    for lang in LANGUAGES:
        printer_fault("paper_out")
        open_kiosk(page, layout_server, lang)
        fit.check(f"{lang}-services")
        page.get_by_test_id("appointment-button").click()
        page.get_by_test_id("appointment-screen").wait_for()
        fit.check(f"{lang}-appointment")
        page.get_by_test_id("appointment-back").click()
        page.get_by_test_id("service-registration").click()  # free: straight to the ticket, not printed
        page.get_by_test_id("not-printed").wait_for(timeout=15_000)
        fit.check(f"{lang}-not-printed")

        open_kiosk(page, layout_server, lang)
        page.get_by_test_id("service-passport").click()
        page.get_by_test_id("payment-screen").wait_for()
        fit.check(f"{lang}-fees")
        page.get_by_test_id("pay-card").click()
        page.get_by_test_id("receipt").wait_for(timeout=15_000)
        page.get_by_test_id("not-printed").wait_for(timeout=15_000)
        fit.check(f"{lang}-receipt-not-printed")

        printer_fault(None)
        open_kiosk(page, layout_server, lang)
        pay_passport(page)
        page.get_by_test_id("take-ticket").wait_for(timeout=15_000)
        fit.check(f"{lang}-receipt-printed")
    assert not fit.problems, "\n".join(fit.problems)


def test_the_arabic_receipt_date_reads_right_to_left(layout_server: Any, browser: Any,
                                                     output_dir: Path) -> None:
    page = browser.new_page(viewport={"width": 1080, "height": 1920})
    page.goto(f"{layout_server.url}/enrol?token={layout_server.kiosk_token}&next=/kiosk?lang=ar")
    pay_passport(page)
    date = page.get_by_test_id("receipt-date")
    text = date.inner_text().strip()
    assert "ص" in text or "م" in text  # the Arabic "AM/PM" after the time
    page.screenshot(path=str(output_dir / "arabic-receipt.png"))
    assert date.evaluate("el => getComputedStyle(el).direction") == "rtl"
    # In natural right-to-left order the day comes first, at the right, and the AM/PM word last, at the left.
    day_x, meridiem_x = date.evaluate("""el => {
        const text = document.createTreeWalker(el, NodeFilter.SHOW_TEXT).nextNode();
        const x = (at) => {
            const range = document.createRange();
            range.setStart(text, at);
            range.setEnd(text, at + 1);
            return range.getBoundingClientRect().left;
        };
        return [x(text.data.search(/[0-9]/)), x(text.data.search(/[صم]/))];
    }""")
    assert meridiem_x < day_x
