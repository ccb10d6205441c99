"""Site configuration: built-in demo defaults, then a TOML file, then the environment.

Layering: `core/defaults.toml` → the file named by `--config` or `DOUR_CONFIG` → environment variables
`DOUR_<SECTION>_<KEY>` for scalar keys (for example `DOUR_SERVER_PORT=9000`). A TOML file that defines
`services` or `counters` replaces the default lists entirely.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from core.errors import N_, InvalidInput
from core.fees import FeeItem, check_currency, parse_items

LANGUAGES = ("ar", "fr", "en", "es", "it", "de", "nl")
TICKET_KINDS = ("appointment", "walk_in", "pickup")
KIND_LABELS = {"appointment": N_("appointment"), "walk_in": N_("walk-in"), "pickup": N_("pickup")}
SECTIONS = ("site", "server", "policy", "devices", "sync")


@dataclass(frozen=True)
class Service:
    code: str
    prefix: str
    names: dict[str, str]
    target_wait_minutes: int
    average_service_minutes: int
    kinds: tuple[str, ...]
    fees: tuple[FeeItem, ...] = ()

    def name(self, lang: str, fallback: str = "fr") -> str:
        return self.names.get(lang) or self.names.get(fallback) or self.code


@dataclass(frozen=True)
class Counter:
    number: int
    services: tuple[str, ...]
    breaks: tuple[tuple[int, int], ...] = ()  # planned breaks: (start, minutes since local midnight; length)


@dataclass(frozen=True)
class SiteConfig:
    site: dict[str, Any]
    server: dict[str, Any]
    policy: dict[str, Any]
    devices: dict[str, Any]
    sync: dict[str, Any]
    services: dict[str, Service] = field(default_factory=dict)
    counters: dict[int, Counter] = field(default_factory=dict)

    @property
    def site_id(self) -> str:
        return str(self.site["id"])

    @property
    def public_url(self) -> str:
        """Base of visitors' links and enrolment URLs: `server.public_url`, else this server's own address."""
        configured = str(self.server.get("public_url") or "").rstrip("/")
        return configured or f"http://{self.server['host']}:{self.server['port']}"

    def listen_on(self, host: str | None, port: int | None) -> None:
        """Apply `--host`/`--port` from the command line (before the app is built)."""
        if host:
            self.server["host"] = host
        if port:
            self.server["port"] = port

    @property
    def session_lifetime(self) -> timedelta:
        """How long an agent's login lasts at most (`server.session_hours`)."""
        return timedelta(hours=float(self.server["session_hours"]))

    @property
    def tz(self) -> tzinfo:
        return ZoneInfo(self.site["timezone"])

    def local_day(self, moment: datetime) -> str:
        """The calendar day of `moment` (aware) in the site's time zone, as YYYY-MM-DD."""
        return moment.astimezone(self.tz).date().isoformat()

    def service(self, code: str) -> Service:
        try:
            return self.services[code]
        except KeyError:
            raise InvalidInput(N_("Unknown service: %(code)s."), code=code) from None

    def device_uri(self, kind: str, owner: str | int | None = None) -> str:
        """The URI of a kiosk's `printer`/`scanner`/`payment` or a counter's `card_reader`: the owner's
        entry in `devices.kiosks."<kiosk name>"` or `devices.counters."<number>"`, else the site default."""
        table = "counters" if kind == "card_reader" else "kiosks"
        own = self.devices.get(table, {}).get(str(owner), {}) if owner is not None else {}
        return str(own.get(kind, self.devices.get(kind, "")) or "")

    def counter(self, number: int) -> Counter:
        try:
            return self.counters[int(number)]
        except (KeyError, TypeError, ValueError):
            raise InvalidInput(N_("Unknown counter: %(number)s."), number=number) from None


def _defaults() -> dict[str, Any]:
    text = resources.files("core").joinpath("defaults.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _coerce(current: Any, raw: str) -> Any:
    if isinstance(current, bool):
        return raw.lower() in ("1", "true", "yes", "on")
    if isinstance(current, int):
        return int(raw)
    if isinstance(current, list):
        return [item.strip() for item in raw.split(",") if item.strip()]
    return raw


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for section in SECTIONS:
        merged[section] = {**base.get(section, {}), **override.get(section, {})}
    for listed in ("services", "counters"):
        if listed in override:
            merged[listed] = override[listed]
    return merged


def _apply_env(raw: dict[str, Any], env: dict[str, str]) -> None:
    for section in SECTIONS:
        for key, current in list(raw[section].items()):
            name = f"DOUR_{section.upper()}_{key.upper()}"
            if name in env:
                raw[section][key] = _coerce(current, env[name])


def _build(raw: dict[str, Any]) -> SiteConfig:
    services = {
        s["code"]: Service(
            code=s["code"],
            prefix=s["prefix"],
            names=dict(s["names"]),
            target_wait_minutes=int(s["target_wait_minutes"]),
            average_service_minutes=int(s["average_service_minutes"]),
            kinds=tuple(s["kinds"]),
            fees=parse_items(s["code"], s.get("fees", [])),
        )
        for s in raw["services"]
    }
    counters = {int(c["number"]): Counter(int(c["number"]), tuple(c["services"]),
                                          parse_breaks(int(c["number"]), c.get("breaks", [])))
                for c in raw["counters"]}
    config = SiteConfig(raw["site"], raw["server"], raw["policy"], raw["devices"], raw["sync"], services,
                        counters)
    validate(config)
    return config


def parse_breaks(counter: int, raw: Any) -> tuple[tuple[int, int], ...]:
    """`[["12:00", 45], …]`: a planned break's local start and its minutes, in the order of the day."""
    found = []
    for item in raw:
        try:
            start, length = str(item[0]), int(item[1])
            hours, minutes = (int(part) for part in start.split(":"))
        except (TypeError, ValueError, IndexError):
            raise ValueError(f"counter {counter}: a break is [\"HH:MM\", minutes], not {item!r}") from None
        if not (0 <= hours < 24 and 0 <= minutes < 60) or not 0 < length <= 240:
            raise ValueError(f"counter {counter}: the break {item!r} needs a time of day, 1 to 240 minutes")
        found.append((hours * 60 + minutes, length))
    return tuple(sorted(found))


def validate(config: SiteConfig) -> None:
    """Refuse a configuration that would break numbering or routing, with a sentence saying why."""
    prefixes = [s.prefix for s in config.services.values()]
    if len(set(prefixes)) != len(prefixes):
        raise ValueError("two services share a ticket prefix; each service needs its own letter")
    for service in config.services.values():
        unknown = set(service.kinds) - set(TICKET_KINDS)
        if unknown:
            raise ValueError(f"service {service.code}: unknown ticket kinds {sorted(unknown)}")
    for counter in config.counters.values():
        missing = set(counter.services) - set(config.services)
        if missing:
            raise ValueError(f"counter {counter.number} serves unknown services {sorted(missing)}")
    ZoneInfo(config.site["timezone"])
    check_currency(config.site["currency"])
    if int(config.policy["priority_share"]) < 0:
        raise ValueError("policy.priority_share must be 0 or more")
    if str(config.policy.get("order", "current")) not in ("current", "fifo", "deadline"):  # policy.ORDERS
        raise ValueError(f"policy.order must be current, fifo or deadline, not {config.policy['order']!r}")
    for key in ("starvation_minutes", "quick_service_minutes", "quick_urgent_minutes"):
        if float(config.policy.get(key, 0)) < 0:
            raise ValueError(f"policy.{key} must be 0 or more")


def load(path: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None) -> SiteConfig:
    """Load the configuration: defaults, then the TOML file (if any), then the environment."""
    env = dict(os.environ) if env is None else env
    raw = _defaults()
    path = path or env.get("DOUR_CONFIG")
    if path:
        with Path(path).open("rb") as handle:
            raw = _merge(raw, tomllib.load(handle))
    _apply_env(raw, env)
    return _build(raw)


def default_keys() -> list[str]:
    """Every scalar configuration key as `section.key` (used by the docs test)."""
    raw = _defaults()
    keys = [f"{section}.{key}" for section in SECTIONS for key in raw[section]]
    keys += [f"services.{key}" for key in raw["services"][0]]
    keys += [f"counters.{key}" for key in raw["counters"][0]]
    return keys
