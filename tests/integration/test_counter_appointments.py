"""The desk shows the appointment of the ticket it holds (and no other counter sees it), with a warning when
eConsulat cancels or moves it after check-in, live on /counter."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core import appointments, keyring
from sync import tokens

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # 10:00 in Paris
SLOT = "2026-12-02T09:20:00.000000Z"
KEY = tokens.new_private_key()
CENTRAL = {"id": "apt_0001", "reference": "RDV-7K3Q9M", "site": "ma-paris", "services": ["passport"],
           "slot_start": "2026-12-02T09:20:00Z", "slot_end": "2026-12-02T09:35:00Z", "persons": 3,
           "lang": "fr", "applicant": "APL-5D2F9A1C", "documents": ["photo", "birth_certificate"],
           "status": "booked", "version": 1}


def token() -> str:
    start = NOW + timedelta(minutes=20)
    claims = tokens.AppointmentClaims(
        appointment_id="apt_0001", reference="RDV-7K3Q9M", site="ma-paris", services=("passport",),
        slot_start=start, slot_end=start + timedelta(minutes=15), persons=3, lang="fr", version=1,
        issued_at=NOW - timedelta(days=3), expires_at=start + timedelta(days=1))
    return tokens.sign(claims, KEY, "k1")


def from_central(site: Any, **changes: Any) -> None:
    """The sync worker (another process) stores the central's version; the server's follower publishes it."""
    with site.store.write() as db:
        appointments.store_from_central(db, appointments.validated({**CENTRAL, **changes}, site.config),
                                        "sync:central")
    site.follow_journal()


def received(socket: Any, namespace: str) -> list[tuple[str, Any]]:
    return [(message["name"], message["args"][0]) for message in socket.get_received(namespace)]


@pytest.fixture
def checked_in(app_site: Any, client: Any, kiosk_token: str, clock: Any) -> dict[str, Any]:
    return check_in(app_site, client, kiosk_token, clock)


def check_in(app_site: Any, client: Any, kiosk_token: str, clock: Any) -> dict[str, Any]:
    """The central's appointment (3 persons, 2 documents) checked in at a kiosk with its QR code."""
    clock.set(NOW, step=timedelta(0))
    with app_site.store.write() as db:
        keyring.store(db, [tokens.SigningKey("k1", tokens.public_bytes(KEY), NOW - timedelta(days=30),
                                             NOW + timedelta(days=30))], NOW)
    from_central(app_site)
    answer = client.post("/api/kiosk/scans", json={"code": token(), "lang": "fr"},
                         headers={"Authorization": f"Bearer {kiosk_token}"})
    assert answer.status_code == 201, answer.get_json()
    return dict(answer.get_json()["ticket"])


@pytest.fixture
def desk(app: Any, app_site: Any, add_agent: Any, login: Any) -> Any:
    """`desk(username, counter)`: a logged-in agent's HTTP client with its counter open."""
    def open_desk(username: str, counter: int) -> Any:
        add_agent(app_site, username)
        agent = app.test_client()
        assert login(agent, username).status_code == 200
        assert agent.post("/api/counter/open", json={"counter": counter}).status_code == 200
        return agent
    return open_desk


def test_the_agent_holding_the_ticket_sees_the_appointment(checked_in: dict[str, Any], desk: Any) -> None:
    amina = desk("amina", 1)
    waiting = amina.get("/api/counter/state").get_json()["waiting"]
    assert [(item["number"], item["persons"]) for item in waiting] == [(checked_in["number"], 3)]
    assert amina.post("/api/counter/next").get_json()["ticket"]["id"] == checked_in["id"]
    current = amina.get("/api/counter/state").get_json()["current"]
    assert current["slot_at"] == SLOT
    appointment = current["appointment"]
    assert appointment["reference"] == "RDV-7K3Q9M" and appointment["persons"] == 3
    assert appointment["documents"] == ["photo", "birth_certificate"]
    assert appointment["services"] == ["passport"]
    assert appointment["applicant"] == "APL-5D2F9A1C" and appointment["source"] == "sync"
    assert appointment["slot_start"] == SLOT and appointment["warning"] is None


def test_no_other_counter_and_no_waiting_list_sees_the_appointment(
        checked_in: dict[str, Any], desk: Any, client: Any, kiosk_token: str) -> None:
    amina, bilal = desk("amina", 1), desk("bilal", 2)
    before = bilal.get("/api/counter/state").get_json()
    assert "APL-" not in json.dumps(before) and "RDV-" not in json.dumps(before)  # waiting: a count only
    amina.post("/api/counter/next")
    walk_in = client.post("/api/kiosk/tickets", json={"service": "passport"},
                          headers={"Authorization": f"Bearer {kiosk_token}"}).get_json()["ticket"]
    assert bilal.post("/api/counter/next").get_json()["ticket"]["id"] == walk_in["id"]
    state = bilal.get("/api/counter/state").get_json()
    assert state["current"]["appointment"] is None
    assert "APL-" not in json.dumps(state) and "RDV-" not in json.dumps(state)
    assert "persons" not in state["current"]


def test_a_cancellation_after_check_in_warns_the_desk_live(
        app: Any, app_site: Any, checked_in: dict[str, Any], desk: Any) -> None:
    amina = desk("amina", 1)
    amina.post("/api/counter/next")
    socket = app.extensions["socketio"].test_client(app, namespace="/counter", flask_test_client=amina,
                                                    auth={"last_seq": app_site.last_seq()})
    assert received(socket, "/counter") == [("synced", {"seq": app_site.last_seq()})]
    from_central(app_site, status="cancelled", version=2)
    (name, event), = received(socket, "/counter")
    assert name == "event" and event["type"] == "appointment.changed"
    assert event["ticket_id"] == checked_in["id"]  # the desk holding it knows it is its own
    assert "RDV-" not in json.dumps(event)  # an agent's desk hears of it by ticket only
    warning = amina.get("/api/counter/state").get_json()["current"]["appointment"]["warning"]
    assert warning["kind"] == "cancelled" and warning["seq"] == event["seq"]
    assert warning["previous_slot_start"] == SLOT


def counter_socket(app: Any, client: Any, last_seq: int) -> Any:
    socket = app.extensions["socketio"].test_client(app, namespace="/counter", flask_test_client=client,
                                                    auth={"last_seq": last_seq})
    assert socket.is_connected("/counter")
    return socket


def appointment_events(socket: Any) -> list[dict[str, Any]]:
    return [event for name, event in received(socket, "/counter")
            if name == "event" and event["type"].startswith("appointment.")]


def test_agents_hear_of_appointments_by_ticket_only_supervisors_whole(
        app: Any, app_site: Any, client: Any, kiosk_token: str, clock: Any, desk: Any, add_agent: Any,
        login: Any) -> None:
    bilal = desk("bilal", 2)  # another desk: it has no business with the appointment
    add_agent(app_site, "boss", role="supervisor")
    boss = app.test_client()
    assert login(boss, "boss").status_code == 200
    start = app_site.last_seq()
    agent_live, boss_live = counter_socket(app, bilal, start), counter_socket(app, boss, start)
    for socket in (agent_live, boss_live):
        received(socket, "/counter")
    ticket = check_in(app_site, client, kiosk_token, clock)
    from_central(app_site, status="cancelled", version=2)
    agent_replayed, boss_replayed = counter_socket(app, bilal, start), counter_socket(app, boss, start)

    for heard in (appointment_events(agent_live), appointment_events(agent_replayed)):
        assert [event["type"] for event in heard] == ["appointment.checked_in", "appointment.changed"]
        assert all(event["ticket_id"] == ticket["id"] for event in heard)
        assert all(set(event) <= {"seq", "at", "type", "ticket_id", "waiting", "replay"} for event in heard)
        assert "RDV-" not in json.dumps(heard) and "persons" not in json.dumps(heard)
    for heard in (appointment_events(boss_live), appointment_events(boss_replayed)):
        assert [event["appointment"] for event in heard] == ["RDV-7K3Q9M", "RDV-7K3Q9M"]
        assert heard[0]["persons"] == 3 and heard[1]["status"] == "cancelled"
        assert all(event["ticket_id"] == ticket["id"] for event in heard)


def test_a_move_after_check_in_says_where_to(app_site: Any, checked_in: dict[str, Any], desk: Any) -> None:
    amina = desk("amina", 1)
    amina.post("/api/counter/next")
    from_central(app_site, slot_start="2026-12-03T14:00:00Z", slot_end="2026-12-03T14:15:00Z", version=2)
    appointment = amina.get("/api/counter/state").get_json()["current"]["appointment"]
    assert appointment["warning"]["kind"] == "moved"
    assert appointment["warning"]["slot_start"] == "2026-12-03T14:00:00.000000Z"
    assert appointment["warning"]["previous_slot_start"] == SLOT
    from_central(app_site, version=3)  # moved back to the slot the visitor came for: nothing to warn about
    assert amina.get("/api/counter/state").get_json()["current"]["appointment"]["warning"] is None


def test_displays_never_hear_of_the_change(app: Any, app_site: Any, client: Any, checked_in: dict[str, Any],
                                           display_token: str) -> None:
    display = app.extensions["socketio"].test_client(
        app, namespace="/display", flask_test_client=client,
        auth={"token": display_token, "last_seq": app_site.last_seq()})
    received(display, "/display")
    from_central(app_site, status="cancelled", version=2)
    assert received(display, "/display") == []


def test_an_appointment_known_from_its_token_alone_shows_what_it_can(
        app_site: Any, client: Any, kiosk_token: str, clock: Any, desk: Any) -> None:
    clock.set(NOW, step=timedelta(0))
    with app_site.store.write() as db:
        keyring.store(db, [tokens.SigningKey("k1", tokens.public_bytes(KEY), NOW - timedelta(days=30),
                                             NOW + timedelta(days=30))], NOW)
    assert client.post("/api/kiosk/scans", json={"code": token(), "lang": "fr"},
                       headers={"Authorization": f"Bearer {kiosk_token}"}).status_code == 201
    amina = desk("amina", 1)
    amina.post("/api/counter/next")
    appointment = amina.get("/api/counter/state").get_json()["current"]["appointment"]
    assert appointment["source"] == "token" and appointment["documents"] == []
    assert appointment["applicant"] is None and appointment["persons"] == 3
