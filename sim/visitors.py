"""Who comes on the simulated day: drawn once from the profile and the seed, before anything runs.

Every draw happens here, in a fixed order, so two policies run on the very same visitors (same arrivals,
same service times, same transfers): a comparison measures the policy, not the dice.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from sim.profile import Flow, Profile


@dataclass(frozen=True)
class Visitor:
    key: str  # W0001, P0001, A0001
    kind: str  # walk_in, pickup, appointment
    service: str
    arrives: float  # minutes since local midnight
    service_minutes: float
    priority: bool = False
    leaves: bool = False  # took a ticket and left: a no-show at the call
    slot: float | None = None
    persons: int = 1
    transfer_to: str | None = None
    transfer_minutes: float = 0.0
    comes: bool = True  # an appointment booked but not kept: in the book, never at the kiosk


def service_minutes(profile: Profile, rng: random.Random, service: str, persons: int = 1) -> float:
    """One visit's service time: a lognormal draw per person (a family is served on one ticket)."""
    law = profile.service_times[service]
    return sum(rng.lognormvariate(math.log(law.median), law.sigma) for _ in range(persons))


def _arrival(profile: Profile, rng: random.Random, flow: Flow) -> float:
    """A time within opening hours, the hour drawn by its weight (the morning peak), uniform inside it."""
    hours = len(flow.hourly)
    hour = rng.choices(range(hours), weights=flow.hourly)[0]
    start = profile.opens + hour * (profile.closes - profile.opens) / hours
    return start + rng.random() * (profile.closes - profile.opens) / hours


def _count(rng: random.Random, mean: float) -> int:
    """A whole number with this mean: the integer part, plus one with the fractional part's chance."""
    whole = math.floor(mean)
    return whole + (1 if rng.random() < mean - whole else 0)


def _flow_visitors(profile: Profile, rng: random.Random, flow: Flow, kind: str, tag: str) -> list[Visitor]:
    services, weights = list(flow.mix), list(flow.mix.values())
    visitors: list[Visitor] = []
    for index in range(_count(rng, flow.per_day)):
        service = rng.choices(services, weights=weights)[0]
        arrives = _arrival(profile, rng, flow)
        minutes = service_minutes(profile, rng, service)
        priority, leaves = rng.random() < flow.priority_share, rng.random() < flow.left_share
        to, then = _transfer(profile, rng, service)
        visitors.append(Visitor(key=f"{tag}{index + 1:04d}", kind=kind, service=service, arrives=arrives,
                                service_minutes=minutes, priority=priority, leaves=leaves, transfer_to=to,
                                transfer_minutes=then))
    return visitors


def _transfer(profile: Profile, rng: random.Random, service: str) -> tuple[str | None, float]:
    """A share of a service's visitors is sent on to another service after the first counter."""
    to, share = profile.transfers.get(service, ("", 0.0))
    if not to or rng.random() >= share:
        return None, 0.0
    return to, service_minutes(profile, rng, to)


def _appointments(profile: Profile, rng: random.Random) -> list[Visitor]:
    """The booked slots, then who keeps them and when they come (early, or late: past the check-in window
    the kiosk refuses them and they take a walk-in ticket)."""
    book = profile.appointments
    visitors: list[Visitor] = []
    slot = book.first_slot
    while slot <= book.last_slot:
        for service, per_slot in book.per_slot.items():
            for _ in range(_count(rng, per_slot)):
                persons = rng.randint(*book.family_persons) if rng.random() < book.family_share else 1
                comes = rng.random() >= book.no_show_share
                early = rng.gauss(book.early_mean, book.early_sd)
                minutes = service_minutes(profile, rng, service, persons)
                to, then = _transfer(profile, rng, service)
                visitors.append(Visitor(
                    key=f"A{len(visitors) + 1:04d}", kind="appointment", service=service,
                    arrives=max(profile.opens, slot - early), service_minutes=minutes, slot=slot,
                    persons=persons, comes=comes, transfer_to=to, transfer_minutes=then))
        slot += book.slot_minutes
    return visitors


def plan_day(profile: Profile, seed: int) -> list[Visitor]:
    """Everyone who comes, by arrival time."""
    rng = random.Random(seed)
    visitors = _appointments(profile, rng)
    visitors += _flow_visitors(profile, rng, profile.walk_ins, "walk_in", "W")
    visitors += _flow_visitors(profile, rng, profile.pickups, "pickup", "P")
    return sorted(visitors, key=lambda v: (v.arrives, v.key))
