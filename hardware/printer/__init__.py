"""The ticket printer: ticket model, ESC/POS driver over TCP, serial or USB, simulators, renderer, URIs."""

from .base import Printer, PrinterStatus
from .escpos_driver import EscposPrinter, Timeouts
from .fonts import FontMissing
from .model import Align, Block, Cut, Feed, PrinterProfile, Qr, Text, Ticket, printer_profile
from .render import render, render_png
from .rtl import has_rtl, isolate
from .sim_pty import PtyPrinterSimulator
from .simulator import FAULTS, PrinterSimulator, Simulator
from .status import Reading, read_status
from .uri import SimulatedEscposPrinter, open_printer

__all__ = [
    "FAULTS",
    "Align",
    "Block",
    "Cut",
    "EscposPrinter",
    "Feed",
    "FontMissing",
    "Printer",
    "PrinterProfile",
    "PrinterSimulator",
    "PrinterStatus",
    "PtyPrinterSimulator",
    "Qr",
    "Reading",
    "SimulatedEscposPrinter",
    "Simulator",
    "Text",
    "Ticket",
    "Timeouts",
    "has_rtl",
    "isolate",
    "open_printer",
    "printer_profile",
    "read_status",
    "render",
    "render_png",
]
