"""The one validation path for scanned codes: Dour ticket links and ids, the verifier hook for appointment
codes, and a typed error with a visitor's sentence for everything else, never echoing the scanned text."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from core import scans
from core.errors import DourError, Forbidden
from core.scans import ScanResult, TicketNotValidNow, UnknownTicket, UnrecognisedCode, validate
from core.site import Site

MORNING = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
UNKNOWN_ID = "AAAAAAAAAAAAAAAAAAAAAA"


def issue(site: Site, service: str = "passport") -> str:
    return site.issue_ticket(service=service, kind="walk_in", lang="fr", actor="test").ticket.id


@pytest.fixture
def ticket_id(site: Site, clock) -> str:
    clock.set(MORNING)
    issue(site)  # one visitor ahead
    return issue(site)


@pytest.fixture
def verifiers() -> Iterator[list[str]]:
    """Kinds registered by a test; unregistered afterwards so no other test sees them."""
    kinds: list[str] = []
    yield kinds
    for kind in kinds:
        scans.unregister_verifier(kind)


@pytest.mark.parametrize("form", [
    "{public}/t/{id}", "https://old-address.example:8443/dour/t/{id}", "HTTP://10.0.0.5/t/{id}/", "/t/{id}",
    "{id}", "  {public}/t/{id}  ",
])
def test_a_ticket_link_or_id_gives_that_ticket(site: Site, ticket_id: str, form: str) -> None:
    result = validate(site, form.format(public=site.config.public_url, id=ticket_id))
    assert (result.kind, result.ticket and result.ticket.ticket.id) == ("ticket", ticket_id)
    assert (result.ticket.people_ahead, result.ticket.wait_minutes) == (1, 4)  # type: ignore[union-attr]


def test_an_unknown_ticket_is_refused(site: Site, ticket_id: str) -> None:
    with pytest.raises(UnknownTicket) as refused:
        validate(site, f"{site.config.public_url}/t/{UNKNOWN_ID}")
    assert refused.value.status == 404 and "cannot find this ticket" in refused.value.message


def test_a_ticket_of_another_day_is_refused(site: Site, ticket_id: str, clock) -> None:
    clock.set(MORNING + timedelta(days=1))
    with pytest.raises(TicketNotValidNow, match="another day"):
        validate(site, ticket_id)


def test_a_closed_ticket_is_refused(site: Site, ticket_id: str) -> None:
    site.cancel(ticket_id, actor="test")
    with pytest.raises(TicketNotValidNow, match="closed"):
        validate(site, ticket_id)


@pytest.mark.parametrize("text", [
    "", "   ", "\r\n",
    "HELLO WORLD", "3017620422003", "https://evil.example/phish", "<script>alert(1)</script>",
    "https://dour.example/t/short", f"https://dour.example/x/{UNKNOWN_ID}", f"{UNKNOWN_ID}x",
    "A" * (scans.MAX_SCAN_LENGTH + 1), f"/t/{UNKNOWN_ID}" + "\x07", f"{UNKNOWN_ID}\x00", "ab\u200bcd",
])
def test_anything_else_is_refused_without_echoing_it(site: Site, ticket_id: str, text: str) -> None:
    with pytest.raises(UnrecognisedCode) as refused:
        validate(site, text)
    error = refused.value
    assert (error.status, error.code, error.params) == (400, "unrecognised_code", {})
    assert error.message.endswith(".") and (not text.strip() or text.strip() not in error.message)


def test_validation_changes_nothing(site: Site, ticket_id: str, site_state) -> None:
    before = site_state(site)
    for text in (ticket_id, UNKNOWN_ID, "garbage"):
        try:
            validate(site, text)
        except DourError:
            pass
    assert site_state(site) == before


# --- the verifier hook (appointment codes plug in here) -----------------------------------------------------
def appointment_verifier(site: Site, code: str) -> ScanResult | None:
    if not code.startswith("APPT."):
        return None  # not an appointment token: let others try
    if code != "APPT.valid-signature":
        raise Forbidden(scans.N_("This appointment code is not valid."))
    return ScanResult("appointment", data={"reference": "RDV-1"})


def test_no_verifier_means_an_appointment_code_is_not_accepted(site: Site) -> None:
    with pytest.raises(UnrecognisedCode):
        validate(site, "APPT.valid-signature")


def test_a_registered_verifier_recognises_its_codes(site: Site, verifiers: list[str]) -> None:
    scans.register_verifier("appointment", appointment_verifier)
    verifiers.append("appointment")
    assert validate(site, "APPT.valid-signature") == ScanResult("appointment", data={"reference": "RDV-1"})
    with pytest.raises(Forbidden, match="not valid"):
        validate(site, "APPT.forged")
    with pytest.raises(UnrecognisedCode):
        validate(site, "NOT-AN-APPOINTMENT")


def test_a_crashing_verifier_vouches_for_nothing(site: Site, verifiers: list[str]) -> None:
    def broken(site: Site, code: str) -> ScanResult | None:
        raise KeyError("bug")

    scans.register_verifier("broken", broken)
    verifiers.append("broken")
    with pytest.raises(UnrecognisedCode):
        validate(site, "ANYTHING")


def test_tickets_come_before_verifiers(site: Site, ticket_id: str, verifiers: list[str]) -> None:
    scans.register_verifier("greedy", lambda site, code: ScanResult("greedy"))
    verifiers.append("greedy")
    assert validate(site, ticket_id).kind == "ticket"
    scans.unregister_verifier("greedy")
    with pytest.raises(UnrecognisedCode):
        validate(site, "OTHER")
