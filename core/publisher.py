"""With several server processes (`server.message_queue`), one of them, and only one, emits the journal to the
screens: the process that holds the publisher lease in Redis.

Every process (gunicorn workers, other `dour serve` instances, the sync worker) writes the journal; SQLite
gives each event its seq. Were each process to emit what it wrote, two processes could send seq 6 before seq
5, and every process following the journal would send each event once per process. So the holder of the lease
follows the journal from a cursor kept in Redis and emits each event once, in seq order, through
Flask-SocketIO's message queue, which hands it to the screens of every process. The others only keep their
lease attempt going. A process that commits nudges the holder over Redis pub/sub, so a call reaches the
screens in milliseconds, not at the next poll. Catch-up on connect stays local (core/screens.py): each
process replays from the shared journal.

If the holder dies, its lease expires after `LEASE_SECONDS`; another process takes it and emits from the
cursor on, so nothing committed meanwhile is lost (an event sent just before the death may be sent twice:
screens ignore a seq they already have). A graceful stop hands the lease over at once. docs/serving.md.

The holder is also the one process that says, for the whole site, what must be said once: the event log's
line for each event it emits (the site-wide bus, `SITE_EVENTS`) and the supervisors' sync panel (`leads`).

Flask-free: the server gives it the Redis client and the function that emits one event (core/app.py).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Mapping
from typing import Any

from core.journal import Event
from core.site import Site

log = logging.getLogger(__name__)
LEASE_SECONDS = 5.0
POLL_SECONDS = 0.5  # the sync worker and the CLI do not nudge: their events go out within this
BATCH = 500
# Renew or release the lease only if this process still holds it (another may have taken it meanwhile).
RENEW = ("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end "
         "return 0")
RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


EXTENSION = "dour.publisher"  # in app.extensions while it runs
# In app.extensions, the bus that hears each journal event once per site (the event log subscribes to it):
# the process's own bus when it is the only one, else a bus that only the lease holder's publisher feeds.
SITE_EVENTS = "dour.site_events"


def leads(extensions: Mapping[str, Any]) -> bool:
    """Whether this process speaks for the site: always when it is alone (no publisher), else while it holds
    the publisher's lease."""
    publisher = extensions.get(EXTENSION)
    return publisher is None or bool(publisher.leading)


def redis_prefix(site_id: str) -> str:
    """Every key and channel of one site in Redis (a Redis shared by two sites keeps them apart)."""
    return f"dour:{site_id}"


class JournalPublisher:
    def __init__(self, site: Site, redis: Any, broadcast: Callable[[Event], None],
                 lease_seconds: float = LEASE_SECONDS, poll_seconds: float = POLL_SECONDS) -> None:
        self.site, self.redis, self.broadcast = site, redis, broadcast
        self.lease_ms = int(lease_seconds * 1000)
        self.poll_seconds = poll_seconds
        prefix = redis_prefix(site.config.site_id)
        self.lease_key, self.cursor_key, self.channel = f"{prefix}:publisher", f"{prefix}:published", \
            f"{prefix}:journal"
        self.identity = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        # No cursor in Redis (its first start, a flushed Redis): what came before this process is history.
        self.start_seq = site.last_seq()
        self.cursor: int | None = None  # set while this process holds the lease
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="journal-publisher", daemon=True)

    @property
    def leading(self) -> bool:
        return self.cursor is not None

    def nudge(self, seq: int) -> None:
        """Called after each commit of this process: the holder wakes up now rather than at its next poll."""
        try:
            self.redis.publish(self.channel, seq)
        except Exception:  # noqa: BLE001 - the holder's poll still finds the event
            log.warning("cannot nudge the journal publisher over Redis", exc_info=True)

    def turn(self) -> int:
        """Take or keep the lease; if held, emit what was committed since the cursor. How many events."""
        if not self._hold_lease():
            return 0
        assert self.cursor is not None
        events = self.site.events_since(self.cursor, BATCH)
        try:
            for event in events:  # an emit that fails (Redis gone) is tried again at the next turn
                self.broadcast(event)
                self.cursor = event.seq
        finally:
            if events and self.cursor >= events[0].seq:
                self.redis.set(self.cursor_key, self.cursor)
        return len(events)

    def _hold_lease(self) -> bool:
        if self.cursor is not None:
            if self.redis.eval(RENEW, 1, self.lease_key, self.identity, self.lease_ms):
                return True
            log.warning("journal publisher: lease lost, another process emits now")
            self.cursor = None
            return False
        if not self.redis.set(self.lease_key, self.identity, nx=True, px=self.lease_ms):
            return False
        stored = self.redis.get(self.cursor_key)
        self.cursor = int(stored) if stored is not None else self.start_seq
        log.info("journal publisher: this process emits the journal from seq %s", self.cursor)
        return True

    def start(self) -> JournalPublisher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        if self.cursor is not None:
            try:  # hand over now, not after the lease expires
                self.redis.eval(RELEASE, 1, self.lease_key, self.identity)
            except Exception:  # noqa: BLE001 - it expires by itself
                log.debug("releasing the publisher lease", exc_info=True)
            self.cursor = None

    def _run(self) -> None:
        pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        while not self._stop.is_set():
            try:
                if not pubsub.subscribed:
                    pubsub.subscribe(self.channel)
                self.turn()
                self._wait(pubsub)
            except Exception:  # noqa: BLE001 - Redis or the database busy now: next turn
                log.exception("journal publisher")
                self._stop.wait(self.poll_seconds)
        pubsub.close()

    def _wait(self, pubsub: Any) -> None:
        """Until a nudge or the poll interval; then drop the nudges already queued (one turn for all)."""
        if pubsub.get_message(timeout=self.poll_seconds) is not None:
            while pubsub.get_message(timeout=0.0) is not None:
                pass
