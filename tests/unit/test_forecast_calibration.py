"""The ranges widened by the day's own errors (core/forecast_calibration.py): nothing changes until enough
tickets of a kind were called, then a range is at least as wide as the errors seen; the p50 stays."""

from __future__ import annotations

from collections import deque
from datetime import UTC, datetime, timedelta

from core.forecast import Estimate, Forecast
from core.forecast_calibration import MIN_ERRORS, Calibration

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def told(calibration: Calibration, count: int, p50: int, real: int, kind: str = "walk_in") -> None:
    """`count` tickets told `p50` minutes at NOW, then called after `real` minutes."""
    ids = [f"{kind}-{p50}-{real}-{i}" for i in range(count)]
    estimates = {ticket: Estimate(p50 - 1, p50, p50 + 1) for ticket in ids}
    calibration.remember(Forecast(NOW, estimates, {}, {}), dict.fromkeys(ids, kind))
    calibration.observe([(ticket, iso(NOW + timedelta(minutes=real))) for ticket in ids])


def test_nothing_changes_until_enough_tickets_of_the_kind_were_called() -> None:
    calibration = Calibration()
    told(calibration, MIN_ERRORS - 1, p50=20, real=40)
    assert calibration.widen(Estimate(18, 20, 22), "walk_in") == Estimate(18, 20, 22)


def test_a_day_of_late_calls_widens_the_upper_end_and_keeps_the_p50() -> None:
    """Half the walk-ins told 20 minutes were called after 20, half after 40 (an error of +100 % of the
    wait): a range told 30 now reaches 60; the pickups' ranges learnt nothing and stay as they are."""
    calibration = Calibration()
    told(calibration, MIN_ERRORS, p50=20, real=20)
    told(calibration, MIN_ERRORS, p50=20, real=40)
    widened = calibration.widen(Estimate(27, 30, 33), "walk_in")
    assert (widened.p10, widened.p50, widened.p90) == (27, 30, 60)
    assert calibration.widen(Estimate(27, 30, 33), "pickup") == Estimate(27, 30, 33)


def test_early_calls_widen_the_lower_end_scaled_by_at_least_five_minutes() -> None:
    """Walk-ins told 2 minutes called at once (−2 min, scaled by 5: −40 %), and others called as told: a
    range told 10 starts at 6; one told 1 starts at 0, never below."""
    calibration = Calibration()
    told(calibration, MIN_ERRORS, p50=2, real=0)
    told(calibration, MIN_ERRORS, p50=10, real=10)
    assert calibration.widen(Estimate(9, 10, 11), "walk_in") == Estimate(6, 10, 11)
    assert calibration.widen(Estimate(1, 1, 2), "walk_in").p10 == 0


def test_the_first_range_told_is_the_one_judged() -> None:
    calibration = Calibration()
    calibration.remember(Forecast(NOW, {"a": Estimate(9, 10, 11)}, {}, {}), {"a": "walk_in"})
    later = Forecast(NOW + timedelta(minutes=5), {"a": Estimate(30, 40, 50)}, {}, {})
    calibration.remember(later, {"a": "walk_in"})
    assert calibration.told["a"].p50 == 10
    calibration.observe([("a", iso(NOW + timedelta(minutes=10)))])
    assert list(calibration.errors["walk_in"]) == [0.0]  # as first told: on time


def test_the_refresh_widens_what_pages_read(site, clock, add_agent) -> None:
    """Through the site's own Forecasts: once the day's walk-ins were called much later than told, the range
    a page reads for a new ticket is wider than the replay's."""
    clock.set(NOW)
    site.open_counter(1, add_agent(site, "one"))
    ticket = site.issue_ticket(service="passport", kind="walk_in", lang="fr", actor="kiosk:1").ticket
    replayed = site.forecasts.refresh().tickets[ticket.id]
    errors = site.forecasts.calibration.errors.setdefault("walk_in", deque())
    errors.extend([0.0] * MIN_ERRORS + [3.0] * MIN_ERRORS)
    widened = site.forecasts.refresh().tickets[ticket.id]
    assert widened.p50 == replayed.p50
    assert widened.p90 >= replayed.p50 + 3 * max(5, replayed.p50) > replayed.p90
    clock.set(NOW + timedelta(days=1))  # a new day learns afresh
    site.forecasts.refresh()
    assert site.forecasts.calibration.errors == {}


def test_a_called_ticket_gives_its_error_through_the_database(site, clock, add_agent) -> None:
    """The refresher reads the day's calls: a ticket told about 0 minutes and called 10 minutes later is
    an error of +200 % (10 over 5)."""
    clock.set(NOW, step=timedelta(0))
    agent = add_agent(site, "one")
    site.open_counter(1, agent)
    ticket = site.issue_ticket(service="passport", kind="walk_in", lang="fr", actor="kiosk:1").ticket
    told_p50 = site.forecasts.refresh().tickets[ticket.id].p50
    clock.advance(timedelta(minutes=10))
    site.call_next(1, agent)
    site.forecasts.refresh()
    assert list(site.forecasts.calibration.errors["walk_in"]) == [(10 - told_p50) / max(5, told_p50)]
