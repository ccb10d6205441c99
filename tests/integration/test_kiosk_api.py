"""The kiosk API: issue a ticket, survive a double tap, see it on the visitor's page."""

from __future__ import annotations

from core import journal


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_issue_a_ticket(client, kiosk_token, app_site) -> None:
    payload = {"service": "passport", "lang": "en"}
    first = client.post("/api/kiosk/tickets", json=payload, headers=auth(kiosk_token))
    second = client.post("/api/kiosk/tickets", json=payload, headers=auth(kiosk_token))
    assert (first.status_code, second.status_code) == (201, 201)
    body = second.get_json()
    assert body["ticket"]["number"] == "A-002"
    assert body["ticket"]["service_name"] == "Passport"
    assert body["ticket"]["state"] == "waiting"
    assert body["people_ahead"] == 1
    assert body["wait_minutes"] == 4  # 1 × 12 min ÷ 3 passport counters
    assert body["replayed"] is False
    assert body["url"].endswith(f"/t/{body['ticket']['id']}")
    ticket = app_site.ticket_view(body["ticket"]["id"]).ticket
    assert (ticket.kind, ticket.lang, ticket.priority) == ("walk_in", "en", 0)
    assert ticket.issued_by.startswith("device:")


def test_pickup_ticket_and_priority(client, kiosk_token, app_site) -> None:
    payload = {"service": "pickup", "kind": "pickup", "priority": True, "lang": "ar"}
    response = client.post("/api/kiosk/tickets", json=payload, headers=auth(kiosk_token))
    assert response.status_code == 201
    body = response.get_json()
    assert body["ticket"]["number"] == "P-001"
    assert body["ticket"]["priority"] == 1
    assert body["ticket"]["service_name"] == "سحب الوثائق"


def test_double_tap_returns_the_same_ticket(client, kiosk_token, app_site) -> None:
    payload = {"service": "cnie", "lang": "fr", "request_id": "tap-7f3a"}
    first = client.post("/api/kiosk/tickets", json=payload, headers=auth(kiosk_token))
    seq_after_first = app_site.last_seq()
    second = client.post("/api/kiosk/tickets", json=payload, headers=auth(kiosk_token))
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.get_json()["ticket"]["id"] == first.get_json()["ticket"]["id"]
    assert second.get_json()["ticket"]["number"] == "B-001"
    assert second.get_json()["replayed"] is True
    db = app_site.store.read()
    assert db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 1
    assert [e.type for e in journal.since(db, 0)] == ["ticket.issued"]
    assert app_site.last_seq() == seq_after_first


def test_request_ids_are_per_kiosk(client, app_site, enrol) -> None:
    one, two = enrol(app_site, "kiosk", "kiosk-a"), enrol(app_site, "kiosk", "kiosk-b")
    payload = {"service": "cnie", "lang": "fr", "request_id": "1"}
    first = client.post("/api/kiosk/tickets", json=payload, headers=auth(one)).get_json()
    second = client.post("/api/kiosk/tickets", json=payload, headers=auth(two)).get_json()
    assert first["ticket"]["id"] != second["ticket"]["id"]


def test_services_listed_for_the_kiosk(client, kiosk_token) -> None:
    response = client.get("/api/kiosk/services?lang=es", headers=auth(kiosk_token))
    assert response.status_code == 200
    body = response.get_json()
    assert body["lang"] == "es"
    names = {s["code"]: s["name"] for s in body["services"]}
    assert names["passport"] == "Pasaporte"
    assert len(names) == 9 and names["judicial"] == "Documentos judiciales (antecedentes penales)"


def test_visitor_ticket_page_and_status(client, kiosk_token) -> None:
    response = client.post("/api/kiosk/tickets", json={"service": "passport"}, headers=auth(kiosk_token))
    body = response.get_json()
    ticket_id = body["ticket"]["id"]
    assert client.get(f"/t/{ticket_id}").status_code == 200
    status = client.get(f"/api/tickets/{ticket_id}").get_json()
    assert status["ticket"]["number"] == body["ticket"]["number"]
    missing = client.get("/api/tickets/not-a-ticket")
    assert missing.status_code == 404 and missing.get_json()["message"]


def test_enrolled_kiosk_page(client, kiosk_token) -> None:
    response = client.get(f"/enrol?token={kiosk_token}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/kiosk")
    assert client.get("/kiosk").status_code == 200


def test_enrolment_never_redirects_off_site(client, kiosk_token) -> None:
    for target in ("//evil.example/kiosk", "https://evil.example/", "/\\evil.example"):
        response = client.get("/enrol", query_string={"token": kiosk_token, "next": target})
        assert response.status_code == 302
        location = response.headers["Location"]
        assert location.startswith("/") and not location.startswith("//") and "\\" not in location, location
