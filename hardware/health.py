"""Device health: the one shape every device driver reports (printer, card reader, scanner, terminal)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class HealthState(StrEnum):
    """ok: works. degraded: works, needs attention soon (paper near end). offline: cannot work.
    unknown: no answer, so we cannot say; never reported as ok."""

    OK = "ok"
    DEGRADED = "degraded"
    OFFLINE = "offline"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Health:
    """A device's state, a stable machine reason (the caller translates it) and a detail for IT staff."""

    state: HealthState
    reason: str = ""  # "paper_near_end", "paper_out", "cover_open", "no_answer", "unreachable", …
    detail: str = ""

    @classmethod
    def ok(cls) -> Health:
        return cls(HealthState.OK)
