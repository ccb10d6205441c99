"""Sessions that end (issue 12, section 2): logout, disabling an account and changing its password end
sessions on the server, and revocation reaches open live connections."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest

from core import cli, devices, users
from core.revocation import EXTENSION

KIOSK_URL = "/api/kiosk/tickets"
NEW_PASSWORD = "a brand new passphrase"


def copy_of(app, client):
    """Another client holding a copy of `client`'s session cookie (a stolen or copied cookie)."""
    thief = app.test_client()
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    thief.set_cookie(cookie.key, cookie.value)
    return thief


@pytest.fixture
def amina(app, client, app_site, add_agent, login):
    add_agent(app_site, "amina")
    assert login(client, "amina").status_code == 200
    return client


def test_a_copied_cookie_stops_working_at_logout(app, amina):
    thief = copy_of(app, amina)
    assert thief.get("/api/auth/me").status_code == 200
    assert amina.post("/api/auth/logout").status_code == 200
    assert thief.get("/api/auth/me").status_code == 401
    assert thief.post("/api/counter/open", json={"counter": 1}).status_code == 401


def test_logout_ends_only_that_session(app, amina, login):
    other_desk = app.test_client()
    assert login(other_desk, "amina").status_code == 200
    assert amina.post("/api/auth/logout").status_code == 200
    assert other_desk.get("/api/auth/me").status_code == 200


@pytest.mark.parametrize("change", ["disable", "passwd"])
def test_disabling_or_a_new_password_ends_every_session(app, amina, app_site, login, change):
    other_desk = app.test_client()
    assert login(other_desk, "amina").status_code == 200
    with app_site.store.write() as db:
        ended = users.disable_user(db, "amina") if change == "disable" else \
            users.set_password(db, "amina", NEW_PASSWORD)
    assert ended == 2
    assert amina.get("/api/auth/me").status_code == 401 and other_desk.get("/api/auth/me").status_code == 401
    relogin = login(app.test_client(), "amina", NEW_PASSWORD).status_code
    assert relogin == (401 if change == "disable" else 200)


def test_a_cookie_of_the_old_kind_is_no_session(app, amina, app_site):
    """Before sessions were kept on the server the cookie held the user id: such a cookie logs nobody in."""
    forged = app.test_client()
    with forged.session_transaction() as session:
        session["user_id"] = 1
    assert forged.get("/api/auth/me").status_code == 401


def test_the_cli_disables_and_changes_passwords(app, app_site, amina, monkeypatch, capsys):
    database = app_site.store.path

    def dour(*args: str, stdin: str = "") -> int:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        return cli.main(["--database", database, *args])

    assert dour("user", "passwd", "amina", "--password-stdin", stdin="short\n") == 2
    assert amina.get("/api/auth/me").status_code == 200  # a refused change ends nothing
    assert dour("user", "passwd", "amina", "--password-stdin", stdin=f"{NEW_PASSWORD}\n") == 0
    assert amina.get("/api/auth/me").status_code == 401
    assert dour("user", "disable", "nobody") == 2
    assert dour("user", "disable", "amina") == 0
    assert "session(s) ended" in capsys.readouterr().out
    assert users.authenticate(app_site.store.read(), "amina", NEW_PASSWORD) is None
    assert dour("user", "enable", "nobody") == 2
    assert dour("user", "enable", "amina") == 0
    assert users.authenticate(app_site.store.read(), "amina", NEW_PASSWORD) is not None
    assert amina.get("/api/auth/me").status_code == 401  # the sessions it had stay ended


# --- a login lasts a working day ----------------------------------------------------------------------------


def test_a_session_ends_by_itself_after_its_lifetime(app, app_site, add_agent, login, clock):
    clock.set(datetime(2026, 12, 3, 8, 0, tzinfo=UTC), step=timedelta(0))
    add_agent(app_site, "amina")
    desk = app.test_client()
    assert login(desk, "amina").status_code == 200
    lifetime = app_site.config.session_lifetime
    assert lifetime == timedelta(hours=12)
    clock.advance(lifetime - timedelta(minutes=1))
    assert desk.get("/api/auth/me").status_code == 200
    clock.advance(timedelta(minutes=2))
    assert desk.get("/api/auth/me").status_code == 401
    assert desk.post("/api/counter/open", json={"counter": 1}).status_code == 401
    assert login(desk, "amina").status_code == 200  # a new login starts a new day
    assert desk.get("/api/auth/me").status_code == 200


def test_the_watcher_closes_the_sockets_of_a_session_past_its_lifetime(app, app_site, add_agent, login,
                                                                        clock):
    clock.set(datetime(2026, 12, 3, 8, 0, tzinfo=UTC), step=timedelta(0))
    add_agent(app_site, "amina")
    desk = app.test_client()
    assert login(desk, "amina").status_code == 200
    socket = connect(app, desk, "/counter")
    assert sweep(app) == 0 and socket.is_connected("/counter")
    clock.advance(app_site.config.session_lifetime + timedelta(seconds=1))
    assert sweep(app) == 1 and not socket.is_connected("/counter")


# --- the device cookie --------------------------------------------------------------------------------------


def session_of(app, client) -> dict:
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return dict(app.session_interface.get_signing_serializer(app).loads(cookie.value))


def test_the_enrolment_cookie_does_not_carry_the_token(app, client, kiosk_token):
    assert client.get(f"/enrol?token={kiosk_token}").status_code == 302
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    assert kiosk_token not in cookie and kiosk_token not in str(session_of(app, client))
    assert client.get("/kiosk").status_code == 200


def test_an_enrolment_cookie_of_the_old_kind_keeps_the_kiosk_enrolled_and_loses_its_token(app, client,
                                                                                         kiosk_token):
    with client.session_transaction() as session:
        session["device_token"] = kiosk_token
    assert client.get("/kiosk").status_code == 200
    assert kiosk_token not in str(session_of(app, client))
    assert client.get("/kiosk").status_code == 200


def test_a_revoked_kiosk_cookie_stops_working(client, app_site, kiosk_token):
    assert client.get(f"/enrol?token={kiosk_token}").status_code == 302
    with app_site.store.write() as db:
        devices.revoke_device(db, "kiosk-1")
    assert client.post(KIOSK_URL, json={"service": "passport"}).status_code == 401


# --- revocation reaches open sockets ------------------------------------------------------------------------


def connect(app, client, namespace: str, auth: dict | None = None):
    socket = app.extensions["socketio"].test_client(app, namespace=namespace, flask_test_client=client,
                                                    auth=auth)
    assert socket.is_connected(namespace)
    socket.get_received(namespace)  # the catch-up
    return socket


def heard(socket, namespace: str) -> list[str]:
    """What a socket received since the last look, connected or not (the test client's own queue)."""
    names = [m["name"] for m in socket.queue if m["namespace"] == namespace]
    socket.queue[:] = [m for m in socket.queue if m["namespace"] != namespace]
    return names


def issue(client, token: str) -> None:
    assert client.post(KIOSK_URL, json={"service": "passport"},
                       headers={"Authorization": f"Bearer {token}"}).status_code == 201


def sweep(app) -> int:
    """What the server's watcher does every second (its thread runs only with the devices started)."""
    return int(app.extensions[EXTENSION].sweep())


def test_logout_closes_the_agents_socket_at_once(app, amina, kiosk_token):
    socket = connect(app, amina, "/counter")
    witness = connect(app, copy_of(app, amina), "/counter")  # the same session on another page
    assert amina.post("/api/auth/logout").status_code == 200
    assert not socket.is_connected("/counter") and not witness.is_connected("/counter")
    issue(app.test_client(), kiosk_token)
    assert heard(socket, "/counter") == [] and heard(witness, "/counter") == []


def test_a_revoked_display_is_disconnected_and_hears_nothing_more(app, client, app_site, display_token,
                                                                  kiosk_token):
    socket = connect(app, client, "/display", {"token": display_token})
    other = connect(app, app.test_client(), "/display", {"token": devices_add(app_site, "display-2")})
    with app_site.store.write() as db:
        devices.revoke_device(db, "display-1")
    assert sweep(app) == 1
    assert not socket.is_connected("/display") and other.is_connected("/display")
    issue(client, kiosk_token)
    assert heard(socket, "/display") == [] and heard(other, "/display") == ["event"]


def devices_add(app_site, name: str) -> str:
    with app_site.store.write() as db:
        return devices.add_device(db, name, "display")


def test_a_revoked_kiosk_loses_its_scanner_socket(app, client, app_site, kiosk_token):
    assert client.get(f"/enrol?token={kiosk_token}").status_code == 302
    socket = connect(app, client, "/kiosk")
    with app_site.store.write() as db:
        devices.revoke_device(db, "kiosk-1")
    assert sweep(app) == 1
    assert not socket.is_connected("/kiosk")


@pytest.mark.parametrize("change", ["disable", "passwd"])
def test_a_disabled_agent_or_new_password_closes_the_sockets(app, amina, app_site, kiosk_token, change):
    socket = connect(app, amina, "/counter")
    with app_site.store.write() as db:
        if change == "disable":
            users.disable_user(db, "amina")
        else:
            users.set_password(db, "amina", NEW_PASSWORD)
    assert sweep(app) == 1
    assert not socket.is_connected("/counter")
    issue(app.test_client(), kiosk_token)
    assert heard(socket, "/counter") == []
    assert sweep(app) == 0  # forgotten once closed


def test_the_watcher_runs_with_the_server(device_app, kiosk_client):
    """With its devices started the app sweeps by itself, as `dour serve` does."""
    app = device_app()
    watcher = app.extensions["dour.revocation"]
    assert watcher._thread.is_alive() and watcher.interval == 1.0


def test_a_new_login_in_the_same_browser_ends_the_session_it_replaces(app, amina, login):
    before = copy_of(app, amina)
    assert login(amina, "amina").status_code == 200
    assert before.get("/api/auth/me").status_code == 401 and amina.get("/api/auth/me").status_code == 200
