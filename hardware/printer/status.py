"""Our own decoding of ESC/POS real-time status replies (DLE EOT n), and what they mean for health.

python-escpos reports "paper adequate" when the printer does not answer; here a missing or malformed
reply is always UNKNOWN, never OK. Every reply is one byte of the form 0xx1xx10b (fixed bits 0x12); the
bit tables are Epson's (hardware.md §1.3).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..errors import CoverOpen, PaperOut, PrinterError, PrinterNotResponding, PrinterOffline
from ..health import Health, HealthState
from .base import PrinterStatus

DLE_EOT = b"\x10\x04"
PRINTER_STATUS = 1  # n=1: printer status
OFFLINE_CAUSE = 2  # n=2: offline cause
ERROR_CAUSE = 3  # n=3: error cause
PAPER_SENSOR = 4  # n=4: roll paper sensor

_FIXED_MASK = 0x93  # bits 0, 1, 4 and 7 have fixed values ...
_FIXED_BITS = 0x12  # ... 0, 1, 1 and 0
_OFFLINE = 0x08  # n=1
_COVER_OPEN = 0x04  # n=2
_PAPER_END_STOP = 0x20  # n=2
_ERROR = 0x40  # n=2
_CUTTER_ERROR = 0x08  # n=3
_UNRECOVERABLE = 0x20  # n=3
_NEAR_END = 0x0C  # n=4
_PAPER_ABSENT = 0x60  # n=4


@dataclass(frozen=True)
class Reading:
    """One status reading: the status, a stable reason for staff pages, and a technical detail."""

    status: PrinterStatus
    reason: str = ""
    detail: str = ""

    def health(self) -> Health:
        """The device health this reading means (near end still prints: degraded, not offline)."""
        state = _HEALTH_STATES[self.status]
        return Health.ok() if state is HealthState.OK else Health(state, self.reason, self.detail)


_HEALTH_STATES = {
    PrinterStatus.OK: HealthState.OK,
    PrinterStatus.NEAR_END: HealthState.DEGRADED,
    PrinterStatus.PAPER_OUT: HealthState.OFFLINE,
    PrinterStatus.COVER_OPEN: HealthState.OFFLINE,
    PrinterStatus.OFFLINE: HealthState.OFFLINE,
    PrinterStatus.UNKNOWN: HealthState.UNKNOWN,
}
OK = Reading(PrinterStatus.OK)
NEAR_END = Reading(PrinterStatus.NEAR_END, "paper_near_end", "the paper roll is nearly empty")
PAPER_OUT = Reading(PrinterStatus.PAPER_OUT, "paper_out", "the paper roll is empty")
COVER_OPEN = Reading(PrinterStatus.COVER_OPEN, "cover_open", "the printer cover is open")
OFFLINE = Reading(PrinterStatus.OFFLINE, "offline", "the printer reports itself offline")
CUTTER_ERROR = Reading(PrinterStatus.OFFLINE, "cutter_error", "the autocutter is jammed or failed")
UNRECOVERABLE = Reading(PrinterStatus.OFFLINE, "offline", "unrecoverable printer error: power it off and on")
NO_ANSWER = Reading(PrinterStatus.UNKNOWN, "no_answer", "the printer did not answer the status query")


def unreachable(detail: str) -> Reading:
    """The reading when no connection could be made or the connection dropped."""
    return Reading(PrinterStatus.UNKNOWN, "unreachable", detail)


def status_query(n: int) -> bytes:
    """The bytes of the real-time status request DLE EOT n."""
    return DLE_EOT + bytes([n])


def _byte(reply: bytes) -> int | None:
    """The status byte of a reply, or None when it is missing or malformed."""
    if len(reply) != 1 or reply[0] & _FIXED_MASK != _FIXED_BITS:
        return None
    return reply[0]


def decode_printer_status(reply: bytes) -> PrinterStatus:
    """Decode the reply to DLE EOT 1: OK, OFFLINE or UNKNOWN."""
    value = _byte(reply)
    if value is None:
        return PrinterStatus.UNKNOWN
    return PrinterStatus.OFFLINE if value & _OFFLINE else PrinterStatus.OK


def decode_offline_cause(reply: bytes) -> PrinterStatus:
    """Decode the reply to DLE EOT 2; OK means no cause is reported, OFFLINE an error (see DLE EOT 3)."""
    value = _byte(reply)
    if value is None:
        return PrinterStatus.UNKNOWN
    if value & _COVER_OPEN:
        return PrinterStatus.COVER_OPEN
    if value & _PAPER_END_STOP:
        return PrinterStatus.PAPER_OUT
    return PrinterStatus.OFFLINE if value & _ERROR else PrinterStatus.OK


def decode_error_cause(reply: bytes) -> Reading:
    """Decode the reply to DLE EOT 3: which error took the printer offline."""
    value = _byte(reply) or 0
    if value & _CUTTER_ERROR:
        return CUTTER_ERROR
    return UNRECOVERABLE if value & _UNRECOVERABLE else OFFLINE


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


_READINGS = {reading.status: reading for reading in (OK, NEAR_END, PAPER_OUT, COVER_OPEN, OFFLINE, NO_ANSWER)}


def probe(query: Callable[[int], bytes]) -> Reading:
    """Ask DLE EOT 1, then 4 when online, or 2 (and 3 on an error) when offline; no reply is NO_ANSWER.

    ``query(n)`` sends DLE EOT n and returns the reply, b"" when none came.
    """
    online = decode_printer_status(query(PRINTER_STATUS))
    if online is PrinterStatus.UNKNOWN:
        return NO_ANSWER
    if online is PrinterStatus.OK:
        return _READINGS[decode_paper_sensor(query(PAPER_SENSOR))]
    cause = decode_offline_cause(query(OFFLINE_CAUSE))
    if cause is PrinterStatus.OFFLINE:
        return decode_error_cause(query(ERROR_CAUSE))
    return _READINGS[cause] if cause in (PrinterStatus.COVER_OPEN, PrinterStatus.PAPER_OUT) else OFFLINE


def read_status(query: Callable[[int], bytes]) -> PrinterStatus:
    """The status only (see probe)."""
    return probe(query).status


_ERRORS: dict[PrinterStatus, type[PrinterError]] = {
    PrinterStatus.PAPER_OUT: PaperOut,
    PrinterStatus.COVER_OPEN: CoverOpen,
    PrinterStatus.OFFLINE: PrinterOffline,
    PrinterStatus.UNKNOWN: PrinterNotResponding,
}


def ensure_printable(reading: Reading) -> None:
    """Raise the typed PrinterError matching a reading that does not allow printing."""
    if not reading.status.can_print:
        raise _ERRORS[reading.status](reading.detail)
