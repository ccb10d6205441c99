"""The waiting-time range in the API: the kiosk's services before a ticket, the issued ticket, the visitor's
status, the display's snapshot and the printed ticket. Ranges come from memory (the refresh is explicit here:
the test app starts no background refresher)."""

from __future__ import annotations

from typing import Any

from floor.ticket_layout import layout_ticket
from hardware.printer import Text

KEYS = {"p10", "p50", "p90", "low", "high"}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def issue(client: Any, token: str, service: str = "passport") -> dict[str, Any]:
    response = client.post("/api/kiosk/tickets", json={"service": service, "lang": "en"}, headers=auth(token))
    assert response.status_code == 201
    return dict(response.get_json())


def test_no_range_before_the_first_forecast(client, kiosk_token) -> None:
    data = issue(client, kiosk_token)
    assert data["estimate"] is None and isinstance(data["wait_minutes"], int)
    services = client.get("/api/kiosk/services", headers=auth(kiosk_token)).get_json()["services"]
    assert all(service["estimate"] is None for service in services)


def test_ranges_in_every_answer(client, kiosk_token, app_site, enrol) -> None:
    for _ in range(3):
        issue(client, kiosk_token)
    app_site.forecasts.refresh()
    services = {s["code"]: s for s in client.get("/api/kiosk/services", headers=auth(kiosk_token))
                .get_json()["services"]}
    before = services["passport"]["estimate"]
    assert set(before) == KEYS and before["low"] == before["p10"] and before["high"] > before["low"]
    data = issue(client, kiosk_token)
    assert data["estimate"] == before  # what the kiosk showed, until the next refresh
    status = client.get(f"/api/tickets/{data['ticket']['id']}").get_json()
    assert status["estimate"] == before
    app_site.forecasts.refresh()
    status = client.get(f"/api/tickets/{data['ticket']['id']}").get_json()
    assert set(status["estimate"]) == KEYS and status["estimate"]["p10"] <= status["estimate"]["p90"]
    page = client.get(f"/t/{data['ticket']['id']}").get_data(as_text=True)
    assert f"about {status['estimate']['low']}–{status['estimate']['high']} min" in page
    display = client.get("/api/display/snapshot", headers=auth(enrol(app_site, "display"))).get_json()
    assert set(display["estimates"]["passport"]) == KEYS


def test_the_printed_ticket_shows_the_range(client, kiosk_token, app_site) -> None:
    issue(client, kiosk_token)
    app_site.forecasts.refresh()
    issued = app_site.ticket_view(issue(client, kiosk_token)["ticket"]["id"])
    assert issued.estimate is not None
    low, high = issued.estimate.shown
    lines = [block.text for block in layout_ticket(app_site, issued, lambda lang, text: text).blocks
             if isinstance(block, Text)]
    assert f"Estimated wait: about {low}–{high} min" in lines
