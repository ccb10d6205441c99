"""Byte-exact: what the encoder emits for each block, per profile, and what the driver says on the wire."""

from __future__ import annotations

import pytest

from hardware.errors import PrinterUnreachable, PrintFailed
from hardware.printer import (
    Align,
    Cut,
    EscposPrinter,
    Feed,
    PrinterProfile,
    Qr,
    Text,
    Ticket,
    Timeouts,
    printer_profile,
)
from hardware.printer.encode import encode_ticket
from hardware.printer.transport import Link, Transport

URL = "https://rdv.example/t/A042"
P80, P58 = printer_profile("80mm"), printer_profile("58mm")
INIT_80 = b"\x1b@\x1bt\x13"  # reset, code page 19 = CP858 on the TM-T20II
INIT_58 = b"\x1b@\x1bt\x35"  # the same code page is number 53 on the POS-5890
FULL_CUT = b"\x1bd\x06\x1dV\x00"


def body(ticket: Ticket, profile: PrinterProfile = P80) -> bytes:
    """The job without its reset and code page, and without its end (cut or tear feed)."""
    job = encode_ticket(ticket, profile)
    head = INIT_80 if profile.escpos_profile == P80.escpos_profile else INIT_58
    assert job.startswith(head)
    end = FULL_CUT if profile.cutter else b"\x1bd\x04"
    assert job.endswith(end)
    return job[len(head) : -len(end)]


def qr_native(data: bytes, size: int = 6) -> bytes:
    store = len(data) + 3
    return (b"\x1d(k\x04\x001A2\x00" + b"\x1d(k\x03\x001C" + bytes([size]) + b"\x1d(k\x03\x001E1"
            + b"\x1d(k" + bytes([store % 256, store // 256]) + b"1P0" + data + b"\x1d(k\x03\x001Q0")


def test_profiles_map_onto_python_escpos() -> None:
    assert (P80.escpos_profile, P80.width_dots, P80.columns, P80.native_qr, P80.cutter) == (
        "TM-T20II", 576, 48, True, True)
    assert (P58.escpos_profile, P58.width_dots, P58.columns, P58.native_qr, P58.cutter) == (
        "POS-5890", 384, 32, False, False)
    assert P58.with_native_qr(True).native_qr and not P58.native_qr


def test_latin_text_in_the_code_page_with_size_bold_and_alignment() -> None:
    ticket = Ticket([Text("Consulat général", Align.CENTER, bold=True), Text("A-042", Align.RIGHT, scale=4),
                     Text("Prix : 12 €")])
    assert body(ticket) == (
        b"\x1d!\x00\x1bE\x01\x1ba\x01Consulat g\x82n\x82ral\n"
        b"\x1d!\x33\x1bE\x00\x1ba\x02A-042\n"
        b"\x1d!\x00\x1bE\x00\x1ba\x00Prix : 12 \xd5\n"
    )


@pytest.mark.parametrize(("profile", "scale", "lines"), [
    (P80, 1, [b"Scannez ce code avec votre t\x82l\x82phone pour", b"suivre votre tour."]),  # 48 columns
    (P80, 2, [b"Scannez ce code avec", b"votre t\x82l\x82phone pour", b"suivre votre tour."]),  # 24
    (P58, 1, [b"Scannez ce code avec votre", b"t\x82l\x82phone pour suivre votre", b"tour."]),  # 32
])
def test_latin_text_wraps_on_spaces_at_the_column_count(profile: PrinterProfile, scale: int,
                                                        lines: list[bytes]) -> None:
    ticket = Ticket([Text("Scannez ce code avec votre téléphone pour suivre votre tour.", scale=scale)])
    size = bytes([(scale - 1) * 17])
    assert body(ticket, profile) == b"\x1d!" + size + b"\x1bE\x00\x1ba\x00" + b"\n".join(lines) + b"\n"


def test_feed_and_empty_text() -> None:
    assert body(Ticket([Feed(2), Text("")])) == b"\n\n\x1d!\x00\x1bE\x00\x1ba\x00\n"


@pytest.mark.parametrize("text", ["رقم التذكرة", "رقمك A-042", "Ω ticket", "תור"])
def test_lines_the_code_page_cannot_print_are_rasters(text: str) -> None:
    job = body(Ticket([Text(text, Align.CENTER)]))
    assert job.startswith(b"\x1ba\x01\x1dv0\x00")  # the image's own width, centred by the printer
    columns, rows = job[7] + 256 * job[8], job[9] + 256 * job[10]
    assert 0 < columns < 576 // 8 and 12 <= rows <= 60  # cropped to the ink
    assert len(job) == 11 + columns * rows + 3  # nothing else: no code page switch, no "?"
    assert job.endswith(b"\x1bJ\x08")  # the space under the line is fed, not sent as blank rows


def test_a_printer_that_does_not_align_images_gets_them_placed() -> None:
    text = "رقم التذكرة"
    placed = body(Ticket([Text(text, Align.RIGHT)]), P58)  # POS-5890, a clone: images placed
    assert not P58.aligned_images and placed.startswith(b"\x1ba\x00\x1dv0\x00")
    assert placed[7] + 256 * placed[8] == 384 // 8  # right-aligned: the band reaches the right edge
    assert P80.with_aligned_images(False) != P80 and P80.aligned_images
    again = body(Ticket([Text(text, Align.RIGHT)]), P80.with_aligned_images(False))
    assert again.startswith(b"\x1ba\x00\x1dv0\x00") and again[7] == 576 // 8


def test_native_qr_when_the_profile_has_it() -> None:
    assert body(Ticket([Qr(URL)])) == b"\x1ba\x01" + qr_native(URL.encode())
    forced = P58.with_native_qr(True)
    assert body(Ticket([Qr(URL, size=4)]), forced) == b"\x1ba\x01" + qr_native(URL.encode(), 4)


def test_qr_as_image_otherwise() -> None:
    job = body(Ticket([Qr(URL)]), P58)
    assert b"\x1d(k" not in job and job.startswith(b"\x1ba\x00\x1dv0\x00")
    columns, rows = job[7] + 256 * job[8], job[9] + 256 * job[10]
    assert columns <= 384 // 8 and rows % 6 == 0  # whole 6-dot modules
    assert len(job) == 11 + columns * rows


def test_cut_per_profile_and_a_ticket_always_ends_with_one() -> None:
    assert encode_ticket(Ticket([Text("A")]), P80).endswith(b"A\n" + FULL_CUT)
    assert encode_ticket(Ticket([Text("A"), Cut(partial=True)]), P80).endswith(b"A\n\x1bd\x06\x1dV\x01")
    assert encode_ticket(Ticket([Text("A")]), P58).endswith(b"A\n\x1bd\x04")  # tear bar, no GS V
    assert Ticket([Text("A")]) == Ticket([Text("A"), Cut()])
    assert Ticket([Text("A"), Text("B")]).texts() == ["A", "B"]


@pytest.mark.parametrize("make", [lambda: Text("A", scale=9), lambda: Text("A", scale=0), lambda: Qr(""),
                                  lambda: Qr(URL, size=17)])
def test_blocks_refuse_impossible_values(make: object) -> None:
    with pytest.raises(ValueError):
        make()  # type: ignore[operator]


# --- the driver's conversation, through a scripted link -------------------------------


class ScriptedLink(Link):
    """Answers DLE EOT n from a table and records what was written; drops when told to."""

    def __init__(self, replies: dict[int, bytes], drop_on_job: bool = False) -> None:
        self.replies, self.drop_on_job, self.written = replies, drop_on_job, bytearray()
        self._pending = b""

    def write(self, data: bytes, timeout: float) -> None:
        if self.drop_on_job and not data.startswith(b"\x10\x04"):
            raise PrinterUnreachable("connection reset")
        self.written += data
        self._pending = self.replies.get(data[2], b"") if data.startswith(b"\x10\x04") else b""

    def read(self, timeout: float) -> bytes:
        return self._pending

    def close(self) -> None:
        self.written += b"<closed>"


class ScriptedTransport(Transport):
    description = "scripted://"

    def __init__(self, link: ScriptedLink) -> None:
        self.link = link

    def connect(self, timeout: float) -> Link:
        return self.link


def test_the_driver_checks_before_and_after_the_job() -> None:
    link = ScriptedLink({1: b"\x12", 4: b"\x12"})
    printer = EscposPrinter(ScriptedTransport(link), P80, Timeouts(status=0.1, job=0.1))
    ticket = Ticket([Text("A-042")])
    printer.print_ticket(ticket)
    query = b"\x10\x04\x01\x10\x04\x04"
    assert bytes(link.written) == query + printer.encode(ticket) + query + b"<closed>"


def test_a_printer_that_stops_answering_after_the_job_fails_the_job() -> None:
    class SilentAfterJob(ScriptedLink):
        def write(self, data: bytes, timeout: float) -> None:
            super().write(data, timeout)
            if not data.startswith(b"\x10\x04"):
                self.replies = {}

    printer = EscposPrinter(ScriptedTransport(SilentAfterJob({1: b"\x12", 4: b"\x12"})), P80)
    with pytest.raises(PrintFailed, match="may not have been printed"):
        printer.print_ticket(Ticket([Text("A-042")]))


def test_a_link_dropped_mid_job_fails_the_job() -> None:
    printer = EscposPrinter(ScriptedTransport(ScriptedLink({1: b"\x12", 4: b"\x12"}, drop_on_job=True)), P80)
    with pytest.raises(PrintFailed, match="dropped during the ticket"):
        printer.print_ticket(Ticket([Text("A-042")]))
