"""Our own decoding of ESC/POS real-time status replies (DLE EOT n).

python-escpos reports "paper adequate" when the printer does not answer; here a
missing or malformed reply is always UNKNOWN, never OK. Every reply is one byte
of the form 0xx1xx10b (fixed bits 0x12); the bit tables are Epson's.
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import CoverOpen, PaperOut, PrinterError, PrinterNotResponding, PrinterOffline
from .base import PrinterStatus

DLE_EOT = b"\x10\x04"
PRINTER_STATUS = 1  # n=1: printer status
OFFLINE_CAUSE = 2  # n=2: offline cause
PAPER_SENSOR = 4  # n=4: roll paper sensor

_FIXED_MASK = 0x93  # bits 0, 1, 4 and 7 have fixed values ...
_FIXED_BITS = 0x12  # ... 0, 1, 1 and 0
_OFFLINE = 0x08  # n=1
_COVER_OPEN = 0x04  # n=2
_PAPER_END_STOP = 0x20  # n=2
_ERROR = 0x40  # n=2
_NEAR_END = 0x0C  # n=4
_PAPER_ABSENT = 0x60  # n=4


def status_query(n: int) -> bytes:
    """The bytes of the real-time status request DLE EOT n."""
    return DLE_EOT + bytes([n])


def _byte(reply: bytes) -> int | None:
    """The status byte of a reply, or None when it is missing or malformed."""
    if not reply or reply[0] & _FIXED_MASK != _FIXED_BITS:
        return None
    return reply[0]


def decode_printer_status(reply: bytes) -> PrinterStatus:
    """Decode the reply to DLE EOT 1: OK, OFFLINE or UNKNOWN."""
    value = _byte(reply)
    if value is None:
        return PrinterStatus.UNKNOWN
    return PrinterStatus.OFFLINE if value & _OFFLINE else PrinterStatus.OK


def decode_offline_cause(reply: bytes) -> PrinterStatus:
    """Decode the reply to DLE EOT 2; OK means no cause is reported."""
    value = _byte(reply)
    if value is None:
        return PrinterStatus.UNKNOWN
    if value & _COVER_OPEN:
        return PrinterStatus.COVER_OPEN
    if value & _PAPER_END_STOP:
        return PrinterStatus.PAPER_OUT
    return PrinterStatus.OFFLINE if value & _ERROR else PrinterStatus.OK


def decode_paper_sensor(reply: bytes) -> PrinterStatus:
    """Decode the reply to DLE EOT 4: PAPER_OUT, NEAR_END, OK or UNKNOWN.

    Each condition is reported on two bits; either one is enough, to stay on the safe side.
    """
    value = _byte(reply)
    if value is None:
        return PrinterStatus.UNKNOWN
    if value & _PAPER_ABSENT:
        return PrinterStatus.PAPER_OUT
    return PrinterStatus.NEAR_END if value & _NEAR_END else PrinterStatus.OK


def read_status(query: Callable[[int], bytes]) -> PrinterStatus:
    """Ask DLE EOT 1, then 2 (offline) or 4 (online); stop at the first missing reply.

    ``query(n)`` sends DLE EOT n and returns the reply, b"" when none came.
    """
    online = decode_printer_status(query(PRINTER_STATUS))
    if online is PrinterStatus.UNKNOWN:
        return online
    if online is PrinterStatus.OFFLINE:
        cause = decode_offline_cause(query(OFFLINE_CAUSE))
        return cause if cause in (PrinterStatus.COVER_OPEN, PrinterStatus.PAPER_OUT) else online
    return decode_paper_sensor(query(PAPER_SENSOR))


_ERRORS: dict[PrinterStatus, tuple[type[PrinterError], str]] = {
    PrinterStatus.PAPER_OUT: (PaperOut, "the printer is out of paper"),
    PrinterStatus.COVER_OPEN: (CoverOpen, "the printer cover is open"),
    PrinterStatus.OFFLINE: (PrinterOffline, "the printer reports itself offline"),
    PrinterStatus.UNKNOWN: (PrinterNotResponding, "the printer did not answer the status query"),
}


def ensure_printable(status: PrinterStatus) -> None:
    """Raise the typed PrinterError matching a status that does not allow printing."""
    if status.can_print:
        return
    error, message = _ERRORS[status]
    raise error(message)
