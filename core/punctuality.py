"""Whether and when a booked visitor not checked in yet will come: today's appointments say it.

A forecast (core/forecast.py) replays the booked appointments not checked in yet as well as the waiting
tickets: a visitor who comes is called before the walk-ins once the slot is near. Who comes is the share of
today's appointments, whose check-in window has closed, that were checked in (`SHOW_RATE` until
`SAMPLES` windows closed). When they come is one of those visitors' check-in times, as minutes from their
slot (`offsets`): visitors come early and late, and a visitor who comes late is not there to be called at
slot less 15 minutes. Taking them all for present then made a walk-in's median wait too long by a fifth
(docs/queue-policy.md, "How true the ranges come").

A visitor not there yet is drawn from what today says of those still to come: with a slot 10 minutes
ago, only the check-ins later than 10 minutes after the slot, and the share who come shrinks by the share
of visitors who came earlier than that (Bayes: P(comes | not here yet)).
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlite_utils

from core.clock import utc_iso

SHOW_RATE = 0.85  # booked appointments that come, until today's book says otherwise
SAMPLES = 10  # appointments whose check-in window closed before today's figures replace the defaults


@dataclass(frozen=True)
class Punctuality:
    """Today's show rate and check-in times (minutes from the slot, sorted; empty: not known yet, and every
    visitor is taken for present from the moment the slot can be called)."""

    show_rate: float = SHOW_RATE
    offsets: tuple[float, ...] = ()

    def still_to_come(self, slot: float) -> tuple[float, int]:
        """For a visitor not checked in whose slot is `slot` minutes from now: the chance that they come,
        and the first of `offsets` that is still in the future (the ones they may come at)."""
        if not self.offsets:
            return self.show_rate, 0
        first = bisect_right(self.offsets, -slot)
        later = (len(self.offsets) - first) / len(self.offsets)
        coming = self.show_rate * later
        return (coming / (1 - self.show_rate + coming) if coming else 0.0), first


class Arrivals:
    """The expected appointments of one forecast (their index in the replay's plan and their slot), drawn
    anew for each run."""

    def __init__(self, punctuality: Punctuality, expected: Sequence[tuple[int, float]]) -> None:
        self.offsets = punctuality.offsets
        self.items = [(index, slot, *punctuality.still_to_come(slot)) for index, slot in expected]

    def draw(self, rng: random.Random) -> tuple[list[int], dict[int, float]]:
        """Who does not come in this run, and when each one who comes arrives (minutes from now; nobody
        when no check-in time is known yet)."""
        absent: list[int] = []
        arrivals: dict[int, float] = {}
        offsets = self.offsets
        for index, slot, chance, first in self.items:
            if rng.random() >= chance:
                absent.append(index)
            elif offsets:
                arrivals[index] = slot + offsets[first + int(rng.random() * (len(offsets) - first))]
        return absent, arrivals


def read_punctuality(db: sqlite_utils.Database, day: str, moment: datetime, late: float) -> Punctuality:
    """From today's appointments whose check-in window (`late` minutes after the slot) has closed: the share
    that came, and the minutes from slot to check-in of those who did."""
    closed = utc_iso(moment - timedelta(minutes=late))
    rows = db.execute(
        """SELECT (julianday(checked_in_at) - julianday(slot_start)) * 1440.0 FROM appointments
           WHERE day = ? AND status = 'booked' AND slot_start < ?""", [day, closed]).fetchall()
    if len(rows) < SAMPLES:
        return Punctuality()
    offsets = sorted(float(row[0]) for row in rows if row[0] is not None)
    return Punctuality(len(offsets) / len(rows), tuple(offsets))
