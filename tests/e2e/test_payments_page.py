"""The supervisor's payments page in real Chromium, against a Concert V3 terminal simulator this test runs:
the day's payments in French, a void through the terminal, the end-of-day reconciliation typed from the
terminal's printed report (Concert cannot send its totals), an exception resolved with a note, and a payment
whose outcome is unknown (the terminal vanished mid-payment) settled by hand as not charged."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from hardware.payment import CaisseApSimulator
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.browser

SUPERVISOR, PASSWORD = "boss", "supervisor-password-1"
WAIT_MS = 10_000


def start_payment(kiosk: requests.Session, server: Any, request_id: str) -> str:
    body = {"service": "passport", "request_id": request_id}
    answer = kiosk.post(f"{server.url}/api/kiosk/payments", json=body, timeout=10)
    assert answer.status_code == 202, answer.text
    return str(answer.json()["payment"]["reference"])


def pay(kiosk: requests.Session, server: Any, request_id: str) -> dict[str, Any]:
    reference = start_payment(kiosk, server, request_id)
    answer = kiosk.get(f"{server.url}/api/kiosk/payments/{reference}?wait=10", timeout=15)
    return dict(answer.json()["payment"])


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def text(locator: Any) -> str:
    """Visible text with the no-break spaces Intl puts around currency symbols made plain."""
    return re.sub(r"[\s\u00a0\u202f]+", " ", locator.inner_text()).strip()


def row(page: Any, reference: str, state: str | None = None) -> Any:
    in_state = f'[data-state="{state}"]' if state else ""
    return page.locator(f'#payments tr[data-reference="{reference}"]{in_state}')


def figures(page: Any, kind: str) -> tuple[str, str]:
    """The ledger's and the terminal's count · amount for one operation, as the reconciliation shows them."""
    line = page.locator(f'#totals tr[data-kind="{kind}"]')
    return text(line.locator(".ledger")), text(line.locator(".terminal"))


def open_as_supervisor(browser: Any, server: Any) -> Any:
    """A French supervisor logs in and follows the overview's link to the payments page."""
    page = browser.new_page(viewport={"width": 1500, "height": 1000}, locale="fr-FR")
    log_in(page, f"{server.url}/login", SUPERVISOR, PASSWORD)
    page.goto(f"{server.url}/supervisor")
    page.get_by_role("link", name="Paiements").click()
    page.wait_for_url("**/supervisor/payments")
    return page


def void(page: Any, reference: str) -> None:
    row(page, reference).get_by_test_id("void").click()
    assert reference in page.locator("#confirm-text").inner_text()
    page.get_by_test_id("confirm-ok").click()
    row(page, reference, "voided").wait_for(timeout=WAIT_MS)


def reconcile_by_hand(page: Any, typed: dict[str, str]) -> None:
    """Concert sends no totals: the page asks for the figures of the terminal's printed report."""
    page.get_by_test_id("reconcile-kiosk").select_option("kiosk1")
    page.get_by_test_id("reconcile").click()
    page.get_by_test_id("manual-totals").wait_for()
    assert "totaux" in page.locator("#manual-totals-why").inner_text()  # the server's sentence, in French
    page.get_by_test_id("totals-debit-amount").fill("12O,00")  # a letter O typed for a zero
    page.get_by_test_id("manual-totals-submit").click()
    assert page.get_by_test_id("manual-totals-error").is_visible()
    assert page.get_by_test_id("reconcile-result").is_hidden()
    for field, value in typed.items():
        page.get_by_test_id(f"totals-{field}").fill(value)
    page.get_by_test_id("manual-totals-submit").click()
    page.get_by_test_id("reconcile-result").wait_for()


def lose_a_payment(kiosk: requests.Session, server: Any, terminal: CaisseApSimulator) -> str:
    """The terminal takes a payment and vanishes before answering: nobody can tell whether it was charged,
    and the server cannot ask the terminal (duplicata) either."""
    terminal.script("no_answer")
    lost = start_payment(kiosk, server, "visitor-4")
    wait_until(lambda: any(request.get("CF") == lost for request in terminal.requests))
    terminal.stop()
    follow = f"{server.url}/api/kiosk/payments/{lost}"
    wait_until(lambda: kiosk.get(follow, timeout=5).json()["payment"]["state"] == "unknown")
    return lost


def test_supervisor_voids_reconciles_and_settles_an_unknown_payment(
    paying_server: Any, terminal: CaisseApSimulator, dour: Any, browser: Any, output_dir: Path,
) -> None:
    paying_server.add_user(SUPERVISOR, PASSWORD, "supervisor")
    kiosk = dour.kiosk_session(paying_server)
    first, second = pay(kiosk, paying_server, "visitor-1"), pay(kiosk, paying_server, "visitor-2")
    assert (first["state"], second["state"]) == ("approved", "approved")
    terminal.script("decline")
    assert pay(kiosk, paying_server, "visitor-3")["state"] == "declined"

    page = open_as_supervisor(browser, paying_server)
    rows = page.get_by_test_id("payment-row")
    rows.nth(2).wait_for()
    assert rows.count() == 3
    paid = row(page, first["reference"])
    assert text(paid.locator(".col-amount")) == "60,00 €"
    assert text(paid.locator(".col-card")) == "**** 4242"
    assert text(paid.locator(".col-state")) == "Accepté"
    assert text(paid.locator(".col-ticket")) == "A-001"
    assert text(paid.locator(".col-etimbre")) == "en attente"
    assert text(paid.locator(".col-auth")) == first["auth_code"]
    assert text(page.locator('#state-counts [data-state="approved"]')) == "Accepté 2"
    assert text(page.locator('#state-counts [data-state="declined"]')) == "Refusé 1"
    page.screenshot(path=str(output_dir / "1-payments-of-the-day.png"), full_page=True)

    void(page, first["reference"])
    assert text(row(page, first["reference"]).locator(".col-state")) == "Annulé"
    assert row(page, first["reference"]).get_by_test_id("void").count() == 0
    void_row = rows.filter(has_text=f"Annulation de {first['reference']}")
    assert void_row.get_attribute("data-state") == "approved"  # the terminal accepted the void
    assert text(void_row.locator(".col-amount")) == "-60,00 €"
    assert [entry.operation.value for entry in terminal.ledger.entries] == ["debit", "debit", "void"]
    totals = terminal.totals()
    assert (totals.debit_count, totals.debit_minor) == (2, 12000)
    assert (totals.void_count, totals.void_minor) == (1, 6000)
    page.screenshot(path=str(output_dir / "2-voided.png"), full_page=True)

    reconcile_by_hand(page, {"debit-count": "2", "debit-amount": "120,00", "void-count": "1",
                             "void-amount": "60,00"})
    assert figures(page, "debit") == ("2 · 120,00 €", "2 · 120,00 €")
    assert figures(page, "void") == ("1 · 60,00 €", "1 · 60,00 €")
    assert figures(page, "refund") == ("0 · 0,00 €", "0 · 0,00 €")
    assert page.locator("#totals tr.differs").count() == 0
    assert "totaux concordent" in page.get_by_test_id("reconcile-verdict").inner_text()
    exceptions = page.get_by_test_id("exception-row")
    assert exceptions.count() == 1  # the second payment's eTimbre (the voided one needs none)
    assert exceptions.first.get_attribute("data-kind") == "etimbre_pending"
    assert second["reference"] in exceptions.first.inner_text()
    page.screenshot(path=str(output_dir / "3-reconciled.png"), full_page=True)

    exceptions.first.get_by_test_id("exception-resolve").click()
    page.get_by_test_id("resolve-submit").click()
    assert page.get_by_test_id("resolve-error").is_visible()  # a note is required
    page.get_by_test_id("resolve-note").fill("Central injoignable ; numéro demandé par téléphone.")
    page.get_by_test_id("resolve-submit").click()
    page.wait_for_selector("#exceptions tr.resolved", timeout=WAIT_MS)
    resolved = text(page.locator("#exceptions tr.resolved .col-resolution"))
    assert resolved.startswith("Résolu par vous") and "numéro demandé par téléphone" in resolved
    page.screenshot(path=str(output_dir / "4-exception-resolved.png"), full_page=True)

    lost = lose_a_payment(kiosk, paying_server, terminal)
    row(page, lost, "unknown").wait_for(timeout=WAIT_MS)
    assert rows.first.get_attribute("data-reference") == lost  # listed first, flagged
    assert page.get_by_test_id("unknown-warning").is_visible()
    row(page, lost).get_by_test_id("settle").click()
    page.get_by_test_id("settle-submit").click()
    assert page.get_by_test_id("settle-error").is_visible()  # charged or not charged: say which
    page.get_by_test_id("settle-not-charged").check()
    page.get_by_test_id("settle-note").fill("Journal du terminal : aucune transaction à 60 € après 10 h.")
    page.screenshot(path=str(output_dir / "5-settle-unknown.png"), full_page=True)
    page.get_by_test_id("settle-submit").click()
    row(page, lost, "failed").wait_for(timeout=WAIT_MS)
    assert text(row(page, lost).locator(".col-state")).startswith("Non débité")
    assert "Journal du terminal" in row(page, lost).locator(".col-state").inner_text()
    assert page.get_by_test_id("unknown-warning").is_hidden()
    assert page.locator('#state-counts [data-state="unknown"]').count() == 0
    assert terminal.charges(lost) == []
    page.screenshot(path=str(output_dir / "6-settled-not-charged.png"), full_page=True)

    page.get_by_test_id("payments-day").fill("2020-01-02")  # another day: read only, nothing that day
    page.get_by_test_id("payments-empty").wait_for()
    assert rows.count() == 0 and page.get_by_test_id("reconcile").is_disabled()
    page.get_by_test_id("payments-today").click()
    rows.nth(4).wait_for()
    assert page.get_by_test_id("reconcile").is_enabled()

    page.goto(f"{paying_server.url}/supervisor/payments?lang=ar")
    rows.nth(4).wait_for()
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert text(row(page, second["reference"]).locator(".col-card")) == "**** 4242"
    page.screenshot(path=str(output_dir / "7-arabic.png"), full_page=True)
