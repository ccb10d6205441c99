"""Undoing a no-show at the desk: the server's rule (same agent, same counter, within the window by the
server's clock, nothing else happened since), journaled as its own event."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core import journal
from core.states import Action

MIDDAY = datetime(2026, 3, 10, 11, 0, tzinfo=UTC)


@pytest.fixture
def desk(app: Any, app_site: Any, add_agent: Any, login: Any, kiosk_token: str, clock: Any) -> dict[str, Any]:
    """Amina at counter 1 has just marked A-001 as no-show; A-002 waits."""
    clock.set(MIDDAY)
    add_agent(app_site, "amina")
    client = app.test_client()
    assert login(client, "amina").status_code == 200
    for _ in range(2):
        response = client.post("/api/kiosk/tickets", json={"service": "passport"},
                               headers={"Authorization": f"Bearer {kiosk_token}"})
        assert response.status_code == 201
    assert client.post("/api/counter/open", json={"counter": 1}).status_code == 200
    ticket = client.post("/api/counter/next").get_json()["ticket"]
    answer = client.post(f"/api/counter/tickets/{ticket['id']}/no-show").get_json()
    return {"client": client, "ticket": ticket, "answer": answer}


def undo(client: Any, ticket_id: str, lang: str = "en") -> Any:
    return client.post(f"/api/counter/tickets/{ticket_id}/no-show/undo?lang={lang}")


def ticket_row(app_site: Any, ticket_id: str) -> dict[str, Any]:
    return dict(next(iter(app_site.store.read().query("SELECT * FROM tickets WHERE id = ?", [ticket_id]))))


def test_no_show_answer_says_until_when_it_can_be_undone(desk: dict[str, Any]) -> None:
    answer = desk["answer"]
    assert answer["ticket"]["state"] == "no_show"
    until = datetime.fromisoformat(answer["undo_until"])
    now = datetime.fromisoformat(answer["now"])
    assert timedelta(seconds=9) < until - now <= timedelta(seconds=10)


def test_undo_within_the_window_calls_the_ticket_again_at_the_counter(
    desk: dict[str, Any], app_site: Any, clock: Any
) -> None:
    ticket, client = desk["ticket"], desk["client"]
    before = ticket_row(app_site, ticket["id"])
    seq = app_site.last_seq()
    clock.advance(timedelta(seconds=9))
    response = undo(client, ticket["id"])
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["ticket"]["state"] == "called"
    state = client.get("/api/counter/state").get_json()
    assert state["current"]["id"] == ticket["id"] and state["current"]["state"] == "called"
    after = ticket_row(app_site, ticket["id"])
    assert (after["counter"], after["agent_id"], after["finished_at"]) == (1, before["agent_id"], None)
    assert after["called_at"] == before["called_at"]  # the call time is the first call's
    events = journal.since(app_site.store.read(), seq)
    assert [e.type for e in events] == ["ticket.no_show_undone"]
    no_show = journal.for_ticket(app_site.store.read(), ticket["id"])[-2]
    assert no_show.type == "ticket.no_show"
    assert events[0].data["counter"] == 1 and events[0].data["undoes"] == no_show.seq
    assert events[0].actor == no_show.actor
    # The desk carries on as before the mistake: the visitor can be served and finished.
    assert client.post(f"/api/counter/tickets/{ticket['id']}/start").status_code == 200
    assert client.post(f"/api/counter/tickets/{ticket['id']}/finish").status_code == 200


def test_undo_after_the_window_is_refused_in_the_agents_language(
    desk: dict[str, Any], app_site: Any, clock: Any, site_state: Any
) -> None:
    ticket, client = desk["ticket"], desk["client"]
    clock.advance(timedelta(seconds=11))
    before = site_state(app_site)
    response = undo(client, ticket["id"], "fr")
    assert response.status_code == 409
    body = response.get_json()
    assert body["error"] == "conflict"
    assert body["message"] == ("Trop tard pour annuler l'absence du ticket A-001 : elle ne peut être annulée "
                               "que dans les 10 secondes.")
    english = undo(client, ticket["id"], "en").get_json()["message"]
    assert english == "Too late to undo the no-show of ticket A-001: it can be undone only within 10 seconds."
    assert site_state(app_site) == before
    assert ticket_row(app_site, ticket["id"])["state"] == "no_show"


def test_another_agent_cannot_undo_it(
    desk: dict[str, Any], app: Any, app_site: Any, add_agent: Any, login: Any, site_state: Any
) -> None:
    add_agent(app_site, "youssef")
    other = app.test_client()
    assert login(other, "youssef").status_code == 200
    assert other.post("/api/counter/open", json={"counter": 2}).status_code == 200
    before = site_state(app_site)
    response = undo(other, desk["ticket"]["id"])
    assert response.status_code == 403
    assert response.get_json()["message"] == (
        "Only the agent who marked ticket A-001 as no-show can undo it, at the same counter.")
    assert site_state(app_site) == before


def test_the_same_agent_at_another_counter_cannot_undo_it(
    desk: dict[str, Any], app_site: Any, site_state: Any
) -> None:
    client = desk["client"]
    assert client.post("/api/counter/open", json={"counter": 2}).status_code == 200
    before = site_state(app_site)
    response = undo(client, desk["ticket"]["id"])
    assert response.status_code == 403
    assert site_state(app_site) == before


def test_nothing_to_undo_once_the_next_ticket_is_called(desk: dict[str, Any], app_site: Any) -> None:
    client = desk["client"]
    assert client.post("/api/counter/next").get_json()["ticket"]["number"] == "A-002"
    response = undo(client, desk["ticket"]["id"])
    assert response.status_code == 409
    assert response.get_json()["message"] == (
        "Ticket A-002 is at your counter now: the no-show of ticket A-001 can no longer be undone.")
    assert ticket_row(app_site, desk["ticket"]["id"])["state"] == "no_show"


def test_a_ticket_undone_once_cannot_be_undone_again(desk: dict[str, Any]) -> None:
    client, ticket = desk["client"], desk["ticket"]
    assert undo(client, ticket["id"]).status_code == 200
    again = undo(client, ticket["id"])
    assert again.status_code == 409
    assert "changed since it was marked as no-show" in again.get_json()["message"]


def test_displays_get_the_undo_in_order_and_keep_showing_the_call(
    desk: dict[str, Any], app: Any, app_site: Any, display_token: str
) -> None:
    socketio = app.extensions["socketio"]
    display = socketio.test_client(app, namespace="/display", auth={"token": display_token})
    display.get_received("/display")  # the snapshot
    seq = app_site.last_seq()
    assert undo(desk["client"], desk["ticket"]["id"]).status_code == 200
    events = [m["args"][0] for m in display.get_received("/display") if m["name"] == "event"]
    assert [(e["type"], e["seq"], e["number"], e["counter"]) for e in events] == [
        ("ticket.no_show_undone", seq + 1, "A-001", 1)]
    assert events[0]["waiting"]["passport"] == 1
    assert desk["ticket"]["id"] not in json.dumps(events[0])  # a display never sees the ticket's id
    recent = app_site.screen_snapshot()["recent"]
    assert (recent[0]["number"], recent[0]["counter"], recent[0]["state"]) == ("A-001", 1, "called")


def test_the_window_follows_the_configuration(make_site: Any, add_agent: Any, clock: Any) -> None:
    clock.set(MIDDAY)
    site = make_site(DOUR_POLICY_NO_SHOW_UNDO_SECONDS="30")
    agent = add_agent(site, "amina")
    site.issue_ticket(service="passport", kind="walk_in", lang="fr", actor="device:1")
    site.open_counter(1, agent)
    called = site.call_next(1, agent)
    assert called is not None
    site.act(called.id, Action.NO_SHOW, 1, agent)
    clock.advance(timedelta(seconds=25))
    assert site.undo_no_show(called.id, 1, agent).state == "called"
