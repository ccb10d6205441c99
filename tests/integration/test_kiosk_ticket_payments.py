"""Paying the fees of an appointment at the kiosk after check-in, on the real Concert V3 driver and simulator:
the payment is linked to the visitor's ticket from the start, its approval issues no second ticket and prints
the receipt alone; one approved payment per ticket; a walk-in, free, another day's or served ticket is refused
with nothing changed; a declined card leaves the ticket to be paid at the counter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from core import payments


@pytest.fixture
def app(device_app: Callable[..., Any]) -> Any:
    return device_app(DOUR_DEVICES_PAYMENT="sim://", DOUR_DEVICES_PRINTER="sim://")


@pytest.fixture
def kiosk(app: Any, kiosk_client: Callable[..., Any]) -> Callable[..., Any]:
    return lambda name="hall-1": kiosk_client(app, name)


def simulator(app: Any, name: str = "hall-1") -> Any:
    return app.extensions["dour.terminals"].terminal(name).terminal.simulator


def checked_in(app: Any, service: str = "passport") -> str:
    """An appointment ticket, as check-in issues it (core/checkin.py): before any fee is paid."""
    issued = app.extensions["dour.site"].issue_ticket(service=service, kind="appointment", lang="fr",
                                                       actor="kiosk:checkin", slot_at="2026-12-02T09:20:00Z")
    return str(issued.ticket.id)


def pay(client: Any, ticket_id: str, request_id: str = "r1", lang: str = "fr") -> Any:
    return client.post("/api/kiosk/payments", json={"ticket_id": ticket_id, "request_id": request_id,
                                                    "lang": lang})


def follow(client: Any, reference: str, lang: str = "fr") -> dict[str, Any]:
    answer = client.get(f"/api/kiosk/payments/{reference}?wait=10&lang={lang}")
    assert answer.status_code == 200, answer.get_json()
    return dict(answer.get_json())


def count(app: Any, table: str) -> int:
    db = app.extensions["dour.site"].store.read()
    return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def payment_rows(app: Any) -> int:
    return count(app, "payments")


def tickets(app: Any) -> int:
    return count(app, "tickets")


def test_an_approval_pays_the_ticket_issues_none_and_prints_the_receipt_alone(app: Any, kiosk: Any) -> None:
    client = kiosk()
    ticket_id = checked_in(app)
    number = app.extensions["dour.site"].ticket_view(ticket_id).ticket.number
    started = pay(client, ticket_id, lang="en")
    assert started.status_code == 202, started.get_json()
    assert started.get_json()["payment"]["ticket_id"] == ticket_id  # linked from the first row
    assert started.get_json()["of_ticket"] is True
    done = follow(client, started.get_json()["payment"]["reference"], lang="en")
    payment = done["payment"]
    assert (payment["state"], payment["ticket_id"], payment["amount_minor"]) == ("approved", ticket_id, 6000)
    assert done["ticket"]["ticket"]["id"] == ticket_id
    assert done["message"] == "Payment accepted. Here is your receipt."
    assert tickets(app) == 1  # no second ticket
    assert len(simulator(app).charges(payment["reference"])) == 1
    with app.extensions["dour.site"].store.reading() as db:
        linked = payments.for_ticket(db, ticket_id)
    assert linked is not None and linked.reference == payment["reference"]
    printed = client.get(f"/api/kiosk/payments/{payment['reference']}?lang=en").get_json()["print"]
    jobs = app.extensions["dour.printer"].printer("hall-1").printer.simulator.wait_for_jobs(1)
    assert len(jobs) == 1, "the receipt alone: the ticket was printed at check-in"
    assert payment["reference"].encode() in jobs[0] and b"Receipt" in jobs[0] and b"60.00" in jobs[0]
    assert number.encode() not in jobs[0]
    assert printed["state"] in ("pending", "printed")


def test_one_approved_payment_per_ticket(app: Any, kiosk: Any, site_state: Any) -> None:
    client = kiosk()
    ticket_id = checked_in(app)
    first = follow(client, pay(client, ticket_id).get_json()["payment"]["reference"])["payment"]
    assert first["state"] == "approved"
    elsewhere = kiosk("hall-2")
    before = site_state(app.extensions["dour.site"]), payment_rows(app)
    again = pay(client, ticket_id, request_id="r1")  # the same request: the same payment, nothing new
    assert again.status_code == 202 and again.get_json()["payment"]["reference"] == first["reference"]
    other = pay(elsewhere, ticket_id, request_id="r2")  # another attempt, even at another kiosk
    assert other.status_code == 409
    assert other.get_json()["message"] == "Les frais de ce ticket sont déjà payés."
    assert (site_state(app.extensions["dour.site"])[0], payment_rows(app)) == (before[0][0], before[1])
    assert simulator(app, "hall-2").ledger.entries == [] and len(simulator(app).ledger.entries) == 1


def test_a_ticket_whose_payment_is_under_way_cannot_be_paid_elsewhere(app: Any, kiosk: Any) -> None:
    client = kiosk()
    ticket_id = checked_in(app)
    simulator(app).slow_seconds = 0.5
    simulator(app).script("slow")
    reference = pay(client, ticket_id).get_json()["payment"]["reference"]
    elsewhere = pay(kiosk("hall-2"), ticket_id, request_id="r2")
    assert elsewhere.status_code == 409 and "déjà en cours" in elsewhere.get_json()["message"]
    assert follow(client, reference)["payment"]["state"] == "approved"
    assert simulator(app, "hall-2").requests == []


def test_tickets_whose_fees_the_kiosk_does_not_take_are_refused_with_nothing_changed(
        app: Any, kiosk: Any, site_state: Any) -> None:
    client = kiosk()
    site = app.extensions["dour.site"]
    walk_in = client.post("/api/kiosk/tickets", json={"service": "passport", "request_id": "w"}).get_json()
    free = checked_in(app, "civil_status")
    yesterday, served = checked_in(app), checked_in(app)
    with site.store.write() as db:
        db.execute("UPDATE tickets SET day = '2000-01-01' WHERE id = ?", [yesterday])
        db.execute("UPDATE tickets SET state = 'serving' WHERE id = ?", [served])
    before = site_state(site), payment_rows(app)
    for ticket_id, status, words in [(walk_in["ticket"]["id"], 409, "au guichet"), (free, 409, "gratuit"),
                                     (yesterday, 409, "au guichet"), (served, 409, "au guichet"),
                                     ("no-such-ticket", 404, "")]:
        answer = pay(client, ticket_id, request_id=f"x-{ticket_id[:8]}")
        assert answer.status_code == status, (ticket_id, answer.get_json())
        assert words in answer.get_json()["message"]
    both = {"ticket_id": checked_in(app), "service": "passport", "request_id": "y"}
    assert client.post("/api/kiosk/payments", json=both).status_code == 400
    too_long = {"ticket_id": "x" * 65, "request_id": "z"}
    assert client.post("/api/kiosk/payments", json=too_long).status_code == 400
    assert site_state(site)[0] == before[0][0] + 1  # only the ticket issued for the "both" request
    assert payment_rows(app) == before[1]
    assert simulator(app).requests == []


def test_a_declined_card_leaves_the_ticket_to_be_paid_at_the_counter(app: Any, kiosk: Any) -> None:
    from counter.payments import fees_at_counter

    client = kiosk()
    ticket_id = checked_in(app)
    simulator(app).script("decline")
    done = follow(client, pay(client, ticket_id).get_json()["payment"]["reference"])
    assert done["payment"]["state"] == "declined" and "au guichet avec votre ticket" in done["message"]
    site = app.extensions["dour.site"]
    assert site.ticket_view(ticket_id).ticket.state == "waiting" and tickets(app) == 1  # kept
    with app.test_request_context("/?lang=fr"):
        fees = fees_at_counter(ticket_id, "passport")
    assert fees is not None and fees["paid"] is False and "à encaisser" in fees["text"]
    retried = follow(client, pay(client, ticket_id, request_id="r2").get_json()["payment"]["reference"])
    assert retried["payment"]["state"] == "approved"  # trying again is a new payment of the same ticket
    with app.test_request_context("/?lang=fr"):
        paid = fees_at_counter(ticket_id, "passport")
    assert paid is not None and paid["paid"] is True


def test_while_a_tickets_payment_is_unknown_the_desk_must_not_charge_and_no_kiosk_takes_it(
        app: Any, kiosk: Any) -> None:
    from counter.payments import fees_at_counter

    site = app.extensions["dour.site"]
    ticket_id = checked_in(app)
    with site.change() as (db, events):  # the line dropped after the request left: the card may be charged
        events.append(payments.create(
            db, reference="UNK0000001", terminal="payment:hall-9", amount_minor=6000, currency="EUR",
            lang="fr", day=site.today(), actor="t", service="passport", kiosk="hall-9",
            ticket_id=ticket_id)[1])
        events.append(payments.move(db, "UNK0000001", "sent", "t")[1])
        events.append(payments.move(db, "UNK0000001", "unknown", "t")[1])
    with app.test_request_context("/?lang=fr"):
        fees = fees_at_counter(ticket_id, "passport")
    assert fees is not None and (fees["paid"], fees["state"]) == (False, "unknown")
    assert "UNK0000001" in fees["text"] and "ne faites pas payer le visiteur une seconde fois" in fees["text"]
    refused = pay(kiosk(), ticket_id)
    assert refused.status_code == 409 and "déjà en cours ou en vérification" in refused.get_json()["message"]
    assert simulator(app).requests == []
