"""ESC/POS bytes drawn back into an image: what the printer would print, for golden tests and the demo.

Covers the subset the encoder emits (ESC @, ESC a, ESC E, ESC !, GS !, GS B, ESC t, ESC d, ESC J, ESC 2/3,
LF, GS v 0, GS ( k for QR codes, GS V) and skips DLE EOT status queries. Any other command is skipped by
its length and recorded in Rendering.unknown. Printer text is drawn with DejaVu Sans Mono in font A's
12x24 cells; QR codes are drawn from the stored data with the qrcode package, as the printer draws them.

The code page is printer state: it holds from one job to the next until ESC @ or power-off (CP437, page 0).
render(job, code_page=n) starts from the page an earlier job left (Rendering.code_page), as the printer does.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field

from PIL import Image, ImageDraw

from .escpos_stream import command_length
from .fonts import MONO, MONO_BOLD, load_font
from .model import Align, PrinterProfile, printer_profile
from .raster import place, qr_image, stack

CELL_W, CELL_H = 12, 24  # font A
LINE_SPACING = 34  # ESC 2: 1/6 inch at 203 dpi
GLYPH_SIZE = 20  # DejaVu Sans Mono at 20 px advances 12 px: font A's cell
ALIGNS = {0: Align.LEFT, 1: Align.CENTER, 2: Align.RIGHT}
INVERT = bytes(255 - value for value in range(256))  # GS v 0 bit 1 is a black dot; PIL's "1" bit 1 is white


@dataclass
class Rendering:
    """The printed paper, the commands the renderer did not know, and the number of cuts."""

    image: Image.Image
    unknown: list[bytes] = field(default_factory=list)
    cuts: int = 0
    code_page: int = 0  # the page selected when the job ended (ESC t n), for the next job


@dataclass
class _Style:
    align: Align = Align.LEFT
    bold: bool = False
    width: int = 1  # character scale
    height: int = 1
    invert: bool = False  # GS B: white on black
    spacing: int = LINE_SPACING


class Paper:
    """The printer's state and the bands printed so far."""

    def __init__(self, profile: PrinterProfile) -> None:
        from escpos.capabilities import CAPABILITIES

        self.profile = profile
        pages = CAPABILITIES["profiles"][profile.escpos_profile]["codePages"]
        self.pages = {int(number): _codec(CAPABILITIES, name) for number, name in pages.items()}
        self.style = _Style()
        self.code_page = 0  # power-on default: CP437
        self.line: list[Image.Image] = []  # the current line, one image per run of text
        self.bands: list[Image.Image] = []
        self.qr: dict[str, int] = {"size": 3, "level": 48}
        self.qr_data = b""
        self.rendering = Rendering(Image.new("1", (1, 1), 1))

    def text(self, data: bytes) -> None:
        text = data.decode(self.pages.get(self.code_page, "cp437"), errors="replace")
        font = load_font(MONO_BOLD if self.style.bold else MONO, GLYPH_SIZE, False)
        ink, paper = (1, 0) if self.style.invert else (0, 1)
        run = Image.new("1", (CELL_W * len(text), CELL_H), paper)
        ImageDraw.Draw(run).text((0, 0), text, font=font, fill=ink)
        self.line.append(run.resize((run.width * self.style.width, run.height * self.style.height)))

    def newline(self) -> None:
        """LF: print the line (a blank one if empty) and move down one line."""
        height = max((run.height for run in self.line), default=CELL_H)
        band = Image.new("1", (max(1, sum(run.width for run in self.line)), height), 1)
        left = 0
        for run in self.line:
            band.paste(run, (left, height - run.height))
            left += run.width
        self.line = []
        self.add(band, gap=self.style.spacing - CELL_H)

    def add(self, image: Image.Image, gap: int = 0) -> None:
        """A printed band, then gap blank dots."""
        self.bands.append(place(image, self.profile.width_dots, self.style.align))
        if gap > 0:
            self.bands.append(Image.new("1", (1, gap), 1))

    def cut(self) -> None:
        dashes = Image.new("1", (self.profile.width_dots, 9), 1)
        ImageDraw.Draw(dashes).line((0, 4, self.profile.width_dots, 4), fill=0, width=1)
        for x in range(0, self.profile.width_dots, 12):
            ImageDraw.Draw(dashes).line((x + 6, 4, x + 11, 4), fill=1)
        self.bands.append(dashes)
        self.rendering.cuts += 1

    def image(self) -> Image.Image:
        paper = Image.new("1", (self.profile.width_dots, sum(band.height for band in self.bands) or 1), 1)
        paper.paste(stack(self.bands) if self.bands else paper, (0, 0))
        return paper


def _codec(capabilities: dict, name: str) -> str:
    encoding = capabilities["encodings"].get(name, {})
    return str(encoding.get("python_encode") or name.lower())


def _mode(paper: Paper, n: int) -> None:
    """ESC ! n: bold (0x08), double height (0x10), double width (0x20)."""
    paper.style.bold = bool(n & 0x08)
    paper.style.height, paper.style.width = 1 + bool(n & 0x10), 1 + bool(n & 0x20)


def _size(paper: Paper, n: int) -> None:
    """GS ! n: width multiplier in the high nibble, height in the low one, each 1..8."""
    paper.style.width, paper.style.height = (n >> 4) + 1, (n & 0x0F) + 1


def _feed(paper: Paper, lines: int) -> None:
    """ESC d n: print the line, then feed n lines."""
    if paper.line:
        paper.newline()
    paper.bands.append(Image.new("1", (1, lines * paper.style.spacing), 1))


def _feed_dots(paper: Paper, dots: int) -> None:
    """ESC J n: print the line (without its line spacing), then feed n dots."""
    if paper.line:
        spacing, paper.style.spacing = paper.style.spacing, CELL_H
        paper.newline()
        paper.style.spacing = spacing
    if dots:
        paper.bands.append(Image.new("1", (1, dots), 1))


def _raster(paper: Paper, command: bytes) -> None:
    """GS v 0 m xL xH yL yH data: xL + 256 xH bytes per row; m doubles width (1, 3) or height (2, 3)."""
    mode, columns, rows = command[3] & 3, command[4] + 256 * command[5], command[6] + 256 * command[7]
    image = Image.frombytes("1", (columns * 8, rows), command[8:].translate(INVERT))
    paper.add(image.resize((image.width * (1 + (mode & 1)), image.height * (1 + (mode >> 1)))))


def _qr(paper: Paper, command: bytes) -> None:
    """GS ( k for QR codes (cn = '1'): C module size, E error level, P store data, Q print."""
    cn, fn, args = command[5], command[6], command[7:]
    if cn != ord("1"):
        paper.rendering.unknown.append(command[:7])
    elif fn == ord("C"):
        paper.qr["size"] = args[0]
    elif fn == ord("E"):
        paper.qr["level"] = args[0]
    elif fn == ord("P"):
        paper.qr_data = args[1:]
    elif fn == ord("Q") and paper.qr_data:
        paper.add(qr_image(paper.qr_data, paper.qr["size"], paper.qr["level"]))


def _reset(paper: Paper) -> None:
    """ESC @: every setting back to its power-on value, the code page included."""
    paper.style = _Style()
    paper.code_page = 0


COMMANDS: dict[bytes, Callable[[Paper, bytes], None]] = {
    b"\n": lambda paper, c: paper.newline(),
    b"\r": lambda paper, c: None,
    b"\x10\x04": lambda paper, c: None,  # DLE EOT n: a status query, nothing printed
    b"\x1b@": lambda paper, c: _reset(paper),
    b"\x1ba": lambda paper, c: setattr(paper.style, "align", ALIGNS.get(c[2] % 48, Align.LEFT)),
    b"\x1bE": lambda paper, c: setattr(paper.style, "bold", bool(c[2] & 1)),
    b"\x1b!": lambda paper, c: _mode(paper, c[2]),
    b"\x1d!": lambda paper, c: _size(paper, c[2]),
    b"\x1bt": lambda paper, c: setattr(paper, "code_page", c[2]),
    b"\x1bd": lambda paper, c: _feed(paper, c[2]),
    b"\x1bJ": lambda paper, c: _feed_dots(paper, c[2]),
    b"\x1dB": lambda paper, c: setattr(paper.style, "invert", bool(c[2] & 1)),
    b"\x1b2": lambda paper, c: setattr(paper.style, "spacing", LINE_SPACING),
    b"\x1b3": lambda paper, c: setattr(paper.style, "spacing", c[2]),
    b"\x1dv": _raster,
    b"\x1d(k": _qr,
    b"\x1dV": lambda paper, c: paper.cut(),
}


def render(job: bytes, profile: PrinterProfile | None = None, code_page: int = 0) -> Rendering:
    """The image of what a printer with this profile (80 mm by default) prints for job, starting on the
    code page an earlier job left selected (0, CP437, after power-on or ESC @)."""
    paper = Paper(profile or printer_profile())
    paper.code_page = code_page
    start, text = 0, bytearray()
    while start < len(job):
        length = command_length(job[start : start + 8])
        if length is None or start + length > len(job):  # a truncated job: what came is drawn
            paper.rendering.unknown.append(job[start : start + 3])
            break
        command, start = job[start : start + length], start + length
        if command[0] >= 0x20:
            text += command
            continue
        if text:
            paper.text(bytes(text))
            text.clear()
        _run(paper, command)
    if text:
        paper.text(bytes(text))
    if paper.line:
        paper.newline()
    paper.rendering.image = paper.image()
    paper.rendering.code_page = paper.code_page
    return paper.rendering


def _run(paper: Paper, command: bytes) -> None:
    handler = COMMANDS.get(command[:3]) or COMMANDS.get(command[:2]) or COMMANDS.get(command[:1])
    if handler is None:
        paper.rendering.unknown.append(command[:3])
    else:
        handler(paper, command)


def render_png(job_bytes: bytes, profile: PrinterProfile | None = None, code_page: int = 0) -> bytes:
    """The printed ticket as PNG bytes (the demo's "last printed tickets")."""
    buffer = io.BytesIO()
    render(job_bytes, profile, code_page).image.save(buffer, format="PNG")
    return buffer.getvalue()
