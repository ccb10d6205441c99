"""The kiosk without sight, and for low vision, in real Chromium (docs/accessibility.md).

A visitor drives the kiosk with the keypad only (F2, arrows, OK, Back, number keys): the guide reads each
screen and each choice reached, a scanner's burst of characters is never taken for the visitor's keys, the
inactivity warning is said and OK gives more time, the ticket's number is heard; after the visitor the kiosk
is itself again. The page records what it said in `window.dourSpoken` (kiosk/static/speaker.js), as a display
records its calls.

Large text and high contrast hold across the screens and end with the visitor; in both together the kiosk
passes axe-core with no critical or serious violation (Arabic and French) and nothing overflows its width."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_kiosk_layout import FIT_PROBLEMS, VIEWPORTS
from tests.e2e.test_kiosk_scanner import DISPATCH, azerty_events
from tests.e2e.test_spoken_calls import sound_browser  # noqa: F401 (Chromium with sound, as a kiosk runs)
from tests.e2e.test_staff_pages import AXE, BLOCKING, RUN_AXE

pytestmark = pytest.mark.browser

SPOKEN = "() => (window.dourSpoken || []).map((entry) => entry.said)"
PRESSED = """(names) => [...document.querySelectorAll("[data-assist-toggle]")].every((button) =>
  button.getAttribute("aria-pressed") === String(names.includes(button.dataset.assistToggle)))"""
ASSIST_CLASSES = "() => [...document.documentElement.classList].filter((name) => name.startsWith('assist-'))"


@pytest.fixture
def quick_server(tmp_path: Path, dour: Any) -> Iterator[Any]:
    """A kiosk with a printer (its tickets print: the screen is not held), a quick idle reset and a brisk
    voice."""
    srv = dour.Server(tmp_path, env={"DOUR_DEVICES_PRINTER": "sim://", "DOUR_POLICY_KIOSK_IDLE_SECONDS": "6",
                                     "DOUR_POLICY_KIOSK_IDLE_WARNING_SECONDS": "5",
                                     "DOUR_DEVICES_VOICE": "espeak://?rate=300"}).provision()
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


class Listener:
    """Presses keys on the kiosk page and waits for what the guide says."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.heard = 0

    def said(self) -> list[list[str]]:
        return list(self.page.evaluate(SPOKEN))

    def press(self, key: str, expect: bool = True) -> list[str]:
        """Press `key`; the next utterance (when one is expected), once its sound has started."""
        before = len(self.said())
        self.page.keyboard.press(key)
        return self.next(before) if expect else []

    def next(self, before: int | None = None) -> list[str]:
        count = len(self.said()) if before is None else before
        self.page.wait_for_function(
            "(n) => (window.dourSpoken || []).length > n && window.dourSpoken.at(-1).start", arg=count,
            timeout=20_000)
        return self.said()[-1]

    def found(self, before: int, opening: str) -> list[str]:
        """The first utterance after the `before` first ones that opens with `opening`, once its sound has
        started (another one may already have followed it)."""
        script = """([n, opening]) => (window.dourSpoken || []).slice(n)
          .find((entry) => entry.said[0].startsWith(opening) && entry.start)"""
        self.page.wait_for_function(script, arg=[before, opening], timeout=20_000)
        return list(self.page.evaluate(f"(args) => ({script})(args).said", [before, opening]))

    def last_entry(self) -> dict[str, Any]:
        return dict(self.page.evaluate("() => window.dourSpoken.at(-1)"))


def reach(listener: Listener, test_id: str) -> list[str]:
    """Arrow down until the guide reaches the element `test_id`; what it said of it."""
    for _ in range(20):
        said = listener.press("ArrowDown")
        if listener.page.evaluate("() => document.activeElement.dataset.testid") == test_id:
            return said
    raise AssertionError(f"the guide never reached {test_id}")


def test_a_visitor_takes_a_ticket_with_the_keypad_alone_and_hears_its_number(
    quick_server: Any, sound_browser: Any, output_dir: Path,  # noqa: F811
) -> None:
    page = sound_browser.new_page(viewport={"width": 1080, "height": 1920})
    listener = Listener(page)
    page.goto(f"{quick_server.url}/enrol?token={quick_server.kiosk_token}&next=/kiosk")
    page.get_by_test_id("start-screen").wait_for()
    page.wait_for_function("() => document.body.dataset.scanner === 'connected'")

    # The keypad's audio key: the language choice, in every language, each in its own voice.
    titles = listener.press("F2")
    assert "اختيار اللغة" in titles and "Choisissez votre langue" in titles and "Kies uw taal" in titles
    assert page.evaluate(ASSIST_CLASSES) == ["assist-audio"]
    assert page.get_by_test_id("assist-audio").get_attribute("aria-pressed") == "true"
    assert listener.press("ArrowDown") == ["العربية", "زر، 1 من 10"]
    listener.press("ArrowDown")
    assert listener.press("ArrowDown") == ["English", "button, 3 of 10"]
    page.keyboard.press("Enter")

    # The services screen is read out, the guide's keys first (the visitor's first screen in English).
    page.get_by_test_id("services-screen").wait_for()
    arrival = listener.next(0)
    assert arrival[0].startswith("Audio guide on.") and arrival[1:3] == [
        "Choose a service", "Touch the reason for your visit. You will get a ticket with your number."]
    assert page.evaluate(ASSIST_CLASSES) == ["assist-audio"]  # the visitor's setting held across the pages

    # 1: the first action, "I have an appointment": the scanner screen says what to do.
    assert listener.press("1")[:2] == ["Your appointment",
                                       "Hold the QR code of your appointment under the scanner."]
    # A scanner's burst is the scanner's, never keys pressing choices; its refusal is said at once.
    before = len(listener.said())
    page.evaluate(DISPATCH, azerty_events("NOT-A-CODE-42"))
    page.get_by_test_id("scan-message").wait_for()
    refusal = listener.next(before)
    assert refusal == ["This code cannot be used", page.get_by_test_id("scan-message-text").inner_text()]
    assert page.get_by_test_id("reference-field").inner_text() == "RDV-"
    # The visitor's own keys type the booking reference here; Backspace deletes, Escape goes back.
    assert listener.press("7") == ["7"]
    assert page.get_by_test_id("reference-field").inner_text() == "RDV-7"
    page.keyboard.press("Backspace")
    assert page.get_by_test_id("reference-field").inner_text() == "RDV-"
    assert listener.press("Escape")[0] == "Choose a service"

    # The free service, reached with the arrows: what it is and where it stands among the choices.
    described = reach(listener, "service-registration")
    assert described[0] == "Consular registration" and re.fullmatch(r"button, \d+ of \d+", described[-1])
    # Left alone (the guide has finished), the visitor hears the warning; OK gives more time, nothing else.
    page.wait_for_function("() => window.dourSpoken.at(-1).outcome === 'played'", timeout=20_000)
    before = len(listener.said())
    page.get_by_test_id("idle-warning").wait_for(state="visible", timeout=20_000)
    assert listener.next(before) == ["Are you still there?", "Press OK for more time.",
                                     "Otherwise the kiosk returns to the start for the next visitor."]
    assert listener.press("Enter") == ["You have more time."]
    assert page.get_by_test_id("idle-warning").is_hidden()
    assert page.get_by_test_id("services-screen").is_visible()

    # OK presses the service the guide had reached: the ticket's number and the wait are read out (and, once
    # it has printed, "Take your printed ticket." may already follow).
    before = len(listener.said())
    page.keyboard.press("Enter")
    page.get_by_test_id("ticket-screen").wait_for()
    number = page.get_by_test_id("ticket-number").inner_text().strip()
    ticket = listener.found(before, "Your number")
    assert ticket[:2] == [f"Your number is {number}.", "Consular registration"]
    assert re.fullmatch(r"Estimated wait in minutes: \d+( to \d+)?\.", ticket[2])
    assert ticket[3] == "People ahead of you: 0."
    page.wait_for_function("() => window.dourSpoken.some((entry) => entry.said[0].startsWith('Your number')"
                           " && entry.heard >= 1)", timeout=20_000)  # the number was heard to its end
    page.screenshot(path=str(output_dir / "audio-ticket.png"))

    # The printed ticket leaves the kiosk to the next visitor: the guide is off again.
    page.wait_for_url(lambda url: "lang=" not in url, timeout=60_000)
    page.get_by_test_id("start-screen").wait_for()
    assert page.evaluate(ASSIST_CLASSES) == []
    assert page.get_by_test_id("assist-audio").get_attribute("aria-pressed") == "false"
    assert page.evaluate("() => sessionStorage.getItem('dour.assist')") is None
    assert page.evaluate("() => window.dourSpoken") == []  # a fresh page, and nothing said on it


# --- large text and high contrast ---------------------------------------------------------------------
def width_problems(page: Any) -> list[str]:
    """What overflows the screen's width or its box, at each kiosk screen size. With large text a tall page
    may scroll down (docs/accessibility.md): that alone is not a problem."""
    found = []
    for width, height in VIEWPORTS:
        page.set_viewport_size({"width": width, "height": height})
        for problem in page.evaluate(FIT_PROBLEMS):
            scrolls = re.match(r"the page scrolls: (\d+)×", problem)
            below = re.match(r"off screen: .* at (-?\d+),(-?\d+)–(-?\d+),(-?\d+)$", problem)
            if scrolls and int(scrolls.group(1)) <= width:
                continue
            left, top, right = (int(below.group(index)) for index in (1, 2, 3)) if below else (-1, -1, 0)
            if left >= 0 and top >= 0 and right <= width:
                continue
            found.append(f"{width}×{height}: {problem}")
    page.set_viewport_size({"width": 1080, "height": 1920})
    return found


def test_large_text_and_high_contrast_hold_for_one_visitor_and_pass_axe(
    server: Any, browser: Any, output_dir: Path,
) -> None:
    assert AXE.exists(), "axe-core is missing: `make test` installs it from package.json (npm ci)"
    context = browser.new_context(bypass_csp=True, viewport={"width": 1080, "height": 1920}, has_touch=True)
    page = context.new_page()
    page.goto(f"{server.url}/enrol?token={server.kiosk_token}&next=/kiosk")
    found: dict[str, Any] = {}
    problems: dict[str, list[str]] = {}

    def audit(name: str) -> None:
        page.add_script_tag(path=str(AXE))
        found[name] = page.evaluate(RUN_AXE)
        problems[name] = width_problems(page)
        page.screenshot(path=str(output_dir / f"{name}.png"), full_page=True)

    for lang in ("ar", "fr"):
        page.get_by_test_id("start-screen").wait_for()
        for toggle in ("large", "contrast"):
            page.get_by_test_id(f"assist-{toggle}").tap()
        assert page.evaluate(ASSIST_CLASSES) == ["assist-large", "assist-contrast"]
        page.get_by_test_id(f"lang-{lang}").tap()
        page.get_by_test_id("services-screen").wait_for()
        assert page.evaluate(ASSIST_CLASSES) == ["assist-large", "assist-contrast"]
        page.wait_for_function(PRESSED, arg=["large", "contrast"])  # the page's modules have run
        audit(f"{lang}-services")
        page.get_by_test_id("appointment-button").tap()
        page.get_by_test_id("appointment-screen").wait_for()
        audit(f"{lang}-appointment")
        page.get_by_test_id("appointment-back").tap()
        page.get_by_test_id("service-registration").tap()
        page.get_by_test_id("ticket-screen").wait_for()
        page.get_by_test_id("keep-hint").wait_for()  # no printer: the ticket is on screen only
        assert page.evaluate(ASSIST_CLASSES) == ["assist-large", "assist-contrast"]
        audit(f"{lang}-ticket")
        page.get_by_test_id("done").tap()  # the visitor is done: the next one gets the kiosk's defaults
        page.wait_for_url("**/kiosk")  # a link: the start page loads, its modules run before the next taps
        page.get_by_test_id("start-screen").wait_for()
        assert page.evaluate(ASSIST_CLASSES) == []
        page.wait_for_function(PRESSED, arg=[])

    (output_dir / "axe.json").write_text(json.dumps(found, indent=2, ensure_ascii=False), encoding="utf-8")
    blocking = {name: [v for v in found[name] if v["impact"] in BLOCKING] for name in found}
    assert {name: violations for name, violations in blocking.items() if violations} == {}
    assert {name: listed for name, listed in problems.items() if listed} == {}
