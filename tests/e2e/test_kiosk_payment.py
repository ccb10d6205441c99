"""Paying consular fees at the kiosk in real Chromium, against a Concert V3 terminal simulator that this test
scripts: a declined card says so in the visitor's language and charges nothing; trying again pays once and
gives the ticket with its receipt; walking away from the fees screen leaves nothing behind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from hardware.payment import CaisseApSimulator, CaisseApTerminal, PaymentRequest

pytestmark = pytest.mark.browser


def kiosk_page(browser: Any, server: Any, lang: str) -> Any:
    page = browser.new_page(viewport={"width": 1080, "height": 1920}, has_touch=True)
    page.goto(f"{server.url}/enrol?token={server.kiosk_token}&next=/kiosk?lang={lang}")
    return page


def test_declined_then_paid_once_with_ticket_and_receipt(paying_server: Any, terminal: CaisseApSimulator,
                                                         browser: Any, output_dir: Path) -> None:
    terminal.script("decline", "slow")
    page = kiosk_page(browser, paying_server, "ar")
    page.get_by_test_id("service-passport").tap()
    page.get_by_test_id("pay-card").tap()
    failed = page.get_by_test_id("payment-failed-message")
    failed.wait_for()
    assert "رُفضت" in failed.inner_text()
    page.screenshot(path=str(output_dir / "1-declined-arabic.png"))
    page.get_by_test_id("pay-again").tap()  # the paying screen shows for the terminal's half second only
    page.get_by_test_id("ticket-number").wait_for(timeout=15_000)
    assert page.get_by_test_id("ticket-number").inner_text().strip() == "A-001"
    assert page.get_by_test_id("receipt").is_visible()
    reference = page.get_by_test_id("receipt-reference").inner_text().strip()
    assert page.get_by_test_id("receipt-card").inner_text().strip() == "**** 4242"
    assert page.get_by_test_id("receipt-date").inner_text().strip()
    page.screenshot(path=str(output_dir / "2-paid-ticket-receipt.png"))
    assert len(terminal.charges(reference)) == 1
    assert len([t for t in terminal.ledger.entries if t.verdict == "approved"]) == 1


def test_paying_at_the_counter_instead_gives_a_ticket_without_a_charge(
    paying_server: Any, terminal: CaisseApSimulator, browser: Any,
) -> None:
    page = kiosk_page(browser, paying_server, "fr")
    page.get_by_test_id("service-cnie").tap()
    assert page.get_by_test_id("fee-total").inner_text().strip() == "7,50\u00a0€"
    page.get_by_test_id("pay-at-counter").tap()
    page.get_by_test_id("ticket-number").wait_for()
    assert page.get_by_test_id("ticket-number").inner_text().strip() == "B-001"
    assert not page.get_by_test_id("receipt").is_visible()
    assert terminal.requests == []


@pytest.fixture
def impatient_server(tmp_path: Path, dour: Any, terminal: CaisseApSimulator) -> Iterator[Any]:
    srv = dour.Server(tmp_path, env={"DOUR_DEVICES_PAYMENT": terminal.uri,
                                     "DOUR_DEVICES_PAYMENT_TIMEOUT_SECONDS": "8",
                                     "DOUR_POLICY_KIOSK_IDLE_SECONDS": "2",
                                     "DOUR_POLICY_KIOSK_IDLE_WARNING_SECONDS": "1"}).provision()
    srv.start()
    yield srv
    srv.stop()


def test_a_visitor_who_walks_away_mid_payment_is_not_charged_and_the_kiosk_resets(
    impatient_server: Any, terminal: CaisseApSimulator, browser: Any, output_dir: Path,
) -> None:
    # The terminal's last transaction is an earlier one, readable: once the terminal's own time is over, the
    # duplicata proves that the kiosk's payment never completed (with nothing readable it stays unknown).
    CaisseApTerminal("127.0.0.1", terminal.port, settle=0.02).pay(PaymentRequest("EARLIER001", 100))
    terminal.script("no_answer")  # nobody presents a card; the terminal never answers
    page = kiosk_page(browser, impatient_server, "fr")
    page.get_by_test_id("service-passport").tap()
    page.get_by_test_id("pay-card").tap()
    page.get_by_test_id("paying-message").wait_for()
    page.wait_for_timeout(4000)  # longer than the kiosk's idle time and warning (3 s): the payment holds it
    assert page.get_by_test_id("paying-screen").is_visible()  # the terminal's own time (8 s) is not over
    assert not page.get_by_test_id("idle-warning").is_visible()
    page.get_by_test_id("payment-failed-message").wait_for(timeout=20_000)
    # Proven not paid (the kiosk then resets after its idle time: the title is waited for, not read once).
    page.get_by_test_id("payment-failed-title").filter(has_text="Non payé").wait_for(timeout=2_000)
    page.screenshot(path=str(output_dir / "walked-away-not-paid.png"))
    page.wait_for_url(lambda url: "lang=" not in url, timeout=15_000)  # then back to the start
    assert [entry.reference for entry in terminal.ledger.entries] == ["EARLIER001"]  # nothing charged


@pytest.fixture
def lost_terminal_server(tmp_path: Path, dour: Any, terminal: CaisseApSimulator) -> Iterator[Any]:
    srv = dour.Server(tmp_path, env={"DOUR_DEVICES_PAYMENT": terminal.uri,
                                     "DOUR_DEVICES_PAYMENT_TIMEOUT_SECONDS": "2"}).provision()
    srv.start()
    yield srv
    srv.stop()


def test_a_payment_that_cannot_be_confirmed_sends_the_visitor_to_a_counter_with_its_reference(
    lost_terminal_server: Any, terminal: CaisseApSimulator, browser: Any, dour: Any, output_dir: Path,
) -> None:
    terminal.script("no_answer")
    page = kiosk_page(browser, lost_terminal_server, "fr")
    page.get_by_test_id("service-passport").tap()
    page.get_by_test_id("pay-card").tap()
    page.get_by_test_id("paying-message").wait_for()
    # The screen says "paying" as the kiosk asks the server: the terminal must hold the debit before it goes
    # (gone earlier, it was never reached and nothing can have been charged: another message).
    for _ in range(200):
        if terminal.requests:
            break
        page.wait_for_timeout(50)
    assert terminal.requests, "the terminal never received the debit"
    terminal.stop()  # the terminal is gone: nobody can say whether the card was charged
    message = page.get_by_test_id("payment-failed-message")
    message.wait_for(timeout=30_000)
    assert "Ne payez pas une seconde fois" in message.inner_text()
    assert page.get_by_test_id("payment-failed-title").inner_text().strip() == "Paiement non confirmé"
    assert not page.get_by_test_id("pay-again").is_visible()  # never offered to pay again
    assert not page.get_by_test_id("pay-at-counter-after").is_visible()  # nor to pay again at a counter
    page.screenshot(path=str(output_dir / "unconfirmed-payment.png"))
    reference = message.inner_text().split("référence, ")[1].split(".")[0]
    kiosk = requests.Session()
    kiosk.headers["Authorization"] = f"Bearer {lost_terminal_server.kiosk_token}"
    state = kiosk.get(f"{lost_terminal_server.url}/api/kiosk/payments/{reference}", timeout=10).json()
    assert state["payment"]["state"] == "unknown"  # for a supervisor to settle

    desk = browser.new_page(viewport={"width": 1366, "height": 1000})
    desk.goto(f"{lost_terminal_server.url}/login")
    desk.get_by_test_id("username").fill(dour.AGENT)
    desk.get_by_test_id("password").fill(dour.AGENT_PASSWORD)
    desk.get_by_test_id("login-submit").click()
    desk.get_by_test_id("counter-option-1").click()
    desk.get_by_test_id("lookup-reference").fill(reference.lower())  # as the visitor reads it out
    desk.get_by_test_id("lookup-submit").click()
    desk.wait_for_function("() => document.querySelector('[data-testid=lookup-result]').dataset.state"
                           " === 'unknown'")
    assert "do not charge the visitor again" in desk.get_by_test_id("lookup-result").inner_text()
    desk.screenshot(path=str(output_dir / "desk-lookup.png"))
