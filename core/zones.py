"""Display zones: a waiting-room display limited to some services and/or counters (docs/supervision.md).

A zoned display shows and announces only the calls of its zone: a call whose service is not among the zone's
services (when it lists some), or whose counter is not among its counters (when it lists some), reaches it as
an `outside_zone` marker that carries the call's `seq` and nothing else, so the screen's catch-up cursor
still moves over it (a gap would be taken for a loss and asked for again). Every other event reaches it as it
reaches any display. Its waiting panel shows the zone's services (all of them when the zone lists none).

An empty zone (the default, no row) is the whole site. A supervisor sets a zone (one row of `display_zones`
and one `display.zone` journal event, with who and why); it stays until changed, day after day.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from core import journal
from core.clock import utc_iso
from core.config import SiteConfig
from core.errors import N_, InvalidInput, NotFound
from core.floor_control import clean_text

CALLS = ("ticket.called", "ticket.recalled")
OUTSIDE = "outside_zone"  # the `type` of what a zoned display gets instead of another zone's call
ROOM_PREFIX = "zone:"


@dataclass(frozen=True)
class Zone:
    services: tuple[str, ...] = ()
    counters: tuple[int, ...] = ()

    @property
    def everything(self) -> bool:
        return not self.services and not self.counters

    @property
    def room(self) -> str:
        """The room of its displays on `/display` (a call is emitted once per zone, not per screen)."""
        counters = ",".join(str(number) for number in self.counters)
        return f"{ROOM_PREFIX}*" if self.everything else f"{ROOM_PREFIX}{','.join(self.services)}|{counters}"

    def shows(self, service: object, counter: object) -> bool:
        """Whether a call of `service` to `counter` is this zone's."""
        return ((not self.services or service in self.services)
                and (not self.counters or counter in self.counters))

    def panel(self, services: list[str]) -> list[str]:
        """The services of the waiting panel, in the site's order."""
        return [code for code in services if not self.services or code in self.services]

    def sql(self) -> tuple[str, list[Any]]:
        """`AND …` limiting a query of tickets (columns `service`, `counter`) to the zone, and its values."""
        parts: list[str] = []
        values: list[Any] = []
        for column, chosen in (("service", self.services), ("counter", self.counters)):
            if chosen:
                parts.append(f" AND {column} IN ({', '.join('?' for _ in chosen)})")
                values.extend(chosen)
        return "".join(parts), values

    def to_dict(self) -> dict[str, Any]:
        return {"services": list(self.services), "counters": list(self.counters)}


EVERYWHERE = Zone()


def message(zone: Zone, event: journal.Event, payload: dict[str, Any]) -> dict[str, Any]:
    """What a display of `zone` gets of `event` (`payload`: its display projection, with `waiting`)."""
    if event.type not in CALLS or zone.shows(event.data.get("service"), event.data.get("counter")):
        return payload
    kept: dict[str, Any] = {key: payload[key] for key in ("seq", "at", "waiting", "replay") if key in payload}
    return {**kept, "type": OUTSIDE}


def check(config: SiteConfig, services: list[Any], counters: list[Any]) -> Zone:
    """A zone of this site's services and counters, in the configuration's order; an unknown one is refused
    by name ("Unknown service: visas.", "Unknown counter: 42.")."""
    for code in services:
        if not isinstance(code, str):
            raise InvalidInput(N_("Unknown service: %(code)s."), code=code)
        config.service(code)
    for number in counters:
        if isinstance(number, bool) or not isinstance(number, int):
            raise InvalidInput(N_("Unknown counter: %(number)s."), number=number)
        config.counter(number)
    return Zone(tuple(code for code in config.services if code in services),
                tuple(number for number in sorted(config.counters) if number in counters))


def displays(db: sqlite_utils.Database) -> dict[str, Zone]:
    """Every enrolled (unrevoked) display by name, with its zone."""
    rows = db.execute(
        "SELECT d.name, z.services, z.counters FROM devices d LEFT JOIN display_zones z "
        "ON z.display = d.name WHERE d.kind = 'display' AND d.revoked_at IS NULL ORDER BY d.name").fetchall()
    return {name: _zone(services, counters) for name, services, counters in rows}


def of_display(db: sqlite_utils.Database, name: str) -> Zone:
    row = db.execute("SELECT services, counters FROM display_zones WHERE display = ?", [name]).fetchone()
    return _zone(*row) if row else EVERYWHERE


def in_use(db: sqlite_utils.Database) -> list[Zone]:
    """The distinct zones of enrolled displays (what a call is emitted to, besides the whole site's room)."""
    return list(dict.fromkeys(zone for zone in displays(db).values() if not zone.everything))


def set_zone(db: sqlite_utils.Database, config: SiteConfig, *, display: str, services: list[Any],
             counters: list[Any], reason: object, actor: str) -> tuple[Zone, journal.Event]:
    """Limit `display` to a zone (empty lists: the whole site again). Inside the caller's transaction."""
    if display not in displays(db):
        raise NotFound(N_("Unknown display: %(name)s."), name=display)
    zone = check(config, services, counters)
    why = clean_text(reason, "reason")
    db.execute("DELETE FROM display_zones WHERE display = ?", [display])
    if not zone.everything:
        db.execute("INSERT INTO display_zones VALUES (?, ?, ?, ?, ?)",
                   [display, json.dumps(zone.services), json.dumps(zone.counters), actor, utc_iso()])
    return zone, journal.append(db, "display.zone", actor, {"display": display, **zone.to_dict(),
                                                            "reason": why})


def _zone(services: str | None, counters: str | None) -> Zone:
    return Zone(tuple(json.loads(services or "[]")), tuple(json.loads(counters or "[]")))
