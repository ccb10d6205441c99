"""Appointment check-in at the kiosk: a signed QR verified offline, every refusal with nothing changed, one
ticket per appointment, the booking-reference keypad, and a synced appointment's newer version deciding."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core import appointments, keyring
from sync import tokens

SCANS = "/api/kiosk/scans"
KEYPAD = "/api/kiosk/appointments/check-in"
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # 10:00 in Paris
KEY = tokens.new_private_key()
OTHER_KEY = tokens.new_private_key()


def signing_key(kid: str = "k1", private: Any = KEY, days: int = 30) -> tokens.SigningKey:
    return tokens.SigningKey(kid, tokens.public_bytes(private), NOW - timedelta(days=days),
                             NOW + timedelta(days=days))


def claims(**changes: Any) -> tokens.AppointmentClaims:
    start = changes.pop("start", NOW + timedelta(minutes=20))
    base = tokens.AppointmentClaims(
        appointment_id="apt_0001", reference="RDV-7K3Q9M", site="ma-paris", services=("passport",),
        slot_start=start, slot_end=start + timedelta(minutes=15), persons=1, lang="fr", version=1,
        issued_at=NOW - timedelta(days=3), expires_at=start + timedelta(days=1))
    return replace(base, **changes)


def token(private: Any = KEY, kid: str = "k1", **changes: Any) -> str:
    return tokens.sign(claims(**changes), private, kid)


def auth(kiosk_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {kiosk_token}"}


@pytest.fixture
def kiosk(app_site: Any, client: Any, kiosk_token: str, clock: Any) -> Any:
    """The app's kiosk API at 10:00 Paris time, with the central's key cached."""
    clock.set(NOW, step=timedelta(0))
    with app_site.store.write() as db:
        keyring.store(db, [signing_key()], NOW)

    def scan(code: str, lang: str = "fr") -> Any:
        return client.post(SCANS, json={"code": code, "lang": lang}, headers=auth(kiosk_token))

    def keypad(reference: str, lang: str = "fr") -> Any:
        return client.post(KEYPAD, json={"reference": reference, "lang": lang}, headers=auth(kiosk_token))

    scan.keypad = keypad  # type: ignore[attr-defined]
    return scan


def synced(site: Any, **changes: Any) -> None:
    """Store the central's version of the appointment, as the sync worker does."""
    item = {"id": "apt_0001", "reference": "RDV-7K3Q9M", "site": "ma-paris", "services": ["passport"],
            "slot_start": "2026-12-02T09:20:00Z", "slot_end": "2026-12-02T09:35:00Z", "persons": 1,
            "lang": "fr", "applicant": "APL-5D2F9A1C", "documents": ["photo"], "status": "booked",
            "version": 1}
    item.update(changes)
    with site.store.write() as db:
        appointments.store_from_central(db, appointments.validated(item, site.config), "central")


def test_a_valid_code_checks_in_once_and_shows_the_slot(kiosk: Any, app_site: Any, site_state: Any) -> None:
    first = kiosk(token())
    assert first.status_code == 201, first.get_json()
    data = first.get_json()
    assert data["kind"] == "appointment" and data["data"]["checked_in"] is True
    assert data["ticket"]["kind"] == "appointment"
    assert data["ticket"]["slot_at"] == "2026-12-02T09:20:00.000000Z"
    state = site_state(app_site)
    again = kiosk(token())  # the same code again: the same ticket, nothing new
    assert again.status_code == 200 and again.get_json()["ticket"]["id"] == data["ticket"]["id"]
    assert again.get_json()["data"]["checked_in"] is False
    assert site_state(app_site) == state
    types = [e.type for e in app_site.events_since(0, 100)]
    assert types.count("appointment.checked_in") == 1 and types.count("ticket.issued") == 1


def test_the_check_in_answer_offers_the_appointments_fees_once(kiosk: Any) -> None:
    """The kiosk offers to pay them now by card or at the counter (the ticket came first, unpaid)."""
    first = kiosk(token(), lang="fr").get_json()
    assert first["fees"]["total"] == "60,00\u00a0€" and first["fees"]["items"][0]["code"] == "passport_stamp"
    assert "fees" not in kiosk(token(), lang="fr").get_json()  # shown again: no offer (it may be paid)
    free = kiosk(token(appointment_id="apt_0002", reference="RDV-7K3Q9N", services=("civil_status",)))
    assert free.status_code == 201 and free.get_json()["fees"] is None


def test_an_unsynced_appointment_is_accepted_from_its_token_and_reconciled(kiosk: Any, app_site: Any) -> None:
    assert kiosk(token()).status_code == 201
    row = appointments.get(app_site.store.read(), "apt_0001")
    assert row is not None and row.source == "token" and row.applicant is None and row.ticket_id
    synced(app_site)  # the central's version arrives: it replaces the token's, the check-in stays
    row = appointments.get(app_site.store.read(), "apt_0001")
    assert row is not None and row.source == "sync" and row.applicant == "APL-5D2F9A1C" and row.ticket_id


REFUSED = {
    "forged": lambda: token(private=OTHER_KEY),
    "unknown_key": lambda: token(kid="k9"),
    "expired": lambda: token(expires_at=NOW - timedelta(minutes=1)),
    "other_site": lambda: token(site="ma-lyon"),
    "other_day": lambda: token(start=NOW + timedelta(days=1)),
    "too_early": lambda: token(start=NOW + timedelta(minutes=90)),
    "too_late": lambda: token(start=NOW - timedelta(minutes=45)),
}


@pytest.mark.parametrize("reason", sorted(REFUSED))
def test_each_bad_code_is_refused_in_the_visitors_language_and_changes_nothing(
        kiosk: Any, app_site: Any, site_state: Any, reason: str) -> None:
    before = site_state(app_site)
    french, arabic = kiosk(REFUSED[reason]()), kiosk(REFUSED[reason](), lang="ar")
    assert french.status_code in (400, 409)
    assert french.get_json()["error"] == f"appointment_{reason}"
    assert french.get_json()["message"] != arabic.get_json()["message"]  # each in its language
    assert site_state(app_site) == before
    assert appointments.get(app_site.store.read(), "apt_0001") is None or reason in ("other_day", "too_early",
                                                                                     "too_late")


def test_too_late_offers_a_walk_in_ticket_for_the_service(kiosk: Any) -> None:
    refused = kiosk(token(start=NOW - timedelta(minutes=45))).get_json()
    assert refused["details"] == {"walk_in": "passport"}


def test_a_truncated_or_mutated_code_is_refused(kiosk: Any, app_site: Any, site_state: Any) -> None:
    good = token()
    before = site_state(app_site)
    for bad in (good[:-5], good[:4] + good[5:], good.replace(good[10], "Z" if good[10] != "Z" else "Y", 1)):
        answer = kiosk(bad)
        assert answer.status_code == 400 and answer.get_json()["error"] == "appointment_forged"
    assert site_state(app_site) == before


def test_a_cancelled_appointment_is_refused(kiosk: Any, app_site: Any, site_state: Any) -> None:
    synced(app_site, status="cancelled", version=2)
    before = site_state(app_site)
    answer = kiosk(token())
    assert answer.get_json()["error"] == "appointment_cancelled" and site_state(app_site) == before


def test_a_moved_appointment_says_when(kiosk: Any, app_site: Any) -> None:
    synced(app_site, slot_start="2026-12-03T14:00:00Z", slot_end="2026-12-03T14:15:00Z", version=2)
    answer = kiosk(token()).get_json()
    assert answer["error"] == "appointment_moved"
    assert "2026-12-03" in answer["message"] and "15:00" in answer["message"]


def test_a_move_within_todays_window_checks_in_at_the_new_slot(kiosk: Any, app_site: Any) -> None:
    synced(app_site, slot_start="2026-12-02T09:40:00Z", slot_end="2026-12-02T09:55:00Z", version=2)
    answer = kiosk(token())
    assert answer.status_code == 201 and answer.get_json()["ticket"]["slot_at"].startswith("2026-12-02T09:40")


def test_the_keypad_finds_a_synced_appointment_and_nothing_else(kiosk: Any, app_site: Any,
                                                                site_state: Any) -> None:
    before = site_state(app_site)
    unknown = kiosk.keypad("RDV-AAAAAA")
    assert unknown.status_code == 404 and unknown.get_json()["error"] == "appointment_unknown_reference"
    assert site_state(app_site) == before
    synced(app_site)
    found = kiosk.keypad(" rdv-7k3q9m ")
    assert found.status_code == 201 and found.get_json()["ticket"]["kind"] == "appointment"
    assert kiosk.keypad("RDV-7K3Q9M").status_code == 200  # again: the same ticket


def test_family_appointment_keeps_its_persons_for_the_agent(kiosk: Any, app_site: Any) -> None:
    synced(app_site, persons=4)
    ticket = kiosk(token(persons=4)).get_json()["ticket"]
    row = appointments.for_ticket(app_site.store.read(), ticket["id"])
    assert row is not None and row.persons == 4 and row.for_agent()["documents"] == ["photo"]


def test_no_shows_after_the_grace_period(app_site: Any, clock: Any) -> None:
    clock.set(NOW, step=timedelta(0))
    synced(app_site)
    synced(app_site, id="apt_0002", reference="RDV-222222", slot_start="2026-12-02T08:00:00Z",
           slot_end="2026-12-02T08:15:00Z")
    with app_site.store.write() as db:
        events = appointments.mark_no_shows(db, app_site.config, NOW, "sync")
        assert appointments.mark_no_shows(db, app_site.config, NOW, "sync") == []  # once only
    assert [e.data["appointment"] for e in events] == ["RDV-222222"]


def test_a_change_after_check_in_warns_the_counter(kiosk: Any, app_site: Any) -> None:
    synced(app_site)
    ticket = kiosk(token()).get_json()["ticket"]
    synced(app_site, status="cancelled", version=2)
    warning = [e for e in app_site.events_since(0, 100) if e.type == "appointment.changed"]
    assert len(warning) == 1 and warning[0].ticket_id == ticket["id"]
    assert warning[0].data["status"] == "cancelled"


def test_a_display_hears_the_call_but_never_the_appointment(kiosk: Any, app: Any, client: Any,
                                                           display_token: str, app_site: Any) -> None:
    socketio = app.extensions["socketio"]
    live = socketio.test_client(app, namespace="/display", auth={"token": display_token},
                                flask_test_client=client)
    kiosk(token())
    later = socketio.test_client(app, namespace="/display", auth={"token": display_token, "last_seq": 0},
                                 flask_test_client=client)
    for socket in (live, later):
        types = [m["args"][0].get("type") for m in socket.get_received("/display") if m["name"] == "event"]
        assert types == ["ticket.issued"]
    assert "appointment.checked_in" in [e.type for e in app_site.events_since(0, 100)]


def test_a_family_ahead_counts_its_persons_in_the_wait(kiosk: Any, app_site: Any, clock: Any) -> None:
    synced(app_site, persons=4)
    assert kiosk(token(persons=4)).status_code == 201
    clock.advance(timedelta(seconds=1))
    walk_in = app_site.issue_ticket(service="passport", kind="walk_in", lang="fr", actor="test")
    minutes = app_site.config.service("passport").average_service_minutes
    counters = len([c for c in app_site.config.counters.values() if "passport" in c.services])
    assert walk_in.people_ahead == 1
    assert walk_in.wait_minutes == -(-4 * minutes // counters)  # four persons' service, not one
