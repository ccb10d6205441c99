"""Retention (docs/privacy.md): a visitor's identifiers are pseudonymised a day after and purged after at most
30 days, in the tables, in the journal's JSON and in the bytes of the database file and its WAL; what the
central has not acknowledged yet is held until it has."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core import appointments, day_summary, journal, payments, retention
from core.site import Site
from core.store import connect

MORNING = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)  # 10:00 in Paris
SECRETS = ("APPL-SECRET-123", "RDV-SECRET-456", "DOC-SECRET-789", "REQKEY-SECRET-321", "PAYREF-SECRET-1",
           "AUTHSECRET9", "ETIMBRE-SECRET-5", "4917")


def seed_visitor(site: Site) -> str:
    """An appointment checked in, its ticket, and its fee paid by card: every identifier in SECRETS."""
    row = appointments.validated({
        "id": "appt-secret-id-1", "reference": "RDV-SECRET-456", "site": site.config.site_id,
        "services": ["passport"], "slot_start": "2025-06-02T08:30:00Z", "slot_end": "2025-06-02T08:45:00Z",
        "persons": 1, "lang": "ar", "applicant": "APPL-SECRET-123", "documents": ["DOC-SECRET-789"],
        "status": "booked", "version": 1}, site.config)
    with site.store.write() as db:
        appointments.store_from_central(db, row, "central")
    ticket = site.issue_ticket(service="passport", kind="appointment", lang="ar", actor="kiosk:hall-1",
                               request_key="REQKEY-SECRET-321", appointment_ref="appt-secret-id-1").ticket
    with site.change() as (db, events):
        appointment = appointments.get(db, "appt-secret-id-1")
        assert appointment is not None
        appointments.mark_checked_in(db, appointment, ticket.id, "2025-06-02T08:01:00Z")
        journal.append(db, "appointment.checked_in", "kiosk:checkin",
                       {"appointment": "RDV-SECRET-456", "number": ticket.number}, ticket.id)
        payments.create(db, reference="PAYREF-SECRET-1", terminal="hall-1", amount_minor=6000, currency="EUR",
                        lang="ar", day=ticket.day, actor="kiosk:hall-1", ticket_id=ticket.id)
        payments.move(db, "PAYREF-SECRET-1", "sent", "kiosk:hall-1")
        payments.move(db, "PAYREF-SECRET-1", "approved", "kiosk:hall-1", auth_code="AUTHSECRET9",
                      card_last4="4917")
        payments.set_etimbre(db, "PAYREF-SECRET-1", "ETIMBRE-SECRET-5", "central")
    return ticket.id


def found_in_files(path: Path, values: tuple[str, ...]) -> dict[str, list[str]]:
    """Which of `values` appear in the raw bytes of the database file and of its WAL."""
    found = {}
    for name in (path, Path(f"{path}-wal")):
        data = name.read_bytes() if name.exists() else b""
        found[name.name] = [value for value in values if value.encode() in data]
    return found


def test_after_the_purge_nothing_identifying_remains_in_the_file_or_the_wal(site: Site, clock: Any) -> None:
    clock.set(MORNING)
    ticket_id = seed_visitor(site)
    path = Path(site.store.path)
    assert found_in_files(path, SECRETS)[f"{path.name}-wal"]  # the values really are on disk before

    clock.set(MORNING + timedelta(days=site.config.policy["purge_days"] + 1))
    report = retention.run(site)

    assert report.closed == ["2025-06-02"] and "2025-06-02" in report.purged
    assert report.checkpoint is not None and report.checkpoint[0] == 0  # the WAL was truncated
    check = connect(str(path))
    check.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    check.close()
    assert found_in_files(path, (*SECRETS, ticket_id)) == {path.name: [], f"{path.name}-wal": []}
    db = site.store.read()
    assert db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 0
    kept = day_summary.stored(db, "2025-06-02")
    assert kept is not None and kept["tickets"]["issued"] == 1 and kept["tickets"]["no_show"] == 1
    assert kept["payments"]["by_operation"]["payment"]["approved"]["amount_minor"] == 6000


def test_a_day_later_identifiers_are_pseudonyms_and_the_figures_still_join(site: Site, clock: Any) -> None:
    clock.set(MORNING)
    ticket_id = seed_visitor(site)
    clock.set(MORNING + timedelta(hours=12))
    assert retention.run(site).pseudonymised == []  # the day has not been over for 24 hours yet

    clock.set(MORNING + timedelta(days=2))
    report = retention.run(site)
    assert report.pseudonymised[0] == "2025-06-02" and report.purged == []
    db = site.store.read()
    ticket = db.execute("SELECT id, lang, request_key, appointment_ref, state FROM tickets").fetchone()
    assert ticket == ("~2025-06-02/A-001", "", None, ticket[3], "no_show")
    assert ticket[3].startswith("~2025-06-02/a")
    payment = db.execute("SELECT reference, ticket_id, card_last4, auth_code, etimbre, amount_minor, state "
                         "FROM payments").fetchone()
    assert payment[1:] == ("~2025-06-02/A-001", None, None, None, 6000, "approved")
    assert db.execute("SELECT reference, applicant, documents FROM appointments").fetchone() == (
        ticket[3], None, "[]")
    events = journal.for_ticket(db, "~2025-06-02/A-001")
    assert {event.type for event in events} >= {"ticket.issued", "payment.approved", "ticket.closed"}
    text = " ".join(row[0] for row in db.execute("SELECT data FROM journal").fetchall())
    assert not [value for value in (*SECRETS[:-1], ticket_id) if value in text]
    assert site.ticket_url("x")  # the /t/ link of a pseudonym cannot be routed: it holds a '/'


def test_events_the_central_has_not_acknowledged_are_held(make_site: Any, clock: Any) -> None:
    site = make_site(DOUR_SYNC_CENTRAL_URL="https://central.example")
    clock.set(MORNING)
    seed_visitor(site)
    clock.set(MORNING + timedelta(days=40))
    report = retention.run(site)
    assert report.held == "2025-06-02" and report.pseudonymised == [] and report.purged == []
    assert site.store.read().execute("SELECT COUNT(*) FROM tickets WHERE id LIKE '~%'").fetchone()[0] == 0

    def pushed() -> None:  # the worker pushed everything (sync/outbox.py keeps this position)
        with site.store.write() as db:
            db.execute("INSERT INTO sync_state (key, value) VALUES ('acked_seq', ?) ON CONFLICT (key) "
                       "DO UPDATE SET value = excluded.value", [journal.last_seq(db)])

    pushed()
    report = retention.run(site)  # the day is closed first; the close's own events wait for their push
    assert report.closed == ["2025-06-02"] and report.held == "2025-06-02" and report.pseudonymised == []
    pushed()
    report = retention.run(site)
    assert report.held is None and "2025-06-02" in report.pseudonymised and "2025-06-02" in report.purged


@pytest.mark.parametrize(("configured", "effective"), [("90", 30), ("10", 10), ("0", 1)])
def test_purge_days_is_capped_at_30_and_follows_the_pseudonymisation(make_site: Any, configured: str,
                                                                     effective: int) -> None:
    site = make_site(DOUR_POLICY_PURGE_DAYS=configured)
    assert retention.purge_days(site.config) == effective
