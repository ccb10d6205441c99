"""Socket.IO screens: authentication on connect, catch-up by seq (replay or snapshot), live events."""

from __future__ import annotations

import pytest

from core import config as site_config
from core.app import create_app

KIOSK_URL = "/api/kiosk/tickets"


def connect(app, client, namespace: str = "/display", auth: dict | None = None):
    socketio = app.extensions["socketio"]
    return socketio.test_client(app, namespace=namespace, auth=auth, flask_test_client=client)


def received(socket, namespace: str = "/display") -> list[tuple[str, dict]]:
    return [(message["name"], message["args"][0]) for message in socket.get_received(namespace)]


def issue(client, token: str, service: str = "passport") -> dict:
    response = client.post(KIOSK_URL, json={"service": service}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201
    return response.get_json()["ticket"]


@pytest.fixture
def agent_desk(app, app_site, add_agent, login):
    """A logged-in agent with counter 1 open, on its own HTTP client."""
    add_agent(app_site, "amina")
    desk = app.test_client()
    assert login(desk, "amina").status_code == 200
    assert desk.post("/api/counter/open", json={"counter": 1}).status_code == 200
    return desk


def test_display_catches_up_in_order_flagged_replay(app, client, kiosk_token, display_token, app_site):
    numbers = [issue(client, kiosk_token)["number"] for _ in range(3)]
    socket = connect(app, client, auth={"token": display_token, "last_seq": 0})
    assert socket.is_connected("/display")
    messages = received(socket)
    assert [name for name, _ in messages] == ["event"] * 3 + ["synced"]
    assert messages.pop() == ("synced", {"seq": app_site.last_seq()})
    assert [data["number"] for _, data in messages] == numbers
    assert [data["seq"] for _, data in messages] == sorted(data["seq"] for _, data in messages)
    assert all(data["replay"] is True and data["type"] == "ticket.issued" for _, data in messages)
    assert messages[-1][1]["seq"] == app_site.last_seq()
    assert messages[-1][1]["waiting"]["passport"] == 3


def test_display_up_to_date_gets_nothing_again(app, client, kiosk_token, display_token, app_site) -> None:
    issue(client, kiosk_token)
    socket = connect(app, client, auth={"token": display_token, "last_seq": app_site.last_seq()})
    assert socket.is_connected("/display")
    assert received(socket) == [("synced", {"seq": app_site.last_seq()})]


def test_display_resume_asks_again_for_what_it_missed(app, client, kiosk_token, display_token, app_site):
    issue(client, kiosk_token)
    seen = app_site.last_seq()
    socket = connect(app, client, auth={"token": display_token, "last_seq": seen})
    assert received(socket) == [("synced", {"seq": seen})]
    later = issue(client, kiosk_token)
    (name, live), = received(socket)
    assert (name, live["number"], "replay" in live) == ("event", later["number"], False)
    socket.emit("resume", {"last_seq": seen}, namespace="/display")
    assert [(name, data["seq"], data.get("replay")) for name, data in received(socket)] == [
        ("event", live["seq"], True), ("synced", live["seq"], None)]


def test_live_call_reaches_the_display(app, client, kiosk_token, display_token, app_site, agent_desk) -> None:
    ticket = issue(client, kiosk_token)
    issue(client, kiosk_token, "cnie")
    socket = connect(app, client, auth={"token": display_token, "last_seq": app_site.last_seq()})
    assert [name for name, _ in received(socket)] == ["synced"]
    called = agent_desk.post("/api/counter/next").get_json()["ticket"]
    assert called["id"] == ticket["id"]
    messages = received(socket)
    assert len(messages) == 1
    name, data = messages[0]
    assert name == "event"
    assert data["type"] == "ticket.called"
    assert data["seq"] == app_site.last_seq()
    assert (data["number"], data["counter"]) == (ticket["number"], 1)
    assert data["waiting"]["passport"] == 0 and data["waiting"]["cnie"] == 1
    assert "replay" not in data


def test_far_behind_gets_a_snapshot(tmp_path, enrol, add_agent) -> None:
    config = site_config.load(env={"DOUR_POLICY_REPLAY_LIMIT": "3"})
    app = create_app(config, str(tmp_path / "replay.db"), start_devices=False)
    site = app.extensions["dour.site"]
    kiosk, display = enrol(site, "kiosk", "k"), enrol(site, "display", "d")
    client = app.test_client()
    for _ in range(5):
        issue(client, kiosk)
    socket = connect(app, client, auth={"token": display, "last_seq": 0})
    messages = received(socket)
    assert [name for name, _ in messages] == ["snapshot", "synced"]
    snapshot = messages[0][1]
    assert messages[1][1] == {"seq": 5}
    assert snapshot["seq"] == site.last_seq() == 5
    assert snapshot["waiting"]["passport"] == 5
    # Exactly at the limit, it is a replay again.
    again = connect(app, client, auth={"token": display, "last_seq": 2})
    assert [(name, data["seq"]) for name, data in received(again)] == [
        ("event", 3), ("event", 4), ("event", 5), ("synced", 5)]


@pytest.mark.parametrize("last_seq", [None, "3", -1, True, 10_000])
def test_unusable_last_seq_gets_a_snapshot(app, client, kiosk_token, display_token, last_seq) -> None:
    issue(client, kiosk_token)
    socket = connect(app, client, auth={"token": display_token, "last_seq": last_seq})
    assert [name for name, _ in received(socket)] == ["snapshot", "synced"]


def test_display_without_token_is_refused(app, client) -> None:
    assert not connect(app, client, auth={"last_seq": 0}).is_connected("/display")
    assert not connect(app, client, auth={"token": "forged", "last_seq": 0}).is_connected("/display")


def test_kiosk_token_on_display_is_refused(app, client, kiosk_token) -> None:
    assert not connect(app, client, auth={"token": kiosk_token}).is_connected("/display")


def test_agent_is_refused_on_display_but_supervisor_allowed(app, app_site, add_agent, login) -> None:
    add_agent(app_site, "amina")
    add_agent(app_site, "chef", role="supervisor")
    agent_client, chief_client = app.test_client(), app.test_client()
    login(agent_client, "amina")
    login(chief_client, "chef")
    assert not connect(app, agent_client, auth={"last_seq": 0}).is_connected("/display")
    assert connect(app, chief_client, auth={"last_seq": 0}).is_connected("/display")


def test_enrolment_cookie_authenticates_the_display(app, client, display_token) -> None:
    assert client.get(f"/enrol?token={display_token}").status_code == 302
    assert connect(app, client, auth={"last_seq": 0}).is_connected("/display")


def test_counter_namespace_requires_login(app, client, app_site, display_token, kiosk_token, agent_desk):
    assert not connect(app, client, "/counter", auth={"last_seq": 0}).is_connected("/counter")
    assert not connect(app, client, "/counter", auth={"token": display_token}).is_connected("/counter")
    socket = connect(app, agent_desk, "/counter")
    assert socket.is_connected("/counter")
    (name, snapshot), (synced, _) = received(socket, "/counter")
    assert (name, synced) == ("snapshot", "synced")
    assert snapshot["open_counters"] == {"1": app_site.open_counters()[1]}
    issue(client, kiosk_token)
    (name, event), = received(socket, "/counter")
    assert (name, event["type"]) == ("event", "ticket.issued")
