"""What a waiting-room screen receives: only what it shows (issue 12 §2). A ticket id is the visitor's
credential for `/t/<id>`; the actor names a staff account; priority and language are the visitor's."""

from __future__ import annotations

import json
from typing import Any

from core import payments, print_jobs
from core.realtime import DISPLAY_FIELDS
from core.states import Action

ALLOWED = {*DISPLAY_FIELDS, "waiting", "replay"}


def display_socket(app: Any, client: Any, token: str, last_seq: int | None = None) -> Any:
    auth: dict[str, Any] = {"token": token} if last_seq is None else {"token": token, "last_seq": last_seq}
    socket = app.extensions["socketio"].test_client(app, namespace="/display", auth=auth,
                                                    flask_test_client=client)
    assert socket.is_connected("/display")
    return socket


def a_busy_minute(app_site: Any, agent: dict[str, Any]) -> list[str]:
    """Tickets issued (one priority), printed badly, called, recalled, served: every ticket event a screen
    could hear. Returns the ticket ids."""
    plain = app_site.issue_ticket(service="passport", kind="walk_in", lang="fr", actor="kiosk:k1").ticket
    urgent = app_site.issue_ticket(service="passport", kind="walk_in", lang="ar", actor="kiosk:k1",
                                   priority=True).ticket
    app_site.record_print(urgent.id, printer="printer:k1", state=print_jobs.FAILED, reason="paper_out",
                          actor="kiosk:k1", started_at=urgent.arrived_at)
    app_site.open_counter(1, agent)
    called = app_site.call_next(1, agent)
    assert called is not None
    app_site.act(called.id, Action.RECALL, 1, agent)
    return [plain.id, urgent.id]


def test_a_display_hears_calls_without_ids_actors_or_flags(app, client, app_site, add_agent,
                                                           display_token) -> None:
    agent = add_agent(app_site, "amina")
    live = display_socket(app, client, display_token)
    live.get_received("/display")
    ids = a_busy_minute(app_site, agent)
    replayed = display_socket(app, client, display_token, last_seq=0)
    for socket in (live, replayed):
        events = [m["args"][0] for m in socket.get_received("/display") if m["name"] == "event"]
        types = [event["type"] for event in events]
        assert {"ticket.issued", "ticket.called", "ticket.recalled", "ticket.print_failed"} <= set(types)
        assert all(set(event) <= ALLOWED for event in events), [set(event) - ALLOWED for event in events]
        text = json.dumps(events)
        assert not any(ticket_id in text for ticket_id in ids)
        assert "user:" not in text and "kiosk:" not in text and "priority" not in text
        call = next(event for event in events if event["type"] == "ticket.called")
        assert {"number", "service", "counter", "seq", "at"} <= set(call)


def test_the_display_snapshot_carries_no_ticket_id(app, client, app_site, add_agent, display_token) -> None:
    agent = add_agent(app_site, "amina")
    ids = a_busy_minute(app_site, agent)
    socket = display_socket(app, client, display_token, last_seq=-1)
    snapshot = next(m["args"][0] for m in socket.get_received("/display") if m["name"] == "snapshot")
    assert snapshot["recent"] and not any(ticket_id in json.dumps(snapshot) for ticket_id in ids)


def test_staff_screens_still_get_the_whole_event(app, app_site, add_agent, login) -> None:
    agent = add_agent(app_site, "amina")
    desk = app.test_client()
    assert login(desk, "amina").status_code == 200
    socket = app.extensions["socketio"].test_client(app, namespace="/counter", flask_test_client=desk)
    assert socket.is_connected("/counter")
    socket.get_received("/counter")
    ids = a_busy_minute(app_site, agent)
    events = [m["args"][0] for m in socket.get_received("/counter") if m["name"] == "event"]
    assert any(event.get("ticket", {}).get("id") in ids for event in events)


def a_payment(app_site: Any) -> None:
    with app_site.change() as (db, events):
        events.append(payments.create(db, reference="PAY0000001", terminal="payment:k1", kiosk="k1",
                                      service="passport", amount_minor=6000, currency="EUR", lang="fr",
                                      day=app_site.today(), actor="kiosk:k1")[1])


def counter_socket(app: Any, client: Any, last_seq: int | None = None) -> Any:
    auth = None if last_seq is None else {"last_seq": last_seq}
    socket = app.extensions["socketio"].test_client(app, namespace="/counter", auth=auth,
                                                    flask_test_client=client)
    assert socket.is_connected("/counter")
    return socket


def heard_types(socket: Any) -> list[str]:
    return [m["args"][0]["type"] for m in socket.get_received("/counter") if m["name"] == "event"]


def test_payments_reach_supervisors_not_agents_desks(app, app_site, add_agent, login) -> None:
    add_agent(app_site, "amina")
    add_agent(app_site, "boss", role="supervisor")
    desk, boss = app.test_client(), app.test_client()
    assert login(desk, "amina").status_code == 200 and login(boss, "boss").status_code == 200
    agent_live, boss_live = counter_socket(app, desk), counter_socket(app, boss)
    for socket in (agent_live, boss_live):
        socket.get_received("/counter")
    a_payment(app_site)
    app_site.issue_ticket(service="passport", kind="walk_in", lang="fr", actor="kiosk:k1")
    assert heard_types(agent_live) == ["ticket.issued"]
    assert heard_types(boss_live) == ["payment.pending", "ticket.issued"]
    assert heard_types(counter_socket(app, desk, last_seq=0)) == ["ticket.issued"]
    assert heard_types(counter_socket(app, boss, last_seq=0)) == ["payment.pending", "ticket.issued"]
