"""Scans at the kiosk: the page's wedge path (POST /api/kiosk/scans), the `/kiosk` namespace, and a kiosk's
simulated serial scanner end to end (pty → pyserial → validation → Socket.IO), answers in the page's language.
Every refused code changes nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.support import Translations

from core import config as site_config
from core.app import create_app
from core.scans import NOT_OURS
from hardware.scanner import Scan

SCANS = "/api/kiosk/scans"
CATALOGS = Path(__file__).resolve().parents[2] / "core" / "translations"
WAIT = 5.0


def translated(lang: str, message: str) -> str:
    text = Translations.load(str(CATALOGS), [lang]).gettext(message)
    assert text != message or lang == "en", f"{message!r} has no {lang} translation"
    return text


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def ticket(client, kiosk_token) -> dict[str, Any]:
    response = client.post("/api/kiosk/tickets", json={"service": "cnie"}, headers=auth(kiosk_token))
    assert response.status_code == 201
    return response.get_json()


def post_scan(client, token: str, code: object, **extra: object) -> Any:
    return client.post(SCANS, json={"code": code, **extra}, headers=auth(token))


# --- the wedge path -----------------------------------------------------------------------------------------
def test_a_wedge_scan_of_a_ticket_link_shows_that_ticket(client, kiosk_token, ticket) -> None:
    response = post_scan(client, kiosk_token, ticket["url"], source="wedge", lang="fr")
    assert response.status_code == 200
    answer = response.get_json()
    assert (answer["ok"], answer["kind"], answer["source"]) == (True, "ticket", "wedge")
    assert answer["ticket"]["number"] == ticket["ticket"]["number"]
    assert answer["ticket"]["service_name"] == "Carte Nationale d'Identité Électronique (CNIE)"
    assert answer["print"] == {"state": "scanned"}  # shown again; printing it is the visitor's choice


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_garbage_gets_the_sentence_in_the_page_language(client, kiosk_token, ticket, site_state, app_site,
                                                         lang: str) -> None:
    before = site_state(app_site)
    response = post_scan(client, kiosk_token, "<b>GARBAGE</b>", source="wedge", lang=lang)
    assert (response.status_code, response.get_json()) == (
        400, {"error": "unrecognised_code", "message": translated(lang, NOT_OURS)})
    assert site_state(app_site) == before


BAD_BODIES = {
    "empty-code": {"code": ""},
    "missing-code": {"source": "wedge"},
    "code-not-a-string": {"code": 42},
    "unknown-source": {"code": "ABCD", "source": "serial"},
    "too-long": {"code": "A" * 5000},
    "control-characters": {"code": "ABC\x1bDEF"},
    "unknown-ticket": {"code": "http://127.0.0.1:8080/t/AAAAAAAAAAAAAAAAAAAAAA"},
}


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_bad_scans_change_nothing(client, kiosk_token, ticket, site_state, app_site, body) -> None:
    before = site_state(app_site)
    response = client.post(SCANS, json=body, headers=auth(kiosk_token))
    assert response.status_code in (400, 404)
    message = response.get_json()["message"]
    assert message.endswith(".") and "AAAAAAAAAA" not in message and "\x1b" not in message
    assert site_state(app_site) == before


def test_only_an_enrolled_kiosk_may_post_scans(client, display_token, ticket) -> None:
    assert client.post(SCANS, json={"code": ticket["url"]}).status_code == 401
    assert post_scan(client, display_token, ticket["url"]).status_code == 403


# --- the /kiosk namespace ----------------------------------------------------------------------------------
def connect(app, client, auth: dict | None = None):
    socketio = app.extensions["socketio"]
    return socketio.test_client(app, namespace="/kiosk", auth=auth, flask_test_client=client)


def scans_received(socket) -> list[dict[str, Any]]:
    return [message["args"][0] for message in socket.get_received("/kiosk") if message["name"] == "scan"]


def test_only_kiosks_may_listen(app, client, kiosk_token, display_token) -> None:
    assert not connect(app, client).is_connected("/kiosk")
    assert not connect(app, client, {"token": display_token}).is_connected("/kiosk")
    assert not connect(app, client, {"token": "forged"}).is_connected("/kiosk")
    assert connect(app, client, {"token": kiosk_token}).is_connected("/kiosk")


def test_a_serial_scan_reaches_its_kiosk_page_in_its_language(app, client, enrol, app_site, ticket,
                                                              kiosk_token) -> None:
    french = connect(app, client, {"token": kiosk_token, "lang": "fr"})
    other_token = enrol(app_site, "kiosk", "kiosk-2")
    other_kiosk = connect(app, app.test_client(), {"token": other_token, "lang": "fr"})
    app.extensions["dour.scanners"].push("kiosk-1", Scan(ticket["url"], "serial"))
    (answer,) = scans_received(french)
    assert (answer["ok"], answer["source"]) == (True, "serial")
    assert answer["ticket"]["id"] == ticket["ticket"]["id"]
    assert answer["ticket"]["service_name"] == "Carte Nationale d'Identité Électronique (CNIE)"
    assert scans_received(other_kiosk) == []


def test_the_page_can_change_its_language(app, client, kiosk_token) -> None:
    page = connect(app, client, {"token": kiosk_token, "lang": "fr"})
    page.emit("language", {"lang": "ar"}, namespace="/kiosk")
    app.extensions["dour.scanners"].push("kiosk-1", Scan("GARBAGE", "serial"))
    assert scans_received(page) == [{"ok": False, "source": "serial", "error": "unrecognised_code",
                                     "message": translated("ar", NOT_OURS)}]


# --- a kiosk's simulated scanner, end to end ----------------------------------------------------------------
@pytest.fixture
def live_app(tmp_path) -> Iterator[Any]:
    """The app with its devices started: no printer, every kiosk's scanner `sim://`."""
    config = site_config.load(env={"DOUR_DEVICES_PRINTER": "", "DOUR_DEVICES_SCANNER": "sim://"})
    app = create_app(config, str(tmp_path / "live.db"), start_devices=True)
    yield app
    app.extensions["dour.scanners"].stop()


def wait_for(predicate, timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := predicate()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)
    return found


def scanner_state(site) -> tuple[str, str] | None:
    states = {health.device: (health.state, health.reason) for health in site.device_states()}
    return states.get("scanner:kiosk-1")


def test_a_simulated_scan_travels_the_real_path(live_app, enrol) -> None:
    site = live_app.extensions["dour.site"]
    token = enrol(site, "kiosk", "kiosk-1")  # enrolled after the start: its page's connection opens it
    client = live_app.test_client()
    issued = client.post("/api/kiosk/tickets", json={"service": "passport"}, headers=auth(token)).get_json()
    page = connect(live_app, client, {"token": token, "lang": "en"})
    scanners = live_app.extensions["dour.scanners"]
    wait_for(lambda: scanner_state(site) == ("ok", ""))
    scanners.simulate_scan("kiosk-1", issued["url"])
    (answer,) = wait_for(lambda: scans_received(page))
    assert (answer["ok"], answer["ticket"]["number"], answer["source"]) == (True, "A-001", "serial")


def test_an_unplugged_scanner_is_reported_offline_then_ok(live_app, enrol) -> None:
    site = live_app.extensions["dour.site"]
    enrol(site, "kiosk", "kiosk-1")
    device = live_app.extensions["dour.scanners"].simulator("kiosk-1")
    wait_for(lambda: scanner_state(site) == ("ok", ""))
    device.unplug()
    wait_for(lambda: scanner_state(site) == ("offline", "disconnected"))
    device.replug()
    wait_for(lambda: scanner_state(site) == ("ok", ""))


def test_a_bad_scanner_uri_is_reported(live_app, enrol) -> None:
    site = live_app.extensions["dour.site"]
    site.config.devices["kiosks"] = {"kiosk-1": {"scanner": "tcp://10.0.0.9:1"}}
    enrol(site, "kiosk", "kiosk-1")
    scanners = live_app.extensions["dour.scanners"]
    assert scanners.ensure("kiosk-1") is None
    assert scanner_state(site) == ("offline", "bad_uri")
    with pytest.raises(LookupError):
        scanners.simulate_scan("kiosk-1", "ANYTHING")


def test_no_scanner_opened_without_devices(app, kiosk_token) -> None:
    assert app.extensions["dour.scanners"].ensure("kiosk-1") is None
