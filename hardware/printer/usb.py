"""USB printers (printer class, bulk endpoints) through pyusb, imported only when a usb:// URI is used.

pyusb is not a dependency of Dour: most kiosk printers are on the network or on a USB-serial adapter. A
site with a USB printer installs it (pip install pyusb; libusb-1.0 is in Debian's base system) and gives
the service user access to the device with a udev rule (docs/printer.md). We talk to pyusb directly rather
than through python-escpos's Usb class, which resets the device on every open and reads with no timeout.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from ..errors import PrinterUnreachable
from .transport import Link, Transport

OUT_ENDPOINT, IN_ENDPOINT = 0x01, 0x82  # Epson's; other makers' are given in the URI (out_ep, in_ep)
PYUSB_MISSING = ("usb:// printers need the pyusb package, which is not installed: run `pip install pyusb` in "
                 "Dour's environment, or connect the printer by network or serial")


def _pyusb() -> ModuleType:
    try:
        return importlib.import_module("usb.core")
    except ImportError as exc:
        raise PrinterUnreachable(PYUSB_MISSING) from exc


class UsbTransport(Transport):
    """A printer found by its USB vendor and product ids."""

    def __init__(self, vendor: int, product: int, out_ep: int = OUT_ENDPOINT,
                 in_ep: int = IN_ENDPOINT) -> None:
        self.vendor, self.product, self.out_ep, self.in_ep = vendor, product, out_ep, in_ep
        self.description = f"usb://{vendor:04x}:{product:04x}"

    def connect(self, timeout: float) -> Link:
        core = _pyusb()
        try:
            device = core.find(idVendor=self.vendor, idProduct=self.product)
            if device is None:
                raise PrinterUnreachable(f"no USB device {self.description}: is the printer on, plugged in?")
            _claim(device)
        except core.USBError as exc:  # permissions (udev rule missing), device busy, unplugged
            raise PrinterUnreachable(f"cannot open the USB printer {self.description}: {exc}") from exc
        return UsbLink(core, device, self)


def _claim(device: Any) -> None:
    """Take the printer from the kernel's usblp driver, which would otherwise hold its interface."""
    if device.is_kernel_driver_active(0):
        device.detach_kernel_driver(0)


class UsbLink(Link):
    def __init__(self, core: ModuleType, device: Any, transport: UsbTransport) -> None:
        self.core, self.device, self.transport = core, device, transport

    def write(self, data: bytes, timeout: float) -> None:
        try:
            self.device.write(self.transport.out_ep, data, int(timeout * 1000))
        except self.core.USBError as exc:
            raise PrinterUnreachable(f"sending to {self.transport.description} failed: {exc}") from exc

    def read(self, timeout: float) -> bytes:
        try:
            return bytes(self.device.read(self.transport.in_ep, 64, max(1, int(timeout * 1000))))[:1]
        except self.core.USBTimeoutError:
            return b""
        except self.core.USBError as exc:
            raise PrinterUnreachable(f"reading from {self.transport.description} failed: {exc}") from exc

    def discard_input(self) -> None:
        while self.read(0.001):
            pass

    def close(self) -> None:
        importlib.import_module("usb.util").dispose_resources(self.device)
