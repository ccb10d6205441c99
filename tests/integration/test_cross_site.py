"""Cross-site requests and websockets (issue 12, section 2): a page of another origin, even on the same host
(another port) or a sibling subdomain, cannot act with an agent's, a supervisor's or a kiosk's cookie."""

from __future__ import annotations

import pytest

from core import config as site_config
from core.app import create_app

EVIL = "http://evil.example"
SIBLING_PORT = "http://localhost:8081"  # the same host, another port: another origin
KIOSK_URL = "/api/kiosk/tickets"


@pytest.fixture
def agent(client, app_site, add_agent, login, kiosk_token):
    """amina logged in at counter 1, with one ticket waiting."""
    add_agent(app_site, "amina")
    assert login(client, "amina").status_code == 200
    assert client.post("/api/counter/open", json={"counter": 1}).status_code == 200
    issued = client.post(KIOSK_URL, json={"service": "passport"},
                         headers={"Authorization": f"Bearer {kiosk_token}"})
    assert issued.status_code == 201
    return client


def assert_cross_site_refused(response) -> None:
    assert response.status_code == 403, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] == "cross_site_request"
    assert body["message"][0].isupper() and body["message"].endswith("."), body


AGENT_ACTIONS = [
    ("/api/counter/next", None),
    ("/api/counter/close", None),
    ("/api/auth/logout", None),
    ("/api/counter/open", {"counter": 2}),
]


@pytest.mark.parametrize("origin", [EVIL, SIBLING_PORT, "null"])
@pytest.mark.parametrize(("path", "body"), AGENT_ACTIONS, ids=[path for path, _ in AGENT_ACTIONS])
def test_another_origin_cannot_act_with_the_agents_cookie(agent, app_site, site_state, path, body, origin):
    before = site_state(app_site), app_site.open_counters()
    assert_cross_site_refused(agent.post(path, json=body, headers={"Origin": origin}))
    assert (site_state(app_site), app_site.open_counters()) == before
    assert agent.get("/api/auth/me").status_code == 200  # still logged in: the logout was refused too


def test_a_body_less_post_with_a_foreign_referer_and_no_origin_is_refused(agent, app_site, site_state):
    agent.environ_base.pop("HTTP_ORIGIN")
    before = site_state(app_site)
    assert_cross_site_refused(agent.post("/api/counter/next", headers={"Referer": f"{EVIL}/page.html"}))
    assert site_state(app_site) == before


def test_a_cookie_post_that_says_nothing_of_its_origin_is_refused(agent, app_site, site_state):
    agent.environ_base.pop("HTTP_ORIGIN")
    before = site_state(app_site)
    assert_cross_site_refused(agent.post("/api/counter/next"))
    assert site_state(app_site) == before


def test_a_same_origin_referer_is_enough_without_origin(agent):
    agent.environ_base.pop("HTTP_ORIGIN")
    response = agent.post("/api/counter/next", headers={"Referer": "http://localhost/counter"})
    assert response.status_code == 200, response.get_data(as_text=True)


def test_a_supervisor_cancel_from_another_origin_is_refused(app, agent, supervisor_client, app_site):
    chief = supervisor_client(app)
    ticket = app_site.waiting_list(1)[0]
    assert_cross_site_refused(chief.post(f"/api/tickets/{ticket['id']}/cancel", headers={"Origin": EVIL}))
    assert app_site.waiting_list(1)[0]["id"] == ticket["id"]


def test_a_login_from_another_origin_is_refused(client, app_site, add_agent, login):
    add_agent(app_site, "amina")
    client.environ_base["HTTP_ORIGIN"] = EVIL
    assert_cross_site_refused(login(client, "amina"))


def test_a_kiosk_with_its_bearer_token_needs_no_origin(client, kiosk_token):
    client.environ_base.pop("HTTP_ORIGIN")
    response = client.post(KIOSK_URL, json={"service": "passport"},
                           headers={"Authorization": f"Bearer {kiosk_token}"})
    assert response.status_code == 201


def test_an_enrolled_kiosk_cookie_obeys_the_same_rule(client, kiosk_token, app_site, site_state):
    assert client.get(f"/enrol?token={kiosk_token}").status_code == 302
    before = site_state(app_site)
    assert_cross_site_refused(client.post(KIOSK_URL, json={"service": "passport"}, headers={"Origin": EVIL}))
    assert site_state(app_site) == before
    assert client.post(KIOSK_URL, json={"service": "passport"}).status_code == 201  # its own pages: fine


def test_the_public_url_is_the_sites_origin_too(tmp_path, add_agent, login):
    config = site_config.load(env={"DOUR_SERVER_PUBLIC_URL": "https://dour.consulat.example/"})
    app = create_app(config, str(tmp_path / "p.db"), start_devices=False)
    add_agent(app.extensions["dour.site"], "amina")
    desk = app.test_client()
    desk.environ_base["HTTP_ORIGIN"] = "https://dour.consulat.example"
    assert login(desk, "amina").status_code == 200
    assert desk.post("/api/counter/open", json={"counter": 1}).status_code == 200


@pytest.mark.parametrize(("hops", "status"), [(0, 403), (1, 200)])
def test_forwarded_headers_count_only_behind_a_configured_proxy(tmp_path, add_agent, login, hops, status):
    """nginx terminates TLS for https://dour.lan and forwards to http://127.0.0.1:8080 with X-Forwarded-*."""
    config = site_config.load(env={"DOUR_SERVER_PROXY_HOPS": str(hops)})
    app = create_app(config, str(tmp_path / "x.db"), start_devices=False)
    add_agent(app.extensions["dour.site"], "amina")
    desk = app.test_client()
    desk.environ_base.update(HTTP_ORIGIN="https://dour.lan", HTTP_X_FORWARDED_PROTO="https",
                             HTTP_X_FORWARDED_HOST="dour.lan", HTTP_X_FORWARDED_FOR="10.0.0.7")
    assert login(desk, "amina").status_code == status


# --- Socket.IO ----------------------------------------------------------------------------------------------


def socket_from(app, client, namespace: str, origin: str | None, auth: dict | None = None):
    headers = {"Origin": origin} if origin else None
    return app.extensions["socketio"].test_client(app, namespace=namespace, flask_test_client=client,
                                                  headers=headers, auth=auth)


@pytest.mark.parametrize("namespace", ["/counter", "/display"])
def test_another_origin_cannot_open_a_staff_socket_with_the_cookie(app, client, app_site, supervisor_client,
                                                                   namespace):
    chief = supervisor_client(app)
    assert socket_from(app, chief, namespace, "http://localhost").is_connected(namespace)
    assert not socket_from(app, chief, namespace, EVIL).is_connected(namespace)
    assert not socket_from(app, chief, namespace, SIBLING_PORT).is_connected(namespace)


def test_another_origin_cannot_open_the_kiosk_socket_with_its_cookie(app, client, kiosk_token):
    assert client.get(f"/enrol?token={kiosk_token}").status_code == 302
    assert socket_from(app, client, "/kiosk", "http://localhost").is_connected("/kiosk")
    assert not socket_from(app, client, "/kiosk", EVIL).is_connected("/kiosk")


def test_engineio_checks_the_origin_at_the_handshake(app):
    """python-engineio's own check is on (`cors_allowed_origins=[]` turned it off): a browser's websocket
    handshake from another origin is refused before any namespace runs."""
    engine = app.extensions["socketio"].server.eio
    check = engine.cors_allowed_origins
    assert callable(check)
    environ = {"wsgi.url_scheme": "http", "HTTP_HOST": "dour.lan:8080"}
    assert check("http://dour.lan:8080", environ) and check(None, environ)
    assert not any(check(origin, environ) for origin in (EVIL, "http://dour.lan:8081", "null"))


def test_another_origin_cannot_listen_to_a_desks_badge_reader(app, client):
    readers = app.extensions["dour.badges"]
    readers.open(1, "sim://")
    try:
        assert socket_from(app, client, "/desk", "http://localhost", {"counter": 1}).is_connected("/desk")
        assert not socket_from(app, client, "/desk", EVIL, {"counter": 1}).is_connected("/desk")
    finally:
        readers.close()
