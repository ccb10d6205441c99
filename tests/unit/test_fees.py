"""The fee schedule: integer minor units only, formatted per language, free services have no items."""

from __future__ import annotations

import pytest

from core import config as site_config
from core.fees import FeeItem, format_amount, parse_items, to_json, total


def test_default_site_charges_passports_and_not_civil_status() -> None:
    config = site_config.load(env={})
    assert config.site["currency"] == "EUR"
    assert total(config.service("passport").fees) == 6000
    assert config.service("civil_status").fees == ()


@pytest.mark.parametrize("amount", [60.5, "6000", True, 0, -100, None, 10**9])
def test_an_amount_that_is_not_a_whole_number_of_cents_is_refused(amount: object) -> None:
    with pytest.raises(ValueError, match="whole number of minor units"):
        parse_items("passport", [{"code": "stamp", "amount": amount}])


def test_duplicate_item_codes_are_refused() -> None:
    with pytest.raises(ValueError, match="share a code"):
        parse_items("x", [{"code": "a", "amount": 1}, {"code": "a", "amount": 2}])


@pytest.mark.parametrize("lang, text", [("fr", "60,50\u00a0€"), ("en", "€60.50"), ("de", "60,50\u00a0€")])
def test_amounts_are_formatted_exactly_in_the_visitors_language(lang: str, text: str) -> None:
    assert format_amount(6050, "EUR", lang) == text


def test_kiosk_view_lists_items_and_total() -> None:
    items = (FeeItem("a", 6000, {"fr": "Passeport"}), FeeItem("b", 750, {"en": "CNIE"}))
    view = to_json(items, "EUR", "fr")
    assert view["total_minor"] == 6750 and view["total"] == "67,50\u00a0€"
    assert [i["name"] for i in view["items"]] == ["Passeport", "b"]


def test_a_bad_currency_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="ISO 4217"):
        site_config.load(env={"DOUR_SITE_CURRENCY": "euro"})
