"""Amounts, currencies and our payment references: the values every protocol carries.

Amounts are integers in minor units (cents); a float never reaches a terminal. References are ours, unique,
and at most 10 characters because Concert V2 echoes only 10 (its PRIV field): one format for every
protocol, so a kiosk can change terminal without changing its references.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from datetime import UTC, datetime

# ISO 4217 numeric codes of the currencies a consulate may charge in; extend when a post needs another.
CURRENCY_NUMERIC = {"EUR": "978", "MAD": "504", "USD": "840", "GBP": "826", "CHF": "756", "CAD": "124"}
CURRENCY_ALPHA = {numeric: alpha for alpha, numeric in CURRENCY_NUMERIC.items()}

REFERENCE_PATTERN = re.compile(r"[0-9A-Z-]{1,10}")
REFERENCE_LENGTH = 10
_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_EPOCH = datetime(2024, 1, 1, tzinfo=UTC).timestamp()
_TIME_DIGITS = 8  # 36**8 milliseconds is 89 years: references stay 10 characters until 2113
_RANDOM_DIGITS = REFERENCE_LENGTH - _TIME_DIGITS
_last_millis = 0
_millis_lock = threading.Lock()


def base36(number: int, width: int = 1) -> str:
    """The number in upper-case base 36, left-padded with zeros to width."""
    digits = ""
    while number or not digits:
        number, rest = divmod(number, 36)
        digits = _BASE36[rest] + digits
    return digits.rjust(width, "0")


def new_reference(now: float | None = None) -> str:
    """A fresh 10-character reference: 8 base-36 digits of milliseconds since 2024, 2 random ones.

    Within a process the time part strictly increases (a second reference in the same millisecond takes
    the next one), so references are unique and sort by time; the random part separates processes. The
    payment journal still enforces uniqueness and draws again on a collision.
    """
    global _last_millis
    with _millis_lock:
        millis = max(int(((time.time() if now is None else now) - _EPOCH) * 1000), _last_millis + 1)
        _last_millis = millis
    return base36(millis, _TIME_DIGITS) + base36(secrets.randbelow(36**_RANDOM_DIGITS), _RANDOM_DIGITS)


def check_reference(reference: object) -> str:
    """The reference if it is 1 to 10 characters of 0-9, A-Z or '-'; ValueError otherwise."""
    if not isinstance(reference, str) or not REFERENCE_PATTERN.fullmatch(reference):
        raise ValueError(
            f"payment reference {reference!r} must be 1 to {REFERENCE_LENGTH} characters of 0-9, A-Z or '-'"
        )
    return reference


def check_amount(amount_minor: object) -> int:
    """The amount if it is a positive int of minor units; ValueError for floats, bools, zero or less."""
    if type(amount_minor) is not int:
        raise ValueError(f"amount {amount_minor!r} must be an integer number of minor units (cents), not a "
                         f"{type(amount_minor).__name__}")
    if amount_minor <= 0:
        raise ValueError(f"amount {amount_minor} must be greater than zero")
    return amount_minor


def currency_numeric(currency: str) -> str:
    """The ISO 4217 numeric code the terminals expect; ValueError for a currency we do not know."""
    try:
        return CURRENCY_NUMERIC[currency]
    except KeyError:
        known = ", ".join(CURRENCY_NUMERIC)
        raise ValueError(f"currency {currency!r} is not supported: expected one of {known}") from None


def currency_alpha(numeric: str, default: str) -> str:
    """The ISO alpha code of a numeric code received from a terminal, or default when unknown."""
    return CURRENCY_ALPHA.get(numeric, default)


def mask_pan(value: str | None) -> str | None:
    """'**** 1234' from what a terminal sent as card number (full, partial or masked); None without 4 digits.

    Only the last four digits survive: a full PAN never leaves the decoder that received it.
    """
    digits = [char for char in value or "" if char.isdigit()]
    return f"**** {''.join(digits[-4:])}" if len(digits) >= 4 else None
