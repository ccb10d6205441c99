"""The kiosk's payment API on the real Concert V3 driver and simulator: fees shown, approval gives the ticket,
refusals and bad requests give a sentence in the visitor's language and change nothing else."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def app(device_app: Callable[..., Any]) -> Any:
    return device_app(DOUR_DEVICES_PAYMENT="sim://")


@pytest.fixture
def kiosk(app: Any, kiosk_client: Callable[..., Any]) -> Callable[[str], Any]:
    return functools.partial(kiosk_client, app)


def simulator(app: Any, name: str = "hall-1") -> Any:
    return app.extensions["dour.terminals"].terminal(name).terminal.simulator


def pay(client: Any, service: str = "passport", request_id: str = "r1", lang: str = "fr") -> Any:
    body = {"service": service, "request_id": request_id, "lang": lang}
    return client.post("/api/kiosk/payments", json=body)


def follow(client: Any, reference: str, lang: str = "fr") -> dict[str, Any]:
    answer = client.get(f"/api/kiosk/payments/{reference}?wait=10&lang={lang}")
    assert answer.status_code == 200, answer.get_json()
    return dict(answer.get_json())


def test_services_show_their_fees_in_the_visitors_language(kiosk: Any) -> None:
    services = {s["code"]: s for s in kiosk().get("/api/kiosk/services?lang=fr").get_json()["services"]}
    assert services["passport"]["fees"]["total"] == "60,00\u00a0€"
    assert services["civil_status"]["fees"] is None


def test_an_approved_payment_gives_the_ticket_and_the_receipt_facts(app: Any, kiosk: Any) -> None:
    client = kiosk()
    started = pay(client)
    assert started.status_code == 202 and started.get_json()["payment"]["state"] in ("pending", "sent")
    done = follow(client, started.get_json()["payment"]["reference"])
    payment = done["payment"]
    assert payment["state"] == "approved" and payment["card"] == "**** 4242" and payment["auth_code"]
    assert payment["amount_minor"] == 6000 and payment["etimbre_state"] == "pending"
    assert done["ticket"]["ticket"]["number"] == "A-001" and "accepté" in done["message"]
    assert len(simulator(app).charges(payment["reference"])) == 1


@pytest.mark.parametrize("outcome, state, words", [("decline", "declined", "refusé"),
                                                   ("abandon", "abandoned", "annulé")])
def test_a_refused_payment_says_so_and_issues_nothing(app: Any, kiosk: Any, site_state: Any, outcome: str,
                                                      state: str, words: str) -> None:
    client = kiosk()
    simulator(app).script(outcome)
    done = follow(client, pay(client).get_json()["payment"]["reference"])
    assert done["payment"]["state"] == state and "ticket" not in done
    assert words in done["message"]
    tickets, _ = site_state(app.extensions["dour.site"])
    assert tickets == 0


def test_cancel_asks_the_visitor_to_press_the_red_key(app: Any, kiosk: Any) -> None:
    client = kiosk()
    simulator(app).script("slow")
    reference = pay(client, lang="ar").get_json()["payment"]["reference"]
    answer = client.post(f"/api/kiosk/payments/{reference}/cancel?lang=ar")
    assert answer.status_code == 200 and answer.get_json()["aborted"] is False
    assert "الأحمر" in answer.get_json()["cancel_message"]
    assert follow(client, reference)["payment"]["state"] == "approved"  # the terminal had the last word


def test_bad_payment_requests_are_refused_and_change_nothing(app: Any, kiosk: Any, site_state: Any) -> None:
    client, other = kiosk(), kiosk("hall-2")
    reference = follow(client, pay(client).get_json()["payment"]["reference"])["payment"]["reference"]
    site = app.extensions["dour.site"]
    before = site_state(site)
    assert pay(client, service="civil_status", request_id="x").status_code == 409  # free
    assert pay(client, service="nope", request_id="y").status_code == 400
    assert client.post("/api/kiosk/payments", json={"service": "passport"}).status_code == 400
    too_long = {"service": "passport", "request_id": "z" * 65}
    assert client.post("/api/kiosk/payments", json=too_long).status_code == 400
    assert app.test_client().post("/api/kiosk/payments", json={"service": "passport", "request_id": "q"}) \
        .status_code == 401
    assert other.get(f"/api/kiosk/payments/{reference}").status_code == 409
    assert client.get("/api/kiosk/payments/NOPE").status_code == 404
    assert client.get(f"/api/kiosk/payments/{reference}?wait=later").status_code == 400
    assert site_state(site) == before


def test_the_same_request_id_never_pays_twice(app: Any, kiosk: Any) -> None:
    client = kiosk()
    first = pay(client).get_json()["payment"]["reference"]
    follow(client, first)
    again = pay(client)
    assert again.get_json()["payment"]["reference"] == first
    assert len(simulator(app).ledger.entries) == 1


def test_the_agent_sees_what_was_paid_and_what_to_collect(app: Any, kiosk: Any, add_agent: Any,
                                                          login: Any) -> None:
    client = kiosk()
    paid = follow(client, pay(client).get_json()["payment"]["reference"])["payment"]
    client.post("/api/kiosk/tickets", json={"service": "passport", "request_id": "unpaid"})
    agent = app.test_client()
    add_agent(app.extensions["dour.site"], "agent1")
    login(agent, "agent1")
    agent.post("/api/counter/open", json={"counter": 1})
    seen = []
    for _ in range(2):
        agent.post("/api/counter/next")
        current = agent.get("/api/counter/state?lang=fr").get_json()["current"]
        seen.append(current["fees"])
        ticket = current["id"]
        agent.post(f"/api/counter/tickets/{ticket}/start")
        agent.post(f"/api/counter/tickets/{ticket}/finish")
    assert seen[0]["paid"] is True and paid["reference"] in seen[0]["text"]
    assert "en attente" in seen[0]["text"]
    assert seen[1]["paid"] is False and "à encaisser" in seen[1]["text"]


def test_the_receipt_is_printed_under_the_ticket(device_app: Any, kiosk_client: Any) -> None:
    app = device_app(DOUR_DEVICES_PRINTER="sim://", DOUR_DEVICES_PAYMENT="sim://")
    client = kiosk_client(app)
    payment = follow(client, pay(client, lang="en").get_json()["payment"]["reference"], lang="en")
    ticket_id = payment["ticket"]["ticket"]["id"]
    printed = client.get(f"/api/kiosk/tickets/{ticket_id}/print?wait=10").get_json()
    assert printed["state"] == "printed"
    jobs = app.extensions["dour.printer"].printer("hall-1").printer.simulator.wait_for_jobs(2)
    job = b"".join(jobs)  # the simulator files each cut piece of paper as a job
    reference = payment["payment"]["reference"]
    for text in ("A-001", "Receipt", "**** 4242", payment["payment"]["auth_code"], reference, "60.00"):
        assert text.encode() in job, text
    assert len(jobs) == 2 and b"A-001" in jobs[0] and reference.encode() in jobs[1]
