"""Today's figures from the journal: they start again at the site's local midnight, a tally started later
(a restart) finds the day's first event by bisection and agrees with one that watched all day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from core import journal
from core.journal_tally import Distribution, JournalTally, day_start, last_seq_before
from core.states import Action

# Europe/Paris (the default site): 22:50 UTC on 2 March is 23:50 local; 23:10 UTC is 00:10 on the 3rd.
BEFORE_MIDNIGHT = datetime(2026, 3, 2, 22, 50, tzinfo=UTC)
AFTER_MIDNIGHT = datetime(2026, 3, 2, 23, 10, tzinfo=UTC)
AGENT = {"id": 1, "role": "agent"}


def issue(site: Any, count: int, service: str = "passport") -> list[Any]:
    return [site.issue_ticket(service=service, kind="walk_in", lang="fr", actor="kiosk:test").ticket
            for _ in range(count)]


def test_figures_start_again_at_local_midnight(site: Any, clock: Any, add_agent: Any) -> None:
    agent = add_agent(site)
    clock.set(BEFORE_MIDNIGHT, step=timedelta(seconds=1))
    issue(site, 3)
    watching = JournalTally(site.config)
    with site.store.reading() as db:
        assert watching.figures(db, BEFORE_MIDNIGHT).issued[("passport", "walk_in")] == 3

    clock.set(AFTER_MIDNIGHT, step=timedelta(seconds=1))
    issue(site, 2)
    site.open_counter(1, agent)
    called = site.call_next(1, agent)
    assert called is not None
    site.act(called.id, Action.START, 1, agent)
    clock.advance(timedelta(minutes=7))
    site.act(called.id, Action.FINISH, 1, agent)

    restarted = JournalTally(site.config)
    with site.store.reading() as db:
        seen, fresh = watching.figures(db, clock()), restarted.figures(db, clock())
    for figures in (seen, fresh):
        assert figures.day == "2026-03-03"
        assert figures.issued[("passport", "walk_in")] == 2
        assert figures.calls["passport"] == 1 and figures.served[("passport", "walk_in")] == 1
        wait = figures.wait("passport")
        assert wait.counts[0] == 1 and 0 < wait.total < 60  # issued at 00:10, called seconds later
        assert 7 * 60 <= figures.service_time("passport").total <= 7 * 60 + 5
    assert seen == fresh


def test_the_days_start_is_found_by_bisection(site: Any, clock: Any) -> None:
    clock.set(BEFORE_MIDNIGHT, step=timedelta(seconds=1))
    issue(site, 37)
    last_of_yesterday = journal.last_seq(site.store.read())
    clock.set(AFTER_MIDNIGHT, step=timedelta(seconds=1))
    issue(site, 11)
    db = site.store.read()
    start = day_start(site.config, "2026-03-03")
    assert start == "2026-03-02T23:00:00.000000Z"
    assert last_seq_before(db, start, journal.last_seq(db)) == last_of_yesterday
    assert last_seq_before(db, "2000-01-01T00:00:00.000000Z", journal.last_seq(db)) == 0


def test_a_distribution_is_cumulative_and_ends_with_inf() -> None:
    spread = Distribution((60.0, 300.0))
    for seconds in (30, 60, 61, 1000):
        spread.observe(seconds)
    assert spread.cumulative() == [("60.0", 2.0), ("300.0", 3.0), ("+Inf", 4.0)]
    assert spread.total == 1151


def test_leftovers_the_close_ends_as_no_shows_count_as_no_shows(site: Any, clock: Any) -> None:
    from core.day_close import close_day

    clock.set(datetime(2026, 3, 2, 17, 0, tzinfo=UTC), step=timedelta(seconds=1))
    issue(site, 2)
    tally = JournalTally(site.config)
    close_day(site, leftover="no_show", actor="user:1", force=True)
    with site.store.reading() as db:
        assert tally.figures(db, clock()).no_shows["passport"] == 2
