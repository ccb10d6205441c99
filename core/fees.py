"""The fee schedule: per service, the items a visitor pays at the kiosk, in integer minor units.

Amounts are never floats: `6000` with currency EUR is 60.00 €. The schedule comes from the site
configuration today and from the central later (the same shape). A service without items is free and its
visitors skip payment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from babel.numbers import format_currency, get_currency_precision

MAX_AMOUNT_MINOR = 10_000_000  # 100,000.00 in a 2-digit currency: above it, surely a typo


@dataclass(frozen=True)
class FeeItem:
    code: str
    amount_minor: int
    names: dict[str, str] = field(default_factory=dict)

    def name(self, lang: str, fallback: str = "fr") -> str:
        return self.names.get(lang) or self.names.get(fallback) or self.code


def parse_items(service: str, raw: list[dict[str, Any]]) -> tuple[FeeItem, ...]:
    """Fee items from the configuration, refused with a sentence when an amount is not a whole number."""
    items = tuple(_item(service, entry) for entry in raw)
    codes = [item.code for item in items]
    if len(set(codes)) != len(codes):
        raise ValueError(f"service {service}: two fee items share a code")
    return items


def _item(service: str, entry: dict[str, Any]) -> FeeItem:
    amount = entry.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_AMOUNT_MINOR:
        raise ValueError(
            f"service {service}: fee {entry.get('code')!r} needs `amount` as a whole number of minor units "
            f"(cents) between 1 and {MAX_AMOUNT_MINOR}, not {amount!r}"
        )
    if not isinstance(entry.get("code"), str) or not entry["code"]:
        raise ValueError(f"service {service}: every fee item needs a `code`")
    return FeeItem(entry["code"], amount, dict(entry.get("names", {})))


def total(items: tuple[FeeItem, ...]) -> int:
    return sum(item.amount_minor for item in items)


def check_currency(currency: str) -> str:
    """An ISO 4217 alphabetic code babel knows (EUR, MAD, …)."""
    if not (isinstance(currency, str) and len(currency) == 3 and currency.isalpha() and currency.isupper()):
        raise ValueError(f"site.currency must be an ISO 4217 code such as EUR, not {currency!r}")
    return currency


def format_amount(amount_minor: int, currency: str, lang: str) -> str:
    """60,00 € in French, ‏60٫00 € in Arabic: the locale's way, from exact integers."""
    digits = get_currency_precision(currency)
    return str(format_currency(Decimal(amount_minor).scaleb(-digits), currency, locale=lang))


def to_json(items: tuple[FeeItem, ...], currency: str, lang: str) -> dict[str, Any]:
    """What the kiosk shows: each item, the total, formatted in the visitor's language."""
    return {
        "currency": currency,
        "items": [{"code": i.code, "name": i.name(lang), "amount_minor": i.amount_minor,
                   "amount": format_amount(i.amount_minor, currency, lang)} for i in items],
        "total_minor": total(items),
        "total": format_amount(total(items), currency, lang),
    }
