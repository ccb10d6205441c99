"""What a scanned code means: the one validation path for every source (serial scanner, keyboard wedge,
camera).

A code is accepted only when it is recognised *and* checked:
- a Dour ticket: its link `<public_url>/t/<id>` (any host: the public URL may have changed since it was
  printed) or the bare id, looked up in the database; it must be today's and still open;
- a code another module can verify, through `register_verifier(kind, verify)`. The appointment QR (a signed
  Ed25519 token) plugs in here with the central sync: until a verifier vouches for a code, it is refused.
Anything else raises a DourError whose sentence a visitor understands. No error repeats the scanned text, so
nothing a stranger prints into a QR code ever reaches a page.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from core.errors import N_, Conflict, DourError, InvalidInput, NotFound
from core.site import IssuedTicket, Site
from core.states import TicketState

log = logging.getLogger(__name__)

MAX_SCAN_LENGTH = 1024  # characters; a signed appointment token is a few hundred
TICKET_ID = r"[A-Za-z0-9_-]{16,64}"  # core.tickets.new_ticket_id(): 22 URL-safe characters
TICKET_LINK = re.compile(rf"(?:(?i:https?)://[^\s/]+)?(?:/[^\s]*)?/t/({TICKET_ID})/?")
BARE_TICKET_ID = re.compile(r"[A-Za-z0-9_-]{22}")
OPEN_STATES = (TicketState.WAITING, TicketState.CALLED, TicketState.SERVING)

NOT_OURS = N_("This code is not a ticket or an appointment of this consulate. Scan the QR code of your "
              "appointment or of your ticket, or ask a member of staff.")


class UnrecognisedCode(InvalidInput):
    """Empty, too long, control characters, or a code no verifier recognises."""

    code = "unrecognised_code"


class UnknownTicket(NotFound):
    code = "unknown_ticket"


class TicketNotValidNow(Conflict):
    """A real ticket, but from another day or already closed."""

    code = "ticket_not_valid"


@dataclass(frozen=True)
class ScanResult:
    """A recognised and checked code. `ticket` is set for a ticket (and for an appointment once checked in);
    `data` holds what a verifier wants the kiosk to know."""

    kind: str  # "ticket", or the kind a verifier was registered with ("appointment")
    ticket: IssuedTicket | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


# A verifier returns None when the code is not its kind, a ScanResult when it verified it, and raises a
# DourError (with a visitor's sentence) when the code is its kind but invalid: forged, expired, not today.
Verifier = Callable[[Site, str], ScanResult | None]
_verifiers: dict[str, Verifier] = {}


def register_verifier(kind: str, verify: Verifier) -> None:
    """Let `verify` recognise codes of `kind` (replacing an earlier verifier of that kind). Tried after the
    ticket link, in registration order."""
    _verifiers[kind] = verify


def unregister_verifier(kind: str) -> None:
    _verifiers.pop(kind, None)


def validate(site: Site, text: str) -> ScanResult:
    """Recognise and check one scanned code, or raise a DourError saying what the visitor can do."""
    code = clean(text)
    ticket_id = _ticket_id(code)
    if ticket_id is not None:
        return ScanResult("ticket", _open_ticket_of_today(site, ticket_id))
    for kind, verify in list(_verifiers.items()):
        result = _try(kind, verify, site, code)
        if result is not None:
            return result
    raise UnrecognisedCode(NOT_OURS)


def clean(text: str) -> str:
    """The code without surrounding blanks; refused when empty, too long or holding control characters."""
    code = text.strip()
    if not code:
        raise UnrecognisedCode(N_("The scanner read nothing. Hold the code still, about 10 cm from the "
                                  "scanner, and try again."))
    if len(code) > MAX_SCAN_LENGTH or any(unicodedata.category(char)[0] == "C" for char in code):
        raise UnrecognisedCode(NOT_OURS)
    return code


def _ticket_id(code: str) -> str | None:
    link = TICKET_LINK.fullmatch(code)
    if link:
        return link.group(1)
    return code if BARE_TICKET_ID.fullmatch(code) else None


def _open_ticket_of_today(site: Site, ticket_id: str) -> IssuedTicket:
    try:
        issued = site.ticket_view(ticket_id)
    except NotFound:
        raise UnknownTicket(N_("We cannot find this ticket. Take a new ticket, or ask a member of "
                               "staff.")) from None
    if issued.ticket.day != site.today():
        raise TicketNotValidNow(N_("This ticket was for another day. Please take a new ticket."))
    if issued.ticket.status not in OPEN_STATES:
        raise TicketNotValidNow(N_("This ticket is closed (served, missed or cancelled). Take a new ticket, "
                                   "or ask a member of staff."))
    return issued


def _try(kind: str, verify: Verifier, site: Site, code: str) -> ScanResult | None:
    """A verifier's answer; a verifier that crashes vouches for nothing (logged, never accepted)."""
    try:
        return verify(site, code)
    except DourError:
        raise
    except Exception:
        log.exception("scan verifier %r failed", kind)
        return None
