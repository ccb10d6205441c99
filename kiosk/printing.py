"""Printing happens after the ticket is committed, off the request thread: a failed print leaves a valid
ticket that is shown on screen (and reprintable in a later issue)."""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any

from core.clock import now
from core.site import IssuedTicket, Site
from hardware.errors import HardwareError
from hardware.printer import Printer, TicketPrint, open_printer

log = logging.getLogger(__name__)


class TicketPrinter:
    """A queue and one worker thread in front of the configured printer (or none)."""

    def __init__(self, printer: Printer | None, site: Site) -> None:
        self.printer = printer
        self.site = site
        self.results: list[tuple[str, str]] = []  # (ticket number, "printed" | error) for the device page
        self._jobs: queue.Queue[IssuedTicket | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        if printer is not None:
            self._thread = threading.Thread(target=self._run, name="ticket-printer", daemon=True)
            self._thread.start()

    @classmethod
    def from_uri(cls, uri: str, site: Site) -> TicketPrinter:
        return cls(open_printer(uri) if uri else None, site)

    def submit(self, issued: IssuedTicket) -> None:
        if self.printer is not None:
            self._jobs.put(issued)

    def drain(self, timeout: float = 5.0) -> None:
        """Wait until queued jobs are done (tests, shutdown)."""
        done = threading.Event()
        self._jobs.put(None)
        self._drained = done
        done.wait(timeout)

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                getattr(self, "_drained", threading.Event()).set()
                continue
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
        config = self.site.config
        ticket = issued.ticket
        service = config.service(ticket.service)
        local = now().astimezone(config.tz)
        return TicketPrint(
            site_name=str(config.site["name"]),
            number=ticket.number,
            service=service.name(ticket.lang, "fr"),
            issued_at=local.strftime("%d/%m/%Y %H:%M"),
            people_ahead=issued.people_ahead,
            wait_minutes=issued.wait_minutes,
            url=self.site.ticket_url(ticket.id),
            lines=[],
        )

    def close(self) -> None:
        if self.printer is not None:
            self.printer.close()

    def status(self) -> dict[str, Any]:
        return {"configured": self.printer is not None, "recent": list(self.results[-10:])}
