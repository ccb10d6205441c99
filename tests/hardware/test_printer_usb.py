"""USB printers: pyusb is not installed here, so the driver must say so clearly; with a stand-in pyusb whose
device is backed by the printer simulator, the same contract as TCP and serial holds."""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from hardware.errors import PaperOut, PrinterUnreachable, PrintFailed
from hardware.health import HealthState
from hardware.printer import PrinterSimulator, PrinterStatus, Text, Ticket, Timeouts, open_printer
from hardware.printer.escpos_stream import EscposStream

TICKET = Ticket([Text("A-042"), Text("رقمك")])
URI = "usb://04b8:0e28"


class USBError(OSError):
    pass


class USBTimeoutError(USBError):
    pass


class FakeDevice:
    """A USB printer whose bulk endpoints lead to a (not started) PrinterSimulator."""

    def __init__(self, simulator: PrinterSimulator) -> None:
        self.simulator, self.stream, self.replies = simulator, EscposStream(), bytearray()
        self.kernel_driver = True

    def is_kernel_driver_active(self, interface: int) -> bool:
        return self.kernel_driver

    def detach_kernel_driver(self, interface: int) -> None:
        self.kernel_driver = False

    def write(self, endpoint: int, data: bytes, timeout: int) -> int:
        assert endpoint == 0x01 and timeout > 0
        replies = self.simulator.receive(self.stream, bytes(data))
        if replies is None:
            raise USBError("[Errno 19] No such device (it may have been disconnected)")
        self.replies += replies
        return len(data)

    def read(self, endpoint: int, size: int, timeout: int) -> array:
        assert endpoint == 0x82 and timeout > 0
        if not self.replies:
            raise USBTimeoutError("[Errno 110] Operation timed out")
        reply, self.replies = bytes(self.replies[:size]), self.replies[size:]
        return array("B", reply)


@pytest.fixture
def simulator() -> PrinterSimulator:
    return PrinterSimulator()  # never started: only its byte handling is used


@pytest.fixture
def pyusb(monkeypatch: pytest.MonkeyPatch, simulator: PrinterSimulator) -> Iterator[dict[str, Any]]:
    """A stand-in for pyusb's usb.core and usb.util; state["device"] is what find() returns."""
    state: dict[str, Any] = {"device": FakeDevice(simulator), "find_error": None, "disposed": 0}

    def find(idVendor: int, idProduct: int) -> FakeDevice | None:  # noqa: N803 - pyusb's names
        if state["find_error"]:
            raise USBError(state["find_error"])
        return state["device"] if (idVendor, idProduct) == (0x04B8, 0x0E28) else None

    def dispose_resources(device: FakeDevice) -> None:
        state["disposed"] += 1

    core, util, package = ModuleType("usb.core"), ModuleType("usb.util"), ModuleType("usb")
    core.find, core.USBError, core.USBTimeoutError = find, USBError, USBTimeoutError  # type: ignore[attr-defined]
    util.dispose_resources = dispose_resources  # type: ignore[attr-defined]
    package.core, package.util = core, util  # type: ignore[attr-defined]
    for name, module in (("usb", package), ("usb.core", core), ("usb.util", util)):
        monkeypatch.setitem(sys.modules, name, module)
    yield state


def usb_printer(uri: str = URI) -> Any:
    printer = open_printer(uri)
    printer.timeouts = Timeouts(connect=0.5, status=0.1, job=0.2)
    return printer


def test_without_pyusb_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "usb.core", None)  # import fails, whether or not pyusb is installed
    printer = usb_printer()
    health = printer.health()
    assert (health.state, health.reason) == (HealthState.UNKNOWN, "unreachable")
    assert "pip install pyusb" in health.detail
    with pytest.raises(PrinterUnreachable, match="pip install pyusb"):
        printer.print_ticket(TICKET)


def test_a_ticket_over_usb(pyusb: dict[str, Any], simulator: PrinterSimulator) -> None:
    printer = usb_printer()
    assert printer.status() is PrinterStatus.OK
    printer.print_ticket(TICKET)
    assert simulator.jobs == [printer.encode(TICKET)]
    assert pyusb["device"].kernel_driver is False  # taken from usblp
    assert pyusb["disposed"] == 2  # one per connection


def test_faults_over_usb(pyusb: dict[str, Any], simulator: PrinterSimulator) -> None:
    printer = usb_printer()
    simulator.set_fault("paper_out")
    with pytest.raises(PaperOut):
        printer.print_ticket(TICKET)
    simulator.set_fault("mute")
    assert printer.health().reason == "no_answer"
    simulator.set_fault("disconnect")
    with pytest.raises(PrintFailed):
        printer.print_ticket(TICKET)
    assert simulator.jobs == []


@pytest.mark.parametrize(("uri", "find_error", "message"), [
    ("usb://04b8:0e29", None, "no USB device usb://04b8:0e29"),
    (URI, "[Errno 13] Access denied (insufficient permissions)", "Access denied"),
])
def test_a_usb_printer_that_cannot_be_opened(pyusb: dict[str, Any], uri: str, find_error: str | None,
                                              message: str) -> None:
    pyusb["find_error"] = find_error
    printer = usb_printer(uri)
    assert printer.health().reason == "unreachable"
    with pytest.raises(PrinterUnreachable, match=message):
        printer.print_ticket(TICKET)
