"""No English left on a page in another language, as Chromium shows it (not only as the catalogs say).

For each non-English language, Chromium renders the kiosk (services, appointment, fees, receipt and ticket),
the waiting-room display, the visitor's ticket page, the agent login and the desk with a ticket called. Every
visible text (each text node, each element's whole text, and the labels a screen reader reads: aria-label,
alt, title, placeholder) is compared with the English source: a text equal to a catalog msgid, or matching a
msgid with placeholders, or equal to a service or fee name in English, fails when that language translates it
differently. Proper nouns and codes that stay the same in every language are allowed (ALLOWED)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

from core import config as site_config
from hardware.payment import CaisseApSimulator

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = ROOT / "core" / "translations"
OTHER_LANGUAGES = ["ar", "fr", "es", "it", "de", "nl"]
# Texts the same in every language: names, codes and keys.
ALLOWED = {"Dour", "eTimbre", "eConsulat", "CNIE", "QR", "RDV-", "Esc", "N", "R", "S", "F", "X", "T", "U"}
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|\{[a-z_]+\}")
# A placeholder msgid is matched only where its own words say something (not "%(minutes)s min").
MIN_LITERAL_LETTERS = 6

VISIBLE_TEXTS = """() => {
  const shown = (el) => el && !el.closest("script, style, template, [hidden]") && el.checkVisibility();
  const clean = (text) => (text || "").replace(/\\s+/g, " ").trim();
  const texts = new Set([clean(document.title)]);
  const nodes = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = nodes.nextNode(); node; node = nodes.nextNode()) {
    if (shown(node.parentElement)) texts.add(clean(node.data));
  }
  for (const el of document.querySelectorAll("body *")) {
    if (!shown(el)) continue;
    if (el.children.length && el.innerText && el.innerText.length < 300) texts.add(clean(el.innerText));
    for (const name of ["aria-label", "alt", "title", "placeholder"]) {
      if (el.hasAttribute(name)) texts.add(clean(el.getAttribute(name)));
    }
  }
  texts.delete("");
  return [...texts];
}"""


@cache
def translations(lang: str) -> dict[str, str]:
    """English source → its translation in `lang` (plural forms: each English form → the first form)."""
    with (CATALOGS / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    pairs: dict[str, str] = {}
    for message in catalog:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string or ())
        for source in ids:
            pairs[source] = strings[0] if strings else ""
    config = site_config.load(env={})
    for service in config.services.values():
        named = [service.names, *[item.names for item in service.fees]]
        for names in named:
            if "en" in names and lang in names:
                pairs[names["en"]] = names[lang]
    return pairs


@cache
def untranslated_patterns(lang: str) -> list[tuple[str, re.Pattern[str]]]:
    """Each English source `lang` translates differently, as a pattern of the whole text."""
    patterns = []
    for source, translated in translations(lang).items():
        if translated.strip() == source.strip() or source in ALLOWED:
            continue
        literal = PLACEHOLDER.sub("", source)
        if PLACEHOLDER.search(source) and sum(ch.isalpha() for ch in literal) < MIN_LITERAL_LETTERS:
            continue
        parts = [re.escape(part) for part in PLACEHOLDER.split(" ".join(source.split()))]
        patterns.append((source, re.compile(".+?".join(parts))))
    return patterns


def english_on(page: Any, lang: str, where: str) -> list[str]:
    """What `page` shows in English that `lang` translates: "where: text (msgid)" for each."""
    found = []
    for text in page.evaluate(VISIBLE_TEXTS):
        if text in ALLOWED:
            continue
        for source, pattern in untranslated_patterns(lang):
            if pattern.fullmatch(text):
                found.append(f"{lang} {where}: {text!r} (source {source!r})")
    return found


@pytest.fixture
def site_server(tmp_path: Path, dour: Any) -> Iterator[Any]:
    """A site whose kiosk takes cards (a simulated Concert terminal), without a printer."""
    with CaisseApSimulator(slow_seconds=0.05) as terminal:
        srv = dour.Server(tmp_path, env={"DOUR_DEVICES_PAYMENT": terminal.uri,
                                         "DOUR_POLICY_KIOSK_IDLE_SECONDS": "600"}).provision()
        srv.start()
        try:
            yield srv
        finally:
            srv.stop()


def kiosk_pages(page: Any, server: Any, lang: str) -> list[str]:
    found = []
    page.goto(f"{server.url}/kiosk?lang={lang}")
    page.get_by_test_id("services-screen").wait_for()
    found += english_on(page, lang, "kiosk services")
    page.get_by_test_id("appointment-button").click()
    page.get_by_test_id("appointment-screen").wait_for()
    found += english_on(page, lang, "kiosk appointment")
    page.get_by_test_id("appointment-back").click()
    page.get_by_test_id("service-registration").click()
    page.get_by_test_id("ticket-screen").wait_for()
    page.get_by_test_id("ticket-number").wait_for()
    found += english_on(page, lang, "kiosk ticket")
    page.goto(f"{server.url}/kiosk?lang={lang}")
    page.get_by_test_id("service-passport").click()
    page.get_by_test_id("payment-screen").wait_for()
    found += english_on(page, lang, "kiosk fees")
    page.get_by_test_id("pay-card").click()
    page.get_by_test_id("receipt").wait_for(timeout=15_000)
    found += english_on(page, lang, "kiosk receipt")
    return found


def test_no_page_shows_english_in_another_language(site_server: Any, dour: Any, browser: Any) -> None:
    server = site_server
    kiosk = browser.new_page(viewport={"width": 1080, "height": 1920})
    kiosk.goto(f"{server.url}/enrol?token={server.kiosk_token}&next=/kiosk")
    kiosk.get_by_test_id("start-screen").wait_for()
    found = english_on(kiosk, "fr", "kiosk start")  # the site's language until a visitor chooses
    display = browser.new_page(viewport={"width": 1920, "height": 1080}, locale="en-GB")
    display.goto(f"{server.url}/enrol?token={server.display_token}&next=/display")
    ticket_ids = []
    session = dour.kiosk_session(server)
    for service in ("cnie", "passport"):
        answer = session.post(f"{server.url}/api/kiosk/tickets", json={"service": service})
        assert answer.status_code == 201
        ticket_ids.append(answer.json()["ticket"]["id"])
    staff = browser.new_page(viewport={"width": 1600, "height": 1000})
    staff.goto(f"{server.url}/login?lang=en")
    staff.get_by_test_id("username").fill(dour.AGENT)
    staff.get_by_test_id("password").fill(dour.AGENT_PASSWORD)
    staff.get_by_test_id("login-submit").click()
    staff.get_by_test_id("counter-option-1").click()
    staff.get_by_test_id("btn-next").click()
    staff.get_by_test_id("btn-recall").wait_for()
    staff.wait_for_function("() => !document.querySelector('[data-testid=btn-recall]').disabled")
    for lang in OTHER_LANGUAGES:
        found += kiosk_pages(kiosk, server, lang)
        display.goto(f"{server.url}/display?languages={lang}")
        display.wait_for_function("() => document.body.dataset.lastSeq !== undefined")
        display.wait_for_function("() => document.querySelector('.recent-list li') !== null")
        found += english_on(display, lang, "display")
        visitor = browser.new_page(viewport={"width": 390, "height": 844})
        visitor.goto(f"{server.url}/t/{ticket_ids[1]}?lang={lang}")
        visitor.get_by_test_id("updated-at").wait_for()
        found += english_on(visitor, lang, "visitor page")
        visitor.close()
        login = browser.new_page()
        login.goto(f"{server.url}/login?lang={lang}")
        found += english_on(login, lang, "login")
        login.close()
        staff.goto(f"{server.url}/counter?lang={lang}")
        staff.wait_for_function("() => !document.querySelector('[data-testid=btn-recall]').disabled")
        found += english_on(staff, lang, "desk")
    assert not found, "\n".join(found)
    # The check sees English where there is some: the English desk, read as if it were German or Arabic.
    staff.goto(f"{server.url}/counter?lang=en")
    staff.wait_for_function("() => !document.querySelector('[data-testid=btn-recall]').disabled")
    for lang in ("de", "ar"):
        caught = " ".join(english_on(staff, lang, "desk"))
        assert "Call next" in caught and "Keyboard shortcuts" in caught and "Passport" in caught


# --- Arabic: codes isolated and never mirrored; digits by site.arabic_digits ------------------------------
ARABIC_INDIC, WESTERN = re.compile(r"[\u0660-\u0669]"), re.compile(r"[0-9]")
# Every ticket code on the page ("D-001") as the eye reads it: its letter must stand left of its digits.
MIRRORED_CODES = r"""() => {
  const found = [];
  const texts = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let text = texts.nextNode(); text; text = texts.nextNode()) {
    if (!text.parentElement.checkVisibility()) continue;
    for (const code of text.data.matchAll(/[A-Z]-[0-9]{3,}/g)) {
      const x = (at) => {
        const range = document.createRange();
        range.setStart(text, at);
        range.setEnd(text, at + 1);
        return range.getBoundingClientRect().left;
      };
      if (x(code.index) > x(code.index + code[0].length - 1)) found.push(code[0]);
    }
  }
  return found;
}"""
# The elements that hold a ticket code or a counter number alone: each must be a <bdi>.
CODE_HOLDERS = ("[data-testid=ticket-number], [data-testid=counter-number], [data-testid=current-number], "
                "[data-testid=current-counter], .recent-number, .recent-counter, .waiting-item .number")
NOT_ISOLATED = f"""() => [...document.querySelectorAll("{CODE_HOLDERS}")]
  .filter((el) => el.checkVisibility() && el.tagName !== "BDI").map((el) => el.outerHTML.slice(0, 80))"""


@pytest.fixture(params=["western", "arabic-indic"])
def digits_server(request: pytest.FixtureRequest, tmp_path: Path, dour: Any) -> Iterator[Any]:
    srv = dour.Server(tmp_path, env={"DOUR_SITE_ARABIC_DIGITS": request.param,
                                     "DOUR_POLICY_KIOSK_IDLE_SECONDS": "600"}).provision()
    srv.digits = request.param
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def test_arabic_pages_isolate_codes_and_write_quantities_in_the_site_digits(
    digits_server: Any, dour: Any, browser: Any,
) -> None:
    server = digits_server
    local, other = (ARABIC_INDIC, WESTERN) if server.digits == "arabic-indic" else (WESTERN, ARABIC_INDIC)
    problems: list[str] = []

    def check(page: Any, where: str, quantities: list[str]) -> None:
        problems.extend(f"{where}: mirrored {code}" for code in page.evaluate(MIRRORED_CODES))
        problems.extend(f"{where}: not in a <bdi>: {html}" for html in page.evaluate(NOT_ISOLATED))
        for testid in quantities:
            text = page.get_by_test_id(testid).first.inner_text()
            if not local.search(text) or other.search(text):
                problems.append(f"{where}: {testid} {text!r} is not in {server.digits} digits")

    session = dour.kiosk_session(server)
    for _ in range(2):
        answer = session.post(f"{server.url}/api/kiosk/tickets", json={"service": "registration"})
        assert answer.status_code == 201
    kiosk = browser.new_page(viewport={"width": 1080, "height": 1920})
    kiosk.goto(f"{server.url}/enrol?token={server.kiosk_token}&next=/kiosk?lang=ar")
    kiosk.get_by_test_id("services-screen").wait_for()
    check(kiosk, "kiosk services", [])
    waiting = kiosk.locator("[data-service=registration] .service-waiting").inner_text()
    if not local.search(waiting) or other.search(waiting):
        problems.append(f"kiosk services: {waiting!r} is not in {server.digits} digits")
    kiosk.get_by_test_id("service-registration").click()  # free: straight to the ticket
    kiosk.get_by_test_id("ticket-screen").wait_for()
    kiosk.wait_for_function("() => document.querySelector('[data-testid=people-ahead]').textContent !== ''")
    check(kiosk, "kiosk ticket", ["people-ahead", "wait-minutes"])
    number = kiosk.get_by_test_id("ticket-number").inner_text()
    assert re.fullmatch(r"D-[0-9]{3}", number), number  # a code: Western digits in both settings

    counter = dour.open_counter_page(browser.new_page(), server, counter=3)  # registration
    counter.get_by_test_id("btn-next").click()
    counter.goto(f"{server.url}/counter?lang=ar")
    counter.get_by_test_id("waiting-item").first.wait_for()
    counter.wait_for_function(
        "() => document.querySelector('[data-testid=current-number]').textContent !== '—'")
    check(counter, "desk", [])

    display = browser.new_page(viewport={"width": 1920, "height": 1080})
    display.goto(f"{server.url}/enrol?token={server.display_token}&next=/display%3Flanguages%3Dar")
    display.wait_for_function("() => document.querySelector('.recent-list li') !== null")
    check(display, "display", ["date"])

    issued = session.post(f"{server.url}/api/kiosk/tickets", json={"service": "registration", "lang": "ar"})
    visitor = browser.new_page(viewport={"width": 390, "height": 844})
    visitor.goto(f"{server.url}/t/{issued.json()['ticket']['id']}?lang=ar")
    visitor.wait_for_function("() => document.querySelector('[data-testid=updated-at]').textContent !== ''")
    check(visitor, "visitor page", ["people-ahead", "updated-at"])
    assert not problems, "\n".join(problems)
