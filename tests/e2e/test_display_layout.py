"""The waiting-room display in Chromium (issue 9 §1/§2), on one server and one browser for the module:

- readable across the room: every ticket number on the screen (the call and the last calls) is drawn with its
  digits at least 8 % of the screen's height, in landscape (1920×1080) and portrait (1080×1920), in each of
  the seven languages (Arabic right to left), and nothing is wider than the screen or sticks out of its box;
- a display whose browser refuses to play sound (the default autoplay policy, nobody clicked) still shows the
  call, shows its crossed-out speaker, and the supervisor's page names it; after a click, the next call is
  heard and the warning goes away.

Playwright's evaluations count as a user gesture (they would unlock the sound), so the sound test looks at
the display page only once the server has heard that it could not play. The browser (tests/e2e/conftest.py)
has Chromium's default autoplay policy: no sound before someone clicks on the page."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import harness

pytestmark = pytest.mark.browser

LANGUAGES = ["ar", "fr", "en", "es", "it", "de", "nl"]
VIEWPORTS = [(1920, 1080), (1080, 1920)]
MIN_SHARE = 0.08
CHIEF = {"username": "display-chief", "password": "supervisor-password-1"}
SETTLED = "() => document.body.dataset.lastSeq !== undefined && document.fonts.status === 'loaded'"

# The height of each ticket number's digits (canvas ink box of its text in its computed font) as a share of
# the viewport's height; and what is wider than the screen or sticks out of its box.
MEASURE = """() => {
  const width = window.innerWidth, height = window.innerHeight, root = document.documentElement;
  const label = (el) => `${el.tagName.toLowerCase()}.${el.className || el.dataset.testid || ""}` +
    ` "${(el.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 30)}"`;
  const shown = (el) => !el.closest("svg, script") && el.checkVisibility();
  const pen = document.createElement("canvas").getContext("2d");
  const numbers = [...document.querySelectorAll(".call-number, .recent-number")].filter(shown).map((el) => {
    const style = getComputedStyle(el);
    pen.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const ink = pen.measureText(el.textContent);
    const drawn = ink.actualBoundingBoxAscent + ink.actualBoundingBoxDescent;
    return { text: el.textContent, share: drawn / height };
  });
  const problems = [];
  if (root.scrollWidth > width || document.body.scrollWidth > width) {
    problems.push(`the page is wider than the screen: ${root.scrollWidth}`);
  }
  for (const el of document.querySelectorAll("body *")) {
    if (!shown(el)) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (box.left < -0.5 || box.right > width + 0.5 || box.bottom > height + 0.5) {
      problems.push(`off screen: ${label(el)} ${Math.round(box.left)}–${Math.round(box.right)}`);
    }
    const style = getComputedStyle(el);
    if (!["inline", "contents"].includes(style.display) && style.textOverflow !== "ellipsis" &&
        el.scrollWidth > el.clientWidth + 1) {
      problems.push(`wider than its box: ${label(el)} ${el.scrollWidth} in ${el.clientWidth}`);
    }
    const holder = el.parentElement.closest("li, section, header, footer, div, ul, ol");
    const outer = holder && holder !== document.body ? holder.getBoundingClientRect() : null;
    if (outer && getComputedStyle(el).position !== "fixed" &&
        (box.left < outer.left - 1 || box.right > outer.right + 1 || box.bottom > outer.bottom + 1)) {
      problems.push(`sticks out of its box: ${label(el)} from ${label(holder)}`);
    }
  }
  return { numbers, problems };
}"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The server (kiosk1, display1, agent1 at counter 1, agent6 at counter 6, a supervisor) after five calls:
    the display shows one and lists the last ones."""
    server = harness.Server(tmp_path_factory.mktemp("display-layout")).provision()
    server.add_user(CHIEF["username"], CHIEF["password"], "supervisor")
    server.add_user("agent6", "agent-password-6")
    server.start()
    try:
        for service in ("passport", "passport", "cnie", "legalisation", "passport"):
            issue(server, service)
        desk = harness.agent_session(server)
        for _ in range(3):
            call_next(server, desk)
        call_next(server, harness.agent_session(server, 6, "agent6", "agent-password-6"))
        call_next(server, desk)
        yield server
    finally:
        server.stop()


def issue(server: Any, service: str = "passport") -> None:
    harness.kiosk_session(server).post(f"{server.url}/api/kiosk/tickets", json={"service": service},
                                       timeout=10).raise_for_status()


def call_next(server: Any, desk: requests.Session) -> str:
    """The desk's ticket marked no-show (if it holds one), then the next one called: its number."""
    held = desk.get(f"{server.url}/api/counter/state", timeout=10).json()["current"]
    if held:
        desk.post(f"{server.url}/api/counter/tickets/{held['id']}/no-show", timeout=10).raise_for_status()
    return str(desk.post(f"{server.url}/api/counter/next", timeout=10).json()["ticket"]["number"])


def display_url(server: Any, query: str) -> str:
    return f"{server.url}/enrol?token={server.display_token}&next=/display%3F{query.replace('&', '%26')}"


def test_ticket_numbers_are_a_twelfth_of_the_screen_and_nothing_overflows(
        site: Any, browser: Any, output_dir: Path) -> None:
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    smallest: dict[tuple[int, int], float] = {}
    called: dict[tuple[int, int], float] = {}  # the number being called
    problems = []
    for lang in LANGUAGES:
        page.goto(display_url(site, f"languages={lang}&mute=1"))
        page.wait_for_function(SETTLED)
        page.wait_for_function("() => document.querySelectorAll('.recent-list li').length === 5")
        for width, height in VIEWPORTS:
            page.set_viewport_size({"width": width, "height": height})
            found = page.evaluate(MEASURE)
            shown = [number["text"] for number in found["numbers"]]
            assert len(shown) == (6 if width > height else 4), shown  # the call + 5 or 3 last calls
            share = min(number["share"] for number in found["numbers"])
            smallest[(width, height)] = min(share, smallest.get((width, height), 1.0))
            called[(width, height)] = found["numbers"][0]["share"]
            if share < MIN_SHARE or found["problems"] or lang in ("ar", "de"):
                page.screenshot(path=str(output_dir / f"display-{lang}-{width}x{height}.png"))
            problems += [f"{lang} {width}×{height}: {problem}" for problem in found["problems"]]
            problems += [f"{lang} {width}×{height}: {n['text']} is {n['share']:.1%} of the height"
                         for n in found["numbers"] if n["share"] < MIN_SHARE]
        page.set_viewport_size({"width": 1920, "height": 1080})
    for (w, h), share in smallest.items():  # figures for docs/speech.md
        print(f"{w}x{h}: smallest ticket number {share:.1%}, the call {called[(w, h)]:.1%} of the height")
    assert not problems, "\n".join(problems)


def staff_session(server: Any) -> requests.Session:
    http = requests.Session()
    http.headers["Origin"] = server.url
    http.post(f"{server.url}/api/auth/login", json=CHIEF, timeout=10).raise_for_status()
    return http


def sound_alert(staff: requests.Session, server: Any) -> dict[str, Any] | None:
    alerts = staff.get(f"{server.url}/api/devices/health", timeout=10).json()["alerts"]
    return next((alert for alert in alerts if alert["device"] == "display:display1"), None)


def wait_until(predicate: Any, seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := predicate():
            return found
        time.sleep(0.2)
    raise AssertionError("not in time")


def open_supervisor_page(browser: Any, server: Any) -> Any:
    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    page.goto(f"{server.url}/login?lang=fr")
    page.get_by_test_id("username").fill(CHIEF["username"])
    page.get_by_test_id("password").fill(CHIEF["password"])
    page.get_by_test_id("login-submit").click()
    page.wait_for_url("**/counter**")
    page.goto(f"{server.url}/supervisor?lang=fr")
    return page


def test_a_display_that_cannot_play_sound_is_named_to_the_supervisor_until_it_plays(
        site: Any, browser: Any, output_dir: Path) -> None:
    staff = staff_session(site)
    display = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
    with display.expect_response(lambda answer: "/api/display/snapshot" in answer.url):
        display.goto(display_url(site, "languages=fr&speech=fr"))
    issue(site)
    number = call_next(site, harness.agent_session(site))
    alert = wait_until(lambda: sound_alert(staff, site))  # nothing evaluated in the display page meanwhile
    assert (alert["state"], alert["reason"]) == ("degraded", "sound_blocked")
    assert display.get_by_test_id("current-number").text_content() == number  # the call is still shown
    assert display.get_by_test_id("sound-off").is_visible()
    supervisor = open_supervisor_page(browser, site)
    warning = supervisor.locator('[data-testid=device-alerts] [data-device="display:display1"]')
    warning.wait_for()
    assert warning.text_content().startswith("Écran display1 · Ne peut pas émettre de son")
    supervisor.screenshot(path=str(output_dir / "supervisor-display-without-sound.png"))

    display.get_by_test_id("sound-hint").click()  # staff click once: the browser may play from now on
    issue(site)
    call_next(site, harness.agent_session(site))
    wait_until(lambda: sound_alert(staff, site) is None)
    warning.wait_for(state="detached")  # live, from the device.health event
    assert display.get_by_test_id("sound-off").is_hidden()


def test_a_zone_chosen_on_the_supervisor_page_redraws_the_display_at_once(
        site: Any, browser: Any, output_dir: Path) -> None:
    display = browser.new_page(viewport={"width": 1920, "height": 1080})
    display.goto(display_url(site, "languages=fr&mute=1"))
    display.wait_for_function(SETTLED)
    assert display.locator(".tile").count() == 9
    supervisor = open_supervisor_page(browser, site)
    supervisor.get_by_test_id("zone-display").select_option("display1")
    supervisor.get_by_test_id("control-panel").screenshot(path=str(output_dir / "zone-control.png"))
    supervisor.get_by_test_id("zone-service-passport").check()
    supervisor.get_by_test_id("zone-counter-1").check()
    supervisor.get_by_test_id("control-why").fill("Salle des passeports")
    supervisor.get_by_test_id("zone-apply").click()
    supervisor.get_by_test_id("zones").get_by_text("display1 : A · Passeport, aux guichets 1").wait_for()
    supervisor.get_by_test_id("zones").screenshot(path=str(output_dir / "supervisor-zones.png"))
    display.wait_for_function("() => document.querySelectorAll('.tile').length === 1")  # reloaded
    display.wait_for_function(SETTLED)
    assert display.locator(".tile").get_attribute("data-service") == "passport"
    shown = display.locator(".recent-list li").evaluate_all("items => items.map(li => li.dataset.number)")
    assert shown and all(number.startswith("A-") for number in shown)  # no B-001 (counter 1), no E-001
    display.screenshot(path=str(output_dir / "display-passport-zone.png"))
    staff_session(site).put(f"{site.url}/api/supervisor/displays/display1/zone", timeout=10, json={
        "services": [], "counters": [], "reason": "the whole site again"}).raise_for_status()
    display.wait_for_function("() => document.querySelectorAll('.tile').length === 9")
