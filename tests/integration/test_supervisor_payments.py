"""The supervisor's payments on the real Concert V3 driver and simulator: settle an unknown payment, void and
refund through the terminal, reconcile the day's totals; every refusal says why and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from core import payments


@pytest.fixture
def app(device_app: Any) -> Any:
    return device_app(DOUR_DEVICES_PAYMENT="sim://")


@pytest.fixture
def kiosk(app: Any, kiosk_client: Any) -> Any:
    return kiosk_client(app)


@pytest.fixture
def boss(app: Any, supervisor_client: Any) -> Any:
    return supervisor_client(app)


def simulator(app: Any) -> Any:
    return app.extensions["dour.terminals"].terminal("hall-1").terminal.simulator


def paid(kiosk: Any, request_id: str) -> dict[str, Any]:
    started = kiosk.post("/api/kiosk/payments", json={"service": "passport", "request_id": request_id})
    done = kiosk.get(f"/api/kiosk/payments/{started.get_json()['payment']['reference']}?wait=10").get_json()
    assert done["payment"]["state"] == "approved"
    return dict(done["payment"])


def settle(app: Any, reference: str, wait: float = 10) -> dict[str, Any]:
    return app.extensions["dour.terminals"].terminal("hall-1").outcome(reference, wait).to_dict()


def unknown_payment(app: Any) -> str:
    """A payment whose answer never came and that the terminal cannot explain."""
    site = app.extensions["dour.site"]
    with site.change() as (db, events):
        for state in ("pending", "sent", "unknown"):
            if state == "pending":
                events.append(payments.create(db, reference="LOST000001", terminal="payment:hall-1",
                                              kiosk="hall-1", service="passport", amount_minor=6000,
                                              currency="EUR", lang="fr", day=site.today(), actor="t")[1])
            else:
                events.append(payments.move(db, "LOST000001", state, "t")[1])
    return "LOST000001"


def test_an_unknown_payment_settled_as_charged_gets_its_ticket(app: Any, kiosk: Any, boss: Any) -> None:
    reference = unknown_payment(app)
    answer = boss.post(f"/api/payments/{reference}/resolve",
                       json={"outcome": "charged", "auth_code": "A12345", "note": "terminal ticket seen"})
    assert answer.status_code == 200, answer.get_json()
    payment = answer.get_json()["payment"]
    assert (payment["state"], payment["auth_code"], payment["note"]) == ("approved", "A12345",
                                                                         "terminal ticket seen")
    assert payment["ticket_id"] and payment["resolved_by"].startswith("user:")


def test_an_unknown_payment_settled_as_not_charged(app: Any, kiosk: Any, boss: Any) -> None:
    reference = unknown_payment(app)
    answer = boss.post(f"/api/payments/{reference}/resolve", json={"outcome": "not_charged", "note": "no"})
    payment = answer.get_json()["payment"]
    assert payment["state"] == "failed" and payment["ticket_id"] is None


def test_void_and_refund_go_through_the_terminal(app: Any, kiosk: Any, boss: Any) -> None:
    first, second = paid(kiosk, "a"), paid(kiosk, "b")
    voided = boss.post(f"/api/payments/{first['reference']}/void", json={})
    assert voided.status_code == 202
    assert settle(app, voided.get_json()["payment"]["reference"])["state"] == "approved"
    refunded = boss.post(f"/api/payments/{second['reference']}/refund", json={})
    assert settle(app, refunded.get_json()["payment"]["reference"])["state"] == "approved"
    states = {p["reference"]: p["state"] for p in boss.get("/api/payments").get_json()["payments"]}
    assert states[first["reference"]] == "voided" and states[second["reference"]] == "refunded"
    totals = simulator(app).totals()
    assert (totals.void_count, totals.refund_count, totals.net_minor) == (1, 1, 0)


def test_reconciliation_balances_then_lists_each_difference_until_resolved(app: Any, kiosk: Any,
                                                                            boss: Any) -> None:
    paid(kiosk, "a")
    paid(kiosk, "b")
    balanced = boss.post("/api/payments/reconciliation", json={"kiosk": "hall-1"}).get_json()
    assert balanced["ledger"]["debit_minor"] == 12000 == balanced["terminal_totals"]["debit_minor"]
    kinds = [e["kind"] for e in balanced["exceptions"]]
    assert kinds == ["etimbre_pending", "etimbre_pending"]  # no central here: approvals wait for their stamp
    printed = {"debit_count": 3, "debit_minor": 18000}
    report = boss.post("/api/payments/reconciliation", json={"kiosk": "hall-1", "totals": printed}).get_json()
    mismatch = [e for e in report["exceptions"] if e["kind"] == "debit_mismatch"]
    assert len(mismatch) == 1 and mismatch[0]["amount_minor"] == 6000
    again = boss.post("/api/payments/reconciliation", json={"kiosk": "hall-1", "totals": printed}).get_json()
    assert len(again["exceptions"]) == len(report["exceptions"])  # seen again is not new
    resolved = boss.post(f"/api/payments/exceptions/{mismatch[0]['id']}/resolve", json={"note": "test card"})
    assert resolved.status_code == 200
    left = boss.get("/api/payments/exceptions").get_json()["exceptions"]
    assert [e["resolved_at"] is not None for e in left if e["kind"] == "debit_mismatch"] == [True]


def test_bad_supervisor_requests_are_refused_and_change_nothing(app: Any, kiosk: Any, boss: Any,
                                                                add_agent: Any, login: Any,
                                                                site_state: Any) -> None:
    approved = paid(kiosk, "a")
    reference = unknown_payment(app)
    site = app.extensions["dour.site"]
    before = site_state(site)
    agent = app.test_client()
    add_agent(site, "agent1")
    login(agent, "agent1")
    assert agent.get("/api/payments").status_code == 403
    assert agent.post(f"/api/payments/{approved['reference']}/void", json={}).status_code == 403
    checks = [
        (f"/api/payments/{approved['reference']}/resolve", {"outcome": "charged", "auth_code": "1",
                                                            "note": "x"}, 409),
        (f"/api/payments/{reference}/resolve", {"outcome": "maybe", "note": "x"}, 400),
        (f"/api/payments/{reference}/resolve", {"outcome": "charged", "auth_code": "1 2", "note": "x"}, 400),
        (f"/api/payments/{reference}/resolve", {"outcome": "not_charged", "note": ""}, 400),
        (f"/api/payments/{reference}/void", {}, 409),
        (f"/api/payments/{approved['reference']}/explode", {}, 400),
        ("/api/payments/NOPE000000/void", {}, 404),
        ("/api/payments/reconciliation", {"kiosk": "hall-1", "totals": {"debit_minor": 12.5}}, 400),
        ("/api/payments/reconciliation", {"kiosk": "nowhere-kiosk", "totals": {}}, 400),
        ("/api/payments/exceptions/999/resolve", {"note": "x"}, 404),
    ]
    for path, body, status in checks:
        answer = boss.post(path, json=body)
        assert answer.status_code == status, path
        assert answer.get_json()["message"], path
    assert site_state(site) == before
    assert len(simulator(app).ledger.entries) == 1


def test_any_agent_looks_a_payment_up_by_its_reference(app: Any, kiosk: Any, add_agent: Any,
                                                       login: Any) -> None:
    approved = paid(kiosk, "a")
    lost = unknown_payment(app)
    agent = app.test_client()
    add_agent(app.extensions["dour.site"], "agent1")
    login(agent, "agent1")
    found = agent.get(f"/api/payments/{approved['reference'].lower()}?lang=fr").get_json()
    assert (found["payment"]["state"], found["ticket_number"], found["amount"]) == ("approved", "A-001",
                                                                                    "60,00\u00a0€")
    assert agent.get(f"/api/payments/{lost}").get_json()["payment"]["state"] == "unknown"
    assert agent.get("/api/payments/NOPE000000").status_code == 404
    assert app.test_client().get(f"/api/payments/{lost}").status_code == 401
