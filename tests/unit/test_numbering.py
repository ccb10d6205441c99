"""Ticket numbers: per prefix and per local day of the site, A-001 onwards."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core import numbering


def issue(site, service: str = "passport", kind: str = "walk_in"):
    return site.issue_ticket(service=service, kind=kind, lang="fr", actor="test").ticket


def test_format_number_pads_to_three_digits() -> None:
    assert numbering.format_number("A", 7) == "A-007"
    assert numbering.format_number("A", 1234) == "A-1234"


def test_allocate_counts_per_day_and_prefix(store) -> None:
    with store.write() as db:
        got = [numbering.allocate(db, "2025-01-15", "A") for _ in range(3)]
        other_prefix = numbering.allocate(db, "2025-01-15", "B")
        other_day = numbering.allocate(db, "2025-01-16", "A")
    assert got == [(1, "A-001"), (2, "A-002"), (3, "A-003")]
    assert other_prefix == (1, "B-001")
    assert other_day == (1, "A-001")


def test_numbers_follow_each_other_per_prefix(site) -> None:
    assert [issue(site).number for _ in range(3)] == ["A-001", "A-002", "A-003"]


def test_prefixes_are_independent(site) -> None:
    first_a = issue(site, "passport")
    first_b = issue(site, "cnie")
    first_p = issue(site, "pickup", "pickup")
    second_a = issue(site, "passport")
    assert [first_a.number, first_b.number, first_p.number, second_a.number] == [
        "A-001", "B-001", "P-001", "A-002"]


def test_numbering_restarts_on_a_new_day(site, clock) -> None:
    clock.set(datetime(2025, 3, 10, 10, 0, tzinfo=UTC))
    monday = [issue(site).number for _ in range(2)]
    clock.set(datetime(2025, 3, 11, 10, 0, tzinfo=UTC))
    tuesday = issue(site)
    assert monday == ["A-001", "A-002"]
    assert (tuesday.number, tuesday.day) == ("A-001", "2025-03-11")


@pytest.mark.parametrize(
    ("before", "after", "days"),
    [
        # Paris is UTC+1 in winter: local midnight is 23:00 UTC.
        (datetime(2025, 1, 15, 22, 59, 59, tzinfo=UTC), datetime(2025, 1, 15, 23, 0, 1, tzinfo=UTC),
         ("2025-01-15", "2025-01-16")),
        # and UTC+2 in summer: local midnight is 22:00 UTC.
        (datetime(2025, 7, 15, 21, 59, 59, tzinfo=UTC), datetime(2025, 7, 15, 22, 0, 1, tzinfo=UTC),
         ("2025-07-15", "2025-07-16")),
    ],
    ids=["winter", "summer"],
)
def test_midnight_in_the_site_time_zone_starts_a_new_day(site, clock, before, after, days) -> None:
    assert site.config.site["timezone"] == "Europe/Paris"
    clock.set(before)
    late = issue(site)
    clock.set(after)
    early = issue(site)
    assert (late.day, early.day) == days
    assert (late.number, early.number) == ("A-001", "A-001")


def test_utc_midnight_is_not_a_new_day_in_paris(site, clock) -> None:
    clock.set(datetime(2025, 1, 15, 23, 59, 59, tzinfo=UTC))
    late = issue(site)
    clock.set(datetime(2025, 1, 16, 0, 0, 1, tzinfo=UTC))
    early = issue(site)
    assert late.day == early.day == "2025-01-16"
    assert (late.number, early.number) == ("A-001", "A-002")


def test_site_in_another_time_zone(make_site, clock) -> None:
    montreal = make_site(DOUR_SITE_TIMEZONE="America/Montreal")
    assert montreal.config.site["timezone"] == "America/Montreal"
    # 23:00 UTC is 18:00 in Montreal (UTC-5 in winter): the same day, numbering goes on.
    clock.set(datetime(2025, 1, 15, 22, 59, 59, tzinfo=UTC))
    first = issue(montreal)
    clock.set(datetime(2025, 1, 15, 23, 0, 1, tzinfo=UTC))
    second = issue(montreal)
    assert (first.day, second.day) == ("2025-01-15", "2025-01-15")
    assert (first.number, second.number) == ("A-001", "A-002")
    # Montreal's midnight is 05:00 UTC.
    clock.set(datetime(2025, 1, 16, 4, 59, 59, tzinfo=UTC))
    before = issue(montreal)
    clock.set(datetime(2025, 1, 16, 5, 0, 1, tzinfo=UTC))
    after = issue(montreal)
    assert (before.day, after.day) == ("2025-01-15", "2025-01-16")
    assert (before.number, after.number) == ("A-003", "A-001")
