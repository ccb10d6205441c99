"""Arabic and mixed lines as rasters: raqm and the reshaper + bidi fallback agree, and both really shape
and reorder (a naive drawing differs); long lines shrink or wrap; a missing font is a clear error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import arabic_reshaper
import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFilter

from hardware.errors import PrinterError
from hardware.printer import Align, FontMissing, Text, Ticket, fonts, printer_profile, rtl
from hardware.printer.encode import encode_ticket
from hardware.printer.rtl import Line, Shaper, fit, is_rtl, needs_raster, render_text

RAQM, FALLBACK = Shaper(raqm=True), Shaper(raqm=False)
LINES = ["عدد الأشخاص قبلك: 3", "رقمك A-042", "مدة الانتظار المتوقعة: 15 دقيقة", "جواز السفر (A-042)"]
REAL_FONT = fonts.find_font(fonts.REGULAR)  # before any test hides the font folders
LONG = "يمكنك مسح هذا الرمز بهاتفك لمتابعة دورك، والمرجو الانتظار حتى يتم النداء على رقمك عبر الشاشات."


def coverage(a: Image.Image, b: Image.Image) -> float:
    """The share of a's black dots that lie within one dot of a black dot of b."""
    size = (max(a.width, b.width), max(a.height, b.height))
    first, second = Image.new("L", size, 255), Image.new("L", size, 255)
    first.paste(a.convert("L"))
    second.paste(b.convert("L"))
    near = second.filter(ImageFilter.MinFilter(3))
    return ImageChops.lighter(first, near).histogram()[0] / first.histogram()[0]


def alike(a: Image.Image, b: Image.Image) -> float:
    return min(coverage(a, b), coverage(b, a))


def drawn_as_is(text: str, like: Image.Image) -> Image.Image:
    """The text drawn without any shaping or reordering, placed like the real line."""
    font = fonts.load_font(fonts.REGULAR, 26, False)
    image = Image.new("1", like.size, 1)
    left, top, _, _ = font.getbbox(text)
    ImageDraw.Draw(image).text((-left, -top), text, font=font, fill=0)
    return image


@pytest.mark.parametrize("text", LINES)
def test_raqm_and_the_fallback_draw_the_same_line(text: str) -> None:
    with_raqm = render_text(text, 576, 26, shaper=RAQM, align=Align.LEFT)
    with_fallback = render_text(text, 576, 26, shaper=FALLBACK, align=Align.LEFT)
    assert with_raqm.mode == with_fallback.mode == "1"
    assert abs(with_raqm.width - with_fallback.width) <= 8 and with_raqm.height == with_fallback.height
    assert alike(with_raqm, with_fallback) > 0.9


@pytest.mark.parametrize("text", LINES)
@pytest.mark.parametrize("shaper", [RAQM, FALLBACK], ids=["raqm", "fallback"])
def test_both_shape_and_reorder(text: str, shaper: Shaper) -> None:
    line = render_text(text, 576, 26, shaper=shaper, align=Align.LEFT)
    assert alike(line, drawn_as_is(text, line)) < 0.7  # logical order, isolated letters
    assert alike(line, drawn_as_is(arabic_reshaper.reshape(text), line)) < 0.7  # joined but not reordered


def test_the_fallback_is_used_without_raqm(monkeypatch: pytest.MonkeyPatch) -> None:
    assert rtl.default_shaper() == RAQM  # this Pillow has raqm
    monkeypatch.setattr(rtl.features, "check", lambda feature: False)
    assert rtl.default_shaper() == FALLBACK
    job = encode_ticket(Ticket([Text(LINES[0], Align.CENTER)]), printer_profile())
    assert b"\x1dv0" in job


@pytest.mark.parametrize(("text", "raster"), [
    ("رقم", True), ("A-042 رقمك", True), ("תור", True), ("Ω", True), ("١٢٣", True),
    ("Passeport, 12 € - é à ç", False), ("A-042", False), ("", False), ("15 min — 3", False),
    ("Ω ticket", True), ("日本", True),
])
def test_which_lines_need_a_raster(text: str, raster: bool) -> None:
    assert needs_raster(text, "CP858") is raster


@pytest.mark.parametrize(("text", "right_to_left"), [
    ("رقمك A-042", True), ("3 رقم", True), ("A-042 رقمك", False), ("123", False), ("", False),
])
def test_paragraph_direction_follows_the_first_strong_letter(text: str, right_to_left: bool) -> None:
    assert is_rtl(text) is right_to_left


# --- fitting the paper ------------------------------------------------------------------


@pytest.mark.parametrize("shaper", [RAQM, FALLBACK], ids=["raqm", "fallback"])
def test_a_line_that_fits_is_kept(shaper: Shaper) -> None:
    assert fit(shaper, LINES[0], 576, 26) == [Line(LINES[0], 26)]


@pytest.mark.parametrize("shaper", [RAQM, FALLBACK], ids=["raqm", "fallback"])
def test_a_line_a_little_too_wide_is_shrunk(shaper: Shaper) -> None:
    text = LINES[2]
    natural = shaper.width(text, 30, False, True)
    width = int(natural * 0.95)
    [line] = fit(shaper, text, width, 30)
    assert line.text == text and rtl.smallest_size(30) <= line.size < 30
    assert shaper.width(text, line.size, False, True) <= width


def test_body_text_is_not_shrunk_under_28_px_but_wrapped() -> None:
    text = LINES[2]
    [line] = fit(RAQM, text, int(RAQM.width(text, 30, False, True) * 0.95), 30)
    assert line.size >= rtl.MIN_BODY_SIZE == 28
    lines = fit(RAQM, text, int(RAQM.width(text, 30, False, True) * 0.85), 30)
    assert len(lines) == 2 and all(line.size == 30 for line in lines)
    assert rtl.smallest_size(60) == 48 and rtl.smallest_size(24) == 24


@pytest.mark.parametrize("width", [576, 384])
@pytest.mark.parametrize("shaper", [RAQM, FALLBACK], ids=["raqm", "fallback"])
def test_a_long_line_wraps_on_spaces(shaper: Shaper, width: int) -> None:
    lines = fit(shaper, LONG, width, 26)
    assert len(lines) >= 2 and " ".join(line.text for line in lines).split() == LONG.split()
    assert all(line.size == 26 and shaper.width(line.text, 26, False, True) <= width for line in lines)
    band = render_text(LONG, width, 26, shaper=shaper)
    assert band.width <= width and band.height > len(lines) * 26


def test_a_word_wider_than_the_paper_is_shrunk_below_the_limit() -> None:
    word = "الاستشاراتالقنصليةالمتخصصة"
    [line] = fit(RAQM, word, 200, 26)
    assert line.size < 26 * rtl.MIN_SHRINK and RAQM.width(word, line.size, False, True) <= 200


def test_bold_and_scale_grow_the_raster() -> None:
    plain = render_text(LINES[1], 576, 26, align=Align.LEFT)
    bold = render_text(LINES[1], 576, 26, bold=True, align=Align.LEFT)
    double = render_text(LINES[1], 576, 52, align=Align.LEFT)
    assert bold.histogram()[0] > plain.histogram()[0]
    assert double.height > 1.8 * plain.height


# --- the font ---------------------------------------------------------------------------


@pytest.fixture
def font_dirs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Font lookup in tmp_path only, with the caches emptied before and after."""
    monkeypatch.setattr(fonts, "font_dirs", lambda: [tmp_path / "none", tmp_path])
    fonts.find_font.cache_clear()
    fonts.load_font.cache_clear()
    yield tmp_path
    fonts.find_font.cache_clear()
    fonts.load_font.cache_clear()


def test_the_font_is_found_by_name_in_any_font_folder(font_dirs: Path) -> None:
    folder = font_dirs / "truetype" / "dejavu"
    folder.mkdir(parents=True)
    (folder / fonts.REGULAR).symlink_to(REAL_FONT)
    assert fonts.find_font(fonts.REGULAR) == folder / fonts.REGULAR


def test_a_missing_font_says_what_to_install(font_dirs: Path) -> None:
    with pytest.raises(FontMissing, match="fonts-dejavu-core"):
        fonts.find_font(fonts.REGULAR)
    with pytest.raises(PrinterError):  # what the driver raises, and the kiosk records
        encode_ticket(Ticket([Text(LINES[0])]), printer_profile())
    assert encode_ticket(Ticket([Text("A-042")]), printer_profile())  # Latin lines need no font
