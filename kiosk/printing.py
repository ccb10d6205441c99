"""Printing happens after the ticket is committed, off the request thread: a failed print leaves a valid
ticket that is shown on screen (and reprintable in a later issue)."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from core.clock import now
from core.site import IssuedTicket, Site
from hardware.errors import HardwareError
from hardware.printer import Printer, TicketPrint, open_printer

log = logging.getLogger(__name__)
Translate = Callable[[str, str], str]  # (language, message id) -> sentence
RASTER_ONLY = {"ar"}


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

    def print_language(self, lang: str) -> str:
        """The printer's code page cannot shape Arabic: until Arabic lines are printed as raster images,
        an Arabic ticket is printed in the site's default language (screen and phone page stay Arabic)."""
        return str(self.site.config.site["default_language"]) if lang in RASTER_ONLY else lang

    def render(self, issued: IssuedTicket) -> TicketPrint:
        config = self.site.config
        ticket = issued.ticket
        lang = self.print_language(ticket.lang)
        service = config.service(ticket.service)
        local = now().astimezone(config.tz)
        return TicketPrint(
            site_name=str(config.site["name"]),
            number=ticket.number,
            service=service.name(lang),
            issued_at=local.strftime("%d/%m/%Y %H:%M"),
            people_ahead=issued.people_ahead,
            wait_minutes=issued.wait_minutes,
            url=self.site.ticket_url(ticket.id),
            lines=[],
            ahead_label=self.translate(lang, "People ahead of you"),
            wait_label=self.translate(lang, "Estimated wait"),
        )

    def close(self) -> None:
        if self.printer is not None:
            self.printer.close()

    def status(self) -> dict[str, Any]:
        return {"configured": self.printer is not None, "recent": list(self.results[-10:])}
