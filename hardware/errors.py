"""Typed errors raised by the device layer; all derive from HardwareError."""


class HardwareError(Exception):
    """Base class of every error a device driver raises."""


class PrinterError(HardwareError):
    """The ticket printer could not do what was asked."""


class PrinterOffline(PrinterError):
    """The printer reports itself offline, or cannot be used at all."""


class PrinterUnreachable(PrinterOffline):
    """No connection could be made to the printer (refused, timed out, unplugged)."""


class PrinterNotResponding(PrinterOffline):
    """The printer accepted the connection but did not answer the status query."""


class PaperOut(PrinterError):
    """The paper roll is empty: nothing can be printed until it is replaced."""


class CoverOpen(PrinterError):
    """The printer cover is open."""


class PrintFailed(PrinterError):
    """The job was interrupted while being sent: the ticket may not have been printed."""
