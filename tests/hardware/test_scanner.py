"""The serial scanner against the pty simulator: framing, oversize garbage, unplug → offline → replug →
reading again, and a stop that does not hang. The real pyserial driver reads a real pty throughout."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator

import pytest

from hardware.health import Health, HealthState
from hardware.scanner import FrameSplitter, PtyScanner, Scan, SerialScanner

WAIT = 3.0  # seconds: an upper bound, never a sleep


class Listener:
    """Collects what the scanner delivers, so tests wait on queues instead of sleeping."""

    def __init__(self) -> None:
        self.scans: queue.Queue[Scan] = queue.Queue()
        self.healths: queue.Queue[Health] = queue.Queue()

    def scan(self) -> Scan:
        return self.scans.get(timeout=WAIT)

    def texts(self, count: int) -> list[str]:
        return [self.scan().text for _ in range(count)]

    def health(self) -> Health:
        return self.healths.get(timeout=WAIT)


@pytest.fixture
def device() -> Iterator[PtyScanner]:
    with PtyScanner() as simulated:
        yield simulated


@pytest.fixture
def listener() -> Listener:
    return Listener()


@pytest.fixture
def start_reader(device: PtyScanner, listener: Listener) -> Iterator[Callable[..., SerialScanner]]:
    """`start_reader(on_scan=None)`: a serial scanner on the simulated device, stopped at teardown."""
    started: list[SerialScanner] = []

    def start(on_scan: Callable[[Scan], None] | None = None) -> SerialScanner:
        reader = SerialScanner(device.port, retry_min=0.02, retry_max=0.1, max_frame=64)
        reader.start(on_scan or listener.scans.put, listener.healths.put)
        started.append(reader)
        return reader

    yield start
    for reader in started:
        reader.stop()


@pytest.fixture
def scanner(start_reader: Callable[..., SerialScanner], listener: Listener) -> SerialScanner:
    reader = start_reader()
    assert listener.health().state is HealthState.OK  # open: pyserial flushes what came before
    return reader


# --- framing ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("stream", [b"A1\rB2\r", b"A1\nB2\n", b"A1\r\nB2\r\n", b"A1\n\rB2\r\r\n"])
def test_frames_end_on_cr_lf_or_crlf(stream: bytes) -> None:
    assert FrameSplitter(64).feed(stream) == [b"A1", b"B2"]


def test_a_frame_may_arrive_in_pieces() -> None:
    frames = FrameSplitter(64)
    assert [frames.feed(b"HTTP://"), frames.feed(b"X/t/1"), frames.feed(b"\r"), frames.feed(b"\nNEXT\r")] == [
        [], [], [b"HTTP://X/t/1"], [b"NEXT"]]


def test_oversize_frame_is_dropped_whole_and_counted() -> None:
    frames = FrameSplitter(8)
    assert frames.feed(b"0123456789") == []  # too long already: not delivered in pieces
    assert frames.feed(b"more garbage\r\nGOOD\r") == [b"GOOD"]
    assert frames.feed(b"ALSO-TOO-LONG\rOK\r") == [b"OK"]
    assert frames.dropped == 2


# --- the serial driver on a pty -----------------------------------------------------------------------------
def test_reads_codes_with_any_suffix(device: PtyScanner, listener: Listener, scanner: SerialScanner) -> None:
    device.scan("https://dour.example/t/abc")
    device.write(b"LF-ONLY\nCRLF\r\n\xc3\xa9t\xc3\xa9\r")
    assert listener.texts(4) == ["https://dour.example/t/abc", "LF-ONLY", "CRLF", "été"]  # no empty frames


def test_scans_say_where_and_when(device: PtyScanner, listener: Listener, scanner: SerialScanner) -> None:
    device.scan("X1")
    scan = listener.scan()
    assert (scan.text, scan.source, scan.at.tzinfo is not None) == ("X1", "serial", True)


def test_oversize_garbage_is_dropped_with_a_note(device: PtyScanner, listener: Listener,
                                                 scanner: SerialScanner) -> None:
    device.write(b"G" * 200 + b"\rAFTER\r")
    assert listener.scan().text == "AFTER"
    assert scanner.dropped == 1
    assert scanner.health() == Health(HealthState.OK, "", "1 oversize frame(s) dropped")


def test_unplug_reports_offline_then_replug_reads_again(device: PtyScanner, listener: Listener,
                                                        scanner: SerialScanner) -> None:
    device.unplug()
    offline = listener.health()
    assert (offline.state, offline.reason) == (HealthState.OFFLINE, "disconnected")
    device.replug()
    assert listener.health().state is HealthState.OK
    device.scan("BACK")
    assert listener.scan().text == "BACK"
    assert listener.healths.empty()  # failed reopen attempts while unplugged were not new changes


def test_missing_device_is_offline_until_it_appears(device: PtyScanner, listener: Listener,
                                                    start_reader: Callable[..., SerialScanner]) -> None:
    device.unplug()
    start_reader()
    missing = listener.health()
    assert (missing.state, missing.reason) == (HealthState.OFFLINE, "unreachable")
    device.replug()
    assert listener.health().state is HealthState.OK
    device.scan("FIRST")
    assert listener.scan().text == "FIRST"


def test_a_failing_listener_does_not_stop_the_scanner(device: PtyScanner, listener: Listener,
                                                      start_reader: Callable[..., SerialScanner]) -> None:
    def picky(scan: Scan) -> None:
        if scan.text == "BAD":
            raise RuntimeError("listener bug")
        listener.scans.put(scan)

    start_reader(picky)
    assert listener.health().state is HealthState.OK
    device.write(b"BAD\rGOOD\r")
    assert listener.scan().text == "GOOD"


def test_stop_ends_the_reader(device: PtyScanner, listener: Listener, scanner: SerialScanner) -> None:
    scanner.stop()
    assert not [thread for thread in threading.enumerate() if thread.name == f"scanner {device.port}"]
    device.scan("AFTER-STOP")
    with pytest.raises(queue.Empty):
        listener.scans.get(timeout=0.2)
