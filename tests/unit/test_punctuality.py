"""Whether and when a booked visitor not checked in yet will come (core/punctuality.py): today's check-ins
say it, and a visitor not here yet is less likely to come the later it gets."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from core import appointments, checkin
from core.clock import utc_iso
from core.punctuality import SHOW_RATE, Arrivals, Punctuality, read_punctuality

NOW = datetime(2025, 6, 10, 8, 0, tzinfo=UTC)  # 10:00 in Paris


def test_a_visitor_not_here_yet_is_less_likely_to_come_the_later_it_gets() -> None:
    """Four visitors in five come; of those, a quarter each 20 and 10 minutes early, on time and 10 minutes
    late. A slot an hour away: 80 %. A slot 5 minutes ago, its visitor not here: only the late quarter of
    the comers is left, 0.8 × 0.25 against the 0.2 who never come: 50 %. A slot 15 minutes ago: nobody
    came that late today, 0 %."""
    punctuality = Punctuality(0.8, (-20.0, -10.0, 0.0, 10.0))
    assert punctuality.still_to_come(60.0) == (pytest.approx(0.8), 0)
    assert punctuality.still_to_come(-5.0) == (pytest.approx(0.5), 3)
    assert punctuality.still_to_come(-15.0) == (0.0, 4)


def test_each_run_draws_who_comes_and_when_among_the_times_still_ahead() -> None:
    """A slot 5 minutes ago: its visitor, if they come, comes at +10 (5 minutes from now), the only check-in
    time still ahead; a slot in 30 minutes: at 10, 20, 30 or 40 minutes from now. Seeded: the same draws."""
    arrivals = Arrivals(Punctuality(0.8, (-20.0, -10.0, 0.0, 10.0)), [(7, -5.0), (8, 30.0)])
    draws = [arrivals.draw(random.Random(seed)) for seed in range(200)]
    assert {arrived[7] for _absent, arrived in draws if 7 in arrived} == {5.0}
    assert {arrived[8] for _absent, arrived in draws if 8 in arrived} == {10.0, 20.0, 30.0, 40.0}
    assert 0.35 < sum(7 in arrived for _absent, arrived in draws) / 200 < 0.65
    assert draws == [arrivals.draw(random.Random(seed)) for seed in range(200)]


def test_without_check_in_times_every_visitor_is_there_when_due() -> None:
    """Before today's figures, SHOW_RATE come, each there as soon as the slot can be called (no arrival)."""
    arrivals = Arrivals(Punctuality(), [(0, -5.0), (1, 30.0)])
    absent, arrived = arrivals.draw(random.Random(1))
    assert arrived == {} and set(absent) <= {0, 1}
    assert Punctuality().still_to_come(-5.0) == (SHOW_RATE, 0)


def book(site, key: str, slot: datetime) -> None:
    item = {"id": key, "reference": f"RDV-{key}", "site": site.config.site_id, "services": ["passport"],
            "slot_start": utc_iso(slot), "slot_end": utc_iso(slot + timedelta(minutes=15)), "persons": 1,
            "lang": "fr", "status": "booked", "version": 1}
    with site.store.write() as db:
        appointments.store_from_central(db, appointments.validated(item, site.config), "central")


def test_todays_check_ins_give_the_show_rate_and_the_check_in_times(site, clock) -> None:
    """Twelve appointments, one every 5 minutes from 08:00 UTC; nine visitors check in, from 10 minutes
    early to 5 minutes late. Read at 09:30 (every check-in window closed: 30 minutes after the slot), the
    show rate is 9 in 12 and the check-in times are the nine offsets; with fewer than ten windows closed,
    the defaults."""
    offsets = [-10, -8, -6, -4, -2, 0, 1, 3, 5]
    for index in range(12):
        book(site, f"A{index:02d}", NOW + timedelta(minutes=5 * index))
    for index, offset in enumerate(offsets):
        clock.set(NOW + timedelta(minutes=5 * index + offset), step=timedelta(0))
        checkin.check_in_reference(site, f"RDV-A{index:02d}")
    late = float(site.config.policy["checkin_late_minutes"])
    with site.store.reading() as db:
        day = site.config.local_day(NOW)
        read = read_punctuality(db, day, NOW + timedelta(minutes=90), late)
        early = read_punctuality(db, day, NOW + timedelta(minutes=70), late)  # 8 windows closed
    assert read.show_rate == pytest.approx(0.75)
    assert read.offsets == pytest.approx(offsets)
    assert early == Punctuality()
