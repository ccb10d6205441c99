"""A site profile for the simulator: opening hours, counters and breaks, arrivals, service times.

Profiles are TOML files (sim/profiles/*.toml, or any path). A profile may extend another (`base = "large"`)
and scale its arrivals (`[walk_ins] scale = 2`): the summer peak is the large post with more visitors.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

SHIPPED = ("mid", "large", "marhaba")


@dataclass(frozen=True)
class Lognormal:
    """Service minutes: lognormal with this median and sigma (of the logarithm)."""

    median: float
    sigma: float


@dataclass(frozen=True)
class Flow:
    """Walk-ins or pickups: how many a day, when (relative weight per hour from opening), for what."""

    per_day: float
    hourly: tuple[float, ...]
    mix: dict[str, float]
    priority_share: float = 0.0
    left_share: float = 0.0


@dataclass(frozen=True)
class Book:
    """The appointment book: bookings per slot and service, and how people keep them."""

    first_slot: float  # minutes since local midnight
    last_slot: float
    slot_minutes: int
    per_slot: dict[str, float]
    no_show_share: float
    early_mean: float  # minutes before the slot (negative: late)
    early_sd: float
    family_share: float
    family_persons: tuple[int, int]


@dataclass(frozen=True)
class CounterPlan:
    number: int
    services: tuple[str, ...]
    breaks: tuple[tuple[float, float], ...]  # (start, minutes), start in minutes since local midnight


@dataclass(frozen=True)
class Profile:
    name: str
    date: str
    opens: float
    closes: float
    service_times: dict[str, Lognormal]
    walk_ins: Flow
    pickups: Flow
    appointments: Book
    counters: tuple[CounterPlan, ...]
    transfers: dict[str, tuple[str, float]] = field(default_factory=dict)  # service -> (to, share)
    walk_minutes: float = 0.5  # from the call to the counter


def minutes(clock_time: str) -> float:
    """'09:30' → 570.0 (minutes since local midnight)."""
    hours, mins = clock_time.split(":")
    return int(hours) * 60 + int(mins)


def _raw(name_or_path: str) -> dict[str, Any]:
    if name_or_path in SHIPPED:
        text = resources.files("sim").joinpath(f"profiles/{name_or_path}.toml").read_text(encoding="utf-8")
        raw = tomllib.loads(text)
    else:
        with Path(name_or_path).open("rb") as handle:
            raw = tomllib.load(handle)
    base = raw.pop("base", None)
    return _extend(_raw(base), raw) if base else raw


def _extend(base: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    """The base profile, its tables updated key by key by `raw`; `extra_counters` join its counters."""
    merged = dict(base)
    for key, value in raw.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = {**base[key], **value}
        else:
            merged[key] = value
    extra = merged.pop("extra_counters", [])
    merged["counters"] = [*raw.get("counters", base.get("counters", [])), *extra]
    return merged


def _flow(raw: dict[str, Any]) -> Flow:
    return Flow(per_day=float(raw["per_day"]) * float(raw.get("scale", 1.0)),
                hourly=tuple(float(w) for w in raw["hourly"]),
                mix={str(k): float(v) for k, v in raw["mix"].items()},
                priority_share=float(raw.get("priority_share", 0.0)),
                left_share=float(raw.get("left_share", 0.0)))


def _book(raw: dict[str, Any]) -> Book:
    low, high = raw.get("family_persons", [2, 4])
    scale = float(raw.get("scale", 1.0))
    return Book(first_slot=minutes(raw["first_slot"]), last_slot=minutes(raw["last_slot"]),
                slot_minutes=int(raw["slot_minutes"]),
                per_slot={str(k): float(v) * scale for k, v in raw["per_slot"].items()},
                no_show_share=float(raw["no_show_share"]), early_mean=float(raw["early_mean"]),
                early_sd=float(raw["early_sd"]), family_share=float(raw.get("family_share", 0.0)),
                family_persons=(int(low), int(high)))


def _counters(groups: list[dict[str, Any]]) -> tuple[CounterPlan, ...]:
    """Counter groups (`count` alike counters); each agent's breaks are shifted by `stagger` minutes more
    than the previous one's, so that colleagues do not all leave at once."""
    plans: list[CounterPlan] = []
    for group in groups:
        for index in range(int(group.get("count", 1))):
            shift = index * float(group.get("stagger", 0))
            breaks = tuple((minutes(start) + shift, float(length))
                           for start, length in group.get("breaks", []))
            plans.append(CounterPlan(len(plans) + 1, tuple(group["services"]), breaks))
    return tuple(plans)


def load(name_or_path: str) -> Profile:
    """A shipped profile by name (mid, large, marhaba) or a TOML file by path."""
    raw = _raw(name_or_path)
    times = {code: Lognormal(float(v["median"]), float(v["sigma"]))
             for code, v in raw["service_times"].items()}
    transfers = {code: (str(v["to"]), float(v["share"])) for code, v in raw.get("transfers", {}).items()}
    return Profile(name=str(raw["name"]), date=str(raw["date"]), opens=minutes(raw["opens"]),
                   closes=minutes(raw["closes"]), service_times=times, walk_ins=_flow(raw["walk_ins"]),
                   pickups=_flow(raw["pickups"]), appointments=_book(raw["appointments"]),
                   counters=_counters(raw["counters"]), transfers=transfers,
                   walk_minutes=float(raw.get("walk_minutes", 0.5)))
