"""Pulling from the central what the site needs to work alone: appointments, the QR signing keys and the fee
schedule; then marking the no-shows of appointments whose check-in window closed.

Appointments come page by page after an opaque cursor. Each page is applied whole or not at all: its
appointments, the journal events they cause (a change after check-in) and the new cursor commit in one
transaction, so a crash between pages never skips a page or applies one twice. A page that breaks the
contract (an item we cannot read, a cursor that does not move while `more` is true) is refused whole: the
position stays, the error goes to the status, and the page is asked for again at the next round. Items of
another site are skipped and counted (the central should never send them).

Fees: the site charges the fees of its own configuration. The central's schedule is kept (`fees` in
sync_state) and compared; a difference is shown on the supervisor's sync panel for a person to settle
(docs/sync.md, "The sync worker").
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import Any

from core import keyring
from core.appointments import BadAppointment, mark_no_shows, store_from_central, validated
from core.clock import now
from core.config import SiteConfig
from core.site import Site
from sync import status
from sync.http_client import CentralMalformed, SiteCentral

CURSOR_KEY = "cursor"
FEES_KEY = "fees"
ACTOR = "sync"
PAGE_LIMIT = 1000
log = logging.getLogger(__name__)


@dataclass
class Pulled:
    appointments: int = 0  # received for this site and applied (a version already held changes nothing)
    skipped: int = 0  # of another site
    pages: int = 0
    keys: int = 0  # keys in the keyring after the pull
    no_shows: int = 0


Charges = tuple[str, dict[str, list[tuple[str, int]]]]  # currency, {service: sorted [(item, amount)]}


def charges_of_central(schedule: dict[str, Any]) -> Charges:
    services = {service["code"]: sorted((item["code"], item["amount_minor"]) for item in service["items"])
                for service in schedule["services"] if service["items"]}
    return schedule["currency"], services


def charges_of_site(config: SiteConfig) -> Charges:
    services = {code: sorted((item.code, item.amount_minor) for item in service.fees)
                for code, service in config.services.items() if service.fees}
    return str(config.site["currency"]), services


def fees_differ(schedule: dict[str, Any], config: SiteConfig) -> bool:
    """Whether the central would charge other amounts (currency, services, item codes or amounts; the
    items' display names do not count)."""
    return charges_of_central(schedule) != charges_of_site(config)


class Puller:
    def __init__(self, site: Site, client: SiteCentral, page_limit: int = PAGE_LIMIT) -> None:
        self.site = site
        self.client = client
        self.page_limit = page_limit

    def pull(self, deadline: float, stop: threading.Event | None = None) -> Pulled:
        """Appointments (until no more, `stop` or time.monotonic() past `deadline`), keys, fees, no-shows."""
        pulled = Pulled()
        self.appointments(pulled, deadline, stop)
        pulled.keys = self.keys()
        self.fees()
        pulled.no_shows = self.no_shows()
        return pulled

    def appointments(self, pulled: Pulled, deadline: float, stop: threading.Event | None = None) -> None:
        site_id = self.site.config.site_id
        while time.monotonic() < deadline and not (stop is not None and stop.is_set()):
            cursor = status.get(self.site.store.read(), CURSOR_KEY)
            items, next_cursor, more = self.client.appointments(site_id, cursor, self.page_limit)
            if more and next_cursor == cursor:
                raise CentralMalformed("the central said more appointments follow but gave the same cursor")
            rows, skipped = self._rows(items)
            self._apply(rows, next_cursor)
            pulled.appointments += len(rows)
            pulled.skipped += skipped
            pulled.pages += 1
            if not more:
                return

    def _rows(self, items: list[Any]) -> tuple[list[dict[str, Any]], int]:
        """The page's rows for this site, each checked; CentralMalformed (whole page refused) otherwise."""
        site_id, rows, skipped = self.site.config.site_id, [], 0
        for index, item in enumerate(items):
            if isinstance(item, dict) and isinstance(item.get("site"), str) and item["site"] != site_id:
                skipped += 1
                log.warning("the central sent an appointment of site %s: skipped", item["site"][:50])
                continue
            try:
                rows.append(validated(item, self.site.config))
            except BadAppointment as error:
                raise CentralMalformed(f"appointment {index} of the page: {error}") from None
        return rows, skipped

    def _apply(self, rows: list[dict[str, Any]], cursor: str) -> None:
        try:
            with self.site.change() as (db, events):
                for row in rows:
                    event = store_from_central(db, row, ACTOR)
                    events.extend([event] if event else [])
                status.put(db, CURSOR_KEY, cursor)
        except sqlite3.IntegrityError as error:  # e.g. a reference the central gave two appointments
            raise CentralMalformed(f"the page contradicts appointments already held: {error}") from None

    def keys(self) -> int:
        published = self.client.keys()
        with self.site.store.write() as db:
            return keyring.store(db, published, now())

    def fees(self) -> None:
        schedule = self.client.fees(self.site.config.site_id)
        differ = fees_differ(schedule, self.site.config)
        with self.site.store.write() as db:
            if differ and status.get(db, status.FEES_DIFFER_KEY) != "1":
                log.warning("the central's fee schedule (version %s) differs from the site's configuration",
                            schedule["version"])
            status.put(db, FEES_KEY, json.dumps(schedule, ensure_ascii=False, sort_keys=True))
            status.put(db, status.FEES_DIFFER_KEY, "1" if differ else "0")

    def no_shows(self) -> int:
        with self.site.change() as (db, events):
            found = mark_no_shows(db, self.site.config, now(), ACTOR)
            events.extend(found)
        return len(found)
