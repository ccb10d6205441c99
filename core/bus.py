"""Post-commit publication: the store commits, then the bus hands the journal events to subscribers."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

from core.journal import Event

log = logging.getLogger(__name__)
Subscriber = Callable[[Event], None]


class Bus:
    """In-order delivery of committed events; a failing subscriber never blocks the others."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    def publish(self, events: Iterable[Event]) -> None:
        with self._lock:  # keeps seq order across threads
            for event in events:
                for subscriber in self._subscribers:
                    try:
                        subscriber(event)
                    except Exception:  # noqa: BLE001 - a screen must not break issuing
                        log.exception("subscriber failed on event %s", event.seq)
