"""Strict checks of what callers send the central: every field's type and range, refused with a sentence.

A central that answers 500 to a malformed request tells its caller to retry forever; a 400 naming the field
tells a person what to fix. So every value is checked here before any database work, and bools never pass
for integers (JSON `true` is not `1`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from core.errors import DourError

MAX_TEXT = 200
SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,199}")


class Refused(DourError):
    """A request the central refuses: HTTP `status`, a stable `code`, and a sentence saying why."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def malformed(message: str) -> Refused:
    return Refused(400, "malformed", message)


def json_object(data: Any, what: str = "the request body") -> dict[str, Any]:
    if not isinstance(data, dict):
        raise malformed(f"{what} must be a JSON object")
    return data


def text(data: dict[str, Any], name: str, optional: bool = False, max_length: int = MAX_TEXT) -> Any:
    """A non-empty string of at most `max_length` characters; None when optional and absent or null."""
    value = data.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value or len(value) > max_length:
        raise malformed(f"{name} must be a non-empty text of at most {max_length} characters")
    return value


def identifier(value: Any, name: str) -> str:
    """An id that is safe in a URL path and a log line: letters, digits and . _ : -"""
    if not isinstance(value, str) or not SAFE_ID.fullmatch(value):
        raise malformed(f"{name} must be 1 to 200 letters, digits or . _ : - (first a letter or digit)")
    return value


def integer(data: dict[str, Any], name: str, minimum: int, maximum: int) -> int:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise malformed(f"{name} must be a whole number from {minimum} to {maximum}")
    return value


def number(data: dict[str, Any], name: str, minimum: float, maximum: float) -> float:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not minimum <= value <= maximum:
        raise malformed(f"{name} must be a number from {minimum} to {maximum}")
    return float(value)


def text_list(data: dict[str, Any], name: str, optional: bool = False, non_empty: bool = False) -> list[str]:
    value = data.get(name)
    if value is None and optional:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise malformed(f"{name} must be a list of non-empty texts")
    if non_empty and not value:
        raise malformed(f"{name} must not be empty")
    if len(value) > 50 or any(len(item) > MAX_TEXT for item in value):
        raise malformed(f"{name} is too long")
    return value


def moment(data: dict[str, Any], name: str) -> datetime:
    """An ISO 8601 instant with its offset (`Z` or `+02:00`), as an aware UTC datetime."""
    return parse_moment(data.get(name), name)


def parse_moment(value: Any, name: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) and len(value) <= 40 else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise malformed(f"{name} must be an ISO 8601 date and time with offset, e.g. 2026-12-02T09:30:00Z")
    return parsed.astimezone(UTC)


def iso_z(moment_: datetime) -> str:
    """The central's form of an instant: UTC, whole seconds, `Z` (sorts as text)."""
    return moment_.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
