"""Badge login at a desk through HTTP and Socket.IO, with the simulated (sim://) reader of counter 1."""

from __future__ import annotations

import pytest

from core import badges, journal
from core import config as site_config
from core.app import create_app

PIN = "4821"
BADGE = "AGENT-0042"


@pytest.fixture
def readers(app, app_site):
    """Counter 1 has a simulated badge reader; the other counters have none."""
    service = app.extensions["dour.badges"]
    service.open(1, "sim://")
    yield service
    service.close()


@pytest.fixture
def amina(app_site, add_agent):
    agent = add_agent(app_site, "amina")
    with app_site.store.write() as db:
        badges.enrol(db, "amina", BADGE, PIN)
    return agent


@pytest.fixture
def desk_socket(app, client, readers):
    """The desk page's /desk connection for counter 1 (no login needed)."""
    socket = app.extensions["socketio"].test_client(app, namespace="/desk", auth={"counter": 1},
                                                    flask_test_client=client)
    assert socket.is_connected("/desk")
    return socket


def badge_events(socket) -> list[dict]:
    return [m["args"][0] for m in socket.get_received("/desk") if m["name"] == "badge"]


def types_since(site, seq: int) -> list[str]:
    return [event.type for event in journal.since(site.store.read(), seq)]


def test_inserted_badge_and_pin_log_in_and_open_the_counter(client, app_site, readers, amina, desk_socket):
    assert badge_events(desk_socket) == [{"counter": 1, "state": "removed", "known": False}]
    start = app_site.last_seq()
    readers.sim_insert(1, BADGE)
    assert badge_events(desk_socket) == [{"counter": 1, "state": "inserted", "known": True}]
    response = client.post("/api/auth/badge", json={"counter": 1, "pin": PIN})
    assert response.status_code == 200
    assert response.get_json() == {"user": {"id": amina["id"], "username": "amina", "display_name": "Amina",
                                            "role": "agent"}, "counter": 1}
    assert app_site.open_counters() == {1: amina["id"]}
    assert client.get("/api/counter/state").status_code == 200
    assert types_since(app_site, start) == ["counter.opened", "badge.login"]
    login = journal.since(app_site.store.read(), start)[-1]
    assert login.actor == f"user:{amina['id']}" and login.data == {"counter": 1,
                                                                   "badge": badges.fingerprint(BADGE)}


def test_desk_events_never_carry_the_badge_id_or_a_name(readers, amina, desk_socket) -> None:
    readers.sim_insert(1, BADGE)
    readers.sim_remove(1)
    readers.sim_insert(1, "AGENT-UNKNOWN")
    text = repr(badge_events(desk_socket))
    assert BADGE not in text and "amina" not in text.lower() and "UNKNOWN" not in text


def test_removing_the_badge_locks_the_counter_until_badge_and_pin_are_back(
    client, app_site, readers, amina, desk_socket
) -> None:
    readers.sim_insert(1, BADGE)
    assert client.post("/api/auth/badge", json={"counter": 1, "pin": PIN}).status_code == 200
    start = app_site.last_seq()
    readers.sim_remove(1)
    assert badge_events(desk_socket)[-1] == {"counter": 1, "state": "removed", "known": False}
    for method, path in (("get", "/api/counter/state"), ("post", "/api/counter/next"),
                         ("get", "/api/auth/me"), ("post", "/api/auth/logout")):
        answer = getattr(client, method)(f"{path}?lang=en")
        assert answer.status_code == 423 and answer.get_json()["error"] == "counter_locked"
        assert "Insert your badge" in answer.get_json()["message"]
    assert types_since(app_site, start) == ["badge.locked"]
    assert app_site.open_counters() == {1: amina["id"]}  # locked, not closed: the visitor's ticket stays
    readers.sim_insert(1, BADGE)
    assert client.get("/api/counter/state").status_code == 423  # the badge alone is not enough
    assert client.post("/api/auth/badge", json={"counter": 1, "pin": PIN}).status_code == 200
    assert client.get("/api/counter/state").status_code == 200
    assert types_since(app_site, start) == ["badge.locked", "badge.login"]  # the counter stayed open


def test_wrong_pin_is_refused_with_a_sentence(client, app_site, readers, amina) -> None:
    readers.sim_insert(1, BADGE)
    answer = client.post("/api/auth/badge", json={"counter": 1, "pin": "0000", "lang": "fr"})
    assert answer.status_code == 401 and answer.get_json() == {"error": "wrong_pin",
                                                               "message": "Code PIN erroné. Réessayez."}
    assert client.get("/api/auth/me").status_code == 401 and app_site.open_counters() == {}


def test_too_many_wrong_pins_block_the_badge(client, readers, amina) -> None:
    readers.sim_insert(1, BADGE)
    codes = [client.post("/api/auth/badge", json={"counter": 1, "pin": "0000"}).status_code for _ in range(5)]
    assert codes == [401] * 5
    answer = client.post("/api/auth/badge", json={"counter": 1, "pin": PIN})
    assert answer.status_code == 429 and answer.get_json()["error"] == "too_many_attempts"


@pytest.mark.parametrize(("card", "status", "error"), [
    ("AGENT-0099", 403, "unknown_badge"),  # a badge nobody enrolled
    (None, 403, "unknown_badge"),  # a bank card: not read, not a badge
])
def test_cards_that_are_not_enrolled_badges_are_refused(
    client, readers, amina, desk_socket, card, status, error
) -> None:
    readers.sim_insert(1, card)
    assert badge_events(desk_socket)[-1] == {"counter": 1, "state": "inserted", "known": False}
    answer = client.post("/api/auth/badge", json={"counter": 1, "pin": PIN})
    assert answer.status_code == status and answer.get_json()["error"] == error


def test_no_badge_in_the_reader_and_no_reader_at_the_counter(client, readers, amina) -> None:
    answer = client.post("/api/auth/badge", json={"counter": 1, "pin": PIN, "lang": "en"})
    assert answer.status_code == 409 and "Insert your badge" in answer.get_json()["message"]
    answer = client.post("/api/auth/badge", json={"counter": 2, "pin": PIN, "lang": "en"})
    assert answer.status_code == 400 and "no badge reader" in answer.get_json()["message"]
    assert client.post("/api/auth/badge", json={"counter": 99, "pin": PIN}).status_code == 400
    assert client.post("/api/auth/badge", json={"counter": 1}).status_code == 400


def test_badge_cannot_take_a_counter_another_agent_holds(
    client, app, app_site, readers, amina, add_agent, login
) -> None:
    add_agent(app_site, "karim")
    other = app.test_client()
    assert login(other, "karim").status_code == 200
    assert other.post("/api/counter/open", json={"counter": 1}).status_code == 200
    readers.sim_insert(1, BADGE)
    answer = client.post("/api/auth/badge", json={"counter": 1, "pin": PIN})
    assert answer.status_code == 409 and client.get("/api/auth/me").status_code == 401


def test_password_sessions_ignore_the_badge_reader(client, app_site, readers, amina, login) -> None:
    assert login(client, "amina").status_code == 200
    assert client.post("/api/counter/open", json={"counter": 1}).status_code == 200
    readers.sim_insert(1, BADGE)
    readers.sim_remove(1)
    assert client.get("/api/counter/state").status_code == 200


@pytest.mark.parametrize("auth", [{"counter": 2}, {"counter": "1"}, {"counter": True}, {}, None])
def test_desk_namespace_only_for_a_counter_with_a_reader(app, client, readers, auth) -> None:
    socketio = app.extensions["socketio"]
    socket = socketio.test_client(app, namespace="/desk", auth=auth, flask_test_client=client)
    assert not socket.is_connected("/desk")


def test_sim_hooks_refuse_a_counter_without_a_simulated_reader(readers) -> None:
    with pytest.raises(Exception, match="no simulated badge reader"):
        readers.sim_insert(2, BADGE)


def test_configured_readers_open_at_start_and_report_their_health(tmp_path) -> None:
    config = site_config.load(env={"DOUR_DEVICES_PRINTER": "", "DOUR_DEVICES_SCANNER": "",
                                   "DOUR_DEVICES_CARD_READER": ""})
    config.devices["counters"] = {"3": {"card_reader": "sim://"}, "4": {"card_reader": "ftp://nope"}}
    app = create_app(config, str(tmp_path / "start.db"))
    service = app.extensions["dour.badges"]
    try:
        assert [n for n in config.counters if service.has_reader(n)] == [3]
        states = {d.device: (d.state, d.reason) for d in app.extensions["dour.site"].device_states()}
        assert states["card_reader:3"] == ("ok", "") and states["card_reader:4"] == ("offline", "bad_uri")
    finally:
        service.close()
