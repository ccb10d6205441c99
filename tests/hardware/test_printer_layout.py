"""The queue ticket's layout (floor.ticket_layout) with the real catalogs: bilingual, Arabic as raster,
the date in the site's time zone, and a QR code that decodes to the visitor's live page."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from babel.support import Translations
from PIL import Image, ImageChops

from core import payments
from core.payments import Payment
from core.site import IssuedTicket, Site
from floor import ticket_and_receipt
from floor.ticket_layout import layout_ticket, second_language
from hardware.printer import Cut, Qr, Text, Ticket, printer_profile, render
from hardware.printer.encode import encode_ticket

CATALOGS = Path(__file__).resolve().parents[2] / "core" / "translations"
SITE_NAME = "Consulat général du Royaume du Maroc à Paris"


def translate(lang: str, message: str) -> str:
    """The site's catalogs, as the kiosk's translator reads them (without building the web app)."""
    return str(Translations.load(str(CATALOGS), [lang]).gettext(message))


@pytest.fixture
def issue(site: Site, clock: Any) -> Any:
    clock.set(datetime(2026, 1, 5, 8, 14, tzinfo=UTC))  # 09:14 in Paris

    def make(lang: str) -> tuple[IssuedTicket, Ticket]:
        issued = site.issue_ticket(service="passport", kind="walk_in", lang=lang, actor="test")
        return issued, layout_ticket(site, issued, translate)

    return make


def test_a_french_ticket_has_arabic_as_its_second_language(issue: Any, site: Site) -> None:
    issued, ticket = issue("fr")
    assert ticket.texts() == [
        SITE_NAME, "Votre numéro", "A-001", "Passeport", "جواز السفر", "05/01/2026 09:14",
        "Personnes avant vous: 0", "عدد الأشخاص قبلك: 0",
        "Attente estimée: 0\xa0min", "مدة الانتظار المتوقعة: 0 دقيقة",
        "Scannez ce code avec votre téléphone pour suivre votre tour.",
    ]
    [qr] = [block for block in ticket if isinstance(block, Qr)]
    assert qr.data == site.ticket_url(issued.ticket.id)
    assert isinstance(ticket.blocks[-1], Cut)


def test_an_arabic_ticket_is_printed_in_arabic_with_french_second(issue: Any, site: Site) -> None:
    issue("fr")
    issued, ticket = issue("ar")
    assert ticket.texts()[1:8] == [
        "رقمك", "A-002", "جواز السفر", "Passeport", "05/01/2026 09:14", "عدد الأشخاص قبلك: 1",
        "Personnes avant vous: 1",
    ]
    assert ticket.texts()[-1] == "يمكنك مسح هذا الرمز بهاتفك لمتابعة دورك."
    job = encode_ticket(ticket, printer_profile())
    assert b"Passeport\n" in job and b"\x1dv0" in job and b"\x1bt\x20" not in job  # no Arabic code page
    assert job.count(b"\x1dv0") == 5  # number label, service, ahead, wait, scan hint
    image = render(job).image
    assert [found.text for found in zxingcpp.read_barcodes(image.convert("L"))] == [
        site.ticket_url(issued.ticket.id)]


@pytest.mark.parametrize(("lang", "default", "second"), [
    ("fr", "fr", "ar"), ("en", "fr", "ar"), ("ar", "fr", "fr"), ("ar", "es", "es"), ("ar", "ar", "fr"),
])
def test_second_language(site: Site, monkeypatch: pytest.MonkeyPatch, lang: str, default: str,
                         second: str) -> None:
    monkeypatch.setitem(site.config.site, "default_language", default)
    assert second_language(site, lang) == second


def test_a_line_that_reads_the_same_in_both_languages_is_printed_once(issue: Any) -> None:
    _, ticket = issue("ar")
    assert ticket.texts().count("05/01/2026 09:14") == 1
    assert len(ticket.texts()) == len(set(ticket.texts()))


def test_an_appointment_ticket_prints_its_slot_in_both_languages(site: Site, clock: Any) -> None:
    clock.set(datetime(2026, 1, 5, 8, 14, tzinfo=UTC))
    issued = site.issue_ticket(service="passport", kind="appointment", lang="fr", actor="test",
                               slot_at="2026-01-05T08:30:00.000000Z")
    texts = layout_ticket(site, issued, translate).texts()
    assert "Rendez-vous à 09:30" in texts and "موعد على الساعة 09:30" in texts


# --- priority, receipts, and the bytes of a whole job ---------------------------------------------------


def inverted_texts(ticket: Ticket) -> list[str]:
    return [block.text for block in ticket if isinstance(block, Text) and block.invert]


def test_a_priority_ticket_prints_a_white_on_black_mark_under_its_number(site: Site, clock: Any) -> None:
    clock.set(datetime(2026, 1, 5, 8, 14, tzinfo=UTC))
    plain = layout_ticket(site, site.issue_ticket(service="passport", kind="walk_in", lang="fr", actor="t"),
                          translate)
    priority = layout_ticket(site, site.issue_ticket(service="passport", kind="walk_in", lang="fr", actor="t",
                                                     priority=True), translate)
    assert inverted_texts(plain) == [] and inverted_texts(priority) == ["PRIORITAIRE", "أولوية"]
    texts = priority.texts()
    assert texts.index("PRIORITAIRE") == texts.index("A-002") + 1
    job = encode_ticket(priority, printer_profile())
    assert b"\x1dB\x01 PRIORITAIRE \n\x1dB\x00" in job
    arabic = layout_ticket(site, site.issue_ticket(service="passport", kind="walk_in", lang="ar", actor="t",
                                                   priority=True), translate)
    assert inverted_texts(arabic) == ["أولوية", "PRIORITAIRE"]


@pytest.fixture
def paid(site: Site, clock: Any) -> Any:
    """A walk-in ticket paid by card at the kiosk, and the job printed for it: ticket, cut, receipt."""
    clock.set(datetime(2026, 1, 5, 8, 14, tzinfo=UTC))

    def make(lang: str) -> tuple[Payment, Ticket]:
        issued = site.issue_ticket(service="passport", kind="walk_in", lang=lang, actor="test")
        reference = f"K1-{issued.ticket.number}"
        with site.store.write() as db:
            payments.create(db, reference=reference, terminal="hall-1", amount_minor=6000, currency="EUR",
                            lang=lang, day="2026-01-05", actor="test", kiosk="hall-1", service="passport",
                            items=[{"code": "passport_stamp", "amount_minor": 6000}])
            payments.move(db, reference, "sent", "test")
            payments.move(db, reference, "approved", "test", auth_code="A1B2C3", card_last4="4242")
            payments.link_ticket(db, reference, issued.ticket.id)
        return site.ticket_payment(issued.ticket.id), ticket_and_receipt(site, issued, translate)  # type: ignore

    return make


def printed_lines(image: Image.Image) -> list[tuple[int, int, int, int]]:
    """The ink box of each printed line: runs of rows with ink, split by blank rows."""
    boxes: list[tuple[int, int, int, int]] = []
    top = None
    for row in range(image.height + 1):
        box = ImageChops.invert(image.crop((0, row, image.width, row + 1)).convert("L")).getbbox() if (
            row < image.height) else None
        if box and top is None:
            top = row
        elif not box and top is not None:
            found = ImageChops.invert(image.crop((0, top, image.width, row)).convert("L")).getbbox()
            assert found is not None
            boxes.append((found[0], top, found[2], row))
            top = None
    return boxes


def receipt_of(job: bytes) -> bytes:
    """The receipt's piece of paper: what follows the ticket's cut."""
    return job.split(b"\x1dV\x00", 1)[1]


def test_an_arabic_receipt_reads_from_the_right_with_the_card_in_its_order(paid: Any) -> None:
    payment, ticket = paid("ar")
    receipt = receipt_of(encode_ticket(ticket, printer_profile()))
    assert b"\x1ba\x02**** 4242\n" in receipt  # right-aligned, printed as text in its own order
    assert b"\x1ba\x0260.00 \xd5\n" in receipt and b"\x1ba\x02A1B2C3\n" in receipt
    assert receipt.count(b"\x1ba\x02\x1dv0") >= 6  # the labels: right-aligned images
    image = render(receipt).image
    header, body = printed_lines(image)[:3], printed_lines(image)[3:]
    assert all(abs((box[0] + box[2]) / 2 - 288) < 12 for box in header)  # consulate, "receipt", date
    body = [box for box in body if box[3] - box[1] > 6]  # not the dots under an Arabic line
    assert len(body) >= 10 and all(box[2] >= 566 for box in body)  # every other line ends on the right
    drawn = render(b"\x1b@\x1bt\x13\x1ba\x02**** 4242\n").image.crop((0, 0, 576, 24))
    grey, card = image.convert("L"), drawn.convert("L")
    assert any(ImageChops.difference(grey.crop((0, top, 576, top + 24)), card).getbbox() is None
               for top in range(image.height - 24))  # "**** 4242" on the paper, in that order


def test_a_french_receipt_prints_its_fee_name_with_a_dash_as_text(paid: Any) -> None:
    payment, ticket = paid("fr")
    receipt = receipt_of(encode_ticket(ticket, printer_profile()))
    assert b"\x1dv0" not in receipt  # "Droit de timbre – passeport biométrique": no image
    assert b"Droit de timbre - passeport biom\x82trique:" in receipt and b"60,00 \xd5\n" in receipt
    assert receipt.startswith(b"\x1bt\x13")  # the receipt's paper says its code page


def test_a_paid_arabic_ticket_and_its_receipt_stay_small(paid: Any) -> None:
    _, ticket = paid("ar")
    job = encode_ticket(ticket, printer_profile())
    assert len(job) < 14_000  # 18.9 KB (20 s at 9600 baud) before the field trial's fixes
