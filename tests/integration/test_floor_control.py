"""The supervisor's floor controls (core/floor_control.py, counter/supervisor.py): each journaled with who and
why, each pushed live to the pages concerned, each refused to agents and devices."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from core import floor_control, journal

KIOSK_URL = "/api/kiosk/tickets"
FLOOR = "/api/supervisor/floor"


def connect(app, client, namespace: str, auth: dict | None = None):
    socketio = app.extensions["socketio"]
    return socketio.test_client(app, namespace=namespace, flask_test_client=client, auth=auth)


def received(socket, namespace: str) -> list[tuple[str, dict]]:
    return [(message["name"], message["args"][0]) for message in socket.get_received(namespace)]


def last_event(site) -> journal.Event:
    return journal.since(site.store.read(), site.last_seq() - 1)[0]


@pytest.fixture
def chief(app, supervisor_client):
    return supervisor_client(app)


@pytest.fixture
def kiosk(app, kiosk_token):
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {kiosk_token}"
    return client


def test_a_paused_service_is_refused_and_the_kiosk_says_why_live(
    app, app_site, chief, kiosk, kiosk_token
) -> None:
    kiosk_socket = connect(app, kiosk, "/kiosk", {"token": kiosk_token})
    kiosk_socket.get_received("/kiosk")
    answer = chief.post(f"{FLOOR}/services/civil_status/pause",
                        json={"reason": "system", "note": "Back at 14:00"})
    assert answer.status_code == 200 and answer.get_json()["paused"]["civil_status"]["reason"] == "system"
    event = last_event(app_site)
    assert event.type == "floor.service_paused" and event.actor.startswith("user:")
    assert event.data == {"service": "civil_status", "reason": "system", "note": "Back at 14:00"}
    assert ("floor", {"seq": event.seq, "type": "floor.service_paused"}) in received(kiosk_socket, "/kiosk")

    refused = kiosk.post(KIOSK_URL, json={"service": "civil_status", "lang": "fr"})
    assert refused.status_code == 409
    assert refused.get_json()["message"] == (
        "Ce service n’est pas disponible pour le moment. Le système informatique dont ce service a besoin "
        "est en panne. Back at 14:00")
    services = {s["code"]: s for s in kiosk.get("/api/kiosk/services?lang=en").get_json()["services"]}
    assert services["civil_status"]["paused"] == ("The computer system this service needs is down. "
                                                  "Back at 14:00")
    assert services["registration"]["paused"] is None
    page = kiosk.get("/kiosk?lang=ar").get_data(as_text=True)
    assert 'data-testid="unavailable-civil_status">' in page and "Back at 14:00" in page
    # An appointment was promised its slot: it is still checked in.
    app_site.issue_ticket(service="civil_status", kind="appointment", lang="fr", actor="test")

    assert chief.post(f"{FLOOR}/services/civil_status/resume", json={"reason": "fixed"}).status_code == 200
    assert last_event(app_site).data == {"service": "civil_status", "reason": "fixed"}
    assert kiosk.post(KIOSK_URL, json={"service": "civil_status"}).status_code == 201
    assert chief.post(f"{FLOOR}/services/civil_status/resume", json={"reason": "again"}).status_code == 409


def test_a_pause_needs_a_known_reason_and_other_needs_a_note(chief, app_site, site_state) -> None:
    before = site_state(app_site)
    assert chief.post(f"{FLOOR}/services/judicial/pause", json={"reason": "lunch"}).status_code == 400
    assert chief.post(f"{FLOOR}/services/judicial/pause", json={"reason": "other"}).status_code == 400
    assert chief.post(f"{FLOOR}/services/nothing/pause", json={"reason": "staff"}).status_code == 400
    assert site_state(app_site) == before


def test_a_paused_paid_service_is_refused_before_any_payment(chief, kiosk) -> None:
    chief.post(f"{FLOOR}/services/passport/pause", json={"reason": "full"})
    answer = kiosk.post("/api/kiosk/payments", json={"service": "passport", "request_id": "r1", "lang": "en"})
    assert answer.status_code == 409
    assert "Today's capacity for this service has been reached." in answer.get_json()["message"]


def test_walk_ins_stop_now_pickups_and_appointments_still_come(
    app, app_site, chief, kiosk, kiosk_token
) -> None:
    kiosk_socket = connect(app, kiosk, "/kiosk", {"token": kiosk_token})
    kiosk_socket.get_received("/kiosk")
    assert chief.post(f"{FLOOR}/walk-ins/stop", json={"reason": "closing time"}).status_code == 200
    event = last_event(app_site)
    assert event.type == "floor.walk_ins_stopped" and event.data["rule"] == "now"
    assert any(name == "floor" for name, _ in received(kiosk_socket, "/kiosk"))
    refused = kiosk.post(KIOSK_URL, json={"service": "registration", "lang": "en"})
    assert refused.status_code == 409
    assert refused.get_json()["message"].startswith("No more walk-in tickets today")
    assert kiosk.post(KIOSK_URL, json={"service": "pickup", "kind": "pickup"}).status_code == 201
    app_site.issue_ticket(service="registration", kind="appointment", lang="fr", actor="test")
    stop = kiosk.get("/api/kiosk/services?lang=en").get_json()["walk_ins_stop"]
    assert stop["message"].startswith("No more walk-in tickets today")

    assert chief.post(f"{FLOOR}/walk-ins/resume", json={"reason": "one more family"}).status_code == 200
    assert kiosk.post(KIOSK_URL, json={"service": "registration"}).status_code == 201
    assert chief.post(f"{FLOOR}/walk-ins/resume", json={"reason": "twice"}).status_code == 409


def test_walk_ins_stop_at_a_set_time(app_site, chief, kiosk, clock) -> None:
    noon = datetime.now(app_site.config.tz).replace(hour=12, minute=0, second=0, microsecond=0)
    clock.set(noon)
    stop = {"reason": "last ticket 15:30", "at": "15:30"}
    assert chief.post(f"{FLOOR}/walk-ins/stop", json=stop).status_code == 200
    assert chief.get(FLOOR).get_json()["walk_ins"]["in_effect"] is False
    assert kiosk.post(KIOSK_URL, json={"service": "registration"}).status_code == 201
    clock.advance(timedelta(hours=3, minutes=31))
    assert kiosk.post(KIOSK_URL, json={"service": "registration"}).status_code == 409
    assert chief.get(FLOOR).get_json()["walk_ins"]["in_effect"] is True
    clock.advance(timedelta(hours=12))  # the next day starts without the stop
    assert kiosk.post(KIOSK_URL, json={"service": "registration"}).status_code == 201


def test_a_ticker_reaches_the_displays_projected_and_in_their_snapshot(
    app, app_site, chief, display_token, clock
) -> None:
    noon = datetime.now(app_site.config.tz).replace(hour=12, minute=0, second=0, microsecond=0)
    clock.set(noon)
    display = app.test_client()
    display.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {display_token}"
    socket = app.extensions["socketio"].test_client(app, namespace="/display", auth={"token": display_token})
    socket.get_received("/display")
    body = {"text": "Fermeture à 16 h", "texts": {"ar": "الإغلاق على الساعة 16", "xx": "no"},
            "until": "16:00", "reason": "strike"}
    assert chief.put(f"{FLOOR}/ticker", json=body).status_code == 200
    events = [args for name, args in received(socket, "/display") if name == "event"]
    assert len(events) == 1
    ends_at = events[0]["ends_at"]
    assert {key: value for key, value in events[0].items() if key != "waiting"} == {
        "seq": app_site.last_seq(), "at": events[0]["at"], "type": "floor.ticker", "text": "Fermeture à 16 h",
        "texts": {"ar": "الإغلاق على الساعة 16"}, "ends_at": ends_at}
    assert last_event(app_site).data["reason"] == "strike"  # the journal keeps why; the screen never sees it
    assert display.get("/api/display/snapshot").get_json()["ticker"] == {
        "text": "Fermeture à 16 h", "texts": {"ar": "الإغلاق على الساعة 16"}, "ends_at": ends_at}
    clock.advance(timedelta(hours=4, minutes=1))
    assert display.get("/api/display/snapshot").get_json()["ticker"] is None

    assert chief.put(f"{FLOOR}/ticker", json={**body, "until": "11:00"}).status_code == 400  # in the past
    clock.set(noon)
    chief.put(f"{FLOOR}/ticker", json=body)
    socket.get_received("/display")
    assert chief.post(f"{FLOOR}/ticker/clear", json={"reason": "over"}).status_code == 200
    cleared = [args for name, args in received(socket, "/display") if name == "event"]
    assert [event["type"] for event in cleared] == ["floor.ticker_cleared"] and "reason" not in cleared[0]
    assert display.get("/api/display/snapshot").get_json()["ticker"] is None


def test_closing_a_counter_left_open_sends_its_ticket_back_to_waiting(
    app, app_site, add_agent, login, chief
) -> None:
    agent = add_agent(app_site, "amina")
    desk = app.test_client()
    login(desk, "amina")
    ticket = app_site.issue_ticket(service="passport", kind="walk_in", lang="fr", actor="test").ticket
    assert desk.post("/api/counter/open", json={"counter": 1}).status_code == 200
    assert desk.post("/api/counter/next").get_json()["ticket"]["number"] == ticket.number
    watcher = connect(app, chief, "/counter")
    watcher.get_received("/counter")

    assert chief.post(f"{FLOOR}/counters/1/close", json={"reason": "Amina went home"}).status_code == 200
    assert app_site.open_counters() == {}
    waiting = [row["number"] for row in app_site.waiting_list(2)]
    assert waiting == [ticket.number]
    types = [args["type"] for name, args in received(watcher, "/counter") if name == "event"]
    assert types == ["counter.closed", "ticket.transferred"]
    closed = journal.since(app_site.store.read(), app_site.last_seq() - 2)[0]
    assert closed.data == {"counter": 1, "closed_for": f"user:{agent['id']}", "reason": "Amina went home",
                           "requeued": ticket.number}
    assert desk.post("/api/counter/next").status_code == 403  # the agent opens it again first
    assert chief.post(f"{FLOOR}/counters/1/close", json={"reason": "again"}).status_code == 409


def test_a_counters_services_change_for_the_day_and_the_policy_follows(
    app, app_site, add_agent, chief, clock
) -> None:
    clock.set(datetime.now(app_site.config.tz).replace(hour=10, minute=0, second=0, microsecond=0))
    agent = add_agent(app_site, "amina")
    app_site.issue_ticket(service="passport", kind="walk_in", lang="fr", actor="test")
    pickup = app_site.issue_ticket(service="pickup", kind="pickup", lang="fr", actor="test").ticket
    answer = chief.put(f"{FLOOR}/counters/1/services", json={"services": ["pickup"], "reason": "pickup rush"})
    assert answer.status_code == 200 and answer.get_json()["counters"]["1"]["services"] == ["pickup"]
    event = last_event(app_site)
    assert event.data == {"counter": 1, "services": ["pickup"], "configured": ["passport", "cnie"],
                          "reason": "pickup rush"}
    counters = {c["number"]: c for c in chief.get("/api/supervisor/overview").get_json()["counters"]}
    assert counters[1]["services"] == ["pickup"] and counters[1]["configured"] == ["passport", "cnie"]
    app_site.open_counter(1, agent)
    assert app_site.call_next(1, agent).id == pickup.id

    configured = {"services": ["passport", "cnie"], "reason": "done"}
    back = chief.put(f"{FLOOR}/counters/1/services", json=configured)
    assert back.get_json()["counters"] == {}
    assert chief.put(f"{FLOOR}/counters/1/services", json={"services": [], "reason": "x"}).status_code == 400
    unknown = {"services": ["pickup"], "reason": "x"}
    assert chief.put(f"{FLOOR}/counters/99/services", json=unknown).status_code == 400
    chief.put(f"{FLOOR}/counters/2/services", json={"services": ["pickup"], "reason": "for today"})
    clock.advance(timedelta(days=1))  # the next day, the configuration again
    assert floor_control.effective_counter(app_site.store.read(), app_site.config, 2, clock()).services == (
        "passport", "cnie")


def test_every_action_reaches_the_supervisors_dashboard_live(app, app_site, chief) -> None:
    watcher = connect(app, chief, "/counter")
    watcher.get_received("/counter")
    chief.post(f"{FLOOR}/services/judicial/pause", json={"reason": "staff"})
    chief.post(f"{FLOOR}/walk-ins/stop", json={"reason": "closing"})
    chief.put(f"{FLOOR}/ticker", json={"text": "Hello", "until": "23:59", "reason": "info"})
    chief.put(f"{FLOOR}/counters/8/services", json={"services": ["pickup", "judicial"], "reason": "help"})
    types = [args["type"] for name, args in received(watcher, "/counter") if name == "event"]
    assert types == ["floor.service_paused", "floor.walk_ins_stopped", "floor.ticker",
                     "floor.counter_services"]
    floor = chief.get("/api/supervisor/overview").get_json()["floor"]
    assert set(floor["paused"]) == {"judicial"} and floor["walk_ins"]["in_effect"] is True
    assert floor["counters"]["8"]["services"] == ["pickup", "judicial"] and floor["ticker"]["text"] == "Hello"


ACTIONS = [
    ("get", FLOOR, None),
    ("post", f"{FLOOR}/services/passport/pause", {"reason": "staff"}),
    ("post", f"{FLOOR}/services/passport/resume", {"reason": "x"}),
    ("post", f"{FLOOR}/walk-ins/stop", {"reason": "x"}),
    ("post", f"{FLOOR}/walk-ins/resume", {"reason": "x"}),
    ("put", f"{FLOOR}/counters/1/services", {"services": ["pickup"], "reason": "x"}),
    ("post", f"{FLOOR}/counters/1/close", {"reason": "x"}),
    ("put", f"{FLOOR}/ticker", {"text": "x", "until": "23:59", "reason": "x"}),
    ("post", f"{FLOOR}/ticker/clear", {"reason": "x"}),
]


@pytest.mark.parametrize(("method", "url", "body"), ACTIONS)
def test_agents_and_devices_may_not_control_the_floor(
    app, app_site, add_agent, login, kiosk, display_token, site_state, method, url, body
) -> None:
    add_agent(app_site, "amina")
    agent = app.test_client()
    login(agent, "amina")
    display = app.test_client()
    display.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {display_token}"
    before = site_state(app_site)
    assert getattr(agent, method)(url, json=body).status_code == 403
    assert getattr(kiosk, method)(url, json=body).status_code == 401
    assert getattr(display, method)(url, json=body).status_code == 401
    assert site_state(app_site) == before
