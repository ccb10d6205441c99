"""The ticket printer path: status decoding, stream parsing, driver against the simulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hardware.errors import (
    CoverOpen,
    HardwareError,
    PaperOut,
    PrinterError,
    PrinterNotResponding,
    PrinterOffline,
    PrinterUnreachable,
)
from hardware.printer import (
    EscposPrinter,
    PrinterSimulator,
    PrinterStatus,
    SimulatedEscposPrinter,
    TicketPrint,
    open_printer,
    read_status,
    render_ticket,
)
from hardware.printer.escpos_stream import EscposStream
from hardware.printer.status import decode_offline_cause, decode_paper_sensor, decode_printer_status

S = PrinterStatus
URL = "https://rdv.example/t/A042"
CUT = b"\x1dV\x00"


def qr_store(data: bytes) -> bytes:
    """GS ( k function 80 (store the QR data), as python-escpos sends it."""
    size = len(data) + 3
    return b"\x1d(k" + bytes([size % 256, size // 256]) + b"1P0" + data


@pytest.fixture
def ticket() -> TicketPrint:
    return TicketPrint(
        site_name="Consulat général",
        number="A-042",
        service="Passeport",
        issued_at="23/11/2025 09:14",
        people_ahead=3,
        wait_minutes=15,
        url=URL,
        lines=["Guichet 5", "القنصلية"],
    )


@pytest.fixture
def sim() -> Iterator[PrinterSimulator]:
    with PrinterSimulator() as simulator:
        yield simulator


@pytest.fixture
def printer(sim: PrinterSimulator) -> EscposPrinter:
    return EscposPrinter("127.0.0.1", sim.port)


# --- status bytes, decoded byte by byte -------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (b"\x12", S.OK),
        (b"\x1a", S.OFFLINE),
        (b"\x16", S.OK),
        (b"\x32", S.OK),
        (b"\x52", S.OK),
        (b"\x7e", S.OFFLINE),
        (b"", S.UNKNOWN),
        (b"\x00", S.UNKNOWN),
        (b"\x08", S.UNKNOWN),
        (b"\x92", S.UNKNOWN),
    ],
)
def test_printer_status_reply(reply: bytes, expected: PrinterStatus) -> None:
    assert decode_printer_status(reply) is expected


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (b"\x12", S.OK),
        (b"\x16", S.COVER_OPEN),
        (b"\x32", S.PAPER_OUT),
        (b"\x52", S.OFFLINE),
        (b"\x1a", S.OK),
        (b"\x36", S.COVER_OPEN),
        (b"\x72", S.PAPER_OUT),
        (b"", S.UNKNOWN),
        (b"\x13", S.UNKNOWN),
    ],
)
def test_offline_cause_reply(reply: bytes, expected: PrinterStatus) -> None:
    assert decode_offline_cause(reply) is expected


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (b"\x12", S.OK),
        (b"\x1e", S.NEAR_END),
        (b"\x16", S.NEAR_END),
        (b"\x1a", S.NEAR_END),
        (b"\x72", S.PAPER_OUT),
        (b"\x32", S.PAPER_OUT),
        (b"\x52", S.PAPER_OUT),
        (b"\x7e", S.PAPER_OUT),
        (b"", S.UNKNOWN),
        (b"\xff", S.UNKNOWN),
    ],
)
def test_paper_sensor_reply(reply: bytes, expected: PrinterStatus) -> None:
    assert decode_paper_sensor(reply) is expected


@pytest.mark.parametrize(
    ("replies", "expected", "asked"),
    [
        ({1: b"\x12", 4: b"\x12"}, S.OK, [1, 4]),
        ({1: b"\x12", 4: b"\x1e"}, S.NEAR_END, [1, 4]),
        ({1: b"\x12", 4: b"\x72"}, S.PAPER_OUT, [1, 4]),
        ({1: b"\x12", 4: b""}, S.UNKNOWN, [1, 4]),
        ({1: b"\x1a", 2: b"\x32"}, S.PAPER_OUT, [1, 2]),
        ({1: b"\x1a", 2: b"\x16"}, S.COVER_OPEN, [1, 2]),
        ({1: b"\x1a", 2: b"\x12"}, S.OFFLINE, [1, 2]),
        ({1: b"\x1a", 2: b""}, S.OFFLINE, [1, 2]),
        ({1: b""}, S.UNKNOWN, [1]),
    ],
)
def test_read_status_asks_only_what_it_needs(
    replies: dict[int, bytes], expected: PrinterStatus, asked: list[int]
) -> None:
    queries: list[int] = []

    def query(n: int) -> bytes:
        queries.append(n)
        return replies.get(n, b"")

    assert read_status(query) is expected
    assert queries == asked


# --- stream parsing in the simulator ----------------------------------------------------


def test_status_bytes_inside_qr_and_raster_data_are_not_queries() -> None:
    raster = b"\x1dv0\x00\x03\x00\x01\x00" + b"\x10\x04\x01"  # 3x1 bytes of image data
    job = b"\x1b@" + qr_store(b"\x10\x04\x04") + raster + b"\x1b!\x10\x04" + CUT
    stream = EscposStream()
    assert stream.feed(b"\x10\x04\x01" + job + b"\x10\x04\x04") == [1, job, 4]


def test_stream_split_anywhere_gives_the_same_events() -> None:
    job = b"\x1b@" + qr_store(b"\x10\x04\x02 data") + b"A-042\n" + CUT
    stream = EscposStream()
    events = [event for byte in b"\x10\x04\x02" + job + b"tail" for event in stream.feed(bytes([byte]))]
    assert events == [2, job]
    assert stream.finish() == b"tail"


# --- rendering --------------------------------------------------------------------------


def test_ticket_bytes(ticket: TicketPrint) -> None:
    job = render_ticket(ticket)
    assert job.startswith(b"\x1b@\x1bt\x13")  # reset, code page 19 = CP858
    assert b"Consulat g\x82n\x82ral\n" in job  # é in CP858
    assert b"\x1d!\x33A-042\n\x1d!\x00" in job  # number 4x wide and high, then normal size
    assert b"People ahead: 3\nEstimated wait: 15 min\nGuichet 5\n" in job
    assert qr_store(URL.encode()) + b"\x1d(k\x03\x001Q0" in job
    assert job.endswith(b"\x1bd\x06" + CUT)


def test_lines_the_code_page_cannot_print_are_skipped(ticket: TicketPrint) -> None:
    job = render_ticket(ticket)
    assert "القنصلية".encode("cp720") not in job
    assert b"?" not in job.replace(URL.encode(), b"")


# --- the driver against the simulator over loopback -------------------------------------


def test_ticket_printed_over_loopback(
    sim: PrinterSimulator, printer: EscposPrinter, ticket: TicketPrint
) -> None:
    assert printer.status() is S.OK
    printer.print_ticket(ticket)
    jobs = sim.wait_for_jobs(1)
    assert jobs == [render_ticket(ticket)]
    assert b"A-042" in jobs[0] and CUT in jobs[0] and qr_store(URL.encode()) in jobs[0]
    assert b"\x10\x04" not in jobs[0]  # the status queries are not part of the job


@pytest.mark.parametrize(
    ("fault", "error"),
    [("paper_out", PaperOut), ("cover_open", CoverOpen), ("mute", PrinterNotResponding)],
)
def test_fault_refuses_to_print(
    sim: PrinterSimulator, printer: EscposPrinter, ticket: TicketPrint, fault: str, error: type[PrinterError]
) -> None:
    sim.set_fault(fault)
    with pytest.raises(error):
        printer.print_ticket(ticket)
    assert sim.wait_idle()
    assert sim.jobs == []


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        (None, S.OK),
        ("near_end", S.NEAR_END),
        ("paper_out", S.PAPER_OUT),
        ("cover_open", S.COVER_OPEN),
        ("mute", S.UNKNOWN),
    ],
)
def test_status_per_fault(
    sim: PrinterSimulator, printer: EscposPrinter, fault: str | None, status: S
) -> None:
    sim.set_fault(fault)
    assert printer.status() is status


def test_near_end_still_prints(sim: PrinterSimulator, printer: EscposPrinter, ticket: TicketPrint) -> None:
    sim.set_fault("near_end")
    printer.print_ticket(ticket)
    assert len(sim.wait_for_jobs(1)) == 1
    assert printer.status() is S.NEAR_END


def test_printer_back_after_fault(sim: PrinterSimulator, printer: EscposPrinter, ticket: TicketPrint) -> None:
    sim.set_fault("paper_out")
    with pytest.raises(PaperOut):
        printer.print_ticket(ticket)
    sim.set_fault(None)
    printer.print_ticket(ticket)
    assert len(sim.wait_for_jobs(1)) == 1


def test_unreachable_printer(ticket: TicketPrint) -> None:
    with PrinterSimulator() as sim:
        port = sim.port
    printer = EscposPrinter("127.0.0.1", port, connect_timeout=0.5)
    assert printer.status() is S.UNKNOWN
    with pytest.raises(PrinterUnreachable):
        printer.print_ticket(ticket)


def test_error_hierarchy() -> None:
    assert issubclass(PrinterUnreachable, PrinterOffline)
    assert issubclass(PrinterNotResponding, PrinterOffline)
    for error in (PaperOut, CoverOpen, PrinterOffline):
        assert issubclass(error, PrinterError) and issubclass(error, HardwareError)


def test_unknown_fault_is_rejected(sim: PrinterSimulator) -> None:
    with pytest.raises(ValueError, match="unknown printer fault"):
        sim.set_fault("on_fire")


# --- opening by URI ---------------------------------------------------------------------


def test_sim_uri_starts_a_simulator(ticket: TicketPrint) -> None:
    with open_printer("sim://") as printer:
        assert isinstance(printer, SimulatedEscposPrinter)
        assert printer.simulator.uri == f"tcp://127.0.0.1:{printer.simulator.port}"
        printer.print_ticket(ticket)
        assert len(printer.simulator.wait_for_jobs(1)) == 1


def test_tcp_uri(sim: PrinterSimulator, ticket: TicketPrint) -> None:
    printer = open_printer(sim.uri)
    assert isinstance(printer, EscposPrinter)
    assert (printer.host, printer.port) == ("127.0.0.1", sim.port)
    printer.print_ticket(ticket)
    assert len(sim.wait_for_jobs(1)) == 1


def test_tcp_uri_default_port() -> None:
    printer = open_printer("tcp://10.0.0.21")
    assert isinstance(printer, EscposPrinter) and printer.port == 9100


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("ftp://10.0.0.21", "unsupported printer URI"),
        ("10.0.0.21:9100", "unsupported printer URI"),
        ("tcp://", "no host"),
        ("tcp://10.0.0.21:port", "invalid port"),
    ],
)
def test_bad_uri(uri: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        open_printer(uri)
