"""The ticket printer: interface, ESC/POS driver, loopback simulator and URI opener."""

from .base import Printer, PrinterStatus, TicketPrint
from .escpos_driver import EscposPrinter, render_ticket
from .simulator import PrinterSimulator
from .status import read_status
from .uri import SimulatedEscposPrinter, open_printer

__all__ = [
    "EscposPrinter",
    "Printer",
    "PrinterSimulator",
    "PrinterStatus",
    "SimulatedEscposPrinter",
    "TicketPrint",
    "open_printer",
    "read_status",
    "render_ticket",
]
