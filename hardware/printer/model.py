"""What a ticket is made of (blocks) and what a printer can do (profiles), independent of any byte.

A ticket is a sequence of blocks, printed top to bottom: text, QR code, paper feed and cut. A text block
holds one paragraph in any script; the driver decides how to print it (printer text for what the code page
can print, a raster image for Arabic and any right-to-left or mixed line). A profile maps a paper width onto
a python-escpos capability profile and says whether the printer has native QR codes and a cutter.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import cache

MAX_SCALE = 8  # GS ! takes width and height multipliers 1..8


class Align(StrEnum):
    """Where a block sits across the paper (physical sides, whatever the script's direction)."""

    LEFT = "left"
    CENTER = "center"
    RIGHT = "right"


@dataclass(frozen=True)
class Text:
    """One paragraph; scale multiplies width and height (1..8); a line too long for the paper wraps;
    invert prints it white on black (a mark that must stand out, such as a priority ticket's)."""

    text: str
    align: Align = Align.LEFT
    scale: int = 1
    bold: bool = False
    invert: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.scale <= MAX_SCALE:
            raise ValueError(f"text scale must be 1 to {MAX_SCALE}, not {self.scale}")


@dataclass(frozen=True)
class Qr:
    """A QR code of data; size is the width of one module in dots (1..16)."""

    data: str
    size: int = 6
    align: Align = Align.CENTER

    def __post_init__(self) -> None:
        if not self.data or not 1 <= self.size <= 16:
            raise ValueError("a QR code needs data and a module size of 1 to 16 dots")


@dataclass(frozen=True)
class Feed:
    """Blank lines."""

    lines: int = 1


@dataclass(frozen=True)
class Cut:
    """The end of a ticket: feed past the cutter and cut (or feed to the tear bar without a cutter)."""

    partial: bool = False


Block = Text | Qr | Feed | Cut


class Ticket:
    """The blocks of one ticket, top to bottom. A ticket always ends with a cut (added when missing)."""

    def __init__(self, blocks: Iterable[Block]) -> None:
        listed = list(blocks)
        if not listed or not isinstance(listed[-1], Cut):
            listed.append(Cut())
        self.blocks: tuple[Block, ...] = tuple(listed)

    def __iter__(self) -> Iterator[Block]:
        return iter(self.blocks)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ticket) and other.blocks == self.blocks

    def __hash__(self) -> int:
        return hash(self.blocks)

    def __repr__(self) -> str:
        return f"Ticket({list(self.blocks)!r})"

    def texts(self) -> list[str]:
        """The text of every text block, in order (for logs and tests)."""
        return [block.text for block in self.blocks if isinstance(block, Text)]


@dataclass(frozen=True)
class PrinterProfile:
    """What the driver needs to know about a printer model."""

    name: str  # "80mm", "58mm" or a python-escpos profile name
    escpos_profile: str  # python-escpos capability profile: code page numbers, image width check
    width_dots: int  # printable width
    columns: int  # characters per line of font A at scale 1
    native_qr: bool  # GS ( k is supported
    cutter: bool
    code_page: str = "CP858"  # Latin-1 plus the euro sign: French, English, Spanish, Italian, German, Dutch
    # Images sent at their own width and aligned by the printer (ESC a), as Epson documents; else each is
    # placed on a band from the left edge of the paper (a clone that ignores ESC a for images).
    aligned_images: bool = True

    def with_native_qr(self, native_qr: bool) -> PrinterProfile:
        """The same profile with QR codes forced native or image (a clone that lacks or has GS ( k)."""
        return replace(self, native_qr=native_qr)

    def with_aligned_images(self, aligned: bool) -> PrinterProfile:
        """The same profile with images aligned by the printer (ESC a) or placed on a band."""
        return replace(self, aligned_images=aligned)


# Our two paper widths. TM-T20II: the common 80 mm kiosk printer (576 dots, native QR, cutter).
# POS-5890: the generic 58 mm ESC/POS printer (384 dots); its database entry has neither QR nor cutter.
PAPER_WIDTHS = {"80mm": "TM-T20II", "58mm": "POS-5890"}
ALIGNING_VENDORS = {"Epson"}  # ESC a applies to raster images in their reference; clones vary


LATIN_CODE_PAGES = ("CP858", "CP1252", "CP850", "CP437")  # the first the printer has is used


@cache
def printer_profile(name: str = "80mm") -> PrinterProfile:
    """The profile for "80mm", "58mm" or a python-escpos profile name; ValueError when unknown or unfit."""
    from escpos.capabilities import CAPABILITIES

    escpos_name = PAPER_WIDTHS.get(name, name)
    data = CAPABILITIES["profiles"].get(escpos_name) or {}
    width = data.get("media", {}).get("width", {}).get("pixels")
    pages = [page for page in LATIN_CODE_PAGES if page in data.get("codePages", {}).values()]
    features = data.get("features", {})
    if not isinstance(width, int) or not pages or not features.get("bitImageRaster"):
        raise ValueError(f"unknown or unusable printer profile {name!r}: expected 80mm, 58mm or the name "
                         "of a python-escpos profile with a known paper width and raster images (TM-T88V)")
    return PrinterProfile(name, escpos_name, width, int(data["fonts"]["0"]["columns"]),
                          bool(features.get("qrCode")), bool(features.get("paperFullCut")), pages[0],
                          data.get("vendor") in ALIGNING_VENDORS)
