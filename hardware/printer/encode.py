"""A Ticket turned into the ESC/POS bytes of one job; python-escpos generates the commands.

Latin lines go as printer text in the profile's code page (fast and crisp), wrapped on spaces at the
printer's column count. Any line the code page cannot print (Arabic, right-to-left, mixed, or a character
missing from the page) goes as a GS v 0 raster drawn by rtl.py. QR codes are native (GS ( k) when the
profile has them, else a raster drawn by the qrcode package.
"""

from __future__ import annotations

import textwrap

from escpos.constants import QR_ECLEVEL_M
from escpos.printer import Dummy
from PIL import Image

from .model import Align, Cut, Feed, PrinterProfile, Qr, Text, Ticket
from .raster import place, qr_image
from .rtl import Shaper, default_shaper, needs_raster, render_text

RASTER_SIZE = 26  # pixel size of a raster line at scale 1: glyphs about as tall as the printer's font A
TEAR_FEED = 4  # lines fed to bring the end of the ticket past a tear bar (printers without a cutter)


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

    def output(self) -> bytes:
        return bytes(self.out.output)

    def add(self, block: Text | Qr | Feed | Cut) -> None:
        if isinstance(block, Text):
            self.text(block)
        elif isinstance(block, Qr):
            self.qr(block)
        elif isinstance(block, Feed):
            self.out.ln(block.lines)
        else:
            self.cut(block)

    def text(self, block: Text) -> None:
        """Printer text when the code page can print it, else a raster of the shaped line."""
        if needs_raster(block.text, self.profile.code_page):
            self.raster(render_text(block.text, self.profile.width_dots, RASTER_SIZE * block.scale,
                                    bold=block.bold, align=block.align, shaper=self.shaper))
            return
        self.out.set(align=block.align.value, bold=block.bold, custom_size=True, width=block.scale,
                     height=block.scale)
        # One column short of full: a printer that fills its line prints it at once, and the LF that
        # follows would then feed an empty line.
        for line in textwrap.wrap(block.text, self.profile.columns // block.scale - 1) or [""]:
            self.out.textln(line)

    def qr(self, block: Qr) -> None:
        if self.profile.native_qr:
            self.out.set(align=block.align.value)
            self.out.qr(block.data, native=True, size=block.size, ec=QR_ECLEVEL_M)
        else:
            self.raster(place(qr_image(block.data, block.size), self.profile.width_dots, block.align))

    def raster(self, image: Image.Image) -> None:
        """A band already placed across the paper: left-justified, so a printer that applies ESC a to
        images does not move it again."""
        self.out.set(align=Align.LEFT.value)
        self.out.image(image, impl="bitImageRaster", center=False)

    def cut(self, block: Cut) -> None:
        if self.profile.cutter:
            self.out.cut(mode="PART" if block.partial else "FULL")
        else:
            self.out.print_and_feed(TEAR_FEED)
