"""A Ticket turned into the ESC/POS bytes of one job; python-escpos generates the commands.

Latin lines go as printer text in the profile's code page (fast and crisp), typographic characters mapped to
plain ones (printable.py), wrapped on spaces at the printer's column count. A line with no printable
equivalent (Arabic, right-to-left, mixed, Greek, CJK) goes as GS v 0 rasters drawn by rtl.py, one per line,
each cropped to its ink and aligned by the printer (ESC a) or placed on a band (profile.aligned_images);
the space between lines is fed (ESC J), not sent as blank rows. QR codes are native (GS ( k) when the
profile has them, else a raster drawn by the qrcode package.

Every piece of paper (the job's start, and after each cut) selects the code page again (ESC t): a printer
that was switched off meanwhile is back on its default page, and a preview renders each piece alone.
"""

from __future__ import annotations

import textwrap

from escpos.constants import QR_ECLEVEL_M
from escpos.printer import Dummy
from PIL import Image

from .model import Align, Block, Cut, Feed, PrinterProfile, Qr, Text, Ticket
from .printable import NO_BREAK, printable
from .raster import inverted, place, qr_image, to_bytes
from .rtl import Shaper, default_shaper, needs_raster, render_lines

RASTER_SIZE = 30  # pixel size of a raster line at scale 1: body text, 28-36 px on a 203 dpi head
RASTER_GAP = 8  # dots fed after a raster line (ESC J): the space between lines, without blank rows
INVERT_MARGIN = 6  # dots of black around white raster text
TEAR_FEED = 4  # lines fed to bring the end of the ticket past a tear bar (printers without a cutter)
FEED_DOTS = b"\x1bJ"  # ESC J n: print, then feed n dots


def encode_ticket(ticket: Ticket, profile: PrinterProfile, shaper: Shaper | None = None) -> bytes:
    """The bytes of one ticket, from printer reset to cut."""
    encoder = TicketEncoder(profile, shaper or default_shaper())
    for block in ticket:
        encoder.add(block)
    return encoder.output()


class TicketEncoder:
    """Writes blocks into a python-escpos Dummy printer configured with the profile."""

    def __init__(self, profile: PrinterProfile, shaper: Shaper) -> None:
        self.profile = profile
        self.shaper = shaper
        self.out = Dummy(profile=profile.escpos_profile)
        self.out.hw("INIT")
        self.out.charcode(profile.code_page)
        self.select_code_page = bytes(self.out.output).removeprefix(b"\x1b@")  # ESC t n
        self.after_cut = False

    def output(self) -> bytes:
        return bytes(self.out.output)

    def add(self, block: Block) -> None:
        if self.after_cut:  # a new piece of paper: it says its code page again
            self.out._raw(self.select_code_page)
            self.after_cut = False
        if isinstance(block, Text):
            self.text(block)
        elif isinstance(block, Qr):
            self.qr(block)
        elif isinstance(block, Feed):
            self.out.ln(block.lines)
        else:
            self.cut(block)

    def text(self, block: Text) -> None:
        """Printer text when the code page can print it, else a raster of each shaped line."""
        shown = None if needs_raster(block.text, self.profile.code_page) else printable(
            block.text, self.profile.code_page)
        if shown is None:
            self.raster_text(block)
            return
        self.out.set(align=block.align.value, bold=block.bold, custom_size=True, width=block.scale,
                     height=block.scale, **({"invert": True} if block.invert else {}))
        pad = " " if block.invert else ""  # an inverted line is a block with a margin on each side
        # One column short of full: a printer that fills its line prints it at once, and the LF that
        # follows would then feed an empty line.
        for line in textwrap.wrap(shown, self.profile.columns // block.scale - 1 - 2 * len(pad)) or [""]:
            self.out.textln(f"{pad}{line}{pad}".replace(NO_BREAK, " "))
        if block.invert:
            self.out.set(invert=False)

    def raster_text(self, block: Text) -> None:
        margin = INVERT_MARGIN if block.invert else 0
        lines = render_lines(block.text, self.profile.width_dots - 2 * margin, RASTER_SIZE * block.scale,
                             bold=block.bold, shaper=self.shaper)
        for line in lines:
            self.image(inverted(line, margin) if block.invert else line, block.align, gap=RASTER_GAP)

    def qr(self, block: Qr) -> None:
        if self.profile.native_qr:
            self.out.set(align=block.align.value)
            self.out.qr(block.data, native=True, size=block.size, ec=QR_ECLEVEL_M)
        else:
            self.image(qr_image(block.data, block.size), block.align)

    def image(self, image: Image.Image, align: Align, gap: int = 0) -> None:
        """A GS v 0 raster of the image's own width, aligned by the printer; or, for a printer that does
        not align images, placed on a band from the left edge (ESC a 0, so it is not moved twice)."""
        if self.profile.aligned_images:
            self.out.set(align=align.value)
            image = to_bytes(image, align)
        else:
            self.out.set(align=Align.LEFT.value)
            image = place(image, self.profile.width_dots, align)
        self.out.image(image, impl="bitImageRaster", center=False)
        if gap:
            self.out._raw(FEED_DOTS + bytes([gap]))

    def cut(self, block: Cut) -> None:
        if self.profile.cutter:
            self.out.cut(mode="PART" if block.partial else "FULL")
        else:
            self.out.print_and_feed(TEAR_FEED)
        self.after_cut = True
