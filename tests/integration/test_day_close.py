"""Closing the day: leftovers end as the consulate decides, appointments never checked in are missed, open
payments become exceptions, counters close, and the summary is kept and journaled; a second close changes
nothing. The supervisor's page asks before ending tickets still at a counter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core import appointments, day_cli, day_close, journal, payments
from core.cli import main
from core.errors import InvalidInput
from core.site import Site
from core.states import Action

MORNING = datetime(2025, 6, 2, 7, 0, tzinfo=UTC)  # 09:00 in Paris


def book(site: Site, appointment_id: str, slot: str) -> None:
    row = appointments.validated({
        "id": appointment_id, "reference": f"RDV-{appointment_id}", "site": site.config.site_id,
        "services": ["passport"], "slot_start": slot, "slot_end": slot.replace(":00:00Z", ":15:00Z"),
        "persons": 1, "status": "booked", "version": 1}, site.config)
    with site.store.write() as db:
        appointments.store_from_central(db, row, "central")


def busy_day(site: Site, clock: Any, agent: dict[str, Any]) -> None:
    """Four walk-ins (one at the counter after a 10 min wait, three waiting), a missed appointment, and a
    payment whose outcome is unknown."""
    clock.set(MORNING)
    issued = [site.issue_ticket(service="passport", kind="walk_in", lang="fr", actor="kiosk:k").ticket
              for _ in range(4)]
    book(site, "missed-1", "2025-06-02T08:00:00Z")
    site.open_counter(1, agent)
    clock.advance(timedelta(minutes=10))
    first = site.call_next(1, agent)
    assert first is not None and first.id == issued[0].id
    site.act(first.id, Action.START, 1, agent)
    with site.change() as (db, events):
        payments.create(db, reference="PAY-UNKNOWN", terminal="hall-1", amount_minor=750, currency="EUR",
                        lang="fr", day="2025-06-02", actor="kiosk:hall-1")
        payments.move(db, "PAY-UNKNOWN", "sent", "kiosk:hall-1")
        payments.move(db, "PAY-UNKNOWN", "unknown", "kiosk:hall-1")


def test_closing_ends_leftovers_misses_appointments_and_keeps_the_summary(site: Site, clock: Any,
                                                                          add_agent: Any) -> None:
    agent = add_agent(site)
    busy_day(site, clock, agent)
    clock.advance(timedelta(hours=8))
    before = journal.last_seq(site.store.read())

    closing = day_close.close_day(site, leftover="no_show", actor="user:9", force=True)

    summary = closing.summary
    assert not closing.already_closed and summary["closed_by"] == "user:9"
    assert summary["leftovers"] == {"waiting": 3, "called": 0, "serving": 1}
    assert summary["tickets"]["issued"] == 4 and summary["tickets"]["no_show"] == 4 == summary["no_shows"]
    assert summary["tickets"]["by_service"]["passport"]["walk_in"]["no_show"] == 4
    assert summary["waits"]["all"]["count"] == 1
    assert summary["waits"]["all"]["p50"] == pytest.approx(10, abs=0.1)
    assert summary["appointments"] == {"total": 1, "cancelled": 0, "checked_in": 0, "missed": 1}
    assert summary["payments"]["by_operation"]["payment"]["unknown"] == {"count": 1, "amount_minor": 750,
                                                                         "currency": "EUR"}
    assert [item["kind"] for item in summary["payments"]["open_exceptions"]] == ["unsettled"]
    assert summary["counters_closed"] == [1] and site.open_counters() == {}
    events = journal.since(site.store.read(), before)
    types = [event.type for event in events]
    assert types.count("ticket.closed") == 4 and types.count("appointment.no_show") == 1
    assert "payment.exception" in types and "counter.closed" in types and types[-1] == "day.closed"
    assert {event.actor for event in events} == {"user:9"}
    assert events[-1].data["summary"] == summary

    after = journal.last_seq(site.store.read())
    again = day_close.close_day(site, leftover="carry", actor="user:10")
    assert again.already_closed and again.summary == summary
    assert journal.last_seq(site.store.read()) == after


def test_carried_tickets_are_listed_the_next_day_without_a_ticket(site: Site, clock: Any) -> None:
    clock.set(MORNING)
    site.issue_ticket(service="passport", kind="walk_in", lang="fr", actor="kiosk:k")
    site.issue_ticket(service="pickup", kind="pickup", lang="fr", actor="kiosk:k", priority=True)
    closing = day_close.close_day(site, leftover="carry", actor="user:9")
    assert closing.summary["tickets"]["carried"] == 2 and closing.summary["tickets"]["cancelled"] == 0
    db = site.store.read()
    assert day_close.carried_list(db, "2025-06-02")["tickets"] == []  # not on the day itself
    carried = day_close.carried_list(db, "2025-06-05")  # the next opening day, after a weekend
    assert carried["from_day"] == "2025-06-02"
    assert [row["number"] for row in carried["tickets"]] == ["P-001", "A-001"]  # priority first
    clock.set(MORNING + timedelta(days=1))
    assert site.waiting_counts() == {} or sum(site.waiting_counts().values()) == 0


def test_a_day_not_come_yet_or_malformed_is_refused(site: Site, clock: Any) -> None:
    clock.set(MORNING)
    for day in ("2025-06-03", "02/06/2025"):
        with pytest.raises(InvalidInput):
            day_close.close_day(site, day=day, leftover="no_show", actor="user:9")
    with pytest.raises(InvalidInput):
        day_close.close_day(site, leftover="keep", actor="user:9")


def test_the_supervisor_confirms_before_tickets_at_a_counter_end(app: Any, app_site: Site, clock: Any,
                                                                  add_agent: Any,
                                                                  supervisor_client: Any) -> None:
    clock.set(datetime.now(UTC).replace(hour=10, minute=0))
    agent = add_agent(app_site)
    app_site.issue_ticket(service="passport", kind="walk_in", lang="fr", actor="kiosk:k")
    app_site.open_counter(1, agent)
    app_site.call_next(1, agent)
    boss = supervisor_client(app)
    view = boss.get("/api/supervisor/day-close").get_json()
    assert view["closed"] is False and view["leftovers"] == {"waiting": 0, "called": 1, "serving": 0}

    refused = boss.post("/api/supervisor/day-close", json={"leftover": "no_show", "lang": "fr"})
    assert refused.status_code == 409 and refused.get_json()["error"] == "confirmation_needed"
    assert "guichet" in refused.get_json()["message"]
    done = boss.post("/api/supervisor/day-close", json={"leftover": "no_show", "force": True})
    assert done.status_code == 200 and done.get_json()["summary"]["leftovers"]["called"] == 1
    again = boss.post("/api/supervisor/day-close", json={"leftover": "carry"}).get_json()
    assert again["already_closed"] and again["summary"] == done.get_json()["summary"]
    assert boss.get("/api/supervisor/day-close").get_json()["summary"] == again["summary"]
    agent_client = app.test_client()
    agent_client.post("/api/auth/login", json={"username": "agent1", "password": "correct horse battery"})
    assert agent_client.post("/api/supervisor/day-close", json={"leftover": "no_show"}).status_code == 403


def test_the_command_closes_a_day_and_asks_for_force(tmp_path: Any, capsys: Any) -> None:
    database = str(tmp_path / "cli.db")
    assert main(["--database", database, "close-day", "--day", "2025-06-02"]) == 0
    assert "day 2025-06-02 closed" in capsys.readouterr().out
    assert main(["--database", database, "close-day", "--day", "2025-06-02", "--leftover", "carry"]) == 0
    assert "already closed: nothing changed" in capsys.readouterr().out
    assert main(["--database", database, "purge"]) == 0
    assert day_cli.LEFTOVER_CHOICES == day_close.LEFTOVER_CHOICES
