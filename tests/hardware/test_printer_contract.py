"""One contract, two links: the real driver (python-escpos commands, our status handling, socket or pyserial)
against the TCP simulator and the pty simulator, healthy and under every fault."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from hardware.errors import (
    CoverOpen,
    PaperOut,
    PrinterError,
    PrinterNotResponding,
    PrinterOffline,
    PrinterUnreachable,
    PrintFailed,
)
from hardware.health import HealthState
from hardware.printer import (
    Align,
    EscposPrinter,
    PrinterSimulator,
    PrinterStatus,
    PtyPrinterSimulator,
    Qr,
    Simulator,
    Text,
    Ticket,
    Timeouts,
    printer_profile,
    render,
)
from hardware.printer.transport import SerialTransport

S = PrinterStatus
FAST = Timeouts(connect=1.0, status=0.2, job=0.5)
TICKET = Ticket([Text("A-042", Align.CENTER, scale=4), Text("عدد الأشخاص قبلك: 3", Align.CENTER),
                 Qr("https://dour.example.org/t/4kq9ZtW2aPm7")])


@pytest.fixture(params=["tcp", "pty"])
def sim(request: pytest.FixtureRequest) -> Iterator[Simulator]:
    simulator: Simulator = PrinterSimulator() if request.param == "tcp" else PtyPrinterSimulator()
    with simulator:
        yield simulator


@pytest.fixture
def printer(sim: Simulator) -> EscposPrinter:
    return EscposPrinter(sim.transport(), timeouts=FAST)


def test_a_ticket_is_sent_as_encoded(sim: Simulator, printer: EscposPrinter) -> None:
    assert printer.status() is S.OK and printer.health().state is HealthState.OK
    printer.print_ticket(TICKET)
    assert sim.wait_for_jobs(1) == [printer.encode(TICKET)]  # status queries are not part of the job
    assert sim.wait_idle()


def test_a_printer_without_a_cutter_gets_its_job_too(sim: Simulator) -> None:
    printer = EscposPrinter(sim.transport(), printer_profile("58mm"), FAST)
    printer.print_ticket(TICKET)
    [job] = sim.wait_for_jobs(1)
    assert job == printer.encode(TICKET) and b"\x1dV" not in job
    assert render(job, printer.profile).image.width == 384


@pytest.mark.parametrize(("fault", "status", "state", "reason"), [
    (None, S.OK, HealthState.OK, ""),
    ("near_end", S.NEAR_END, HealthState.DEGRADED, "paper_near_end"),
    ("paper_out", S.PAPER_OUT, HealthState.OFFLINE, "paper_out"),
    ("cover_open", S.COVER_OPEN, HealthState.OFFLINE, "cover_open"),
    ("cutter_error", S.OFFLINE, HealthState.OFFLINE, "cutter_error"),
    ("mute", S.UNKNOWN, HealthState.UNKNOWN, "no_answer"),
])
def test_status_and_health_per_fault(
    sim: Simulator, printer: EscposPrinter, fault: str | None, status: S, state: HealthState, reason: str
) -> None:
    sim.set_fault(fault)
    assert printer.status() is status
    health = printer.health()
    assert (health.state, health.reason) == (state, reason)


def test_a_mute_printer_is_unknown_after_the_short_timeout_not_a_minute(
    sim: Simulator, printer: EscposPrinter
) -> None:
    sim.set_fault("mute")
    started = time.monotonic()
    assert printer.status() is S.UNKNOWN
    assert time.monotonic() - started < 10 * FAST.status  # a bound, not a benchmark: python-escpos waits 60 s


@pytest.mark.parametrize(("fault", "error"), [
    ("paper_out", PaperOut), ("cover_open", CoverOpen), ("cutter_error", PrinterOffline),
    ("mute", PrinterNotResponding),
])
def test_a_fault_refuses_the_ticket_and_sends_nothing(
    sim: Simulator, printer: EscposPrinter, fault: str, error: type[PrinterError]
) -> None:
    sim.set_fault(fault)
    with pytest.raises(error):
        printer.print_ticket(TICKET)
    assert sim.wait_idle()
    assert sim.jobs == []


def test_near_end_still_prints(sim: Simulator, printer: EscposPrinter) -> None:
    sim.set_fault("near_end")
    printer.print_ticket(TICKET)
    assert len(sim.wait_for_jobs(1)) == 1


def test_a_disconnect_mid_job_fails_the_job_and_the_printer_is_gone_until_back(
    sim: Simulator, printer: EscposPrinter
) -> None:
    sim.set_fault("disconnect")
    assert printer.status() is S.OK  # it answers until a job starts
    with pytest.raises(PrintFailed, match="may not have been printed"):
        printer.print_ticket(TICKET)
    assert sim.jobs == []
    health = printer.health()
    assert health.state is HealthState.UNKNOWN and health.reason in ("unreachable", "no_answer")
    sim.set_fault(None)
    printer.print_ticket(TICKET)
    assert sim.wait_for_jobs(1) == [printer.encode(TICKET)]


def test_printing_resumes_after_a_fault(sim: Simulator, printer: EscposPrinter) -> None:
    sim.set_fault("paper_out")
    with pytest.raises(PaperOut):
        printer.print_ticket(TICKET)
    sim.set_fault(None)
    printer.print_ticket(TICKET)
    assert len(sim.wait_for_jobs(1)) == 1


def test_an_unknown_fault_is_rejected(sim: Simulator) -> None:
    with pytest.raises(ValueError, match="unknown printer fault"):
        sim.set_fault("on_fire")


def test_an_absent_printer_is_unreachable(sim: Simulator) -> None:
    transport = sim.transport()
    sim.stop()
    printer = EscposPrinter(transport, timeouts=FAST)
    health = printer.health()
    assert printer.status() is S.UNKNOWN
    assert (health.state, health.reason) == (HealthState.UNKNOWN, "unreachable")
    with pytest.raises(PrinterUnreachable):
        printer.print_ticket(TICKET)


def test_the_serial_link_allows_for_the_line_speed() -> None:
    """At 19200 baud the ticket takes longer than the job timeout alone: the driver adds the wire time."""
    with PtyPrinterSimulator(baud=19200) as sim:
        # The job timeout is below the ticket's 0.7 s on the wire, with 0.5 s to spare for a loaded machine.
        printer = EscposPrinter(SerialTransport(sim.path, 19200), timeouts=Timeouts(status=0.5, job=0.5))
        job = printer.encode(TICKET)
        started = time.monotonic()
        printer.print_ticket(TICKET)
        elapsed = time.monotonic() - started
        assert sim.wait_for_jobs(1) == [job]
    assert elapsed >= 0.9 * len(job) * 10 / 19200 > 0.5  # the simulator reads no faster than the line
