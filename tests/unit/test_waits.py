"""People ahead and the first wait estimate: ahead × average service time ÷ open counters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core import waits
from core.states import Action

START = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


def issue(site, service: str = "passport", **extra):
    return site.issue_ticket(service=service, kind="walk_in", lang="fr", actor="test", **extra)


def test_people_ahead_counts_earlier_waiting_tickets_of_the_same_service(site, clock) -> None:
    clock.set(START)
    first = issue(site)
    issue(site, "cnie")  # another service: not ahead
    second = issue(site)
    third = issue(site)
    assert [first.people_ahead, second.people_ahead, third.people_ahead] == [0, 1, 2]
    site.cancel(first.ticket.id, actor="test")  # gone: no longer ahead
    assert site.ticket_view(third.ticket.id).people_ahead == 1


def test_estimate_uses_configured_average_and_counters(site, clock) -> None:
    clock.set(START)
    for _ in range(3):
        issue(site)
    fourth = issue(site)
    passport = site.config.services["passport"]
    serving = [c for c in site.config.counters.values() if "passport" in c.services]
    assert (passport.average_service_minutes, len(serving)) == (12, 3)
    # Nobody open yet: the counters configured for the service. 3 ahead × 12 min ÷ 3 counters.
    assert (fourth.people_ahead, fourth.wait_minutes) == (3, 12)


def test_estimate_divides_by_open_counters(site, clock, add_agent) -> None:
    clock.set(START)
    tickets = [issue(site) for _ in range(4)]
    site.open_counter(1, add_agent(site, "one"))
    assert site.ticket_view(tickets[3].ticket.id).wait_minutes == 3 * 12
    site.open_counter(2, add_agent(site, "two"))
    assert site.ticket_view(tickets[3].ticket.id).wait_minutes == 3 * 12 // 2
    site.open_counter(6, add_agent(site, "six"))  # does not serve passports: no change
    assert site.ticket_view(tickets[3].ticket.id).wait_minutes == 18


def test_estimate_rounds_up(site, clock) -> None:
    clock.set(START)
    issue(site, "cnie")  # 10 minutes each, counters 1-3
    second = issue(site, "cnie")
    assert second.wait_minutes == 4  # 1 × 10 ÷ 3 = 3.33…


def test_nobody_ahead_means_no_wait(site) -> None:
    assert issue(site).wait_minutes == 0


def test_measured_service_times_replace_the_configured_one(site, clock, add_agent) -> None:
    clock.set(START, step=timedelta(0))
    agent = add_agent(site)
    site.open_counter(1, agent)
    for _ in range(waits.MIN_SAMPLES):
        issue(site)
    for _ in range(waits.MIN_SAMPLES):
        ticket = site.call_next(1, agent)
        site.act(ticket.id, Action.START, 1, agent)
        clock.advance(timedelta(minutes=4))
        site.act(ticket.id, Action.FINISH, 1, agent)
    average = waits.average_service_minutes(site.store.read(), site.config, "passport", site.today())
    assert round(average, 3) == 4.0
    clock.set(START + timedelta(hours=1))
    issue(site)
    late = issue(site)
    assert late.wait_minutes == 4  # 1 ahead × 4 measured minutes ÷ 1 open counter


def test_waiting_counts_cover_every_service(site) -> None:
    issue(site)
    issue(site)
    issue(site, "legalisation")
    counts = site.waiting_counts()
    assert set(counts) == set(site.config.services)
    assert (counts["passport"], counts["legalisation"], counts["cnie"]) == (2, 1, 0)


def test_estimate_counts_a_counter_only_for_the_services_it_takes_today(site, clock, add_agent) -> None:
    """A supervisor's change of a counter's services for the day (core/floor_control.py) changes the
    capacity the estimate divides by, both ways: counter 6 (legalisation, by configuration) taking passports
    today counts for them, counter 1 no longer taking them does not."""
    from core import floor_control

    clock.set(START)
    tickets = [issue(site) for _ in range(4)]
    site.open_counter(1, add_agent(site, "one"))
    site.open_counter(6, add_agent(site, "six"))
    assert site.ticket_view(tickets[3].ticket.id).wait_minutes == 3 * 12  # counter 1 only
    site.control_floor(floor_control.set_counter_services, actor="user:1", counter=6,
                       services=["passport", "legalisation"], reason="Queue at passports")
    assert site.ticket_view(tickets[3].ticket.id).wait_minutes == 3 * 12 // 2  # counters 1 and 6
    site.control_floor(floor_control.set_counter_services, actor="user:1", counter=1, services=["cnie"],
                       reason="Identity cards only")
    assert site.ticket_view(tickets[3].ticket.id).wait_minutes == 3 * 12  # counter 6 only


def test_before_any_counter_opens_the_estimate_divides_by_the_counters_taking_it_today(site, clock) -> None:
    from core import floor_control

    clock.set(START)
    site.control_floor(floor_control.set_counter_services, actor="user:1", counter=3, services=["cnie"],
                       reason="Identity cards only")
    tickets = [issue(site) for _ in range(4)]
    assert tickets[3].wait_minutes == 3 * 12 // 2  # counters 1 and 2, not 3 any more
    tomorrow = START + timedelta(days=1)
    clock.set(tomorrow)
    later = [issue(site) for _ in range(4)]
    assert later[3].wait_minutes == 3 * 12 // 3  # the change was for one day only
