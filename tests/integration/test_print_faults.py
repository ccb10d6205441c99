"""Kiosk printing through the real ESC/POS driver and the simulator: each kiosk its own printer, every fault
leaves a valid ticket on screen, staff are told, printing resumes by itself, failed tickets are reprinted."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import pytest

KIOSKS = {"hall-1": {"printer": "sim://"}, "hall-2": {"printer": "sim://"}}


@pytest.fixture
def app(device_app: Callable[..., Any]) -> Any:
    app = device_app(DOUR_DEVICES_PRINTER="sim://")
    app.extensions["dour.site"].config.devices["kiosks"] = KIOSKS
    return app


@pytest.fixture
def kiosk(app: Any, kiosk_client: Callable[..., Any]) -> Callable[[str], Any]:
    """A test client enrolled as the named kiosk."""
    return functools.partial(kiosk_client, app)


def simulator(app: Any, name: str = "hall-1") -> Any:
    return app.extensions["dour.printer"].printer(name).printer.simulator


def issue(client: Any, lang: str = "fr") -> dict[str, Any]:
    answer = client.post("/api/kiosk/tickets", json={"service": "passport", "lang": lang})
    assert answer.status_code == 201, answer.get_json()
    return dict(answer.get_json())


def print_state(client: Any, ticket: dict[str, Any], lang: str = "fr") -> dict[str, Any]:
    answer = client.get(f"/api/kiosk/tickets/{ticket['ticket']['id']}/print?wait=10&lang={lang}")
    assert answer.status_code == 200
    return dict(answer.get_json())


def journal_types(app: Any, type_: str) -> list[dict[str, Any]]:
    with app.extensions["dour.site"].store.reading() as db:
        rows = db.execute("SELECT data FROM journal WHERE type = ? ORDER BY seq", [type_]).fetchall()
    return [json.loads(row[0]) for row in rows]


def test_each_kiosk_prints_on_its_own_printer(app: Any, kiosk: Callable[[str], Any]) -> None:
    first, second = kiosk("hall-1"), kiosk("hall-2")
    one, two = issue(first), issue(second)
    assert one["print"]["state"] == "pending"
    assert print_state(first, one)["state"] == "printed" and print_state(second, two)["state"] == "printed"
    assert one["ticket"]["id"].encode() in simulator(app, "hall-1").wait_for_jobs(1)[-1]
    jobs = simulator(app, "hall-2").wait_for_jobs(1)
    assert [two["ticket"]["id"].encode() in job for job in jobs] == [True]


def test_near_end_keeps_printing_and_alerts_staff(app: Any, kiosk: Callable[[str], Any], add_agent: Any,
                                                  login: Any) -> None:
    client = kiosk("hall-1")
    simulator(app).set_fault("near_end")
    assert print_state(client, issue(client))["state"] == "printed"
    assert app.extensions["dour.printer"].drain()
    health = [e for e in journal_types(app, "device.health") if e["device"] == "printer:hall-1"]
    assert (health[-1]["state"], health[-1]["reason"]) == ("degraded", "paper_near_end")
    staff = app.test_client()
    add_agent(app.extensions["dour.site"], "agent1")
    login(staff, "agent1")
    alerts = staff.get("/api/devices/health").get_json()["alerts"]
    assert [(a["device"], a["state"]) for a in alerts] == [("printer:hall-1", "degraded")]


@pytest.mark.parametrize("fault, reason", [
    ("paper_out", "paper_out"), ("cover_open", "cover_open"), ("mute", "printer_not_responding"),
    ("cutter_error", "printer_offline"), ("disconnect", "print_failed"),
])
@pytest.mark.parametrize("lang, words", [("fr", "imprimante"), ("ar", "الطابعة")])
def test_a_fault_leaves_the_ticket_on_screen_with_a_message_in_the_visitors_language(
    app: Any, kiosk: Callable[[str], Any], fault: str, reason: str, lang: str, words: str,
) -> None:
    client = kiosk("hall-1")
    simulator(app).set_fault(fault)
    ticket = issue(client, lang)
    state = print_state(client, ticket, lang)
    assert (state["state"], state["reason"]) == ("failed", reason)
    assert words in state["message"]
    assert simulator(app).jobs == []  # nothing half-printed: the status was checked first
    assert client.get(f"/api/tickets/{ticket['ticket']['id']}").status_code == 200  # still a valid ticket
    failed = journal_types(app, "ticket.print_failed")
    assert [(e["number"], e["reason"]) for e in failed] == [(ticket["ticket"]["number"], reason)]


def test_printing_resumes_by_itself_and_staff_reprint_the_missed_ticket(
    app: Any, kiosk: Callable[[str], Any], add_agent: Any, login: Any,
) -> None:
    client = kiosk("hall-1")
    simulator(app).set_fault("paper_out")
    missed = issue(client)
    assert print_state(client, missed)["state"] == "failed"
    simulator(app).set_fault(None)
    later = issue(client)
    assert print_state(client, later)["state"] == "printed"  # nobody had to reset anything
    staff = app.test_client()
    add_agent(app.extensions["dour.site"], "agent1")
    login(staff, "agent1")
    problems = staff.get("/api/print-problems").get_json()["tickets"]
    assert [p["ticket"]["number"] for p in problems] == [missed["ticket"]["number"]]
    answer = staff.post(f"/api/tickets/{missed['ticket']['id']}/reprint")
    assert answer.status_code == 202 and answer.get_json()["kiosk"] == "hall-1"
    assert print_state(client, missed)["state"] == "printed"
    assert missed["ticket"]["id"].encode() in simulator(app).wait_for_jobs(2)[-1]
    assert staff.get("/api/print-problems").get_json()["tickets"] == []


def test_a_kiosk_reprints_only_a_ticket_that_did_not_print(app: Any, kiosk: Callable[[str], Any]) -> None:
    client = kiosk("hall-1")
    printed = issue(client)
    assert print_state(client, printed)["state"] == "printed"
    refused = client.post(f"/api/kiosk/tickets/{printed['ticket']['id']}/reprint")
    assert refused.status_code == 409 and refused.get_json()["message"]
    simulator(app).set_fault("cover_open")
    missed = issue(client)
    assert print_state(client, missed)["state"] == "failed"
    simulator(app).set_fault(None)
    assert client.post(f"/api/kiosk/tickets/{missed['ticket']['id']}/reprint").status_code == 202
    assert print_state(client, missed)["state"] == "printed"
    assert len(simulator(app).wait_for_jobs(2)) == 2


def test_bad_print_requests_change_nothing(app: Any, kiosk: Callable[[str], Any], add_agent: Any,
                                           login: Any, site_state: Any) -> None:
    client = kiosk("hall-1")
    ticket = issue(client)
    print_state(client, ticket)
    site = app.extensions["dour.site"]
    before = site_state(site)
    staff = app.test_client()
    assert staff.post(f"/api/tickets/{ticket['ticket']['id']}/reprint").status_code == 401
    add_agent(site, "agent1")
    login(staff, "agent1")
    assert staff.post("/api/tickets/nope/reprint").status_code == 404
    unknown = staff.post(f"/api/tickets/{ticket['ticket']['id']}/reprint", json={"kiosk": "elsewhere"})
    assert unknown.status_code == 400 and "elsewhere" in unknown.get_json()["message"]
    assert client.get(f"/api/kiosk/tickets/{ticket['ticket']['id']}/print?wait=soon").status_code == 400
    assert client.get("/api/kiosk/tickets/nope/print").status_code == 404
    assert site_state(site) == before
    assert len(simulator(app).jobs) == 1
