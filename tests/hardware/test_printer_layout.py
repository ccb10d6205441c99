"""The queue ticket's layout (floor.ticket_layout) with the real catalogs: bilingual, Arabic as raster,
the date in the site's time zone, and a QR code that decodes to the visitor's live page."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from babel.support import Translations

from core.site import IssuedTicket, Site
from floor.ticket_layout import layout_ticket, second_language
from hardware.printer import Cut, Qr, Ticket, printer_profile, render
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
