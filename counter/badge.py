"""The desks' badge readers: what is in each one right now, and the lock when a badge leaves.

Each counter with a `card_reader` URI gets a reader at start. When a card goes in, its badge id is read
(hardware/card_reader/badge.py: never a payment card) and looked up; the desk's page hears `inserted` with
`known` only, never the id or a name. Each insertion gets a random token: a badge login remembers it in the
session, and that session may use the counter API only while the same insertion lasts. Pulling the badge
out ends it at once (the page locks, the API answers 423), and the agent is journaled as away
(`badge.locked`) until the badge and PIN let them back in.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from core import badges
from core.errors import N_, Conflict, DourError, InvalidInput
from core.site import Site
from hardware.card_reader import (
    AgentBadge,
    CardChange,
    CardEvent,
    CardReader,
    CardReaderError,
    FakeCardReader,
    PaymentCard,
    open_card_reader,
    read_badge,
)
from hardware.health import Health, HealthState

log = logging.getLogger(__name__)
Publish = Callable[[int, dict[str, Any]], None]  # (counter, `badge` payload) -> the desk's page


class CounterLocked(DourError):
    status = 423
    code = "counter_locked"


@dataclass
class Desk:
    """One counter's reader and the card in it. `insertion` is None while the slot is empty."""

    counter: int
    reader: CardReader
    badge_id: str | None = None
    known: bool = False
    insertion: str | None = None
    holder: dict[str, Any] | None = None  # who a badge login let in with this insertion

    def public(self) -> dict[str, Any]:
        """What the desk's page may know: a card is in or not, and whether it is an enrolled badge."""
        state = CardChange.INSERTED if self.insertion else CardChange.REMOVED
        return {"counter": self.counter, "state": state.value, "known": self.known}


class BadgeReaders:
    """Every desk's reader, opened from `devices.card_reader` (or the counter's own entry)."""

    def __init__(self, site: Site, publish: Publish) -> None:
        self.site = site
        self.publish = publish
        self._desks: dict[int, Desk] = {}
        self._lock = threading.Lock()

    def open_configured(self) -> None:
        for number in self.site.config.counters:
            uri = self.site.config.device_uri("card_reader", number)
            if uri:
                self.open(number, uri)

    def open(self, counter: int, uri: str) -> None:
        """Start the reader a URI names for `counter`; a bad URI is reported as the reader's health."""
        try:
            reader = open_card_reader(uri)
        except ValueError as error:
            log.error("counter %s: %s", counter, error)
            self._health(counter, Health(HealthState.OFFLINE, "bad_uri", str(error)))
            return
        desk = self._desks[counter] = Desk(counter, reader)
        reader.start(partial(self._card_changed, desk), partial(self._health, counter))

    def has_reader(self, counter: int) -> bool:
        return counter in self._desks

    def state(self, counter: int) -> dict[str, Any]:
        with self._lock:
            return self._desks[counter].public()

    def badge_in(self, counter: int) -> tuple[str, str]:
        """The badge id in `counter`'s reader and its insertion token, or a sentence saying what is wrong."""
        with self._lock:
            desk = self._desks.get(counter)
            if desk is None:
                raise InvalidInput(N_("Counter %(counter)s has no badge reader. Log in with your user name "
                                      "and password."), counter=counter)
            if desk.insertion is None:
                raise Conflict(N_("No badge in the reader. Insert your badge, then enter your PIN."))
            if desk.badge_id is None:
                raise badges.UnknownBadge(badges.UNKNOWN_BADGE)
            return desk.badge_id, desk.insertion

    def is_current(self, counter: int, insertion: str) -> bool:
        """True while the insertion a badge login saw is still the card in the reader."""
        with self._lock:
            desk = self._desks.get(counter)
            return desk is not None and desk.insertion == insertion

    def logged_in(self, counter: int, insertion: str, user: dict[str, Any], badge_id: str) -> None:
        """Remember who this insertion let in (for the lock) and journal the badge login."""
        with self._lock:
            desk = self._desks[counter]
            if desk.insertion == insertion:
                desk.holder = user
        self._journal("badge.login", counter, user, badge=badges.fingerprint(badge_id))

    # --- the simulated readers (demo page, tests) --------------------------------------------------------
    def sim_insert(self, counter: int, badge_id: str | None) -> None:
        """Insert an agent badge with `badge_id` in `counter`'s sim:// reader; None inserts a bank card."""
        self._simulated(counter).insert(AgentBadge(badge_id) if badge_id is not None else PaymentCard())

    def sim_remove(self, counter: int) -> None:
        """Take the card out of `counter`'s sim:// reader (nothing happens if it is empty)."""
        self._simulated(counter).remove()

    def _simulated(self, counter: int) -> FakeCardReader:
        desk = self._desks.get(counter)
        if desk is None or not isinstance(desk.reader, FakeCardReader):
            raise InvalidInput(N_("Counter %(counter)s has no simulated badge reader."), counter=counter)
        return desk.reader

    def close(self) -> None:
        for desk in list(self._desks.values()):
            desk.reader.close()

    # --- reader callbacks (the reader's thread) ----------------------------------------------------------
    def _card_changed(self, desk: Desk, event: CardEvent) -> None:
        badge_id = self._read(desk) if event.change is CardChange.INSERTED else None
        known = badge_id is not None and badges.is_enrolled(self.site.store.read(), badge_id)
        with self._lock:
            holder, desk.holder = desk.holder, None
            desk.badge_id, desk.known = badge_id, known
            desk.insertion = secrets.token_urlsafe(16) if event.change is CardChange.INSERTED else None
            payload = desk.public()
        if holder is not None:
            self._journal_lock(desk.counter, holder)
        self.publish(desk.counter, payload)

    def _read(self, desk: Desk) -> str | None:
        try:
            return read_badge(desk.reader)
        except CardReaderError as error:
            log.info("counter %s: card not read as a badge: %s", desk.counter, error)
            return None

    def _journal_lock(self, counter: int, holder: dict[str, Any]) -> None:
        try:
            self._journal("badge.locked", counter, holder)
        except Exception:  # noqa: BLE001 - the lock itself holds (the insertion is gone); only the record failed
            log.exception("badge lock at counter %s not journaled", counter)

    def _journal(self, type_: str, counter: int, user: dict[str, Any], **data: Any) -> None:
        with self.site.change() as (db, events):
            events.append(badges.journal_desk(db, type_, counter, user, **data))

    def _health(self, counter: int, health: Health) -> None:
        try:
            self.site.report_device_health(f"card_reader:{counter}", "card_reader", health.state.value,
                                           health.reason, health.detail)
        except Exception:  # noqa: BLE001 - a reader's thread must survive a database hiccup
            log.exception("health of card_reader:%s not recorded", counter)
