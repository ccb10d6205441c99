"""Several processes on one Redis: the one holding the publisher's lease says what the site says once (each
journal event to the screens and to the event log, the supervisors' sync panel); when it stops or dies,
another takes over from the cursor, losing nothing (core/publisher.py). Two publishers on one database and a
real redis-server stand for two processes; the test turns them by hand instead of their threads."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from core.bus import Bus
from core.journal import Event
from core.publisher import EXTENSION, JournalPublisher, leads
from core.site import Site
from core.store import Store
from counter.sync_watcher import SyncWatcher

LEASE_SECONDS = 0.3


@pytest.fixture
def redis_client(dour: Any) -> Iterator[Any]:
    import redis

    server = dour.RedisServer()
    try:
        yield redis.Redis.from_url(server.url)
    finally:
        server.stop()


@pytest.fixture
def other_process(site: Site) -> Iterator[Site]:
    """A second server process: its own Site and connections on the same database."""
    store = Store(site.store.path)
    yield Site(site.config, store)
    store.close()


class Speaker:
    """One process's publisher, with what its site-wide bus heard (what its event log would write)."""

    def __init__(self, site: Site, redis_client: Any) -> None:
        self.site_events = Bus()
        self.heard: list[int] = []
        self.site_events.subscribe(lambda event: self.heard.append(event.seq))
        self.publisher = JournalPublisher(site, redis_client, self.emit, lease_seconds=LEASE_SECONDS)

    def emit(self, event: Event) -> None:  # core/app.py: the screens first, then the site-wide bus
        self.site_events.publish([event])

    @property
    def leading(self) -> bool:
        return self.publisher.leading


def issue(site: Site, count: int) -> list[int]:
    """Issue `count` tickets through `site`; the seqs of the journal events written meanwhile."""
    before = site.last_seq()
    for _ in range(count):
        site.issue_ticket(service="passport", kind="walk_in", lang="fr", actor="test")
    return list(range(before + 1, site.last_seq() + 1))


@pytest.fixture
def speakers(site: Site, other_process: Site, redis_client: Any) -> tuple[Speaker, Speaker]:
    return Speaker(site, redis_client), Speaker(other_process, redis_client)


def test_only_the_holder_says_each_event_once(site: Site, speakers: tuple[Speaker, Speaker]) -> None:
    a, b = speakers
    a.publisher.turn()
    b.publisher.turn()
    assert a.leading and not b.leading
    seqs = issue(site, 3)
    assert a.publisher.turn() == len(seqs) and b.publisher.turn() == 0
    assert a.heard == seqs and b.heard == []


def test_a_graceful_stop_hands_over_at_once_from_the_cursor(site: Site, other_process: Site,
                                                           speakers: tuple[Speaker, Speaker]) -> None:
    a, b = speakers
    a.publisher.turn()
    first = issue(site, 2)
    a.publisher.turn()
    a.publisher.stop()  # a worker's graceful exit releases the lease
    later = issue(other_process, 2)
    assert b.publisher.turn() == len(later) and b.leading
    assert a.heard == first and b.heard == later, "each event said once, none lost"


def test_the_death_of_the_holder_hands_over_when_its_lease_expires(
        site: Site, other_process: Site, speakers: tuple[Speaker, Speaker]) -> None:
    a, b = speakers
    a.publisher.turn()
    said = issue(site, 2)
    a.publisher.turn()
    unsaid = issue(other_process, 3)  # committed after the holder's last turn: then it dies (no release)
    assert b.publisher.turn() == 0 and not b.leading, "the lease still runs"
    time.sleep(LEASE_SECONDS + 0.1)
    assert b.publisher.turn() == len(unsaid) and b.leading
    assert a.heard == said and b.heard == unsaid
    a.publisher.turn()  # the old holder, back (a paused process): it lost the lease and says nothing
    assert not a.leading and a.heard == said


def test_the_sync_panel_is_sent_by_the_holder_only(site: Site, other_process: Site,
                                                  speakers: tuple[Speaker, Speaker]) -> None:
    a, b = speakers
    sent: dict[str, list[dict[str, Any]]] = {"a": [], "b": []}

    def watcher(process: Site, name: str, speaker: Speaker) -> SyncWatcher:
        leading: Callable[[], bool] = lambda: leads({EXTENSION: speaker.publisher})  # noqa: E731
        return SyncWatcher(process, sent[name].append, leading=leading)

    on_a, on_b = watcher(site, "a", a), watcher(other_process, "b", b)
    a.publisher.turn()
    b.publisher.turn()
    assert on_a.check() is True and on_b.check() is False
    assert on_a.check() is False, "unchanged: nothing more"
    a.publisher.stop()
    b.publisher.turn()
    assert on_b.check() is True, "the new holder shows the view as it is"
    assert len(sent["a"]) == 1 and len(sent["b"]) == 1
    assert on_a.check() is False and len(sent["a"]) == 1


def test_a_process_alone_always_speaks() -> None:
    assert leads({}) is True
