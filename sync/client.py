"""What the site asks of the central eConsulat, as an interface the central API issue implements.

eTimbre: every approved fee payment needs an eTimbre number, issued by the central. The request is keyed by
our payment reference, so asking again (after a timeout, a restart, an outage) returns the same number and
never a second stamp. While the central cannot be reached the payment stays "eTimbre pending": the visitor is
served anyway, the counter sees it, and the number arrives when the link is back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class CentralUnavailable(Exception):
    """The central could not be reached or did not answer in time: try again later, nothing is lost."""


class CentralRefused(Exception):
    """The central answered and refused the request (malformed, unknown site): retrying will not help."""


@dataclass(frozen=True)
class EtimbreRequest:
    """One approved payment, as the central needs it to issue its eTimbre (no card data)."""

    site_id: str
    payment_reference: str  # the idempotency key
    service: str
    items: tuple[tuple[str, int], ...]  # (fee item code, amount in minor units)
    amount_minor: int
    currency: str
    paid_at: str  # UTC ISO 8601
    authorisation: str | None = None
    ticket_number: str | None = None


@dataclass(frozen=True)
class EtimbreIssued:
    payment_reference: str
    number: str
    extra: dict[str, str] = field(default_factory=dict)


class CentralClient(Protocol):
    def request_etimbre(self, request: EtimbreRequest) -> EtimbreIssued:
        """The eTimbre of this payment; the same reference always gets the same number.

        Raises CentralUnavailable (retry later) or CentralRefused (a person must look)."""
        ...


class NoCentral:
    """A site configured without a central (`sync.central_url` empty): every request waits."""

    def request_etimbre(self, request: EtimbreRequest) -> EtimbreIssued:
        raise CentralUnavailable("no central is configured")
