"""The printed paper from the field trial: typographic characters printed as text, Arabic at a legible size,
values isolated inside Arabic sentences, white-on-black marks, tight rasters, and a code page that every
piece of paper selects (so the preview of a receipt shows "€", not the "╒" of CP437)."""

from __future__ import annotations

import pytest
from PIL import Image, ImageChops, ImageDraw

from hardware.printer import Align, Cut, PrinterSimulator, Text, Ticket, fonts, open_printer, printer_profile
from hardware.printer.encode import RASTER_SIZE, encode_ticket
from hardware.printer.escpos_stream import EscposStream, code_page_after, command_length
from hardware.printer.render import GLYPH_SIZE, INVERT, render
from hardware.printer.rtl import Shaper, fallback_display, isolate, render_lines, render_text, words

P80, P58 = printer_profile("80mm"), printer_profile("58mm")
CP858 = b"\x1bt\x13"  # ESC t 19: CP858 on the TM-T20II
RAQM, FALLBACK = Shaper(raqm=True), Shaper(raqm=False)
CARD = "البطاقة: " + isolate("**** 4242")


def pieces(job: bytes) -> list[bytes]:
    """The job cut into its pieces of paper, as the printer simulator files them."""
    stream = EscposStream()
    found = [event for event in stream.feed(job) if isinstance(event, bytes)]
    rest = stream.finish()
    return [*found, rest] if rest else found


def rasters(job: bytes) -> list[tuple[bytes, Image.Image]]:
    """(the ESC a before it, the image) of each GS v 0 in job."""
    found, start, align = [], 0, b""
    while start < len(job):
        length = command_length(job[start : start + 8]) or len(job)
        command, start = job[start : start + length], start + length
        if command[:2] == b"\x1ba":
            align = command
        elif command[:3] == b"\x1dv0":
            columns, rows = command[4] + 256 * command[5], command[6] + 256 * command[7]
            image = Image.frombytes("1", (columns * 8, rows), command[8:].translate(INVERT))
            found.append((align, image))
    return found


def same(a: Image.Image, b: Image.Image) -> bool:
    return a.size == b.size and ImageChops.difference(a.convert("L"), b.convert("L")).getbbox() is None


def ink(image: Image.Image) -> tuple[int, int, int, int] | None:
    return ImageChops.invert(image.convert("L")).getbbox()


# --- 2. characters outside the code page ---------------------------------------------------------------


@pytest.mark.parametrize(("text", "printed"), [
    ("Droit de timbre – passeport biométrique", b"Droit de timbre - passeport biom\x82trique"),
    ("Gebühr — Reisepass", b"Geb\x81hr - Reisepass"),
    ("“Légalisation” d’un acte…", b"\"L\x82galisation\" d'un acte..."),
    ("60,00\u00a0€ ou 12\u202f%", b"60,00 \xd5 ou 12 %"),
    ("Bosnyák Ödön, sœur, Łódź, Ștefan", b"Bosny\xa0k \x99d\x94n, soeur, L\xa2dz, Stefan"),
    ("\u200f60.00\u00a0€", b"60.00 \xd5"),  # the bidi mark of an amount formatted for Arabic
])
def test_typographic_characters_are_printed_as_text_not_as_an_image(text: str, printed: bytes) -> None:
    job = encode_ticket(Ticket([Text(text)]), P80)
    assert b"\x1dv0" not in job
    assert printed + b"\n" in job


@pytest.mark.parametrize("text", ["رسم جواز السفر – بيومتري", "护照", "Ωmega – 3"])
def test_only_text_with_no_printable_equivalent_goes_as_an_image(text: str) -> None:
    assert b"\x1dv0" in encode_ticket(Ticket([Text(text)]), P80)


def test_a_no_break_space_keeps_an_amount_on_one_line() -> None:
    job = encode_ticket(Ticket([Text("Droit de timbre pour un passeport biométrique : 60,00\u00a0€")]), P80)
    assert b"60,00 \xd5\n" in job and b"60,00\n" not in job


# --- 3. the size of Arabic text ------------------------------------------------------------------------


def test_arabic_body_text_is_drawn_at_28_to_36_px() -> None:
    assert 28 <= RASTER_SIZE <= 36
    [(_, line)] = rasters(encode_ticket(Ticket([Text("عدد الأشخاص قبلك: 3", Align.CENTER)]), P80))
    [at_28] = render_lines("عدد الأشخاص قبلك: 3", 576, 28)
    assert line.height >= at_28.height and line.width <= 576


def test_a_long_arabic_line_still_fits_the_80mm_paper() -> None:
    text = "يمكنك مسح هذا الرمز بهاتفك لمتابعة دورك، والمرجو الانتظار حتى يتم النداء على رقمك عبر الشاشات."
    lines = rasters(encode_ticket(Ticket([Text(text, Align.RIGHT)]), P80))
    assert len(lines) >= 2 and all(image.width <= 576 for _, image in lines)


# --- 1. values isolated inside an Arabic sentence -------------------------------------------------------


@pytest.mark.parametrize("shaper", [RAQM, FALLBACK], ids=["raqm", "fallback"])
def test_a_masked_card_inside_an_arabic_line_keeps_its_order(shaper: Shaper) -> None:
    line = render_text(CARD, 576, 30, align=Align.RIGHT, shaper=shaper)
    box = ink(line)
    assert box is not None and box[2] >= 570  # right-aligned
    # The leftmost glyph is a star (ink in the upper half only), not a digit reaching the baseline.
    leftmost = ink(line.crop((box[0], 0, box[0] + 8, line.height)))
    assert leftmost is not None and leftmost[3] < line.height * 0.6


def test_the_fallback_orders_an_isolate_on_its_own() -> None:
    shown = fallback_display(CARD, rtl=True)
    assert shown.startswith("**** 4242 ") and "\u2068" not in shown and "\u2069" not in shown
    assert fallback_display("البطاقة: **** 4242", rtl=True).startswith("4242 ****")  # the field bug
    assert fallback_display("Total " + isolate("رقمك") + " ok", rtl=False).startswith("Total ")


def test_raqm_and_the_fallback_draw_an_isolated_value_alike() -> None:
    with_raqm = render_text(CARD, 576, 30, shaper=RAQM, align=Align.LEFT)
    with_fallback = render_text(CARD, 576, 30, shaper=FALLBACK, align=Align.LEFT)
    assert abs(with_raqm.width - with_fallback.width) <= 8 and with_raqm.height == with_fallback.height


def test_a_wrapped_line_never_breaks_inside_an_isolate() -> None:
    assert words(CARD) == ["البطاقة:", isolate("**** 4242")]
    assert isolate("\u200f60.00\u00a0€", "L") == "\u206660.00\u00a0€\u2069"


# --- 4. white on black ----------------------------------------------------------------------------------


def test_an_inverted_line_is_white_on_black_as_text_and_as_an_image() -> None:
    job = encode_ticket(Ticket([Text("PRIORITAIRE", Align.CENTER, scale=2, bold=True, invert=True),
                                Text("أولوية", Align.CENTER, bold=True, invert=True)]), P80)
    assert b"\x1dB\x01" in job and b" PRIORITAIRE \n\x1dB\x00" in job
    [(align, mark)] = rasters(job)
    assert align == b"\x1ba\x01" and mark.getpixel((0, 0)) == 0 and mark.getpixel((mark.width - 1, 0)) == 0
    paper = render(job).image
    top = paper.crop((0, 0, 576, 48))
    assert top.convert("L").histogram()[0] > 0.5 * ink_area(top)  # a black block, not thin letters


def ink_area(image: Image.Image) -> int:
    box = ink(image)
    assert box is not None
    return (box[2] - box[0]) * (box[3] - box[1])


# --- 6. tight rasters ------------------------------------------------------------------------------------


@pytest.mark.parametrize("align", list(Align))
def test_a_raster_is_cropped_to_its_ink_and_aligned_by_the_printer(align: Align) -> None:
    job = encode_ticket(Ticket([Text("مدة الانتظار المتوقعة: 15 دقيقة", align)]), P80)
    [(command, image)] = rasters(job)
    assert command == b"\x1ba" + bytes([list(Align).index(align)])
    box = ink(image)
    assert box is not None and box[1] == 0 and box[3] == image.height  # no blank rows
    assert box[0] < 8 and box[2] > image.width - 8  # no blank byte column
    assert job.count(b"\x1bJ\x08") == 1  # the space under it is fed


def test_a_printer_that_ignores_esc_a_for_images_gets_them_placed() -> None:
    job = encode_ticket(Ticket([Text("رقمك", Align.RIGHT)]), P80.with_aligned_images(False))
    [(command, image)] = rasters(job)
    box = ink(image)
    assert command == b"\x1ba\x00" and image.width == 576 and box is not None and box[2] > 568
    assert open_printer("sim://?raster=placed").profile.aligned_images is False
    with pytest.raises(ValueError, match="raster must be aligned or placed"):
        open_printer("tcp://10.0.0.21?raster=centre")


# --- 5. the code page of every piece of paper ---------------------------------------------------------


def euro_cell() -> Image.Image:
    """"€" as the renderer draws printer text (DejaVu Sans Mono in font A's 12 x 24 cell)."""
    cell = Image.new("1", (12, 24), 1)
    font = fonts.load_font(fonts.MONO, GLYPH_SIZE, False)
    ImageDraw.Draw(cell).text((0, 0), "€", font=font, fill=0)
    return cell


def test_every_piece_of_paper_selects_the_code_page_and_a_second_one_previews_its_euro_sign() -> None:
    ticket = Ticket([Text("A-001"), Cut(), Text("€"), Cut()])
    job = encode_ticket(ticket, P80)
    first, second = pieces(job)
    assert first.startswith(b"\x1b@" + CP858) and second.startswith(CP858)
    drawn = render(second).image  # the device-control preview renders one piece alone
    assert same(drawn.crop((0, 0, 12, 24)), euro_cell())
    assert encode_ticket(Ticket([Text("€")]), P80).count(CP858) == 1  # nothing after the last cut


def test_the_renderer_keeps_the_code_page_from_job_to_job_as_a_printer_does() -> None:
    earlier = b"\x1b@" + CP858 + b"A-001\n\x1dV\x00"
    later = b"\xd5\n\x1dV\x00"  # a job that relies on the page selected before
    assert render(earlier).code_page == code_page_after(earlier) == 19
    kept = render(later, code_page=19).image
    assert same(kept.crop((0, 0, 12, 24)), euro_cell())
    assert not same(render(later).image.crop((0, 0, 12, 24)), euro_cell())  # CP437: "╒"
    assert render(b"\x1b@" + later, code_page=19).code_page == 0  # ESC @ resets it


def test_the_simulator_knows_the_code_page_each_job_began_with() -> None:
    with PrinterSimulator() as simulator:
        printer = open_printer(simulator.uri)
        printer.print_ticket(Ticket([Text("A-001"), Cut(), Text("Total : 60,00 €"), Cut()]))
        jobs = simulator.wait_for_jobs(2)
        assert simulator.code_pages == [0, 19]
        assert all(CP858 in job for job in jobs)
        assert same(render(jobs[1]).image, render(jobs[1], code_page=simulator.code_pages[1]).image)
