"""A visitor with an appointment at the kiosk, in real Chromium against the real server: the QR code read by a
keyboard-wedge scanner checks in once and shows the slot; a forged code and an unknown booking reference get
their sentence on the appointment screen; the keypad checks a synced appointment in; too late, the kiosk
offers a walk-in ticket for the same service; in Arabic the screen is right to left and the reference is not.

The central's signing key is cached in the server's database while it runs (the kiosk reads the keys at every
scan), and the tokens are signed here with its private half, as the central would."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from babel.support import Translations

from core import appointments
from core import config as site_config
from core.checkin import SENTENCES
from core.store import Store
from hardware.scanner import PtyScanner
from sync import tokens

pytestmark = pytest.mark.browser
BENCH_PATH = Path(__file__).resolve().parents[2] / "bench" / "bench_checkin_browser.py"
SCANS = "/api/kiosk/scans"
KEYPAD = "/api/kiosk/appointments/check-in"
ISSUE = "/api/kiosk/tickets"
CATALOGS = Path(__file__).resolve().parents[2] / "core" / "translations"
LANGUAGES = ("ar", "fr", "en", "es", "it", "de", "nl")
VIEWPORTS = ({"width": 1080, "height": 1920}, {"width": 1920, "height": 1080})
LATE_MINUTES = 1  # the server's check-in window closes 1 min after the slot: "too late" needs no long wait
KEY = tokens.new_private_key()
OTHER_KEY = tokens.new_private_key()


def load_bench() -> ModuleType:
    """The check-in bench's helpers (signing key, tokens, wedge keystrokes), shared with this test."""
    name = "dour_bench_checkin_browser"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, BENCH_PATH)
        assert spec and spec.loader
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


bench = load_bench()
DISPATCH = """(events) => {
  const target = document.activeElement || document.body;
  for (const init of events) {
    target.dispatchEvent(new KeyboardEvent("keydown", { ...init, bubbles: true, cancelable: true }));
  }
}"""


@pytest.fixture
def appointment_server(tmp_path: Path, dour: Any) -> Iterator[Any]:
    """A running server with the central's signing key cached in its database."""
    srv = dour.Server(tmp_path, env={"DOUR_POLICY_CHECKIN_LATE_MINUTES": str(LATE_MINUTES)}).provision()
    srv.start()
    try:
        bench.cache_signing_key(srv, KEY)
        yield srv
    finally:
        srv.stop()


@contextmanager
def open_store(server: Any) -> Iterator[Store]:
    """The server's database, opened beside the running server (one more writer, as the sync worker is)."""
    store = Store(server.database)
    try:
        yield store
    finally:
        store.close()


def site_of(server: Any, dour: Any) -> site_config.SiteConfig:
    """The configuration the server runs with: its site id and time zone."""
    return site_config.load(env=dour.server_env(server.env))


def appointment_token(config: site_config.SiteConfig, number: int, start: datetime, persons: int = 1,
                      key: Any = KEY) -> str:
    return str(bench.appointment_token(config, number, start, key, persons=persons))


def translate(lang: str, message: str, **params: str) -> str:
    text = Translations.load(str(CATALOGS), [lang]).gettext(message)
    assert text != message or lang == "en"
    return text % params if params else text


def kiosk_page(browser: Any, server: Any, lang: str | None, viewport: dict[str, int] = VIEWPORTS[0]) -> Any:
    page = browser.new_page(viewport=viewport, has_touch=True)
    target = f"/kiosk?lang={lang}" if lang else "/kiosk"
    page.goto(f"{server.url}/enrol?token={server.kiosk_token}&next={target}")
    page.wait_for_function("() => document.body.dataset.scanner === 'connected'")
    return page


def scan(page: Any, code: str, status: int) -> dict[str, Any]:
    """A keyboard-wedge scan of `code`, in one fast burst as a scanner types it; the server's answer."""
    with page.expect_response(lambda response: response.url.endswith(SCANS)) as posted:
        page.evaluate(DISPATCH, bench.wedge_events(code))
    assert posted.value.status == status, posted.value.text()
    answer: dict[str, Any] = posted.value.json()
    return answer


def type_reference(page: Any, text: str) -> None:
    for char in text.removeprefix("RDV-"):
        page.get_by_test_id(f"key-{char}").tap()


def test_a_scanned_appointment_checks_in_once_and_shows_its_slot(
        appointment_server: Any, browser: Any, dour: Any, output_dir: Path) -> None:
    config = site_of(appointment_server, dour)
    start = bench.slot_soon(config)
    token = appointment_token(config, 1, start, persons=3)
    page = kiosk_page(browser, appointment_server, "fr")
    first = scan(page, token, 201)
    page.get_by_test_id("ticket-screen").wait_for()
    number = first["ticket"]["number"]
    assert page.get_by_test_id("ticket-number").inner_text().strip() == number
    hhmm = start.astimezone(config.tz).strftime("%H:%M")
    slot_line = page.get_by_test_id("ticket-appointment").inner_text()
    assert slot_line == translate("fr", "Appointment at %(time)s", time=hhmm) == f"Rendez-vous à {hhmm}"
    assert page.get_by_test_id("ticket-persons").inner_text() == "Pour 3 personnes"  # one ticket, the group
    page.screenshot(path=str(output_dir / "kiosk-appointment-ticket-fr.png"))

    page.evaluate("document.querySelector('[data-testid=ticket-number]').textContent = ''")
    again = scan(page, token, 200)  # the same code again: the same ticket, never a second one
    assert again["ticket"]["number"] == number and again["data"]["checked_in"] is False
    page.wait_for_function("n => document.querySelector('[data-testid=ticket-number]').textContent === n",
                           arg=number)
    assert page.get_by_test_id("ticket-appointment").is_visible()


def test_a_forged_code_is_explained_on_the_appointment_screen(
        appointment_server: Any, browser: Any, dour: Any, output_dir: Path) -> None:
    config = site_of(appointment_server, dour)
    page = kiosk_page(browser, appointment_server, "fr")
    refused = scan(page, appointment_token(config, 2, bench.slot_soon(config), key=OTHER_KEY), 400)
    assert refused["error"] == "appointment_forged"
    message = page.get_by_test_id("appointment-message")
    message.wait_for()
    assert message.inner_text() == translate("fr", SENTENCES["forged"])
    assert page.get_by_test_id("appointment-screen").is_visible()
    assert page.get_by_test_id("scan-message").is_hidden()  # on the screen, not a passing overlay
    assert page.get_by_test_id("walk-in-offer").is_hidden()
    page.screenshot(path=str(output_dir / "kiosk-appointment-forged-fr.png"))
    page.get_by_test_id("appointment-back").tap()
    page.get_by_test_id("services-screen").wait_for()


def test_the_keypad_checks_a_synced_appointment_in(appointment_server: Any, browser: Any, dour: Any,
                                                   output_dir: Path) -> None:
    config = site_of(appointment_server, dour)
    start = bench.slot_soon(config)
    item = {"id": "apt_e2e_keypad", "reference": "RDV-K7Q3M9", "site": config.site_id,
            "services": ["civil_status"], "slot_start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "slot_end": (start + timedelta(minutes=15)).strftime("%Y-%m-%dT%H:%M:%SZ"), "persons": 2,
            "lang": "fr", "applicant": "APL-5D2F9A1C", "documents": [], "status": "booked", "version": 1}
    with open_store(appointment_server) as store, store.write() as db:
        appointments.store_from_central(db, appointments.validated(item, config), "central")

    page = kiosk_page(browser, appointment_server, "fr")
    page.get_by_test_id("appointment-button").tap()
    page.get_by_test_id("appointment-screen").wait_for()
    assert page.evaluate("document.activeElement.dataset.testid") == "appointment-title"
    field = page.get_by_test_id("reference-field")
    assert field.inner_text() == "RDV-" and page.get_by_test_id("reference-submit").is_disabled()
    type_reference(page, "RDV-K7Q3M9X")  # a seventh character is not taken
    assert field.inner_text() == "RDV-K7Q3M9"
    page.get_by_test_id("reference-backspace").tap()
    assert field.inner_text() == "RDV-K7Q3M"
    page.get_by_test_id("key-9").tap()
    page.screenshot(path=str(output_dir / "kiosk-appointment-keypad-fr.png"))
    with page.expect_response(lambda response: response.url.endswith(KEYPAD)) as posted:
        page.get_by_test_id("reference-submit").tap()
    assert posted.value.status == 201
    page.get_by_test_id("ticket-screen").wait_for()
    number = posted.value.json()["ticket"]["number"]
    assert page.get_by_test_id("ticket-number").inner_text().strip() == number
    assert page.get_by_test_id("ticket-persons").inner_text() == "Pour 2 personnes"

    page.goto(f"{appointment_server.url}/kiosk?lang=fr")  # the next visitor: a reference never synced here
    page.get_by_test_id("appointment-button").tap()
    type_reference(page, "RDV-ZZZ222")
    with page.expect_response(lambda response: response.url.endswith(KEYPAD)) as posted:
        page.get_by_test_id("reference-submit").tap()
    assert posted.value.status == 404
    message = page.get_by_test_id("appointment-message")
    message.wait_for()
    assert message.inner_text() == translate("fr", SENTENCES["unknown_reference"])
    assert "accueil" in message.inner_text()
    assert page.get_by_test_id("appointment-back").is_visible()
    page.screenshot(path=str(output_dir / "kiosk-appointment-unknown-reference-fr.png"))


def test_too_late_offers_a_walk_in_ticket_for_the_service(appointment_server: Any, browser: Any, dour: Any,
                                                          output_dir: Path) -> None:
    config = site_of(appointment_server, dour)
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(minutes=LATE_MINUTES + 2)
    if config.local_day(start) != config.local_day(now):
        pytest.skip("just after local midnight: a slot that has passed would be yesterday's")
    token = appointment_token(config, 3, start)

    start_page = kiosk_page(browser, appointment_server, None)  # language not chosen: the sentence only
    scan(start_page, token, 409)
    start_page.get_by_test_id("scan-message").wait_for()
    assert start_page.get_by_test_id("scan-message-text").inner_text()
    assert start_page.get_by_test_id("walk-in-offer").count() == 0
    start_page.close()

    page = kiosk_page(browser, appointment_server, "fr")
    refused = scan(page, token, 409)
    assert refused["error"] == "appointment_too_late" and refused["details"] == {"walk_in": "civil_status"}
    message = page.get_by_test_id("appointment-message")
    message.wait_for()  # the page shows the answer once it has read it, after the response above
    assert message.inner_text() == translate("fr", SENTENCES["too_late"])
    offer = page.get_by_test_id("walk-in-offer")
    assert offer.inner_text() == "Prendre un ticket sans rendez-vous"
    page.screenshot(path=str(output_dir / "kiosk-appointment-too-late-fr.png"))
    with page.expect_response(lambda response: response.url.endswith(ISSUE)) as issued:
        offer.tap()  # civil status is free: straight to its walk-in ticket
    ticket = issued.value.json()["ticket"]
    assert issued.value.status == 201 and ticket["kind"] == "walk_in" and ticket["service"] == "civil_status"
    page.get_by_test_id("ticket-screen").wait_for()
    assert page.get_by_test_id("ticket-number").inner_text().strip() == ticket["number"]
    assert page.get_by_test_id("ticket-appointment").is_hidden()


def test_arabic_appointment_screen_is_right_to_left_with_a_left_to_right_reference(
        appointment_server: Any, browser: Any, output_dir: Path) -> None:
    page = kiosk_page(browser, appointment_server, "ar", VIEWPORTS[1])
    page.get_by_test_id("appointment-button").tap()
    screen = page.get_by_test_id("appointment-screen")
    screen.wait_for()
    direction = "el => getComputedStyle(el).direction"
    assert screen.evaluate(direction) == "rtl"
    assert page.get_by_test_id("reference-field").evaluate(direction) == "ltr"
    assert page.get_by_test_id("keypad").evaluate(direction) == "ltr"
    # Mirrored: the scanner's sentence on the right, the keypad on the left.
    hint = page.get_by_test_id("scan-hint").bounding_box()
    keypad = page.get_by_test_id("keypad").bounding_box()
    assert hint["x"] > keypad["x"] + keypad["width"]
    type_reference(page, "RDV-7K3Q9M")
    field = page.get_by_test_id("reference-field")
    assert field.inner_text() == "RDV-7K3Q9M"
    text_box = field.evaluate("el => { const r = document.createRange(); r.selectNodeContents(el); "
                              "const b = r.getBoundingClientRect(), f = el.getBoundingClientRect(); "
                              "return { left: b.left - f.left, right: f.right - b.right }; }")
    assert text_box["left"] < text_box["right"]  # starts on the left, as written
    delete = translate("ar", "Delete the last character")
    assert page.get_by_role("button", name=delete).is_visible()
    page.screenshot(path=str(output_dir / "kiosk-appointment-keypad-ar.png"))


def test_the_appointment_entry_and_keys_fit_every_language(appointment_server: Any, browser: Any) -> None:
    """Visible without scrolling, portrait and landscape, in all seven languages; keys of at least 44 × 44
    px, each with its name."""
    for viewport in VIEWPORTS:
        page = kiosk_page(browser, appointment_server, "fr", viewport)
        for lang in LANGUAGES:
            page.goto(f"{appointment_server.url}/kiosk?lang={lang}")
            entry = page.get_by_test_id("appointment-button")
            box = entry.bounding_box()
            assert box and box["y"] + box["height"] <= viewport["height"], (lang, viewport, box)
            assert entry.inner_text().strip()
            entry.tap()
            for key in [*bench.REFERENCE_ALPHABET, "backspace", "submit"]:
                button = page.get_by_test_id(f"key-{key}" if len(key) == 1 else f"reference-{key}")
                size = button.bounding_box()
                assert size and size["width"] >= 44 and size["height"] >= 44, (lang, viewport, key, size)
            snapshot = page.get_by_test_id("keypad").aria_snapshot()
            assert 'button "A"' in snapshot and 'button "9"' in snapshot
            assert f'button "{translate(lang, "Delete the last character")}"' in snapshot, (lang, snapshot)
        page.close()


def test_a_space_in_a_scanned_code_never_presses_the_focused_button(appointment_server: Any,
                                                                    browser: Any) -> None:
    """Appointment codes contain spaces: inside a scanner's burst, a space is kept from the focused button."""
    page = kiosk_page(browser, appointment_server, "fr")
    page.get_by_test_id("service-civil_status").focus()
    prevented = page.evaluate("""() => {
      const target = document.activeElement, seen = [];
      for (const [key, code] of [["D", "KeyD"], ["R", "KeyR"], [" ", "Space"]]) {
        const event = new KeyboardEvent("keydown", { key, code, shiftKey: key !== " ", bubbles: true,
                                                      cancelable: true });
        target.dispatchEvent(event);
        seen.push(event.defaultPrevented);
      }
      return seen;
    }""")
    assert prevented == [False, False, True]


@pytest.fixture
def serial_scanner_server(tmp_path: Path, dour: Any) -> Iterator[tuple[Any, PtyScanner]]:
    """A server whose kiosk reads a pty scanner with the real serial driver, the key cached."""
    with PtyScanner() as scanner:
        srv = dour.Server(tmp_path, env={"DOUR_DEVICES_SCANNER": f"serial://{scanner.port}"}).provision()
        srv.start()
        try:
            bench.cache_signing_key(srv, KEY)
            yield srv, scanner
        finally:
            srv.stop()


def test_a_serial_scan_on_the_start_screen_opens_the_appointment_ticket(
        serial_scanner_server: tuple[Any, PtyScanner], browser: Any, dour: Any) -> None:
    server, scanner = serial_scanner_server
    config = site_of(server, dour)
    start = bench.slot_soon(config)
    page = kiosk_page(browser, server, None)
    page.get_by_test_id("start-screen").wait_for()
    scanner.scan(appointment_token(config, 4, start, persons=2))
    page.get_by_test_id("ticket-screen").wait_for()
    assert page.get_by_test_id("ticket-number").inner_text().strip().startswith("C-")
    lang = page.evaluate("document.documentElement.lang")  # the start page's language (the browser's)
    hhmm = start.astimezone(config.tz).strftime("%H:%M")
    slot_line = page.get_by_test_id("ticket-appointment").inner_text()
    assert slot_line == translate(lang, "Appointment at %(time)s", time=hhmm)
    party = Translations.load(str(CATALOGS), [lang]).ngettext("For %(num)s person", "For %(num)s persons", 2)
    assert page.get_by_test_id("ticket-persons").inner_text() == party % {"num": 2}


@pytest.fixture
def paying_appointment_server(tmp_path: Path, dour: Any, terminal: Any) -> Iterator[Any]:
    """A running server with the central's key cached and a Concert V3 terminal simulator at its kiosk."""
    srv = dour.Server(tmp_path, env={"DOUR_DEVICES_PAYMENT": terminal.uri}).provision()
    srv.start()
    try:
        bench.cache_signing_key(srv, KEY)
        yield srv
    finally:
        srv.stop()


def test_an_appointments_fees_are_paid_on_its_ticket_screen_after_check_in(
        paying_appointment_server: Any, terminal: Any, browser: Any, dour: Any, output_dir: Path) -> None:
    """The ticket comes at check-in, unpaid; the visitor pays now by card (a declined card first: back to the
    ticket or try again) and the receipt joins the ticket on screen; no second ticket, one charge."""
    server = paying_appointment_server
    config = site_of(server, dour)
    start = bench.slot_soon(config)
    page = kiosk_page(browser, server, "fr")

    later = scan(page, bench.appointment_token(config, 21, start, KEY, services=("passport",)), 201)
    offer = page.get_by_test_id("fee-offer")
    offer.wait_for()
    assert later["fees"]["total"] == page.get_by_test_id("fee-offer-total").inner_text() == "60,00\u00a0€"
    page.get_by_test_id("pay-ticket-counter").tap()  # pay at the counter: the offer closes, nothing charged
    assert offer.is_hidden() and page.get_by_test_id("ticket-screen").is_visible()
    assert terminal.requests == []

    page.goto(f"{server.url}/kiosk?lang=fr")  # the next visitor
    page.wait_for_function("() => document.body.dataset.scanner === 'connected'")
    checked = scan(page, bench.appointment_token(config, 22, start, KEY, services=("passport",)), 201)
    number = checked["ticket"]["number"]
    offer.wait_for()
    page.screenshot(path=str(output_dir / "1-fees-offered-fr.png"))
    terminal.script("decline", "slow")
    page.get_by_test_id("pay-ticket-card").tap()
    page.get_by_test_id("payment-failed-message").wait_for(timeout=15_000)
    assert "au guichet avec votre ticket" in page.get_by_test_id("payment-failed-message").inner_text()
    assert page.get_by_test_id("back-to-ticket").is_visible()
    assert page.get_by_test_id("pay-again").is_visible()
    assert page.get_by_test_id("pay-at-counter-after").is_hidden()  # never a second ticket
    assert page.get_by_test_id("payment-failed-back").is_hidden()
    page.get_by_test_id("pay-again").tap()  # the paying screen shows for the terminal's half second only
    receipt = page.get_by_test_id("receipt")
    receipt.wait_for(timeout=15_000)
    assert page.get_by_test_id("ticket-screen").is_visible() and offer.is_hidden()
    assert page.get_by_test_id("ticket-number").inner_text().strip() == number  # the same ticket
    assert page.get_by_test_id("receipt-total").inner_text() == "60,00\u00a0€"
    assert page.get_by_test_id("receipt-card").inner_text().strip() == "**** 4242"
    reference = page.get_by_test_id("receipt-reference").inner_text().strip()
    page.screenshot(path=str(output_dir / "2-paid-receipt-fr.png"))

    kiosk = dour.kiosk_session(server)
    paid = kiosk.get(f"{server.url}/api/kiosk/payments/{reference}", timeout=10).json()
    assert paid["payment"]["state"] == "approved" and paid["payment"]["ticket_id"] == checked["ticket"]["id"]
    assert len(terminal.charges(reference)) == 1
    assert [t.verdict for t in terminal.ledger.entries] == ["approved"]
    again = kiosk.post(f"{server.url}/api/kiosk/payments", json={"ticket_id": checked["ticket"]["id"],
                                                                  "request_id": "again"}, timeout=10)
    assert again.status_code == 409  # paid once, never twice
