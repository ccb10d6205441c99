"""Arabic, right-to-left and mixed lines drawn as 1-bit images at the printer's resolution.

Printer code pages hold isolated Arabic letters with no shaping and no bidi, so such a line prints reversed
and unjoined (hardware.md §1.5). Here the text is shaped and ordered by Pillow's raqm layout (HarfBuzz and
FriBiDi), or, where Pillow was built without raqm, by arabic-reshaper and python-bidi. Glyphs are drawn
straight into a mode "1" image at their final size: scaling a bitmap afterwards blurs thermal dots.
A line wider than the paper is first shrunk (down to MIN_SHRINK of its size, never under MIN_BODY_SIZE),
then wrapped on spaces. Each line is cropped to its ink: blank rows and columns would only cost bytes.

Values inside an Arabic sentence (a masked card, an amount, a reference) are wrapped in Unicode isolates
(`isolate()`: FSI or LRI ... PDI) so that the bidi algorithm keeps "**** 4242" in its own order; both
shapers honour them, and a wrapped line never breaks inside one.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import arabic_reshaper
from bidi.algorithm import get_display  # the Python implementation: it mirrors brackets, unlike the Rust one
from PIL import Image, ImageChops, ImageDraw, ImageFont, features

from .fonts import BOLD, REGULAR, load_font
from .model import Align
from .printable import printable
from .raster import place, stack

RTL_CLASSES = {"R", "AL", "AN"}  # Hebrew, Arabic letters, Arabic-Indic digits
MIN_SHRINK = 0.8  # a line is shrunk to at most 80 % of its size before it is wrapped...
MIN_BODY_SIZE = 28  # ...and body text never under 28 px (hardware.md §1.5: 28-36 px on a 203 dpi head)
LINE_GAP = 8  # blank dots between the lines of a wrapped paragraph
LRI, RLI, FSI, PDI = "\u2066", "\u2067", "\u2068", "\u2069"
INITIATORS = {LRI: "L", RLI: "R", FSI: None}  # an isolate's direction; FSI: that of its first strong letter
MARKS = str.maketrans("", "", "\u200e\u200f\u061c")  # LRM, RLM, ALM: an isolate makes them pointless
# Stand-ins for isolates in the fallback: neutral (ON) as an isolate is to its sentence, never mirrored.
PLACEHOLDERS = [chr(code) for code in range(0x2FF0, 0x2FFC)]


def isolate(value: str, direction: str | None = None) -> str:
    """value as one unit inside a sentence of the other direction: "L" (LRI), "R" (RLI) or, by default,
    the direction of its first strong letter (FSI)."""
    initiator = {"L": LRI, "R": RLI}.get(direction or "", FSI)
    return f"{initiator}{value.translate(MARKS)}{PDI}"


def has_rtl(text: str) -> bool:
    """True when text holds a right-to-left letter or Arabic-Indic digit (a bidi mark does not count)."""
    return any(unicodedata.bidirectional(char) in RTL_CLASSES and unicodedata.category(char) != "Cf"
               for char in text)


def needs_raster(text: str, code_page: str) -> bool:
    """True for text the printer cannot print as characters: any right-to-left letter, or a character
    with no printable equivalent in the code page (the printer would print "?")."""
    return has_rtl(text) or printable(text, code_page) is None


def first_strong(text: str) -> str | None:
    """"R" or "L" for the first strongly directional character outside isolates (Unicode rules P2-P3)."""
    depth = 0
    for char in text:
        if char in INITIATORS:
            depth += 1
        elif char == PDI:
            depth = max(0, depth - 1)
        elif depth == 0 and unicodedata.bidirectional(char) in ("R", "AL", "L"):
            return "L" if unicodedata.bidirectional(char) == "L" else "R"
    return None


def is_rtl(text: str) -> bool:
    """The paragraph direction: that of the first strongly directional character."""
    return first_strong(text) == "R"


def split_isolates(text: str) -> list[tuple[str, str | None]]:
    """text cut into (run, None) outside isolates and (content, initiator) for each outermost isolate; an
    isolate left open runs to the end, a stray PDI is dropped."""
    parts: list[tuple[str, str | None]] = []
    run, initiator, depth = "", None, 0
    for char in text:
        if depth == 0 and char in INITIATORS:
            parts.append((run, None))
            run, initiator, depth = "", char, 1
        elif depth and char in INITIATORS:
            run, depth = run + char, depth + 1
        elif depth and char == PDI:
            depth -= 1
            if depth:
                run += char
            else:
                parts.append((run, initiator))
                run, initiator = "", None
        elif char != PDI:
            run += char
    parts.append((run, initiator))
    return [(part, kind) for part, kind in parts if part or kind]


def words(text: str) -> list[str]:
    """The words of text split on spaces, an isolate (with its spaces) staying within one word."""
    found, current = [], ""
    for part, initiator in split_isolates(text):
        if initiator is not None:
            current += f"{initiator}{part}{PDI}"
            continue
        pieces = part.split(" ")
        current += pieces[0]
        for piece in pieces[1:]:
            found.append(current)
            current = piece
    return [word for word in [*found, current] if word]


def fallback_display(text: str, rtl: bool) -> str:
    """Shaped text in display order with arabic-reshaper and python-bidi, whose Python algorithm predates
    isolates: each isolate is ordered on its own, held in the sentence by a neutral stand-in."""
    held: list[str] = []
    outer = ""
    for part, initiator in split_isolates(text):
        if initiator is None:
            outer += part
            continue
        direction = INITIATORS[initiator] or first_strong(part) or "L"
        held.append(fallback_display(part, direction == "R"))
        outer += PLACEHOLDERS[(len(held) - 1) % len(PLACEHOLDERS)]
    shown = str(get_display(arabic_reshaper.reshape(outer), base_dir="R" if rtl else "L"))
    for index, content in enumerate(held[: len(PLACEHOLDERS)]):
        shown = shown.replace(PLACEHOLDERS[index], content, 1)
    return shown


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
        return fallback_display(text, rtl), None

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


def smallest_size(size: int) -> int:
    """The size a line may be shrunk to before it is wrapped instead."""
    return min(size, max(round(size * MIN_SHRINK), MIN_BODY_SIZE))


def fit(shaper: Shaper, text: str, width: int, size: int, bold: bool = False) -> list[Line]:
    """The lines to draw so that each fits in width: the text itself, shrunk a little, or wrapped."""
    rtl = is_rtl(text)
    shrunk = min(size, int(size * width / max(1.0, shaper.width(text, size, bold, rtl))))
    while shrunk >= smallest_size(size):  # the width grows about linearly with the size: one or two tries
        if shaper.width(text, shrunk, bold, rtl) <= width:
            return [Line(text, shrunk)]
        shrunk -= 1
    lines: list[Line] = []
    current = ""
    for word in words(text):
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
    """One line as a mode "1" image (black = 0) cropped to its ink, to the dot."""
    font = shaper.font(line.size, bold)
    shown, direction = shaper.display(line.text, rtl)
    left, top, right, bottom = (int(edge) for edge in font.getbbox(shown, direction=direction))
    margin = 2 + line.size // 8  # getbbox is the glyphs' boxes: a little ink may lie outside
    image = Image.new("1", (right - left + 2 * margin, bottom - top + 2 * margin), 1)
    ImageDraw.Draw(image).text((margin - left, margin - top), shown, font=font, fill=0, direction=direction)
    ink = ImageChops.invert(image.convert("L")).getbbox()
    return image.crop(ink) if ink else Image.new("1", (1, 1), 1)


def render_lines(text: str, width: int, size: int, *, bold: bool = False,
                 shaper: Shaper | None = None) -> list[Image.Image]:
    """A paragraph as its lines, each fitted to width and cropped to its ink."""
    shaper = shaper or default_shaper()
    rtl = is_rtl(text)
    return [draw_line(shaper, line, bold, rtl) for line in fit(shaper, text, width, size, bold)]


def render_text(text: str, width: int, size: int, *, bold: bool = False, align: Align = Align.CENTER,
                shaper: Shaper | None = None) -> Image.Image:
    """A paragraph as one mode "1" band as wide as the paper needs: its lines placed by align, LINE_GAP
    blank dots apart (what the printer prints for the encoder's bands)."""
    lines = render_lines(text, width, size, bold=bold, shaper=shaper)
    gap = Image.new("1", (1, LINE_GAP), 1)
    placed = [image for line in lines for image in (gap, place(line, width, align))][1:]
    return stack(placed)
