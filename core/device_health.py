"""Device health: each device's last known state, since when and why; every change is journaled.

Devices report often (a printer is polled every few seconds); only a change of state or reason writes a row
and a `device.health` journal event, so staff screens hear about it once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import sqlite_utils

from core import journal
from core.clock import utc_iso

KINDS = ("printer", "scanner", "card_reader", "payment", "display")  # a display: its sound (docs/speech.md)
STATES = ("ok", "degraded", "offline", "unknown")


@dataclass(frozen=True)
class DeviceHealth:
    device: str  # e.g. "printer:hall-1", "card_reader:5"
    kind: str
    state: str
    reason: str
    detail: str
    since: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def current(db: sqlite_utils.Database, device: str) -> DeviceHealth | None:
    row = db.execute(
        "SELECT device, kind, state, reason, detail, since FROM device_health WHERE device = ?", [device]
    ).fetchone()
    return DeviceHealth(*row) if row else None


def all_devices(db: sqlite_utils.Database) -> list[DeviceHealth]:
    rows = db.execute(
        "SELECT device, kind, state, reason, detail, since FROM device_health ORDER BY kind, device"
    ).fetchall()
    return [DeviceHealth(*row) for row in rows]


def changed(db: sqlite_utils.Database, device: str, state: str, reason: str) -> bool:
    """Cheap read-side check, so an unchanged poll never takes the writer lock."""
    known = current(db, device)
    return known is None or (known.state, known.reason) != (state, reason)


def record(
    db: sqlite_utils.Database, *, device: str, kind: str, state: str, reason: str, detail: str, actor: str
) -> journal.Event | None:
    """Store a reported state inside the caller's transaction; a journal event only when it changed."""
    if kind not in KINDS or state not in STATES:
        raise ValueError(f"unknown device kind or state: {kind!r}, {state!r}")
    previous = current(db, device)
    if previous is not None and (previous.state, previous.reason) == (state, reason):
        return None
    at = utc_iso()
    db.execute(
        "INSERT INTO device_health (device, kind, state, reason, detail, since, checked_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (device) DO UPDATE SET kind = excluded.kind, "
        "state = excluded.state, reason = excluded.reason, detail = excluded.detail, since = excluded.since, "
        "checked_at = excluded.checked_at",
        [device, kind, state, reason, detail, at, at],
    )
    data = {"device": device, "kind": kind, "state": state, "reason": reason, "detail": detail,
            "previous": previous.state if previous else None}
    return journal.append(db, "device.health", actor, data)
