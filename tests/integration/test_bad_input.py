"""Bad input and wrong callers: a 4xx with a sentence in `message`, and nothing changed."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from core import users
from core.site import Site

KIOSK_URL = "/api/kiosk/tickets"


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def unchanged(app_site: Site, site_state):
    """`with unchanged():` asserts that no ticket and no journal event was added inside the block."""
    @contextmanager
    def check():
        before = site_state(app_site)
        yield
        assert site_state(app_site) == before, "a refused request changed the site"
    return check


def assert_refused(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    message = body["message"]
    assert isinstance(message, str) and message[0].isupper() and message.rstrip().endswith("."), message
    return body


@pytest.fixture
def seeded(client, kiosk_token):
    """One ticket exists already, so "nothing changed" is checked against a non-empty site."""
    assert client.post(KIOSK_URL, json={"service": "passport"}, headers=auth(kiosk_token)).status_code == 201


BAD_KIOSK_BODIES = {
    "malformed-json": dict(data=b'{"service": "passport",', content_type="application/json"),
    "not-an-object": dict(json=["passport"]),
    "not-json-at-all": dict(data=b"service=passport", content_type="application/x-www-form-urlencoded"),
    "unknown-service": dict(json={"service": "visa"}),
    "missing-service": dict(json={"kind": "walk_in"}),
    "appointment-kind": dict(json={"service": "passport", "kind": "appointment"}),
    "pickup-for-passport": dict(json={"service": "passport", "kind": "pickup"}),
    "unknown-kind": dict(json={"service": "passport", "kind": "vip"}),
    "service-not-a-string": dict(json={"service": 5}),
    "priority-not-a-bool": dict(json={"service": "passport", "priority": "yes"}),
    "request-id-too-long": dict(json={"service": "passport", "request_id": "x" * 65}),
    "unknown-language": dict(json={"service": "passport", "lang": "xx"}),
    "language-not-a-string": dict(json={"service": "passport", "lang": 7}),
}


@pytest.mark.parametrize("request_args", BAD_KIOSK_BODIES.values(), ids=BAD_KIOSK_BODIES.keys())
def test_bad_kiosk_request_changes_nothing(client, kiosk_token, seeded, unchanged, request_args) -> None:
    with unchanged():
        assert_refused(client.post(KIOSK_URL, headers=auth(kiosk_token), **request_args), 400)


def test_unknown_service_names_it(client, kiosk_token, unchanged) -> None:
    with unchanged():
        response = client.post(KIOSK_URL, json={"service": "visa"}, headers=auth(kiosk_token))
        body = assert_refused(response, 400)
    assert "visa" in body["message"]


def test_kiosk_without_token(client, unchanged) -> None:
    with unchanged():
        assert_refused(client.post(KIOSK_URL, json={"service": "passport"}), 401)
        assert_refused(client.post(KIOSK_URL, json={"service": "passport"}, headers=auth("forged")), 401)


def test_display_token_cannot_issue(client, display_token, unchanged) -> None:
    with unchanged():
        assert_refused(client.post(KIOSK_URL, json={"service": "passport"}, headers=auth(display_token)), 403)


def test_revoked_kiosk_cannot_issue(client, app_site, kiosk_token, unchanged) -> None:
    from core import devices

    with app_site.store.write() as db:
        devices.revoke_device(db, "kiosk-1")
    with unchanged():
        assert_refused(client.post(KIOSK_URL, json={"service": "passport"}, headers=auth(kiosk_token)), 401)


def test_kiosk_token_is_not_an_agent(client, kiosk_token, seeded, unchanged) -> None:
    with unchanged():
        assert_refused(client.post("/api/counter/next", headers=auth(kiosk_token)), 401)


def test_wrong_password(client, app_site, add_agent, login, unchanged) -> None:
    add_agent(app_site, "amina")
    with unchanged():
        assert_refused(login(client, "amina", "wrong password!"), 401)
        assert_refused(login(client, "nobody", "wrong password!"), 401)
    assert client.get("/api/auth/me").status_code == 401


def test_kiosk_page_without_enrolment(client) -> None:
    response = client.get("/kiosk")
    assert response.status_code == 401
    assert "text/html" in response.content_type


def test_bad_enrolment_link(client) -> None:
    assert client.get("/enrol?token=forged").status_code == 401


# --- counters ---------------------------------------------------------------------------------------------


@pytest.fixture
def agent(client, app_site, add_agent, login):
    user = add_agent(app_site, "amina")
    assert login(client, "amina").status_code == 200
    return user


def test_calling_without_an_open_counter(client, agent, seeded, unchanged) -> None:
    with unchanged():
        assert_refused(client.post("/api/counter/next"), 400)


def test_calling_at_a_counter_taken_over_by_someone_else(client, app_site, agent, add_agent, seeded) -> None:
    assert client.post("/api/counter/open", json={"counter": 1}).status_code == 200
    app_site.close_counter(1, agent)
    app_site.open_counter(1, add_agent(app_site, "other"))
    db = app_site.store.read()
    waiting = "SELECT COUNT(*) FROM tickets WHERE state = 'waiting'"
    before = db.execute(waiting).fetchone()[0], app_site.last_seq()
    assert_refused(client.post("/api/counter/next"), 403)
    assert (db.execute(waiting).fetchone()[0], app_site.last_seq()) == before


def test_opening_an_unknown_counter(client, app_site, agent, unchanged) -> None:
    with unchanged():
        assert_refused(client.post("/api/counter/open", json={"counter": 99}), 400)
        assert_refused(client.post("/api/counter/open", json={"counter": "1"}), 400)
    assert app_site.open_counters() == {}


def test_opening_a_counter_open_by_another_agent(client, app_site, agent, add_agent, unchanged) -> None:
    app_site.open_counter(1, add_agent(app_site, "other"))
    with unchanged():
        body = assert_refused(client.post("/api/counter/open", json={"counter": 1}), 409)
    assert "1" in body["message"]
    assert app_site.open_counters()[1] != agent["id"]


@pytest.fixture
def two_desks(app, app_site, add_agent, login, kiosk_token):
    """Counter 1 (amina) holds A-001, counter 2 (karim) holds A-002; both are logged in on their clients."""
    desks = {}
    for number, name in ((1, "amina"), (2, "karim")):
        add_agent(app_site, name)
        desk = app.test_client()
        assert login(desk, name).status_code == 200
        assert desk.post("/api/counter/open", json={"counter": number}).status_code == 200
        desks[number] = desk
    client = app.test_client()
    for _ in range(3):
        client.post(KIOSK_URL, json={"service": "passport"}, headers=auth(kiosk_token))
    held = {number: desk.post("/api/counter/next").get_json()["ticket"] for number, desk in desks.items()}
    assert [held[1]["number"], held[2]["number"]] == ["A-001", "A-002"]
    return desks, held


def row(app_site: Site, ticket_id: str) -> dict:
    return next(app_site.store.read().query("SELECT * FROM tickets WHERE id = ?", [ticket_id]))


@pytest.mark.parametrize("action", ["start", "recall", "no-show", "finish", "transfer"])
def test_acting_on_another_counters_ticket(two_desks, app_site, action) -> None:
    desks, held = two_desks
    other = held[2]["id"]
    before, seq = row(app_site, other), app_site.last_seq()
    response = desks[1].post(f"/api/counter/tickets/{other}/{action}", json={"service": "cnie"})
    body = assert_refused(response, 403)
    assert "A-002" in body["message"]
    assert row(app_site, other) == before and app_site.last_seq() == seq


def test_finishing_a_called_ticket_is_a_conflict(two_desks, app_site) -> None:
    desks, held = two_desks
    mine = held[1]["id"]
    before, seq = row(app_site, mine), app_site.last_seq()
    body = assert_refused(desks[1].post(f"/api/counter/tickets/{mine}/finish"), 409)
    assert body["error"] == "illegal_transition"
    assert row(app_site, mine) == before and app_site.last_seq() == seq


def test_calling_next_while_holding_a_ticket(two_desks, app_site) -> None:
    desks, held = two_desks
    seq = app_site.last_seq()
    body = assert_refused(desks[1].post("/api/counter/next"), 409)
    assert "A-001" in body["message"]
    assert app_site.last_seq() == seq


TRANSFER_BODIES = {
    "unknown-service": {"service": "visa"},
    "unknown-counter": {"counter": 99},
    "both": {"service": "cnie", "counter": 2},
    "neither": {},
    "counter-not-a-number": {"counter": "2"},
}


@pytest.mark.parametrize("payload", TRANSFER_BODIES.values(), ids=TRANSFER_BODIES.keys())
def test_bad_transfer(two_desks, app_site, payload) -> None:
    desks, held = two_desks
    mine = held[1]["id"]
    before, seq = row(app_site, mine), app_site.last_seq()
    assert_refused(desks[1].post(f"/api/counter/tickets/{mine}/transfer", json=payload), 400)
    assert row(app_site, mine) == before and app_site.last_seq() == seq


def test_unknown_action_and_ticket(two_desks, app_site) -> None:
    desks, held = two_desks
    seq = app_site.last_seq()
    assert_refused(desks[1].post(f"/api/counter/tickets/{held[1]['id']}/teleport"), 400)
    assert_refused(desks[1].post("/api/counter/tickets/no-such-ticket/start"), 404)
    assert app_site.last_seq() == seq


def test_agent_actions_need_login(client, unchanged) -> None:
    with unchanged():
        for url in ("/api/counter/next", "/api/counter/open", "/api/counter/tickets/x/start"):
            assert_refused(client.post(url, json={"counter": 1}), 401)


def test_display_snapshot_needs_a_display(client, kiosk_token, app_site, add_agent, login) -> None:
    assert_refused(client.get("/api/display/snapshot"), 401)
    assert_refused(client.get("/api/display/snapshot", headers=auth(kiosk_token)), 403)
    add_agent(app_site, "amina")
    login(client, "amina")
    assert_refused(client.get("/api/display/snapshot"), 403)


def test_accounts_unaffected_by_failed_login(client, app_site, add_agent, login) -> None:
    add_agent(app_site, "amina")
    login(client, "amina", "wrong password!")
    assert users.authenticate(app_site.store.read(), "amina", "correct horse battery") is not None


# --- hostile bodies and parameters (field trial, issue 12): a sentence, never a traceback -------------------

BIG = 2**63  # SQLite stores signed 64-bit integers: one more is an OverflowError in the driver


def test_a_body_over_the_limit_is_a_413_in_the_persons_language(client, kiosk_token, unchanged) -> None:
    body = b'{"service": "passport", "pad": "' + b"x" * (1024 * 1024) + b'"}'
    with unchanged():
        response = client.post(KIOSK_URL, data=body, content_type="application/json",
                               headers={**auth(kiosk_token), "Accept-Language": "de"})
        answer = assert_refused(response, 413)
    assert answer["error"] == "body_too_large" and "zu groß" in answer["message"], answer


HOSTILE_BODIES = {
    "nested-1000-deep": b'{"service": "passport", "x": ' + b"[" * 1000 + b"]" * 1000 + b"}",
    "nested-100-deep": b'{"service": "passport", "x": ' + b"[" * 100 + b"]" * 100 + b"}",
    "lone-surrogate-request-id": b'{"service": "passport", "request_id": "\\ud800"}',
    "lone-surrogate-key": b'{"service": "passport", "\\udfff": 1}',
    "huge-integer": b'{"service": "passport", "request_id": "a", "n": ' + str(BIG).encode() + b"}",
    "not-a-number": b'{"service": "passport", "n": NaN}',
}


@pytest.mark.parametrize("body", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
def test_hostile_json_is_refused_with_a_sentence(client, kiosk_token, seeded, unchanged, body) -> None:
    with unchanged():
        assert_refused(client.post(KIOSK_URL, data=body, content_type="application/json",
                                   headers=auth(kiosk_token)), 400)


def test_an_integer_id_beyond_sqlite_in_a_path_is_not_found(client, app_site, supervisor_client, app) -> None:
    boss = supervisor_client(app)
    answer = boss.post(f"/api/payments/exceptions/{BIG}/resolve", json={"note": "x"})
    assert answer.status_code == 404, answer.get_data(as_text=True)


def test_reconciliation_totals_beyond_sqlite_are_refused(device_app, kiosk_client, supervisor_client,
                                                          site_state) -> None:
    app = device_app(DOUR_DEVICES_PAYMENT="sim://")
    kiosk_client(app)
    boss = supervisor_client(app)
    before = site_state(app.extensions["dour.site"])
    for totals in ({"debit_minor": BIG}, {"debit_count": 2**64, "debit_minor": 1}, {"refund_minor": BIG - 1}):
        answer = boss.post("/api/payments/reconciliation", json={"kiosk": "hall-1", "totals": totals})
        assert_refused(answer, 400)
    assert site_state(app.extensions["dour.site"]) == before


@pytest.mark.parametrize("last_seq", [BIG, 2**64, 10**30])
def test_a_screen_with_a_huge_last_seq_gets_a_snapshot(app, client, display_token, last_seq) -> None:
    socket = app.extensions["socketio"].test_client(app, namespace="/display", flask_test_client=client,
                                                    auth={"token": display_token, "last_seq": last_seq})
    assert socket.is_connected("/display")
    assert [message["name"] for message in socket.get_received("/display")] == ["snapshot", "synced"]


NEXT_TARGETS = {
    "tab": "/\t/evil.example",
    "newline": "/\n/evil.example",
    "carriage-return": "/\r/evil.example",
    "backslash": "/\\evil.example",
    "tab-backslash": "/\t\\evil.example",
    "protocol-relative": "//evil.example",
    "absolute": "https://evil.example/",
    "space": "/ /evil.example",
}


@pytest.mark.parametrize("target", NEXT_TARGETS.values(), ids=NEXT_TARGETS.keys())
def test_enrolment_never_redirects_off_site(client, kiosk_token, target) -> None:
    response = client.get("/enrol", query_string={"token": kiosk_token, "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] in ("/kiosk", "http://localhost/kiosk"), response.headers["Location"]


def test_enrolment_follows_a_path_on_the_site(client, display_token) -> None:
    response = client.get("/enrol", query_string={"token": display_token, "next": "/display?languages=ar,fr"})
    assert response.headers["Location"].endswith("/display?languages=ar,fr")


@pytest.mark.parametrize("wait", ["nan", "NaN", "-nan"])
def test_a_long_poll_wait_that_is_no_number_is_refused(client, kiosk_token, wait) -> None:
    """`float("nan")` would reach the print queue's lock as its timeout, which fails with a ValueError."""
    issued = client.post(KIOSK_URL, json={"service": "passport"}, headers=auth(kiosk_token))
    url = f"/api/kiosk/tickets/{issued.get_json()['ticket']['id']}/print?wait={wait}"
    assert_refused(client.get(url, headers=auth(kiosk_token)), 400)
