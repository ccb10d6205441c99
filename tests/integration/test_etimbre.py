"""eTimbre numbers: asked of the central per approved payment, idempotently by our reference; while the
central is away the payment stays "eTimbre pending" and nothing is lost."""

from __future__ import annotations

from typing import Any

import pytest

from core.site import Site
from floor.card_payments import KioskTerminal
from hardware.payment.fake import FakeTerminal
from sync.client import CentralRefused, CentralUnavailable, EtimbreIssued, EtimbreRequest
from sync.etimbre import EtimbreRequester, request_of

ITEMS = [{"code": "passport_stamp", "amount_minor": 6000}]
ISSUED = "SELECT COUNT(*) FROM journal WHERE type = 'payment.etimbre_issued'"


class Central:
    """A stand-in for the central: down, refusing, or issuing one number per payment reference."""

    def __init__(self) -> None:
        self.down = True
        self.refuse: set[str] = set()
        self.issued: dict[str, str] = {}
        self.calls: list[str] = []

    def request_etimbre(self, request: EtimbreRequest) -> EtimbreIssued:
        self.calls.append(request.payment_reference)
        if self.down:
            raise CentralUnavailable("connection refused")
        if request.payment_reference in self.refuse:
            raise CentralRefused("unknown service")
        number = self.issued.setdefault(request.payment_reference, f"ET{len(self.issued) + 1:014d}")
        return EtimbreIssued(request.payment_reference, number)


@pytest.fixture
def central() -> Central:
    return Central()


@pytest.fixture
def requester(site: Site, central: Central) -> EtimbreRequester:
    def pending() -> list[EtimbreRequest]:
        return [request_of(site.config.site_id, p, None) for p in site.etimbre_pending()]
    return EtimbreRequester(central, pending, site.set_etimbre)


def paid(site: Site, key: str) -> Any:
    terminal = KioskTerminal("hall-1", FakeTerminal("approve"), site, lambda payment: None)
    started = terminal.start(service="passport", items=ITEMS, amount_minor=6000, lang="fr", request_key=key,
                             actor="device:1")
    return terminal.outcome(started.reference, wait=5)


def test_payments_stay_pending_while_the_central_is_away_then_get_one_number_each(
    site: Site, central: Central, requester: EtimbreRequester,
) -> None:
    first, second = paid(site, "a"), paid(site, "b")
    assert requester.round() == 0
    assert [p.reference for p in site.etimbre_pending()] == [first.reference, second.reference]
    central.down = False
    assert requester.round() == 2 and requester.round() == 0
    assert site.etimbre_pending() == []
    with site.store.reading() as db:
        rows = db.execute("SELECT reference, etimbre, etimbre_state FROM payments ORDER BY id").fetchall()
        issued = db.execute(ISSUED).fetchone()[0]
    assert [(r[1], r[2]) for r in rows] == [(central.issued[first.reference], "issued"),
                                           (central.issued[second.reference], "issued")]
    assert issued == 2


def test_a_repeated_answer_changes_nothing_and_a_refusal_does_not_block_the_others(
    site: Site, central: Central, requester: EtimbreRequester,
) -> None:
    refused, fine = paid(site, "a"), paid(site, "b")
    central.down = False
    central.refuse.add(refused.reference)
    assert requester.round() == 1
    site.set_etimbre(fine.reference, central.issued[fine.reference])  # a late duplicate answer
    with site.store.reading() as db:
        issued = db.execute(ISSUED).fetchone()[0]
    assert issued == 1
    assert [p.reference for p in site.etimbre_pending()] == [refused.reference]


def test_a_declined_payment_needs_no_etimbre(site: Site, requester: EtimbreRequester,
                                             central: Central) -> None:
    terminal = KioskTerminal("hall-1", FakeTerminal("decline"), site, lambda payment: None)
    started = terminal.start(service="passport", items=ITEMS, amount_minor=6000, lang="fr", request_key="d",
                             actor="device:1")
    terminal.outcome(started.reference, wait=5)
    central.down = False
    assert requester.round() == 0 and central.calls == []
