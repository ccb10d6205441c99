"""Screens get journal events in seq order, even when many requests commit at once."""

from __future__ import annotations

import random
import threading
import time
from contextlib import contextmanager

from core.journal import Event


def test_concurrent_changes_are_published_in_seq_order(site, monkeypatch) -> None:
    seen: list[int] = []
    site.bus.subscribe(lambda event: seen.append(event.seq))
    write = site.store.write

    @contextmanager
    def write_then_pause():  # a thread descheduled right after its commit, before it publishes
        with write() as db:
            yield db
        time.sleep(random.random() / 1000)

    monkeypatch.setattr(site.store, "write", write_then_pause)

    def kiosk(index: int) -> None:
        for _ in range(15):
            site.issue_ticket(service=("passport", "cnie", "pickup")[index % 3],
                              kind="pickup" if index % 3 == 2 else "walk_in", lang="fr", actor="test")

    threads = [threading.Thread(target=kiosk, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(seen) == 120
    assert seen == sorted(seen) and len(set(seen)) == 120


def test_a_failing_subscriber_does_not_stop_the_others(site) -> None:
    received: list[Event] = []

    def broken(event: Event) -> None:
        raise RuntimeError("screen gone")

    site.bus.subscribe(broken)
    site.bus.subscribe(received.append)
    site.issue_ticket(service="passport", kind="walk_in", lang="fr", actor="test")
    assert [event.type for event in received] == ["ticket.issued"]
