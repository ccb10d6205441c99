"""The daily report sent to the central (core/daily_report.py): the figures of a closed day worked out by
hand, nothing for a day still open, nobody's data in it, and a new content after a late correction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from core import daily_report, day_close, payments
from core.site import Site
from core.states import Action

START = datetime(2025, 3, 10, 8, 0, tzinfo=UTC)  # 09:00 in Paris


def at(minutes: int) -> datetime:
    return START + timedelta(minutes=minutes)


def approve(site: Site, reference: str) -> None:
    """A passport fee paid at a kiosk's terminal and approved (what the kiosk's payment flow journals)."""
    with site.change() as (db, events):
        events.append(payments.create(
            db, reference=reference, terminal="term-1", amount_minor=6000, currency="EUR", lang="fr",
            day=site.today(), actor="device:hall-1", kiosk="hall-1", service="passport",
            items=[{"code": "passport_stamp", "amount_minor": 6000}])[1])
        for state, facts in (("sent", {}), ("approved", {"auth_code": "A12345"})):
            events.append(payments.move(db, reference, state, "device:hall-1", **facts)[1])


def a_day(site: Site, clock: Any, agent: dict[str, Any]) -> None:
    """Three passport walk-ins called after 10, 22 and 45 minutes (served 12 and 8 minutes, then a no-show);
    an identity card walk-in never called; a printer out of paper for 20 minutes; one fee paid."""
    clock.set(START, step=timedelta(0))
    for _ in range(3):
        site.issue_ticket(service="passport", kind="walk_in", lang="fr", actor="kiosk:hall-1")
    site.open_counter(1, agent)
    clock.set(at(5), step=timedelta(0))
    site.report_device_health("printer:hall-1", "printer", "offline", "paper_out")
    for called, served in ((10, 12), (22, 8)):
        clock.set(at(called), step=timedelta(0))
        ticket = site.call_next(1, agent)
        assert ticket is not None
        site.act(ticket.id, Action.START, 1, agent)
        clock.set(at(called + served), step=timedelta(0))
        site.act(ticket.id, Action.FINISH, 1, agent)
    clock.set(at(25), step=timedelta(0))
    site.report_device_health("printer:hall-1", "printer", "ok", "")
    clock.set(at(45), step=timedelta(0))
    third = site.call_next(1, agent)
    assert third is not None
    site.act(third.id, Action.NO_SHOW, 1, agent)
    clock.set(at(60), step=timedelta(0))
    site.issue_ticket(service="cnie", kind="walk_in", lang="ar", actor="kiosk:hall-1")
    approve(site, "PAY-SECRET-1")


def build(site: Site) -> dict[str, Any] | None:
    with site.store.reading() as db:
        return daily_report.build(db, site.config, site.today())


def test_the_report_of_a_closed_day_has_its_figures_and_nobodys_data(site: Site, clock: Any,
                                                                      add_agent: Any) -> None:
    a_day(site, clock, add_agent(site, "amina"))
    assert build(site) is None  # not closed: no report
    clock.set(at(180), step=timedelta(0))
    day_close.close_day(site, leftover="no_show", actor="user:1", force=True)
    clock.set(at(200), step=timedelta(0))
    site.report_device_health("printer:hall-1", "printer", "offline", "cover_open")  # after the close
    report = build(site)
    assert report is not None
    assert (report["schema"], report["schema_version"], report["site"], report["day"]) == (
        "dour.daily-report", 1, "ma-paris", "2025-03-10")
    tickets = report["tickets"]
    passport = next(row for row in tickets["by_service_kind"] if row["service"] == "passport")
    assert (passport["kind"], passport["issued"], passport["served"], passport["no_show"]) == (
        "walk_in", 3, 2, 1)
    assert passport["waits"] == {"count": 3, "p50": 22.0, "p90": 45.0, "max": 45.0, "mean": 25.7,
                                 "within_target": 0.667}  # target 30 min: 10 and 22 within, 45 not
    assert passport["service_times"] == {"count": 2, "p50": 8.0, "p90": 12.0, "max": 12.0, "mean": 10.0}
    cnie = next(row for row in tickets["by_service"] if row["service"] == "cnie")
    assert (cnie["issued"], cnie["no_show"], cnie["waits"]["count"], cnie["waits"]["within_target"]) == (
        1, 1, 0, None)
    assert cnie["target_wait_minutes"] == site.config.services["cnie"].target_wait_minutes
    assert (tickets["all"]["issued"], tickets["all"]["served"], tickets["all"]["no_show"]) == (4, 2, 2)
    assert report["payments"]["fee_items"] == [
        {"code": "passport_stamp", "currency": "EUR", "count": 1, "amount_minor": 6000, "reversed_count": 0,
         "reversed_minor": 0}]
    assert report["devices"] == [{"device": "printer:hall-1", "incidents": 1, "minutes": 20.0,
                                  "reasons": ["paper_out"], "print_failures": 0}]  # the close ends the count
    text = daily_report.canonical(report).decode()
    ticket_ids = [row[0] for row in site.store.read().execute("SELECT id FROM tickets")]
    for secret in [*ticket_ids, "A-001", "PAY-SECRET-1", "A12345", "Amina", "amina", '"ar"', '"fr"']:
        assert secret not in text


def test_the_same_rows_give_the_same_content_and_a_correction_another(site: Site, clock: Any,
                                                                      add_agent: Any) -> None:
    a_day(site, clock, add_agent(site, "amina"))
    clock.set(at(180), step=timedelta(0))
    day_close.close_day(site, leftover="no_show", actor="user:1", force=True)
    first = build(site)
    assert first is not None and daily_report.sha256(first) == daily_report.sha256(build(site) or {})
    with site.change() as (db, events):  # the fee is voided the next morning: a late correction
        _, voided = payments.move(db, "PAY-SECRET-1", "voided", "user:1")
        events.append(voided)
    second = build(site)
    assert second is not None and daily_report.sha256(second) != daily_report.sha256(first)
    assert second["payments"]["fee_items"][0]["reversed_count"] == 1
