"""A kiosk's payments through the ledger and a terminal: journal before the first byte, one charge at most,
unknown outcomes settled by asking the terminal, a ticket issued with every approval (and only then)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from core import payments
from core.errors import Conflict
from core.site import Site
from floor.card_payments import KioskTerminal
from hardware.payment import CaisseApTerminal, PaymentResult, PaymentState
from hardware.payment.caisse_ap import tlv
from hardware.payment.fake import FakeTerminal

ITEMS = [{"code": "passport_stamp", "amount_minor": 6000}]
Pair = tuple[KioskTerminal, FakeTerminal]


@pytest.fixture
def approved() -> list[payments.Payment]:
    return []


@pytest.fixture
def kiosk(site: Site, approved: list[payments.Payment]) -> Callable[..., Pair]:
    def make(*outcomes: str, name: str = "hall-1", timeout: float = 1.0) -> Pair:
        fake = FakeTerminal(*outcomes, slow_seconds=0.01, timeout=timeout)
        return KioskTerminal(name, fake, site, approved.append, timeout=timeout), fake
    return make


def sent_row(site: Site, terminal: KioskTerminal, reference: str, amount: int = 100, lang: str = "fr",
             born: str | None = None, ticket_id: str | None = None) -> None:
    """A payment left in state sent, as a crash right after the commit before the first byte leaves it."""
    with site.change() as (db, events):
        events.append(payments.create(
            db, reference=reference, terminal=terminal.device, amount_minor=amount, currency="EUR", lang=lang,
            day=site.today(), actor="t", service="passport", kiosk=terminal.kiosk, ticket_id=ticket_id)[1])
        events.append(payments.move(db, reference, "sent", "t")[1])
        if born:
            db.execute("UPDATE payments SET created_at = ? WHERE reference = ?", [born, reference])


def pay(terminal: KioskTerminal, key: str = "r1", wait: float = 5.0) -> payments.Payment:
    started = terminal.start(service="passport", items=ITEMS, amount_minor=6000, lang="fr", request_key=key,
                             actor="device:1")
    return terminal.outcome(started.reference, wait=wait)


def states(site: Site, reference: str) -> list[str]:
    with site.store.reading() as db:
        rows = db.execute("SELECT type FROM journal WHERE type LIKE 'payment.%' AND data LIKE ? ORDER BY seq",
                          [f'%"{reference}"%']).fetchall()
    return [row[0].split(".", 1)[1] for row in rows]


def test_approval_is_journaled_before_and_after_and_issues_one_ticket(site: Site, kiosk: Any,
                                                                      approved: list) -> None:
    terminal, fake = kiosk("approve")
    payment = pay(terminal)
    assert payment.state == "approved" and payment.auth_code and payment.card_last4 == "4242"
    assert states(site, payment.reference) == ["pending", "sent", "approved"]
    assert payment.ticket_id and site.ticket_view(payment.ticket_id).ticket.service == "passport"
    assert payment.etimbre_state == "pending"
    assert len(fake.charges(payment.reference)) == 1
    assert [p.reference for p in approved] == [payment.reference]


@pytest.mark.parametrize("outcome, state", [("decline", "declined"), ("abandon", "abandoned"),
                                            ("terminal_timeout", "abandoned")])
def test_a_refusal_issues_no_ticket_and_charges_nothing(site: Site, kiosk: Any, approved: list, outcome: str,
                                                        state: str) -> None:
    terminal, fake = kiosk(outcome)
    payment = pay(terminal)
    assert payment.state == state and payment.ticket_id is None and approved == []
    assert fake.charges(payment.reference) == []
    assert pay(terminal, key="r2").state == "approved"  # the visitor tries again: a new reference


def test_a_lost_answer_after_approval_is_recovered_from_the_terminal(site: Site, kiosk: Any) -> None:
    terminal, fake = kiosk("drop_after_approve")
    payment = pay(terminal)
    assert payment.state == "approved" and payment.resolved_by == "terminal"
    assert states(site, payment.reference) == ["pending", "sent", "unknown", "approved"]
    assert len(fake.charges(payment.reference)) == 1


def test_a_young_unknown_payment_is_not_declared_failed_while_the_terminal_may_still_approve(
    site: Site, kiosk: Any,
) -> None:
    terminal, fake = kiosk("approve", timeout=30)
    sent_row(site, terminal, "YOUNG00001")  # the line dropped while the visitor was still at the terminal
    assert terminal.recover() is False
    with site.store.reading() as db:
        assert payments.get(db, "YOUNG00001").state == "unknown"
    from hardware.payment import PaymentRequest

    fake.pay(PaymentRequest("YOUNG00001", 100))  # the terminal approves it after all
    assert terminal.recover() is True
    with site.store.reading() as db:
        assert payments.get(db, "YOUNG00001").state == "approved"


def test_a_hanging_terminal_ends_unknown_then_not_charged(site: Site, kiosk: Any) -> None:
    terminal, fake = kiosk("approve", "no_answer", timeout=0.3)
    before = pay(terminal, key="r0")  # the terminal's last transaction is then this one, readable
    payment = pay(terminal)
    assert payment.state == "failed" and payment.terminal_code == "not_on_terminal"
    assert states(site, payment.reference) == ["pending", "sent", "unknown", "failed"]
    assert fake.charges(payment.reference) == [] and len(fake.charges(before.reference)) == 1


def test_a_terminal_with_no_readable_last_transaction_leaves_the_payment_unknown(site: Site,
                                                                                 kiosk: Any) -> None:
    terminal, fake = kiosk("no_answer", timeout=0.3)
    payment = pay(terminal)  # the duplicata then answers "nothing" (AE=01 AF=05, no CF): proves nothing
    time.sleep(0.4)
    assert terminal.recover() is False
    payment = terminal.outcome(payment.reference)
    assert (payment.state, payment.terminal_code) == ("unknown", "no_answer")  # never "not charged"


class RefusingTerminal:
    """A Concert V3 peer that refuses every request, the duplicata included: AE=01 AF=09, no CF."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.server.getsockname()[1])
        self.requests: list[dict[str, str]] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                self.requests.append(tlv.read_message(conn, {"CZ"}, time.monotonic() + 2, 0.02))
                conn.sendall(tlv.encode({"CZ": "0320", "AE": "01", "AF": "09"}))

    def close(self) -> None:
        self.server.close()


@pytest.mark.parametrize("state", ["sent", "unknown"])
def test_a_refused_duplicata_never_turns_a_payment_into_not_charged(site: Site, approved: list,
                                                                   state: str) -> None:
    """The card may have been charged: only a readable transaction with another reference proves it was not.
    The payment stays unknown, for a supervisor to settle from the terminal's journal."""
    peer = RefusingTerminal()
    driver = CaisseApTerminal("127.0.0.1", peer.port, connect_timeout=2, query_timeout=1, settle=0.02)
    terminal = KioskTerminal("hall-1", driver, site, approved.append, timeout=1.0)
    sent_row(site, terminal, "LOST000001", born="2000-01-01T00:00:00Z")  # the terminal's time is long over
    if state == "unknown":
        lost = PaymentResult("LOST000001", PaymentState.UNKNOWN, 100, terminal_code="no_answer")
        terminal.record(lost, "t")
    try:
        assert terminal.recover() is False
    finally:
        peer.close()
    with site.store.reading() as db:
        payment = payments.get(db, "LOST000001")
    assert payment.state == "unknown" and approved == []
    assert payment.terminal_code == ("unreadable_answer" if state == "sent" else "no_answer")
    assert peer.requests and peer.requests[0]["CD"] == "3" and "CF" not in peer.requests[0]


def test_same_request_key_gives_the_same_payment(kiosk: Any) -> None:
    terminal, fake = kiosk("approve", "approve")
    first = pay(terminal)
    assert pay(terminal).reference == first.reference
    assert len(fake.ledger.entries) == 1


def test_an_unsettled_payment_blocks_the_terminal_until_it_is_settled(site: Site, kiosk: Any) -> None:
    terminal, fake = kiosk("drop_after_approve")
    fake.unreachable = False
    started = terminal.start(service="passport", items=ITEMS, amount_minor=6000, lang="fr", request_key="a",
                             actor="device:1")
    terminal.outcome(started.reference, wait=5)
    sent_row(site, terminal, "ZZZZZZZZZ1", born="2000-01-01T00:00:00Z")  # long ago: the terminal is done
    fake.unreachable = True
    with pytest.raises(Conflict):
        terminal.start(service="passport", items=ITEMS, amount_minor=6000, lang="fr", request_key="b",
                       actor="device:1")
    fake.unreachable = False
    assert terminal.recover() is True  # the terminal's last transaction is not ours: never completed
    with site.store.reading() as db:
        assert payments.get(db, "ZZZZZZZZZ1").state == "failed"


def test_after_a_crash_an_approval_the_terminal_made_is_recovered_with_one_charge(site: Site,
                                                                                  kiosk: Any) -> None:
    terminal, fake = kiosk("approve")
    sent_row(site, terminal, "CRASH00001", amount=6000, lang="ar")  # the server died after "sent"
    from hardware.payment import PaymentRequest

    fake.pay(PaymentRequest("CRASH00001", 6000))
    restarted, _ = kiosk(name="hall-1")
    restarted.terminal = fake
    assert restarted.recover() is True
    with site.store.reading() as db:
        payment = payments.get(db, "CRASH00001")
    assert payment.state == "approved" and payment.ticket_id is not None
    assert len(fake.charges("CRASH00001")) == 1


def test_after_a_crash_an_appointments_fees_approved_on_the_terminal_issue_no_second_ticket(
        site: Site, kiosk: Any, approved: list) -> None:
    terminal, fake = kiosk("approve")
    ticket = site.issue_ticket(service="passport", kind="appointment", lang="fr", actor="checkin").ticket
    sent_row(site, terminal, "APPT000001", amount=6000, ticket_id=ticket.id)  # paying its fees, then a crash
    from hardware.payment import PaymentRequest

    fake.pay(PaymentRequest("APPT000001", 6000))
    restarted, _ = kiosk(name="hall-1")
    restarted.terminal = fake
    assert restarted.recover() is True
    with site.store.reading() as db:
        payment = payments.get(db, "APPT000001")
        count = db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
    assert (payment.state, payment.ticket_id, payment.resolved_by) == ("approved", ticket.id, "terminal")
    assert count == 1 and [p.reference for p in approved] == ["APPT000001"]  # the receipt is printed
    assert site.ticket_payment(ticket.id) == payment


def test_two_kiosks_pay_at_once(site: Site, kiosk: Any) -> None:
    (one, fake_one), (two, fake_two) = kiosk("slow", name="hall-1"), kiosk("slow", name="hall-2")
    results: dict[str, payments.Payment] = {}
    threads = [threading.Thread(target=lambda t=t, n=n: results.__setitem__(n, pay(t, key=n)))
               for t, n in ((one, "one"), (two, "two"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert {p.state for p in results.values()} == {"approved"}
    assert results["one"].reference != results["two"].reference
    assert results["one"].ticket_id != results["two"].ticket_id
    assert len(fake_one.ledger.entries) == len(fake_two.ledger.entries) == 1
