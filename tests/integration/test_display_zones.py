"""Display zones (issue 9 §2): a display limited to some services and/or counters shows and announces only
their calls, live and in its catch-up, and its cursor still moves over the calls of other zones; a
supervisor sets the zone (journaled, who and why); an unknown service or counter is refused by name."""

from __future__ import annotations

from typing import Any

import pytest

from core import journal, zones

PASSPORT_HALL = {"services": ["passport"], "counters": []}
COUNTER_4 = {"services": [], "counters": [4]}


def set_zone(client: Any, name: str, zone: dict[str, Any], reason: str | None = "room change",
             lang: str = "en") -> Any:
    return client.put(f"/api/supervisor/displays/{name}/zone", json={**zone, "reason": reason, "lang": lang})


def display_socket(app: Any, token: str, last_seq: int | None = None) -> Any:
    auth: dict[str, Any] = {"token": token} if last_seq is None else {"token": token, "last_seq": last_seq}
    socket = app.extensions["socketio"].test_client(app, namespace="/display", auth=auth,
                                                    flask_test_client=app.test_client())
    assert socket.is_connected("/display")
    return socket


def events(socket: Any) -> list[dict[str, Any]]:
    return [m["args"][0] for m in socket.get_received("/display") if m["name"] == "event"]


@pytest.fixture
def chief(app: Any, supervisor_client: Any) -> Any:
    return supervisor_client(app)


@pytest.fixture
def tokens(app_site: Any, enrol: Any) -> dict[str, str]:
    """Three displays: one for the passport hall, one by counter 4, one for the whole site."""
    return {name: enrol(app_site, "display", name) for name in ("hall-a", "desk-4", "lobby")}


@pytest.fixture
def zoned(chief: Any, tokens: dict[str, str]) -> dict[str, str]:
    assert set_zone(chief, "hall-a", PASSPORT_HALL).status_code == 200
    assert set_zone(chief, "desk-4", COUNTER_4).status_code == 200
    return tokens


def two_calls(app_site: Any, add_agent: Any) -> list[str]:
    """A passport ticket called at counter 1, then a civil-status ticket at counter 4: their numbers."""
    numbers = []
    for service, counter in (("passport", 1), ("civil_status", 4)):
        app_site.issue_ticket(service=service, kind="walk_in", lang="fr", actor="kiosk:k1")
        agent = add_agent(app_site, f"agent{counter}")
        app_site.open_counter(counter, agent)
        called = app_site.call_next(counter, agent)
        assert called is not None and called.service == service
        numbers.append(called.number)
    return numbers


def calls(received: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    """(type, number) of what a display got in place of each call: the call, or the marker."""
    return [(event["type"], event.get("number")) for event in received
            if event["type"] in (*zones.CALLS, zones.OUTSIDE)]


def test_a_zoned_display_hears_only_its_calls_live_and_a_marker_for_the_others(
        app: Any, app_site: Any, add_agent: Any, zoned: dict[str, str]) -> None:
    sockets = {name: display_socket(app, token) for name, token in zoned.items()}
    for socket in sockets.values():
        socket.get_received("/display")
    passport, civil = two_calls(app_site, add_agent)
    got = {name: events(socket) for name, socket in sockets.items()}
    assert calls(got["hall-a"]) == [("ticket.called", passport), (zones.OUTSIDE, None)]
    assert calls(got["desk-4"]) == [(zones.OUTSIDE, None), ("ticket.called", civil)]
    assert calls(got["lobby"]) == [("ticket.called", passport), ("ticket.called", civil)]
    marker = next(event for event in got["hall-a"] if event["type"] == zones.OUTSIDE)
    assert set(marker) == {"seq", "at", "type", "waiting"}  # no number, service or counter of the other call
    # Every display got every seq, once and in order: no gap that would be taken for a loss.
    for received in got.values():
        seqs = [event["seq"] for event in received]
        assert seqs == sorted(set(seqs)) and seqs[-1] == app_site.last_seq()
    assert [e["seq"] for e in got["hall-a"]] == [e["seq"] for e in got["lobby"]]


def test_the_catch_up_of_a_zoned_display_moves_its_cursor_over_other_zones(
        app: Any, app_site: Any, add_agent: Any, zoned: dict[str, str]) -> None:
    before = app_site.last_seq()
    passport, _civil = two_calls(app_site, add_agent)
    socket = display_socket(app, zoned["hall-a"], last_seq=before)
    received = socket.get_received("/display")
    replayed = [m["args"][0] for m in received if m["name"] == "event"]
    assert calls(replayed) == [("ticket.called", passport), (zones.OUTSIDE, None)]
    assert all(event["replay"] for event in replayed)
    assert received[-1] == {"name": "synced", "args": [{"seq": app_site.last_seq()}], "namespace": "/display"}
    socket.emit("resume", {"last_seq": before}, namespace="/display")  # the same again when asked
    assert calls(events(socket)) == [("ticket.called", passport), (zones.OUTSIDE, None)]


def test_a_zoned_display_snapshot_and_page_show_only_its_zone(
        app: Any, app_site: Any, add_agent: Any, zoned: dict[str, str]) -> None:
    passport, civil = two_calls(app_site, add_agent)
    hall = app.test_client()
    hall.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {zoned['hall-a']}"
    snapshot = hall.get("/api/display/snapshot").get_json()
    assert [call["number"] for call in snapshot["recent"]] == [passport]
    assert set(snapshot["waiting"]) == {"passport"} and set(snapshot["estimates"]) <= {"passport"}
    assert snapshot["zone"] == PASSPORT_HALL
    page = hall.get("/display").get_data(as_text=True)
    assert 'data-service="passport"' in page and 'data-service="cnie"' not in page
    socket = display_socket(app, zoned["desk-4"], last_seq=-1)  # no cursor: a snapshot
    live = next(m["args"][0] for m in socket.get_received("/display") if m["name"] == "snapshot")
    assert [call["number"] for call in live["recent"]] == [civil]
    assert live["zone"] == COUNTER_4 and len(live["waiting"]) == len(app_site.config.services)
    lobby = app.test_client()
    lobby.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {zoned['lobby']}"
    assert [call["number"] for call in lobby.get("/api/display/snapshot").get_json()["recent"]] == [
        civil, passport]


def test_a_zone_change_is_journaled_and_tells_the_displays_without_naming_them(
        app: Any, app_site: Any, chief: Any, tokens: dict[str, str]) -> None:
    socket = display_socket(app, tokens["lobby"])
    socket.get_received("/display")
    answer = set_zone(chief, "hall-a", {"services": ["cnie", "passport"], "counters": [2, 1]}, "new hall")
    assert answer.status_code == 200
    listed = {row["name"]: row["zone"] for row in answer.get_json()["displays"]}
    # In the site's order, whatever order the supervisor sent.
    assert listed == {"desk-4": {"services": [], "counters": []}, "lobby": {"services": [], "counters": []},
                      "hall-a": {"services": ["passport", "cnie"], "counters": [1, 2]}}
    event = journal.since(app_site.store.read(), app_site.last_seq() - 1)[-1]
    assert (event.type, event.data["display"], event.data["reason"]) == ("display.zone", "hall-a", "new hall")
    assert event.actor.startswith("user:")
    heard = events(socket)
    assert [(e["type"], set(e)) for e in heard] == [("display.zone", {"seq", "at", "type", "waiting"})]
    assert set_zone(chief, "hall-a", {"services": [], "counters": []}).status_code == 200
    assert zones.of_display(app_site.store.read(), "hall-a") == zones.EVERYWHERE  # empty: everything again


@pytest.mark.parametrize(("zone", "status", "message"), [
    ({"services": ["visas"], "counters": []}, 400, "Unknown service: visas."),
    ({"services": [], "counters": [42]}, 400, "Unknown counter: 42."),
    ({"services": [], "counters": ["4"]}, 400, "Unknown counter: 4."),
    ({"services": [7], "counters": []}, 400, "Unknown service: 7."),
    ({"services": "passport", "counters": []}, 400, "The field services is missing or has the wrong type."),
])
def test_an_unknown_service_or_counter_is_refused_by_name_and_changes_nothing(
        app_site: Any, chief: Any, tokens: dict[str, str], site_state: Any, zone: dict[str, Any], status: int,
        message: str) -> None:
    before = site_state(app_site)
    answer = set_zone(chief, "hall-a", zone)
    assert (answer.status_code, answer.get_json()["message"]) == (status, message)
    assert site_state(app_site) == before
    assert zones.of_display(app_site.store.read(), "hall-a") == zones.EVERYWHERE


def test_only_a_supervisor_sets_a_zone_of_an_enrolled_display_with_a_reason(
        app: Any, app_site: Any, chief: Any, tokens: dict[str, str], add_agent: Any, login: Any,
        site_state: Any) -> None:
    before = site_state(app_site)
    assert set_zone(chief, "nowhere", PASSPORT_HALL).get_json()["message"] == "Unknown display: nowhere."
    assert set_zone(chief, "hall-a", PASSPORT_HALL, reason=None).status_code == 400
    add_agent(app_site, "amina")
    agent = app.test_client()
    assert login(agent, "amina").status_code == 200
    assert set_zone(agent, "hall-a", PASSPORT_HALL).status_code == 403
    display = app.test_client()
    display.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {tokens['hall-a']}"
    assert set_zone(display, "hall-a", PASSPORT_HALL).status_code == 401
    assert site_state(app_site) == before
    french = set_zone(chief, "hall-a", {"services": ["visas"], "counters": []}, lang="fr")
    assert french.get_json()["message"] == "Service inconnu\u00a0: visas."
