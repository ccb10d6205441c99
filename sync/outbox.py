"""Pushing the journal to the central: every event after the last acknowledged one, in batches, each under
an id the central stores once.

The journal is the outbox: nothing is copied or deleted, the worker only keeps `acked_seq`, the highest seq
such that the central acknowledged it and every event before it. It moves only after an answer, and never
past an event the answer left out, so a lost answer, a crash mid-batch or a partial acknowledgement means
sending again, which the central's idempotency makes harmless: at least once on the wire, exactly once
stored.

Event ids are `<site>:<epoch>:<seq>`. The epoch is a random id created once per database (in `settings`, by
whichever process asks first): a database recreated or restored from an old backup gets a new one, so its
seqs, which start again, never collide with ids the central already holds.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from typing import Any

import sqlite_utils

from core import journal
from core.site import Site
from core.store import Store
from sync import status
from sync.http_client import CentralMalformed, SiteCentral

EPOCH_KEY = "journal_epoch"
ACKED_KEY = "acked_seq"
MAX_BATCH = 1000  # the central's limit per request
log = logging.getLogger(__name__)


def journal_epoch(store: Store) -> str:
    """This database's journal epoch, created on first use; two processes asking at once agree."""
    with store.write() as db:
        db.execute("INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)",
                   [EPOCH_KEY, secrets.token_hex(8)])
        return str(db.execute("SELECT value FROM settings WHERE key = ?", [EPOCH_KEY]).fetchone()[0])


def acked_seq(db: sqlite_utils.Database) -> int:
    return int(status.get(db, ACKED_KEY) or 0)


def pending(db: sqlite_utils.Database) -> tuple[int, str | None]:
    """How many events the central has not acknowledged yet, and when the oldest of them happened."""
    count, oldest = db.execute("SELECT COUNT(*), MIN(at) FROM journal WHERE seq > ?",
                               [acked_seq(db)]).fetchone()
    return int(count), oldest


def wire_event(site_id: str, epoch: str, event: journal.Event) -> dict[str, Any]:
    """One journal event as the central receives it."""
    return {"id": f"{site_id}:{epoch}:{event.seq}", "seq": event.seq, "type": event.type, "at": event.at,
            "actor": event.actor, "ticket_id": event.ticket_id, "data": event.data}


def acknowledged_up_to(sent: list[dict[str, Any]], acknowledged: set[str]) -> int | None:
    """The seq of the last event of the batch acknowledged with every one before it; None if the first
    was not. Ids the central names that were not sent change nothing."""
    last = None
    for event in sent:
        if event["id"] not in acknowledged:
            break
        last = int(event["seq"])
    return last


class Outbox:
    """Pushes `site`'s journal to the central in batches of `batch_size` (at most MAX_BATCH)."""

    def __init__(self, site: Site, client: SiteCentral, batch_size: int) -> None:
        self.site = site
        self.client = client
        self.batch_size = max(1, min(MAX_BATCH, int(batch_size)))
        self._epoch: str | None = None

    @property
    def epoch(self) -> str:
        if self._epoch is None:
            self._epoch = journal_epoch(self.site.store)
        return self._epoch

    def push_batch(self) -> tuple[int, bool]:
        """Send the next batch: (events acknowledged in order, whether more may wait). Raises what the
        client raises; the position then stays where it was."""
        db = self.site.store.read()
        events = journal.since(db, acked_seq(db), self.batch_size)
        if not events:
            return 0, False
        sent = [wire_event(self.site.config.site_id, self.epoch, event) for event in events]
        last = acknowledged_up_to(sent, self.client.push_events(self.site.config.site_id, sent))
        if last is None:
            raise CentralMalformed(f"the central acknowledged none of the {len(sent)} events sent "
                                   f"(first {sent[0]['id']})")
        self._advance(last)
        done = sum(1 for event in events if event.seq <= last)
        if done < len(events):
            log.warning("the central acknowledged %d of %d events; the rest is sent again", done, len(events))
        return done, len(events) == self.batch_size or done < len(events)

    def push_all(self, deadline: float, stop: threading.Event | None = None) -> int:
        """Push batches until the backlog is empty, `stop` is set or time.monotonic() passes `deadline`;
        how many events were acknowledged."""
        total, more = 0, True
        while more and time.monotonic() < deadline and not (stop is not None and stop.is_set()):
            done, more = self.push_batch()
            total += done
        return total

    def _advance(self, seq: int) -> None:
        """Move acked_seq forward (never back: another worker may have gone further meanwhile)."""
        with self.site.store.write() as db:
            if seq > acked_seq(db):
                status.put(db, ACKED_KEY, str(seq))
