"""Printing happens after the ticket is committed, off the request thread: a failed print leaves a valid
ticket that is shown on screen (and reprintable in a later issue)."""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any

from core.site import IssuedTicket, Site
from hardware.errors import HardwareError
from hardware.printer import Printer, TicketPrint, open_printer
from kiosk.ticket_layout import Translate, layout_ticket

log = logging.getLogger(__name__)


class TicketPrinter:
    """A queue and one worker thread in front of the configured printer (or none)."""

    def __init__(self, printer: Printer | None, site: Site, translate: Translate | None = None) -> None:
        self.printer = printer
        self.site = site
        self.translate: Translate = translate or (lambda lang, message: message)
        self.results: list[tuple[str, str]] = []  # (ticket number, "printed" | error) for the device page
        self._jobs: queue.Queue[IssuedTicket | threading.Event] = queue.Queue()
        self._thread: threading.Thread | None = None
        if printer is not None:
            self._thread = threading.Thread(target=self._run, name="ticket-printer", daemon=True)
            self._thread.start()

    @classmethod
    def from_uri(cls, uri: str, site: Site, translate: Translate | None = None) -> TicketPrinter:
        return cls(open_printer(uri) if uri else None, site, translate)

    def submit(self, issued: IssuedTicket) -> None:
        if self.printer is not None:
            self._jobs.put(issued)

    def drain(self, timeout: float = 5.0) -> bool:
        """Wait until the jobs queued so far are done (tests, shutdown); False on timeout."""
        if self.printer is None:
            return True
        marker = threading.Event()
        self._jobs.put(marker)
        return marker.wait(timeout)

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if isinstance(job, threading.Event):
                job.set()
            else:
                self._print(job)

    def _print(self, issued: IssuedTicket) -> None:
        assert self.printer is not None
        try:
            self.printer.print_ticket(self.render(issued))
            self.results.append((issued.ticket.number, "printed"))
        except HardwareError as error:
            log.warning("ticket %s not printed: %s", issued.ticket.number, error)
            self.results.append((issued.ticket.number, type(error).__name__))
        del self.results[:-50]

    def render(self, issued: IssuedTicket) -> TicketPrint:
        return layout_ticket(self.site, issued, self.translate)

    def close(self) -> None:
        if self.printer is not None:
            self.printer.close()

    def status(self) -> dict[str, Any]:
        return {"configured": self.printer is not None, "recent": list(self.results[-10:])}
