"""Appointment check-in at a kiosk: the QR token verified offline, the site's rules, one ticket each.

A code is refused with a sentence the visitor understands and nothing changed when it is forged, of an
unknown or retired key, expired, of another consulate, of another day, too early, too late (a walk-in ticket
is offered instead), cancelled or moved. An appointment already checked in shows its ticket again. A valid
appointment the site has not synced yet is accepted from its token alone; the sync reconciles it later.
The central's synced version, when newer than the token's, decides the slot and the status.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from core import appointments, journal, keyring, tickets
from core.appointments import Appointment
from core.clock import now, utc_iso
from core.errors import N_, DourError, InvalidInput, NotFound
from core.scans import ScanResult
from core.site import Site
from sync import tokens

KIND = "appointment"


class AppointmentRefused(DourError):
    """An appointment code the kiosk will not check in: `code` says why, `details` what it can offer."""

    status = 409
    code = "appointment_refused"

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None,
                 **params: object) -> None:
        super().__init__(message, (), **params)
        self.code = code
        self.details = dict(details or {})


SENTENCES = {
    "forged": N_("This appointment code is not valid. Please go to the reception desk with your "
                 "appointment confirmation."),
    "unknown_key": N_("This appointment code cannot be checked at this kiosk. Please go to the reception "
                      "desk with your appointment confirmation."),
    "expired": N_("This appointment code has expired. Please go to the reception desk."),
    "other_site": N_("This appointment is at another consulate. Please check the address on your appointment "
                     "confirmation."),
    "other_day": N_("This appointment is on %(date)s, not today. Please come back on that day."),
    "too_early": N_("You are early: check-in for your appointment opens at %(time)s. Please come back then."),
    "too_late": N_("The time of your appointment has passed. You can take a walk-in ticket instead."),
    "cancelled": N_("This appointment was cancelled. You can take a walk-in ticket, or book a new "
                    "appointment on eConsulat."),
    "moved": N_("This appointment was moved to %(date)s at %(time)s. Please come back then."),
    "unknown_service": N_("This appointment is for a service this kiosk does not offer. Please go to the "
                          "reception desk."),
    "unknown_reference": N_("We cannot find this booking reference. Please go to the reception desk with "
                            "your appointment confirmation."),
}
TOKEN_REASONS = {"malformed": "forged", "bad_signature": "forged", "unknown_key": "unknown_key",
                 "key_not_valid": "expired", "expired": "expired"}


def refuse(reason: str, details: dict[str, Any] | None = None, **params: object) -> AppointmentRefused:
    error = AppointmentRefused(f"appointment_{reason}", SENTENCES[reason], details, **params)
    if reason == "unknown_reference":
        error.status = NotFound.status
    elif reason in ("forged", "expired", "unknown_key"):
        error.status = InvalidInput.status
    return error


def verify_code(site: Site, code: str) -> ScanResult | None:
    """The scan verifier (core.scans.register_verifier): None when the code is not an appointment token."""
    if not tokens.is_token(code):
        return None
    moment = now()
    try:
        claims = tokens.verify(code, keyring.keys(site.store.read()), moment)
    except tokens.TokenError as error:
        raise refuse(TOKEN_REASONS.get(error.reason, "forged")) from None
    if claims.site != site.config.site_id:
        raise refuse("other_site")
    return check_in(site, lambda db: _known_or_token(db, site, claims), moment)


def check_in_reference(site: Site, reference: str) -> ScanResult:
    """A booking reference typed on the kiosk's keypad (a damaged QR): only a synced appointment is found."""
    def find(db: sqlite_utils.Database) -> tuple[Appointment, bool]:
        found = appointments.by_reference(db, reference)
        if found is None or found.site != site.config.site_id:
            raise refuse("unknown_reference")
        return found, False
    return check_in(site, find, now())


Finder = Callable[[sqlite_utils.Database], tuple[Appointment, bool]]


def check_in(site: Site, find: Finder, moment: datetime) -> ScanResult:
    """Check the appointment against the site's rules and issue its ticket, in one transaction with its
    journal events; an appointment already checked in gives its ticket again (no second ticket)."""
    with site.change() as (db, events):
        appointment, moved = find(db)
        if appointment.ticket_id:
            return _result(site, db, appointment, new=False)
        _check_rules(site, appointment, moment, moved)
        ticket, issued = tickets.issue(
            db, site.config, service=_service(site, appointment), kind=KIND,
            lang=_language(site, appointment), actor="kiosk:checkin", slot_at=appointment.slot_start,
            appointment_ref=appointment.id)
        appointments.mark_checked_in(db, appointment, ticket.id, utc_iso(moment))
        data = {"appointment": appointment.reference, "number": ticket.number, "persons": appointment.persons,
                "services": list(appointment.services), "source": appointment.source,
                "slot_start": appointment.slot_start}
        events.append(journal.append(db, "appointment.checked_in", "kiosk:checkin", data, ticket.id))
        events.append(issued)
        return _result(site, db, appointments.get(db, appointment.id) or appointment, new=True)


def _result(site: Site, db: sqlite_utils.Database, appointment: Appointment, new: bool) -> ScanResult:
    issued = site.issued(db, tickets.get(db, str(appointment.ticket_id)), replayed=not new)
    return ScanResult(KIND, issued, {"appointment": appointment.public(), "checked_in": new})


def _known_or_token(db: sqlite_utils.Database, site: Site,
                    claims: tokens.AppointmentClaims) -> tuple[Appointment, bool]:
    """The appointment and whether the central moved it since the token was issued. The synced row when it is
    as new as the token; else the token's own (stored, and replaced by the central's version at the next
    pull)."""
    known = appointments.get(db, claims.appointment_id)
    if known is not None and (known.version >= claims.version or known.ticket_id):
        return known, known.slot_start != utc_iso(claims.slot_start)
    row = appointments.validated(_claims_json(claims), site.config)
    return appointments.store_from_token(db, row), False


def _claims_json(claims: tokens.AppointmentClaims) -> dict[str, Any]:
    return {"id": claims.appointment_id, "reference": claims.reference, "site": claims.site,
            "services": list(claims.services), "slot_start": utc_iso(claims.slot_start),
            "slot_end": utc_iso(claims.slot_end), "persons": claims.persons, "lang": claims.lang,
            "status": "booked", "version": claims.version}


def _check_rules(site: Site, appointment: Appointment, moment: datetime, moved: bool) -> None:
    """Refuse what cannot be checked in now; a moved appointment is explained with its new slot."""
    config = site.config
    if appointment.status == "cancelled":
        raise refuse("cancelled")
    start = appointments.parse_utc(appointment.slot_start)
    opens = start - timedelta(minutes=int(config.policy["checkin_early_minutes"]))
    closes = start + timedelta(minutes=int(config.policy["checkin_late_minutes"]))
    on_time = appointment.day == site.today() and opens <= moment <= closes
    if moved and not on_time:
        raise refuse("moved", date=appointment.day, time=start.astimezone(config.tz).strftime("%H:%M"))
    if appointment.day != site.today():
        raise refuse("other_day", date=appointment.day)
    if moment < opens:
        raise refuse("too_early", time=opens.astimezone(config.tz).strftime("%H:%M"))
    if moment > closes:
        raise refuse("too_late", {"walk_in": _walk_in_service(site, appointment)})
    _service(site, appointment)


def _service(site: Site, appointment: Appointment) -> str:
    """The ticket's service: the first of the appointment's services that takes appointments here."""
    for code in appointment.services:
        service = site.config.services.get(code)
        if service is not None and KIND in service.kinds:
            return code
    raise refuse("unknown_service")


def _walk_in_service(site: Site, appointment: Appointment) -> str | None:
    for code in appointment.services:
        service = site.config.services.get(code)
        if service is not None and "walk_in" in service.kinds:
            return code
    return None


def _language(site: Site, appointment: Appointment) -> str:
    offered = site.config.site["languages"]
    lang = appointment.lang
    return lang if lang is not None and lang in offered else str(site.config.site["default_language"])
