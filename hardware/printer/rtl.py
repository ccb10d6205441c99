"""Arabic, right-to-left and mixed lines drawn as 1-bit images at the printer's resolution.

Printer code pages hold isolated Arabic letters with no shaping and no bidi, so such a line prints reversed
and unjoined (hardware.md §1.5). Here the text is shaped and ordered by Pillow's raqm layout (HarfBuzz and
FriBiDi), or, where Pillow was built without raqm, by arabic-reshaper and python-bidi. Glyphs are drawn
straight into a mode "1" image at their final size: scaling a bitmap afterwards blurs thermal dots.
A line wider than the paper is first shrunk (down to MIN_SHRINK of its size), then wrapped on spaces.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import arabic_reshaper
from bidi.algorithm import get_display  # the Python implementation: it mirrors brackets, unlike the Rust one
from PIL import Image, ImageDraw, ImageFont, features

from .fonts import BOLD, REGULAR, load_font
from .model import Align
from .raster import place, stack

RTL_CLASSES = {"R", "AL", "AN"}  # Hebrew, Arabic letters, Arabic-Indic digits
MIN_SHRINK = 0.8  # a line is shrunk to at most 80 % of its size before it is wrapped
PAD = 3  # blank dots above and below each raster line


def needs_raster(text: str, code_page: str) -> bool:
    """True for text the printer cannot print as characters: any right-to-left letter, or a character
    missing from the code page (the printer would print "?")."""
    if any(unicodedata.bidirectional(char) in RTL_CLASSES for char in text):
        return True
    try:
        text.encode(code_page.lower())
    except UnicodeEncodeError:
        return True
    return False


def is_rtl(text: str) -> bool:
    """The paragraph direction (Unicode rules P2-P3): that of the first strongly directional character."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


@dataclass(frozen=True)
class Shaper:
    """Turns logical text into shaped glyphs in display order, with raqm or with reshaper + bidi."""

    raqm: bool

    def font(self, size: int, bold: bool) -> ImageFont.FreeTypeFont:
        return load_font(BOLD if bold else REGULAR, size, self.raqm)

    def display(self, text: str, rtl: bool) -> tuple[str, str | None]:
        """The string to draw and the direction to tell Pillow (raqm orders the glyphs itself)."""
        if self.raqm:
            return text, "rtl" if rtl else "ltr"
        return str(get_display(arabic_reshaper.reshape(text), base_dir="R" if rtl else "L")), None

    def width(self, text: str, size: int, bold: bool, rtl: bool) -> float:
        shown, direction = self.display(text, rtl)
        return float(self.font(size, bold).getlength(shown, direction=direction))


def default_shaper() -> Shaper:
    """raqm when this Pillow has it (the manylinux wheels do), else the pure-Python fallback."""
    return Shaper(raqm=bool(features.check("raqm")))


@dataclass(frozen=True)
class Line:
    text: str
    size: int


def fit(shaper: Shaper, text: str, width: int, size: int, bold: bool = False) -> list[Line]:
    """The lines to draw so that each fits in width: the text itself, shrunk a little, or wrapped."""
    rtl = is_rtl(text)
    shrunk = min(size, int(size * width / max(1.0, shaper.width(text, size, bold, rtl))))
    while shrunk >= size * MIN_SHRINK:  # the width grows about linearly with the size: one or two tries
        if shaper.width(text, shrunk, bold, rtl) <= width:
            return [Line(text, shrunk)]
        shrunk -= 1
    lines: list[Line] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and shaper.width(candidate, size, bold, rtl) > width:
            lines.append(_shrink_to(shaper, current, width, size, bold, rtl))
            candidate = word
        current = candidate
    return [*lines, _shrink_to(shaper, current, width, size, bold, rtl)]


def _shrink_to(shaper: Shaper, text: str, width: int, size: int, bold: bool, rtl: bool) -> Line:
    """A line at size, or smaller when one word alone is wider than the paper."""
    actual = shaper.width(text, size, bold, rtl)
    return Line(text, size if actual <= width else max(1, int(size * width / actual)))


def draw_line(shaper: Shaper, line: Line, bold: bool, rtl: bool) -> Image.Image:
    """One line as a mode "1" image (black = 0) cropped to its ink, with PAD dots above and below."""
    font = shaper.font(line.size, bold)
    shown, direction = shaper.display(line.text, rtl)
    left, top, right, bottom = (int(edge) for edge in font.getbbox(shown, direction=direction))
    image = Image.new("1", (max(1, right - left), bottom - top + 2 * PAD), 1)
    ImageDraw.Draw(image).text((-left, PAD - top), shown, font=font, fill=0, direction=direction)
    return image


def render_text(text: str, width: int, size: int, *, bold: bool = False, align: Align = Align.CENTER,
                shaper: Shaper | None = None) -> Image.Image:
    """A paragraph as one mode "1" band: lines fitted to width, stacked, each placed by align."""
    shaper = shaper or default_shaper()
    rtl = is_rtl(text)
    lines = [draw_line(shaper, line, bold, rtl) for line in fit(shaper, text, width, size, bold)]
    return stack([place(line, width, align) for line in lines])
