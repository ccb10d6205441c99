"""The payment receipt printed under the visitor's ticket (cut between the two), in the visitor's language.

It carries what a card receipt must and nothing more (market.md §5.7): the consulate, date and time, each
fee item and the total, the card as `**** 1234` at most, the authorisation code, our reference, and the
eTimbre number or "pending". Card data beyond the last four digits never reaches Dour.

An Arabic receipt reads from the right: its lines are right-aligned, each label (a raster image) above its
value, which the printer prints as text in its own left-to-right order ("**** 4242", "60.00 €"). A value
the printer cannot print (Arabic words) stays on its label's line, isolated so that the bidi algorithm
does not reorder it.
"""

from __future__ import annotations

import json
from datetime import datetime

from core import fees
from core.payments import Payment
from core.site import Site
from core.web import RTL_LANGUAGES
from floor.ticket_layout import Translate, centred
from hardware.printer import Align, Block, Feed, Text, has_rtl, isolate

RECEIPT = "Receipt"
NO_VALUE = "–"


def line(label: str, value: str, rtl: bool = False) -> list[Block]:
    """`label: value`; right to left, the label's line then the value's line when the value is written
    left to right (the printer prints it as text, in its own order), else one line with the value isolated."""
    if not rtl:
        return [Text(f"{label}: {value}", Align.LEFT)]
    if not has_rtl(value):
        return [Text(f"{label}:", Align.RIGHT), Text(value, Align.RIGHT)]
    return [Text(f"{label}: {isolate(value)}", Align.RIGHT)]


def layout_receipt(site: Site, payment: Payment, translate: Translate) -> list[Block]:
    """The receipt's blocks for an approved payment."""
    config, lang = site.config, payment.lang
    rtl = lang in RTL_LANGUAGES
    paid_at = datetime.fromisoformat(payment.updated_at.replace("Z", "+00:00")).astimezone(config.tz)
    service = config.service(str(payment.service))
    names = {item.code: item.name(lang) for item in service.fees}

    def amount(minor: int) -> str:
        return fees.format_amount(minor, payment.currency, lang)

    def fact(label: str, value: str) -> list[Block]:
        return line(label, value, rtl)

    items = [block for item in json.loads(payment.items) for block in fact(
        names.get(str(item["code"]), str(item["code"])), amount(int(item["amount_minor"])))]
    etimbre = payment.etimbre or translate(lang, "pending: it will be on your file")
    return [
        centred(str(config.site["name"]), bold=True),
        centred(translate(lang, RECEIPT), bold=True),
        centred(paid_at.strftime("%d/%m/%Y %H:%M")),
        Feed(),
        *items,
        *fact(translate(lang, "Total paid"), amount(payment.amount_minor)),
        Feed(),
        *fact(translate(lang, "Card"), f"**** {payment.card_last4}" if payment.card_last4 else NO_VALUE),
        *fact(translate(lang, "Authorisation"), payment.auth_code or NO_VALUE),
        *fact(translate(lang, "Payment reference"), payment.reference),
        *fact(translate(lang, "eTimbre"), etimbre),
    ]
