"""The kiosk's QR scanner in real Chromium against the real server: a code typed into the pty scanner reaches
the page live and shows the ticket; a keyboard-wedge scanner on an AZERTY system still gives the right code;
slow typing is never a scan; garbage gets the clear sentence in the page's language."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.support import Translations

from core.scans import NOT_OURS
from hardware.scanner import PtyScanner

pytestmark = pytest.mark.browser
SCANS = "/api/kiosk/scans"
CATALOGS = Path(__file__).resolve().parents[2] / "core" / "translations"
AZERTY_DIGITS = "&é\"'(-è_çà"  # the unshifted digit row of a French AZERTY keyboard, 1 to 0
AZERTY_KEYS = {  # physical key → (unshifted, shifted) on AZERTY, where it differs from the US letter
    "KeyQ": ("a", "A"), "KeyA": ("q", "Q"), "KeyW": ("z", "Z"), "KeyZ": ("w", "W"), "KeyM": (",", "?"),
    "Semicolon": ("m", "M"), "Period": (":", "/"), "Slash": ("!", "§"), "Minus": (")", "°"),
}


@pytest.fixture
def pty_scanner() -> Iterator[PtyScanner]:
    with PtyScanner() as device:
        yield device


@pytest.fixture
def scanner_server(tmp_path: Path, pty_scanner: PtyScanner, dour: Any) -> Iterator[Any]:
    """A server whose kiosk reads the test's pty scanner with the real serial driver, as a USB-CDC one."""
    srv = dour.Server(tmp_path, env={"DOUR_DEVICES_SCANNER": f"serial://{pty_scanner.port}"}).provision()
    srv.start()
    yield srv
    srv.stop()


def issue(server: Any, dour: Any, service: str = "cnie") -> dict[str, Any]:
    answer = dour.kiosk_session(server).post(f"{server.url}/api/kiosk/tickets", json={"service": service},
                                             timeout=10)
    answer.raise_for_status()
    return answer.json()


def kiosk_page(browser: Any, server: Any, lang: str) -> Any:
    page = browser.new_page(viewport={"width": 1080, "height": 1920}, has_touch=True)
    page.goto(f"{server.url}/enrol?token={server.kiosk_token}&next=/kiosk?lang={lang}")
    page.wait_for_function("() => document.body.dataset.scanner === 'connected'")
    return page


def us_keystroke(char: str) -> tuple[str, bool]:
    """The physical key and shift a US-configured scanner sends for `char`."""
    if char.isdigit():
        return f"Digit{char}", False
    if char.isalpha():
        return f"Key{char.upper()}", char.isupper()
    return {":": ("Semicolon", True), "/": ("Slash", False), ".": ("Period", False), "-": ("Minus", False),
            "_": ("Minus", True)}[char]


def azerty_key(code: str, shift: bool) -> str:
    """What an AZERTY system makes of that physical key: `event.key` as the browser reports it."""
    if code.startswith("Digit"):
        return code[-1] if shift else AZERTY_DIGITS["1234567890".index(code[-1])]
    unshifted, shifted = AZERTY_KEYS.get(code, (code[3:].lower(), code[3:]))
    return shifted if shift else unshifted


def azerty_events(text: str) -> list[dict[str, Any]]:
    events = []
    for char in text:
        code, shift = us_keystroke(char)
        events.append({"key": azerty_key(code, shift), "code": code, "shiftKey": shift})
    return events + [{"key": "Enter", "code": "Enter", "shiftKey": False}]


DISPATCH = """(events) => {
  const target = document.activeElement || document.body;
  for (const init of events) {
    target.dispatchEvent(new KeyboardEvent("keydown", { ...init, bubbles: true, cancelable: true }));
  }
}"""


def test_a_serial_scan_shows_the_ticket_live(scanner_server: Any, pty_scanner: PtyScanner, browser: Any,
                                             dour: Any, output_dir: Path) -> None:
    issued = issue(scanner_server, dour)
    page = kiosk_page(browser, scanner_server, "fr")
    pty_scanner.scan(issued["url"])
    page.get_by_test_id("ticket-screen").wait_for()
    assert page.get_by_test_id("ticket-number").inner_text().strip() == issued["ticket"]["number"]
    cnie = "Carte Nationale d'Identité Électronique (CNIE)"
    assert page.get_by_test_id("ticket-service").inner_text() == cnie
    assert page.get_by_test_id("not-printed").is_hidden()  # a scanned ticket is not "not printed"
    page.screenshot(path=str(output_dir / "kiosk-serial-scan-ticket.png"))


def test_a_wedge_scan_on_azerty_gives_the_right_code(scanner_server: Any, browser: Any, dour: Any,
                                                     output_dir: Path) -> None:
    issued = issue(scanner_server, dour, "passport")
    events = azerty_events(issued["url"])
    assert "&" in {event["key"] for event in events}  # the "1" of 127.0.0.1, as an AZERTY system types it
    page = kiosk_page(browser, scanner_server, "fr")
    with page.expect_response(lambda response: response.url.endswith(SCANS)) as posted:
        page.evaluate(DISPATCH, events)
    assert posted.value.status == 200
    page.get_by_test_id("ticket-screen").wait_for()
    assert page.get_by_test_id("ticket-number").inner_text().strip() == issued["ticket"]["number"]
    page.screenshot(path=str(output_dir / "kiosk-wedge-azerty-ticket.png"))


def test_a_scan_on_the_start_screen_opens_the_ticket(scanner_server: Any, pty_scanner: PtyScanner,
                                                     browser: Any, dour: Any) -> None:
    issued = issue(scanner_server, dour)
    page = browser.new_page(viewport={"width": 1080, "height": 1920}, has_touch=True)
    page.goto(f"{scanner_server.url}/enrol?token={scanner_server.kiosk_token}&next=/kiosk")
    page.get_by_test_id("start-screen").wait_for()
    page.wait_for_function("() => document.body.dataset.scanner === 'connected'")
    pty_scanner.scan(issued["url"])
    page.get_by_test_id("ticket-screen").wait_for()
    assert page.get_by_test_id("ticket-number").inner_text().strip() == issued["ticket"]["number"]


def test_slow_typing_is_not_a_scan(scanner_server: Any, browser: Any) -> None:
    page = kiosk_page(browser, scanner_server, "en")
    posts: list[str] = []
    page.on("request", lambda request: posts.append(request.url) if SCANS in request.url else None)
    page.keyboard.type("123456", delay=80)  # a quick typist: still far slower than a scanner
    page.keyboard.press("Enter")
    with page.expect_response(lambda response: response.url.endswith(SCANS)):
        page.evaluate(DISPATCH, azerty_events("NOT-A-CODE"))  # a fast burst afterwards: the only scan
    page.get_by_test_id("scan-message").wait_for()
    assert len(posts) == 1
    assert page.get_by_test_id("services-screen").is_visible()


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_garbage_gets_the_sentence_in_the_page_language(scanner_server: Any, pty_scanner: PtyScanner,
                                                        browser: Any, output_dir: Path, lang: str) -> None:
    expected = Translations.load(str(CATALOGS), [lang]).gettext(NOT_OURS)
    assert expected != NOT_OURS
    page = kiosk_page(browser, scanner_server, lang)
    pty_scanner.scan("<img src=x onerror=alert(1)>GARBAGE")
    message = page.get_by_test_id("scan-message")
    message.wait_for()
    assert page.get_by_test_id("scan-message-text").inner_text() == expected
    assert "GARBAGE" not in page.content()
    page.screenshot(path=str(output_dir / f"kiosk-garbage-scan-{lang}.png"))
    message.click()
    message.wait_for(state="hidden")
