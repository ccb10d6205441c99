"""Asking the central for the eTimbre of each approved payment, until every one has its number.

Runs in the background: right after an approval and then every `retry_seconds` while some are pending.
The central deduplicates by payment reference, so a request repeated after a lost answer is harmless.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable

from core.payments import Payment
from sync.client import CentralClient, CentralRefused, CentralUnavailable, EtimbreRequest

log = logging.getLogger(__name__)


class EtimbreRequester:
    """`pending()` lists what still needs a number; `store(reference, number)` records one."""

    def __init__(self, client: CentralClient, pending: Callable[[], list[EtimbreRequest]],
                 store: Callable[[str, str], None], retry_seconds: float = 60.0) -> None:
        self.client = client
        self.pending = pending
        self.store = store
        self.retry_seconds = retry_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> EtimbreRequester:
        self._thread = threading.Thread(target=self._run, name="etimbre", daemon=True)
        self._thread.start()
        return self

    def nudge(self) -> None:
        """A payment was just approved: ask now rather than at the next round."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.round()
            self._wake.wait(self.retry_seconds)
            self._wake.clear()

    def round(self) -> int:
        """Ask for every pending eTimbre once; how many were issued. Stops at the first outage."""
        issued = 0
        for request in self.pending():
            try:
                answer = self.client.request_etimbre(request)
            except CentralUnavailable as error:
                log.info("eTimbre requests wait for the central: %s", error)
                break
            except CentralRefused as error:
                log.error("central refused the eTimbre of %s: %s", request.payment_reference, error)
                continue
            self.store(answer.payment_reference, answer.number)
            issued += 1
        return issued


def items_of(raw: str) -> tuple[tuple[str, int], ...]:
    """The (code, amount) pairs of a payment's stored items."""
    return tuple((str(item["code"]), int(item["amount_minor"])) for item in json.loads(raw))


def request_of(site_id: str, payment: Payment, ticket_number: str | None) -> EtimbreRequest:
    """The central's view of an approved payment."""
    return EtimbreRequest(
        site_id=site_id, payment_reference=payment.reference, service=str(payment.service),
        items=items_of(payment.items), amount_minor=payment.amount_minor, currency=payment.currency,
        paid_at=payment.updated_at, authorisation=payment.auth_code, ticket_number=ticket_number)
