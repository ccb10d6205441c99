"""The agent's desk through HTTP: every action journaled with the agent as actor."""

from __future__ import annotations

import pytest

from core import journal


@pytest.fixture
def desk(client, app_site, add_agent, login, kiosk_token):
    agent = add_agent(app_site, "amina")
    assert login(client, "amina").status_code == 200
    for service in ("passport", "cnie", "passport"):
        response = client.post("/api/kiosk/tickets", json={"service": service},
                               headers={"Authorization": f"Bearer {kiosk_token}"})
        assert response.status_code == 201
    return agent


def test_login_me_and_logout(client, desk) -> None:
    me = client.get("/api/auth/me").get_json()
    assert me["user"]["username"] == "amina" and me["counter"] is None
    assert "password_hash" not in me["user"]
    assert client.post("/api/auth/logout").status_code == 200
    assert client.get("/api/auth/me").status_code == 401


def test_every_counter_action_is_journaled_with_the_agent(client, app_site, desk) -> None:
    actor = f"user:{desk['id']}"
    start = app_site.last_seq()
    assert client.post("/api/counter/open", json={"counter": 1}).status_code == 200
    first = client.post("/api/counter/next").get_json()["ticket"]
    for action in ("recall", "start", "finish"):
        assert client.post(f"/api/counter/tickets/{first['id']}/{action}").status_code == 200
    second = client.post("/api/counter/next").get_json()["ticket"]
    assert client.post(f"/api/counter/tickets/{second['id']}/no-show").status_code == 200
    third = client.post("/api/counter/next").get_json()["ticket"]
    response = client.post(f"/api/counter/tickets/{third['id']}/transfer", json={"service": "registration"})
    assert response.status_code == 200 and response.get_json()["ticket"]["service"] == "registration"
    assert client.post("/api/counter/close").status_code == 200
    events = journal.since(app_site.store.read(), start)
    assert [e.type for e in events] == [
        "counter.opened", "ticket.called", "ticket.recalled", "ticket.started", "ticket.finished",
        "ticket.called", "ticket.no_show", "ticket.called", "ticket.transferred", "counter.closed"]
    assert {e.actor for e in events} == {actor}
    assert [e.data.get("counter") for e in events if e.type == "ticket.called"] == [1, 1, 1]
    assert [first["number"], second["number"], third["number"]] == ["A-001", "B-001", "A-002"]


def test_counter_state_shows_current_and_waiting(client, app_site, desk) -> None:
    client.post("/api/counter/open", json={"counter": 1})
    called = client.post("/api/counter/next").get_json()["ticket"]
    state = client.get("/api/counter/state").get_json()
    assert state["current"]["id"] == called["id"] and state["current"]["state"] == "called"
    assert [t["number"] for t in state["waiting"]] == ["B-001", "A-002"]
    assert state["seq"] == app_site.last_seq()


def test_logout_closes_the_counter(client, app_site, desk) -> None:
    client.post("/api/counter/open", json={"counter": 3})
    assert app_site.open_counters() == {3: desk["id"]}
    client.post("/api/auth/logout")
    assert app_site.open_counters() == {}
    assert journal.since(app_site.store.read(), 0)[-1].type == "counter.closed"


def test_nobody_waiting_gives_no_ticket(client, app_site, desk) -> None:
    client.post("/api/counter/open", json={"counter": 8})  # pickup only
    seq = app_site.last_seq()
    response = client.post("/api/counter/next")
    assert response.status_code == 200 and response.get_json() == {"ticket": None}
    assert app_site.last_seq() == seq


def test_password_guessing_is_throttled(app, app_site, add_agent) -> None:
    add_agent(app_site, "guarded", password="sentinel-password-1")
    client = app.test_client()
    for _ in range(5):
        answer = client.post("/api/auth/login", json={"username": "guarded", "password": "wrong-guess-123"})
        assert answer.status_code == 401
    right = {"username": "guarded", "password": "sentinel-password-1"}
    answer = client.post("/api/auth/login?lang=fr", json=right)
    assert answer.status_code == 429
    assert "tentatives" in answer.get_json()["message"]
    assert client.get("/api/auth/me").status_code == 401  # no session was opened


def test_only_a_supervisor_cancels_a_ticket_and_it_is_journaled(app, app_site, add_agent, login) -> None:
    ticket = app_site.issue_ticket(service="passport", kind="walk_in", lang="fr", actor="test").ticket
    add_agent(app_site, "plain")
    boss = add_agent(app_site, "boss", role="supervisor")
    agent_client, boss_client = app.test_client(), app.test_client()
    login(agent_client, "plain")
    login(boss_client, "boss")
    assert agent_client.post(f"/api/tickets/{ticket.id}/cancel").status_code == 403
    assert app_site.ticket_view(ticket.id).ticket.state == "waiting"
    answer = boss_client.post(f"/api/tickets/{ticket.id}/cancel")
    assert answer.status_code == 200 and answer.get_json()["ticket"]["state"] == "cancelled"
    last = journal.since(app_site.store.read(), 0)[-1]
    assert (last.type, last.actor) == ("ticket.cancelled", f"user:{boss['id']}")
    assert boss_client.post(f"/api/tickets/{ticket.id}/cancel").status_code == 409
