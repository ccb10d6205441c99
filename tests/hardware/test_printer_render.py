"""The ESC/POS renderer: golden images of whole tickets (QR decoded with zxing-cpp), command coverage, and
the raster round trip (what the encoder sends is what the renderer draws).

Goldens live in tests/fixtures/printer/. After a deliberate change of the layout, the font or Pillow,
regenerate them with UPDATE_PRINTER_GOLDENS=1 (the tests then fail once, saying so), and look at them.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image, ImageChops

from hardware.printer import (
    Align,
    Cut,
    Feed,
    PrinterProfile,
    Qr,
    Text,
    Ticket,
    printer_profile,
    render,
    render_png,
)
from hardware.printer.encode import RASTER_SIZE, encode_ticket
from hardware.printer.rtl import render_text

GOLDENS = Path(__file__).resolve().parents[1] / "fixtures" / "printer"
URL = "https://dour.example.org/t/4kq9ZtW2aPm7"
WRAPPED = "يمكنك مسح هذا الرمز بهاتفك لمتابعة دورك، والمرجو الانتظار حتى يتم النداء على رقمك عبر الشاشات."
TOLERANCE = 64  # dots that may differ (another FreeType moves a few glyph edges; a changed digit is 700)


def bilingual(first: str = "fr") -> Ticket:
    """A French ticket with one Arabic line, or an Arabic-first one with a line that wraps."""
    arabic = [Text("عدد الأشخاص قبلك: 3", Align.CENTER)]
    if first == "ar":
        arabic = [Text("رقمك", Align.RIGHT), Text(WRAPPED, Align.RIGHT)]
    return Ticket([
        Text("Consulat général du Royaume du Maroc à Paris", Align.CENTER, bold=True), Feed(),
        Text("A-042", Align.CENTER, scale=4, bold=True), Text("Passeport", Align.CENTER),
        Text("23/11/2026 09:14", Align.CENTER), Feed(), Text("Personnes avant vous : 3", Align.CENTER),
        *arabic, Feed(), Qr(URL), Feed(), Cut(),
    ])


CASES = {
    "ticket_80mm_fr_ar": (bilingual("fr"), printer_profile("80mm")),
    "ticket_58mm_fr_ar": (bilingual("fr"), printer_profile("58mm")),
    "ticket_80mm_ar_wrapped": (bilingual("ar"), printer_profile("80mm")),
}


def differing_dots(a: Image.Image, b: Image.Image) -> int:
    diff = ImageChops.difference(a.convert("L"), b.convert("L"))
    return a.width * a.height - diff.histogram()[0]


def ink_box(image: Image.Image) -> tuple[int, int, int, int] | None:
    """The bounding box of the black dots."""
    return ImageChops.invert(image.convert("L")).getbbox()


def decoded(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image.convert("L"))]


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_ticket(name: str) -> None:
    ticket, profile = CASES[name]
    rendering = render(encode_ticket(ticket, profile), profile)
    assert rendering.unknown == [] and rendering.cuts == int(profile.cutter)
    assert decoded(rendering.image) == [URL]
    golden = GOLDENS / f"{name}.png"
    if os.environ.get("UPDATE_PRINTER_GOLDENS"):
        GOLDENS.mkdir(parents=True, exist_ok=True)
        rendering.image.save(golden)
        pytest.fail(f"{golden.name} regenerated: look at it, then run again without UPDATE_PRINTER_GOLDENS")
    expected = Image.open(golden)
    assert rendering.image.size == expected.size
    assert differing_dots(rendering.image, expected) <= TOLERANCE


def test_a_changed_ticket_does_not_match_its_golden() -> None:
    ticket, profile = CASES["ticket_80mm_fr_ar"]
    moved = Ticket([Text("A-043", Align.CENTER, scale=4, bold=True) if block == Text(
        "A-042", Align.CENTER, scale=4, bold=True) else block for block in ticket])
    changed = render(encode_ticket(moved, profile), profile).image
    assert differing_dots(changed, Image.open(GOLDENS / "ticket_80mm_fr_ar.png")) > TOLERANCE


@pytest.mark.parametrize("profile", [printer_profile("80mm"), printer_profile("58mm")], ids=["80mm", "58mm"])
def test_a_raster_line_is_drawn_back_dot_for_dot(profile: PrinterProfile) -> None:
    text = "مدة الانتظار المتوقعة: 15 دقيقة"
    band = render_text(text, profile.width_dots, RASTER_SIZE, align=Align.CENTER)
    image = render(encode_ticket(Ticket([Text(text, Align.CENTER)]), profile), profile).image
    drawn = image.crop((0, 0, band.width, band.height))
    assert ImageChops.difference(drawn.convert("L"), band.convert("L")).getbbox() is None


def test_text_size_alignment_and_code_page() -> None:
    job = b"\x1b@\x1bt\x13\x1ba\x02\x1d!\x11\x82\n\x1ba\x00\x1d!\x00\x1bE\x01x\n"
    image = render(job).image
    big, small = ink_box(image.crop((0, 0, 576, 48))), ink_box(image.crop((0, 48, 576, image.height)))
    assert big is not None and big[2] > 560 and big[0] >= 576 - 24 and big[3] - big[1] > 30  # é, 2x, right
    assert small is not None and small[0] < 12 and small[2] <= 12 and small[3] - small[1] < 20  # x, 1x, left


def test_unknown_and_truncated_commands_are_recorded_not_fatal() -> None:
    job = b"\x1b@\x1bp\x00\x19\xfaA\n\x1d(L\x02\x000p\x1dv0\x00\x02\x00\x05\x00\x00"
    rendering = render(job)
    assert rendering.unknown == [b"\x1bp\x00", b"\x1d(L", b"\x1dv0"]
    assert rendering.image.width == 576 and ink_box(rendering.image) is not None  # the "A" is drawn


def test_render_png_for_the_demo() -> None:
    ticket, profile = CASES["ticket_58mm_fr_ar"]
    png = render_png(encode_ticket(ticket, profile), profile)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    assert image.width == 384 and decoded(image) == [URL]
    assert Image.open(io.BytesIO(render_png(b""))).size == (576, 1)
