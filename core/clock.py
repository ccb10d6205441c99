"""Time in one place, so tests can move it (numbering across midnight)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    """The current instant, timezone-aware (UTC)."""
    return _now()


def utc_iso(moment: datetime | None = None) -> str:
    """An ISO 8601 UTC timestamp with microseconds: sorts as text."""
    return (moment or now()).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def set_clock(source: Callable[[], datetime] | None) -> None:
    """Replace the clock (tests); None restores the real one."""
    global _now
    _now = source or (lambda: datetime.now(UTC))
