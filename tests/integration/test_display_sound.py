"""A display that cannot play sound says so (issue 9 §1): its page reports it, the server keeps it as the
display's device health (journaled once per change, pushed to the staff pages), the staff pages say
"Display X cannot play sound" in their language, and it clears when the display plays a sound again."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest


def sound(client: Any, state: object) -> Any:
    return client.post("/api/display/sound", json={"state": state})


@pytest.fixture
def hall_tv(app: Any, app_site: Any, enrol: Any) -> Any:
    """The test client of the display `hall-tv`."""
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {enrol(app_site, 'display', 'hall-tv')}"
    return client


def alerts(staff: Any) -> list[dict[str, Any]]:
    return list(staff.get("/api/devices/health").get_json()["alerts"])


def test_a_display_without_sound_is_on_the_staff_alerts_until_it_plays_again(
        app: Any, app_site: Any, hall_tv: Any, supervisor_client: Any) -> None:
    chief = supervisor_client(app)
    counter_socket = app.extensions["socketio"].test_client(app, namespace="/counter",
                                                            flask_test_client=chief)
    counter_socket.get_received("/counter")
    assert sound(hall_tv, "blocked").get_json() == {"recorded": True}
    assert sound(hall_tv, "blocked").get_json() == {"recorded": False}  # the same again: not journaled
    [alert] = alerts(chief)
    assert (alert["device"], alert["kind"], alert["state"], alert["reason"]) == (
        "display:hall-tv", "display", "degraded", "sound_blocked")
    pushed = [m["args"][0] for m in counter_socket.get_received("/counter") if m["name"] == "event"]
    assert [(e["type"], e["device"], e["reason"]) for e in pushed] == [
        ("device.health", "display:hall-tv", "sound_blocked")]
    assert sound(hall_tv, "failed").get_json() == {"recorded": True}
    assert alerts(chief)[0]["reason"] == "sound_failed"
    assert sound(hall_tv, "ok").get_json() == {"recorded": True}
    assert alerts(chief) == []
    [listed] = [d for d in chief.get("/api/devices/health").get_json()["devices"] if d["kind"] == "display"]
    assert (listed["state"], listed["reason"]) == ("ok", "")


def test_a_display_that_plays_is_not_listed_and_a_muted_one_reports_nothing(
        app: Any, app_site: Any, hall_tv: Any) -> None:
    before = app_site.last_seq()
    assert sound(hall_tv, "ok").get_json() == {"recorded": False}
    assert app_site.device_states() == [] and app_site.last_seq() == before


@pytest.mark.parametrize("state", ["muted", "", None, 3])
def test_an_unknown_sound_state_is_refused(app_site: Any, hall_tv: Any, state: object) -> None:
    answer = sound(hall_tv, state)
    assert answer.status_code == 400 and app_site.device_states() == []


def test_only_a_display_reports_its_sound(app: Any, app_site: Any, kiosk_client: Any,
                                          supervisor_client: Any) -> None:
    assert sound(kiosk_client(app), "blocked").status_code == 403
    assert sound(app.test_client(), "blocked").status_code == 401
    # A supervisor watching /display in their own browser is not a display: nothing to keep.
    assert sound(supervisor_client(app), "blocked").get_json() == {"recorded": False}
    assert app_site.device_states() == []


@pytest.mark.parametrize(("lang", "name", "reason"), [
    ("en", "Display %(name)s", "Cannot play sound: the browser waits for a click on the screen."),
    ("fr", "Écran %(name)s", "Ne peut pas émettre de son\u00a0: le navigateur attend un clic sur l’écran."),
    ("ar", "الشاشة %(name)s", "لا يمكن تشغيل الصوت: ينتظر المتصفح نقرة على الشاشة."),
])
def test_the_staff_pages_name_a_display_that_cannot_play_sound_in_their_language(
        app: Any, supervisor_client: Any, lang: str, name: str, reason: str) -> None:
    page = supervisor_client(app).get(f"/supervisor?lang={lang}").get_data(as_text=True)
    found = re.search(r'<script type="application/json" id="device-strings">(.*?)</script>', page, re.S)
    assert found is not None
    strings = json.loads(found.group(1))
    assert strings["display"] == name.replace("%(name)s", "{name}")
    assert strings["sound_blocked"].startswith(reason)
