"""The ticket printer's pure parts: status bytes, health mapping, stream parsing, error types, URIs."""

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
from hardware.health import HealthState
from hardware.printer import (
    EscposPrinter,
    PrinterStatus,
    PtyPrinterSimulator,
    SimulatedEscposPrinter,
    open_printer,
    read_status,
)
from hardware.printer.escpos_stream import EscposStream
from hardware.printer.status import (
    Reading,
    decode_offline_cause,
    decode_paper_sensor,
    decode_printer_status,
    ensure_printable,
    probe,
    unreachable,
)
from hardware.printer.transport import SerialTransport, TcpTransport
from hardware.printer.usb import UsbTransport

S = PrinterStatus
CUT = b"\x1dV\x00"


def qr_store(data: bytes) -> bytes:
    """GS ( k function 80 (store the QR data), as python-escpos sends it."""
    size = len(data) + 3
    return b"\x1d(k" + bytes([size % 256, size // 256]) + b"1P0" + data


# --- status bytes, decoded byte by byte -------------------------------------------------


@pytest.mark.parametrize(("reply", "expected"), [
    (b"\x12", S.OK), (b"\x1a", S.OFFLINE), (b"\x16", S.OK), (b"\x32", S.OK), (b"\x52", S.OK),
    (b"\x7e", S.OFFLINE), (b"", S.UNKNOWN), (b"\x00", S.UNKNOWN), (b"\x08", S.UNKNOWN), (b"\x92", S.UNKNOWN),
    (b"\x12\x12", S.UNKNOWN),
])
def test_printer_status_reply(reply: bytes, expected: PrinterStatus) -> None:
    assert decode_printer_status(reply) is expected


@pytest.mark.parametrize(("reply", "expected"), [
    (b"\x12", S.OK), (b"\x16", S.COVER_OPEN), (b"\x32", S.PAPER_OUT), (b"\x52", S.OFFLINE), (b"\x1a", S.OK),
    (b"\x36", S.COVER_OPEN), (b"\x72", S.PAPER_OUT), (b"", S.UNKNOWN), (b"\x13", S.UNKNOWN),
])
def test_offline_cause_reply(reply: bytes, expected: PrinterStatus) -> None:
    assert decode_offline_cause(reply) is expected


@pytest.mark.parametrize(("reply", "expected"), [
    (b"\x12", S.OK), (b"\x1e", S.NEAR_END), (b"\x16", S.NEAR_END), (b"\x1a", S.NEAR_END),
    (b"\x72", S.PAPER_OUT), (b"\x32", S.PAPER_OUT), (b"\x52", S.PAPER_OUT), (b"\x7e", S.PAPER_OUT),
    (b"", S.UNKNOWN), (b"\xff", S.UNKNOWN),
])
def test_paper_sensor_reply(reply: bytes, expected: PrinterStatus) -> None:
    assert decode_paper_sensor(reply) is expected


@pytest.mark.parametrize(("replies", "expected", "reason", "asked"), [
    ({1: b"\x12", 4: b"\x12"}, S.OK, "", [1, 4]),
    ({1: b"\x12", 4: b"\x1e"}, S.NEAR_END, "paper_near_end", [1, 4]),
    ({1: b"\x12", 4: b"\x72"}, S.PAPER_OUT, "paper_out", [1, 4]),
    ({1: b"\x12", 4: b""}, S.UNKNOWN, "no_answer", [1, 4]),
    ({1: b"\x1a", 2: b"\x32"}, S.PAPER_OUT, "paper_out", [1, 2]),
    ({1: b"\x1a", 2: b"\x16"}, S.COVER_OPEN, "cover_open", [1, 2]),
    ({1: b"\x1a", 2: b"\x12"}, S.OFFLINE, "offline", [1, 2]),
    ({1: b"\x1a", 2: b""}, S.OFFLINE, "offline", [1, 2]),
    ({1: b"\x1a", 2: b"\x52", 3: b"\x1a"}, S.OFFLINE, "cutter_error", [1, 2, 3]),
    ({1: b"\x1a", 2: b"\x52", 3: b"\x32"}, S.OFFLINE, "offline", [1, 2, 3]),
    ({1: b"\x1a", 2: b"\x52", 3: b""}, S.OFFLINE, "offline", [1, 2, 3]),
    ({1: b""}, S.UNKNOWN, "no_answer", [1]),
])
def test_probe_asks_only_what_it_needs(
    replies: dict[int, bytes], expected: PrinterStatus, reason: str, asked: list[int]
) -> None:
    queries: list[int] = []

    def query(n: int) -> bytes:
        queries.append(n)
        return replies.get(n, b"")

    reading = probe(query)
    assert (reading.status, reading.reason, queries) == (expected, reason, asked)
    assert read_status(lambda n: replies.get(n, b"")) is expected


@pytest.mark.parametrize(("reading", "state", "reason"), [
    (Reading(S.OK), HealthState.OK, ""),
    (probe(lambda n: {1: b"\x12", 4: b"\x1e"}[n]), HealthState.DEGRADED, "paper_near_end"),
    (probe(lambda n: {1: b"\x1a", 2: b"\x32"}[n]), HealthState.OFFLINE, "paper_out"),
    (probe(lambda n: {1: b"\x1a", 2: b"\x16"}[n]), HealthState.OFFLINE, "cover_open"),
    (probe(lambda n: {1: b"\x1a", 2: b"\x52", 3: b"\x1a"}[n]), HealthState.OFFLINE, "cutter_error"),
    (probe(lambda n: b""), HealthState.UNKNOWN, "no_answer"),
    (unreachable("refused"), HealthState.UNKNOWN, "unreachable"),
])
def test_health_of_a_reading(reading: Reading, state: HealthState, reason: str) -> None:
    health = reading.health()
    assert (health.state, health.reason) == (state, reason)
    assert bool(health.detail) is (state is not HealthState.OK)


@pytest.mark.parametrize(("replies", "error"), [
    ({1: b"\x1a", 2: b"\x32"}, PaperOut), ({1: b"\x1a", 2: b"\x16"}, CoverOpen),
    ({1: b"\x1a", 2: b"\x52", 3: b"\x1a"}, PrinterOffline), ({}, PrinterNotResponding),
])
def test_a_reading_that_cannot_print_raises_its_error(replies: dict[int, bytes],
                                                      error: type[Exception]) -> None:
    with pytest.raises(error):
        ensure_printable(probe(lambda n: replies.get(n, b"")))
    ensure_printable(probe(lambda n: {1: b"\x12", 4: b"\x1e"}[n]))  # near end prints


def test_error_hierarchy() -> None:
    assert issubclass(PrinterUnreachable, PrinterOffline)
    assert issubclass(PrinterNotResponding, PrinterOffline)
    for error in (PaperOut, CoverOpen, PrinterOffline):
        assert issubclass(error, PrinterError) and issubclass(error, HardwareError)


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
    assert stream.in_job
    assert stream.finish() == b"tail"


def test_a_status_query_ends_a_job_without_a_cut() -> None:
    stream = EscposStream()
    job = b"\x1b@A-042\n\x1bd\x04"  # a printer without a cutter: fed to the tear bar
    assert stream.feed(b"\x10\x04\x01" + job) == [1]
    assert stream.in_job
    assert stream.feed(b"\x10\x04\x01") == [job, 1]
    assert not stream.in_job


# --- opening by URI ---------------------------------------------------------------------


@pytest.fixture
def opened() -> Iterator[list[EscposPrinter]]:
    printers: list[EscposPrinter] = []
    yield printers
    for printer in printers:
        printer.close()


def test_sim_uri_starts_a_tcp_simulator(opened: list[EscposPrinter]) -> None:
    printer = open_printer("sim://")
    opened.append(printer)
    assert isinstance(printer, SimulatedEscposPrinter)
    assert printer.simulator.uri.startswith("tcp://127.0.0.1:")
    assert printer.status() is S.OK


@pytest.mark.parametrize("uri", ["sim://?transport=pty", "sim://?transport=pty&baud=9600&profile=58mm"])
def test_sim_uri_starts_a_pty_simulator(opened: list[EscposPrinter], uri: str) -> None:
    printer = open_printer(uri)
    opened.append(printer)
    assert isinstance(printer, SimulatedEscposPrinter)
    assert isinstance(printer.simulator, PtyPrinterSimulator)
    assert isinstance(printer.transport, SerialTransport)
    assert printer.transport.path == printer.simulator.path and printer.simulator.path.startswith("/dev/")
    assert printer.status() is S.OK


@pytest.mark.parametrize(("uri", "description", "profile", "native_qr"), [
    ("tcp://10.0.0.21", "tcp://10.0.0.21:9100", "80mm", True),
    ("tcp://10.0.0.21:9101?profile=58mm", "tcp://10.0.0.21:9101", "58mm", False),
    ("tcp://printer.local?profile=58mm&qr=native", "tcp://printer.local:9100", "58mm", True),
    ("tcp://10.0.0.21?qr=image", "tcp://10.0.0.21:9100", "80mm", False),
    ("serial:///dev/ttyUSB0", "serial:///dev/ttyUSB0?baud=9600", "80mm", True),
    ("serial:///dev/serial/by-id/prn?baud=38400", "serial:///dev/serial/by-id/prn?baud=38400", "80mm", True),
    ("usb://04b8:0e28", "usb://04b8:0e28", "80mm", True),
    ("usb://0416:5011?profile=TM-T88V&out_ep=0x03&in_ep=0x81", "usb://0416:5011", "TM-T88V", True),
])
def test_device_uris(uri: str, description: str, profile: str, native_qr: bool) -> None:
    printer = open_printer(uri)
    assert printer.transport.description == description
    assert (printer.profile.name, printer.profile.native_qr) == (profile, native_qr)


def test_uri_details_reach_the_transport() -> None:
    tcp, serial, usb = (open_printer(uri).transport for uri in
                        ("tcp://10.0.0.21:9101", "serial:///dev/ttyS0?baud=19200", "usb://0416:5011?out_ep=3&in_ep=0x81"))
    assert isinstance(tcp, TcpTransport) and (tcp.host, tcp.port) == ("10.0.0.21", 9101)
    assert isinstance(serial, SerialTransport) and (serial.path, serial.baud) == ("/dev/ttyS0", 19200)
    assert isinstance(usb, UsbTransport)
    assert (usb.vendor, usb.product, usb.out_ep, usb.in_ep) == (0x0416, 0x5011, 3, 0x81)
    assert serial.seconds_to_send(960) == pytest.approx(0.5) and tcp.seconds_to_send(960) == 0


@pytest.mark.parametrize(("uri", "message"), [
    ("ftp://10.0.0.21", "unsupported printer URI"),
    ("10.0.0.21:9100", "unsupported printer URI"),
    ("tcp:10.0.0.21", "unsupported printer URI"),
    ("tcp://", "no host"),
    ("tcp://10.0.0.21:port", "invalid port"),
    ("tcp://10.0.0.21/queue", "no host or a path"),
    ("serial://dev/ttyUSB0", "expected serial:///dev/ttyUSB0"),
    ("serial:///dev/ttyUSB0?baud=fast", "baud must be a positive number"),
    ("serial:///dev/ttyUSB0?baud=0", "baud must be a positive number"),
    ("usb://04b8", "expected usb://VID:PID"),
    ("usb://zzzz:0e28", "expected usb://VID:PID"),
    ("usb://04b8:0e28?out_ep=x", "out_ep must be a positive number"),
    ("tcp://10.0.0.21?profile=99mm", "unknown or unusable printer profile"),
    ("tcp://10.0.0.21?profile=TM-U220", "unknown or unusable printer profile"),
    ("tcp://10.0.0.21?qr=maybe", "qr must be native or image"),
    ("tcp://10.0.0.21?baud=9600", "unknown or repeated option"),
    ("tcp://10.0.0.21?profile=80mm&profile=58mm", "unknown or repeated option"),
    ("sim://?transport=usb", "expected sim://"),
    ("sim://?baud=9600", "expected sim://"),
])
def test_bad_uri(uri: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        open_printer(uri)
