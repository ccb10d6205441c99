"""Spoken calls in Chromium: a burst of calls is announced one at a time, in order, chime then each language,
nothing overlapping and nothing twice; a recall is said again; a screen whose browser refuses to play sound
(the default autoplay policy, no click yet) still shows every call and tells staff.

The player records what it played in `window.dourAnnouncements` (epoch ms): `start`/`end` of each chime,
`playing`/`end` of each sentence. Playwright's evaluations count as a user gesture (they would unlock the
sound), so the no-sound test evaluates nothing until the calls were refused."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import CHROMIUM, CHROMIUM_FLAGS

pytestmark = pytest.mark.browser

SOUND_ALLOWED = [*CHROMIUM_FLAGS, "--autoplay-policy=no-user-gesture-required"]
SETTLED = "() => document.body.dataset.lastSeq !== undefined"


@pytest.fixture
def sound_browser() -> Iterator[Any]:
    """Chromium as a display runs it (systemd/dour-display.service): sound may start without a click."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=SOUND_ALLOWED)
        try:
            yield chromium
        finally:
            chromium.close()


def display_url(server: Any, query: str) -> str:
    return f"{server.url}/enrol?token={server.display_token}&next=/display%3F{query.replace('&', '%26')}"


def open_display(browser: Any, server: Any, query: str) -> Any:
    page = browser.new_page()
    page.goto(display_url(server, query))
    page.wait_for_function(SETTLED)
    return page


def calls(server: Any, dour: Any, count: int, recall_last: bool = False) -> list[str]:
    """`count` calls from counter 1 as fast as the API answers (next, no-show, next, ...)."""
    kiosk = dour.kiosk_session(server)
    for _ in range(count):
        assert kiosk.post(f"{server.url}/api/kiosk/tickets", json={"service": "passport"}).status_code == 201
    agent = dour.agent_session(server)
    numbers = []
    for index in range(count):
        ticket = agent.post(f"{server.url}/api/counter/next").json()["ticket"]
        numbers.append(ticket["number"])
        if index < count - 1:
            agent.post(f"{server.url}/api/counter/tickets/{ticket['id']}/no-show").raise_for_status()
    return numbers


def announcements(page: Any) -> list[dict[str, Any]]:
    return list(page.evaluate("() => window.dourAnnouncements"))


def sounds(log: list[dict[str, Any]]) -> list[tuple[float, float, dict[str, Any]]]:
    """(start, end, entry) of each sound heard: a chime as scheduled, a sentence from `playing` to `ended`."""
    return [(entry["start"] if entry["kind"] == "chime" else entry["playing"], entry["end"], entry)
            for entry in log]


def test_a_burst_of_calls_is_announced_in_order_one_at_a_time(
    server: Any, dour: Any, sound_browser: Any,
) -> None:
    page = open_display(sound_browser, server, "languages=fr,en&speech=fr,en")
    numbers = calls(server, dour, 5)
    page.wait_for_function(
        "() => (window.dourAnnouncements || []).filter(e => e.kind === 'speech' && e.outcome).length >= 10",
        timeout=120_000)
    log = announcements(page)
    assert [entry["kind"] for entry in log] == ["chime", "speech", "speech"] * 5
    assert [entry["number"] for entry in log] == [number for number in numbers for _ in range(3)]
    assert [entry.get("lang") for entry in log] == [None, "fr", "en"] * 5
    assert all(entry["outcome"] == "played" for entry in log), log
    assert log[1]["url"] == f"/display/speech/fr/{numbers[0]}/1.wav"
    heard = sounds(log)
    for (_start, end, before), (start, _end, after) in zip(heard, heard[1:], strict=False):
        assert start >= end, f"{after} started before {before} ended"
    seconds = (log[-1]["end"] - log[0]["queued"]) / 1000
    print(f"5 calls, 2 languages: announced in {seconds:.1f} s")  # bench/bench_speech.py measures it
    shown = page.locator(".recent-list li").evaluate_all("items => items.map(li => li.dataset.number)")
    assert sorted(shown) == sorted(numbers)


def test_a_recall_is_said_again_and_a_call_only_once(server: Any, dour: Any, sound_browser: Any) -> None:
    page = open_display(sound_browser, server, "speech=fr")
    agent = dour.agent_session(server)
    dour.kiosk_session(server).post(f"{server.url}/api/kiosk/tickets", json={"service": "passport"})
    ticket = agent.post(f"{server.url}/api/counter/next").json()["ticket"]
    page.wait_for_function("() => (window.dourAnnouncements || []).some(e => e.kind === 'speech' && e.end)")
    agent.post(f"{server.url}/api/counter/tickets/{ticket['id']}/recall").raise_for_status()
    page.wait_for_function(
        "() => (window.dourAnnouncements || []).filter(e => e.kind === 'speech' && e.end).length >= 2",
        timeout=30_000)
    time.sleep(1.0)  # nothing more must come
    log = announcements(page)
    assert [(entry["kind"], entry["number"]) for entry in log] == [("chime", ticket["number"]),
                                                                   ("speech", ticket["number"])] * 2


def test_a_muted_screen_shows_calls_in_silence(server: Any, dour: Any, sound_browser: Any) -> None:
    page = open_display(sound_browser, server, "mute=1")
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    numbers = calls(server, dour, 2)
    page.wait_for_function("() => (window.dourAnnouncements || []).length >= 2")
    assert [entry["kind"] for entry in announcements(page)] == ["muted", "muted"]
    assert not [url for url in requested if "/display/speech/" in url]
    assert page.get_by_test_id("current-number").text_content() == numbers[-1]
    assert page.evaluate("() => document.body.dataset.chimes") is None


def test_without_sound_every_call_is_shown_and_staff_are_told(server: Any, dour: Any, browser: Any) -> None:
    page = browser.new_page()  # the default autoplay policy: no sound before someone clicks
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text)
            if "announcement not played" in message.text else None)
    with page.expect_response(lambda answer: "/api/display/snapshot" in answer.url):
        page.goto(display_url(server, "languages=ar,fr&speech=ar,fr"))
    numbers = calls(server, dour, 3)
    deadline = time.monotonic() + 60
    while len(refused) < 3 and time.monotonic() < deadline:  # no evaluation meanwhile: it would unlock sound
        page.wait_for_timeout(200)
    assert len(refused) == 3, refused  # each call tried, once, in order
    assert [url.split("/")[-2] for url in refused] == numbers
    assert page.get_by_test_id("sound-hint").is_visible()
    assert page.get_by_test_id("speech-status").is_visible()
    assert page.evaluate("() => document.body.dataset.sound") == "blocked"
    assert page.get_by_test_id("current-number").text_content() == numbers[-1]
    shown = page.locator(".recent-list li").evaluate_all("items => items.map(li => li.dataset.number)")
    assert sorted(shown) == sorted(numbers)
    log = announcements(page)
    assert [entry["outcome"] for entry in log if entry["kind"] == "speech"] == ["blocked"] * 3
