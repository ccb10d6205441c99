"""`dour central seed-demo`: a central with a day of appointments for the demo site, and what it needs around.

The day: 40 appointments from 09:00 to 16:30 local over the site's appointment services, a few families
(2 to 4 persons), 3 cancelled and 2 moved (so the site sees versions above 1), 6 more for tomorrow and 5 for
another site (so the QR samples have "other day" and "other site" cases). Choices come from a random generator
seeded with the site and the day, and appointment ids derive from them too: seeding the same day again adds
nothing and changes nothing.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlite_utils

from core.clock import now as clock_now
from core.config import SiteConfig
from sync.central import appointments, keys, sites

DOCUMENTS = ("photo", "birth_certificate", "old_passport", "residence_proof", "marriage_certificate",
             "consular_card")
LANGUAGES = ("fr", "fr", "fr", "ar", "ar", "en", "es", "nl")
DAY_COUNT, TOMORROW_COUNT, OTHER_SITE_COUNT = 40, 6, 5
CANCELLED, MOVED = 3, 2
FIRST_SLOT, SLOT = time(9, 0), timedelta(minutes=15)
SLOTS = 31  # 09:00 to 16:30 included
KEY_DAYS = 90


@dataclass(frozen=True)
class Plan:
    """Where a seeded batch of appointments goes."""

    site: str
    day: date
    count: int
    label: str  # part of the ids, so each batch has its own


@dataclass
class Seeded:
    site: str
    token: str | None  # only when the site was created (or its token reissued) now
    created: int


def seed_demo(db: sqlite_utils.Database, config: SiteConfig, site: str, zone: ZoneInfo, day: date,
              new_token: bool = False, first_slot: time = FIRST_SLOT) -> Seeded:
    """Seed inside the caller's transaction. `new_token`: reissue an existing site's token (it was lost)."""
    token = _ensure_site(db, site, str(config.site["name"]) if site == config.site_id else site, new_token)
    other = "ma-lyon" if site != "ma-lyon" else "ma-paris"
    if not sites.exists(db, other):
        sites.add_site(db, other, other)  # its token is never needed: it only owns "other site" appointments
    if not keys.has_current(db):
        # As if in service since yesterday: QR samples can then be issued (and expire) inside its validity.
        keys.rotate(db, KEY_DAYS, valid_from=clock_now() - timedelta(days=1))
    sites.set_fees(db, site, str(config.site["currency"]),
                   {code: service.fees for code, service in config.services.items() if service.fees})
    services = [code for code, service in config.services.items() if "appointment" in service.kinds]
    if not services:
        raise ValueError("no service of the site configuration takes appointments (services.kinds)")
    rng = random.Random(f"{site}:{day.isoformat()}")
    plans = (Plan(site, day, DAY_COUNT, "day"), Plan(site, day + timedelta(days=1), TOMORROW_COUNT, "next"),
             Plan(other, day, OTHER_SITE_COUNT, "other"))
    created = {plan: _book_plan(db, rng, plan, services, zone, first_slot) for plan in plans}
    _cancel_and_move(db, rng, created[plans[0]], zone, first_slot)
    return Seeded(site, token, sum(map(len, created.values())))


def _ensure_site(db: sqlite_utils.Database, site: str, name: str, new_token: bool) -> str | None:
    if not sites.exists(db, site):
        return sites.add_site(db, site, name)
    return sites.reissue_token(db, site) if new_token else None


def _slot_start(day: date, index: int, zone: ZoneInfo, first_slot: time = FIRST_SLOT) -> datetime:
    return datetime.combine(day, first_slot, zone) + index * SLOT


def _book_plan(db: sqlite_utils.Database, rng: random.Random, plan: Plan, services: list[str],
               zone: ZoneInfo, first_slot: time) -> list[dict[str, Any]]:
    """The plan's appointments spread over the day's slots; those already seeded are skipped."""
    booked = []
    for index in range(plan.count):
        seed = f"{plan.site}:{plan.day.isoformat()}:{plan.label}:{index}"
        appointment_id = f"apt_{hashlib.sha256(seed.encode()).hexdigest()[:16]}"
        start = _slot_start(plan.day, index * SLOTS // plan.count, zone, first_slot)
        family = index % 7 == 3  # about one in seven
        service, lang = rng.choice(services), rng.choice(LANGUAGES)
        persons = rng.randint(2, 4) if family else 1
        documents = sorted(rng.sample(DOCUMENTS, rng.randint(1, 3)))
        if db.execute("SELECT 1 FROM appointments WHERE id = ?", [appointment_id]).fetchone() is None:
            booked.append(appointments.create(db, plan.site, [service], (start, start + SLOT), persons, lang,
                                              documents=documents, appointment_id=appointment_id))
    return booked


def _cancel_and_move(db: sqlite_utils.Database, rng: random.Random, day: list[dict[str, Any]],
                     zone: ZoneInfo, first_slot: time) -> None:
    """Cancel 3 and move 2 of the day's new appointments to another slot of the same day."""
    if len(day) < CANCELLED + MOVED:
        return
    chosen = rng.sample(day, CANCELLED + MOVED)
    for appointment in chosen[:CANCELLED]:
        appointments.cancel(db, appointment["id"])
    for appointment in chosen[CANCELLED:]:
        local_day = datetime.fromisoformat(appointment["slot_start"]).astimezone(zone).date()
        start = _slot_start(local_day, rng.randrange(SLOTS), zone, first_slot)
        appointments.move(db, appointment["id"], (start, start + SLOT))
