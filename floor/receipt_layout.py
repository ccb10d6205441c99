"""The payment receipt printed under the visitor's ticket (cut between the two), in the visitor's language.

It carries what a card receipt must and nothing more (market.md §5.7): the consulate, date and time, each
fee item and the total, the card as `**** 1234` at most, the authorisation code, our reference, and the
eTimbre number or "pending". Card data beyond the last four digits never reaches Dour.
"""

from __future__ import annotations

import json
from datetime import datetime

from core import fees
from core.payments import Payment
from core.site import Site
from floor.ticket_layout import Translate, centred
from hardware.printer import Align, Block, Feed, Text

RECEIPT = "Receipt"


def line(label: str, value: str) -> Text:
    return Text(f"{label}: {value}", Align.LEFT)


def layout_receipt(site: Site, payment: Payment, translate: Translate) -> list[Block]:
    """The receipt's blocks for an approved payment."""
    config, lang = site.config, payment.lang
    paid_at = datetime.fromisoformat(payment.updated_at.replace("Z", "+00:00")).astimezone(config.tz)
    service = config.service(str(payment.service))
    names = {item.code: item.name(lang) for item in service.fees}

    def amount(minor: int) -> str:
        return fees.format_amount(minor, payment.currency, lang)

    items = [line(names.get(str(item["code"]), str(item["code"])), amount(int(item["amount_minor"])))
             for item in json.loads(payment.items)]
    etimbre = payment.etimbre or translate(lang, "pending: it will be on your file")
    return [
        centred(str(config.site["name"]), bold=True),
        centred(translate(lang, RECEIPT), bold=True),
        centred(paid_at.strftime("%d/%m/%Y %H:%M")),
        Feed(),
        *items,
        line(translate(lang, "Total paid"), amount(payment.amount_minor)),
        Feed(),
        line(translate(lang, "Card"), f"**** {payment.card_last4}" if payment.card_last4 else "–"),
        line(translate(lang, "Authorisation"), payment.auth_code or "–"),
        line(translate(lang, "Payment reference"), payment.reference),
        line(translate(lang, "eTimbre"), etimbre),
    ]
