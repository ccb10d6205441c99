"""EscposPrinter: the ESC/POS driver over any link (TCP, serial, USB), with our own status handling.

Each status query or ticket opens its own short connection (a kiosk printer may be switched off,
unplugged or replugged at any time) under a lock, so a status poll never interleaves with a job. A ticket
is sent only when the printer says it can print; afterwards the printer must answer a status query again:
ESC/POS has no job acknowledgement, and a link that dropped or a printer that stopped during the job means
the ticket may not have been printed (PrintFailed), never a silent success.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import PrinterUnreachable, PrintFailed
from ..health import Health
from .base import Printer, PrinterStatus
from .encode import encode_ticket
from .model import PrinterProfile, Ticket, printer_profile
from .rtl import Shaper
from .status import Reading, ensure_printable, probe, unreachable
from .transport import Link, Transport


@dataclass(frozen=True)
class Timeouts:
    """Seconds to wait. A job's own timeout is job plus the time its bytes take on a serial line."""

    connect: float = 2.0
    status: float = 0.5  # each status reply while idle: a mute printer is UNKNOWN after this
    job: float = 10.0  # sending a job, then the printer's answer behind it


class EscposPrinter(Printer):
    """A ticket printer speaking ESC/POS over transport, described by profile (80 mm by default)."""

    def __init__(self, transport: Transport, profile: PrinterProfile | None = None,
                 timeouts: Timeouts | None = None, shaper: Shaper | None = None) -> None:
        self.transport = transport
        self.profile = profile or printer_profile()
        self.timeouts = timeouts or Timeouts()
        self.shaper = shaper
        self._lock = threading.Lock()

    def encode(self, ticket: Ticket) -> bytes:
        """The bytes this printer is sent for ticket."""
        return encode_ticket(ticket, self.profile, self.shaper)

    def status(self) -> PrinterStatus:
        return self.reading().status

    def health(self) -> Health:
        return self.reading().health()

    def reading(self) -> Reading:
        """Status with its reason: UNKNOWN "unreachable" without a link, "no_answer" when silent."""
        try:
            with self._lock, self.transport.connect(self.timeouts.connect) as link:
                return probe(_asker(link, self.timeouts.status))
        except PrinterUnreachable as exc:
            return unreachable(str(exc))

    def print_ticket(self, ticket: Ticket) -> None:
        """Check the status, send the whole ticket, then check that the printer is still there."""
        job = self.encode(ticket)
        with self._lock, self.transport.connect(self.timeouts.connect) as link:
            ensure_printable(probe(_asker(link, self.timeouts.status)))
            self._send(link, job)

    def _send(self, link: Link, job: bytes) -> None:
        timeout = self.timeouts.job + self.transport.seconds_to_send(len(job))
        try:
            link.write(job, timeout)
            after = probe(_asker(link, timeout))
        except PrinterUnreachable as exc:
            raise PrintFailed(f"the link to the printer dropped during the ticket, which may not have been "
                              f"printed: {exc}") from exc
        if not after.status.can_print:
            raise PrintFailed(f"after the ticket the printer reports: {after.detail}; the ticket may not "
                              "have been printed")

    def close(self) -> None:
        """Nothing to release: no connection is kept open between jobs."""


def _asker(link: Link, timeout: float) -> Callable[[int], bytes]:
    return lambda n: link.query(n, timeout)
