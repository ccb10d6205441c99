"""Ticket printing, per kiosk: after the commit, off the request thread, never losing a ticket.

Each kiosk's printer has one worker thread. It prints queued tickets and, while idle, asks the printer for its
state every `devices.health_poll_seconds`; health changes go to the site (journaled, shown to staff). A ticket
that cannot be printed stays valid: the kiosk shows it on screen, the failure is kept for the staff's reprint
list, and the next ticket is tried again, so printing resumes by itself when the printer is back.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.clock import utc_iso
from core.site import IssuedTicket, Site
from floor.per_kiosk import PerKiosk
from hardware.errors import HardwareError
from hardware.health import Health, HealthState
from hardware.printer import Printer, open_printer

log = logging.getLogger(__name__)
Render = Callable[[IssuedTicket], Any]  # an issued ticket -> the printer's input (floor.ticket_layout)
RenderReceipt = Callable[[str], Any]  # a payment's reference -> its receipt alone, for the printer
KEPT_OUTCOMES = 500
RECEIPT_JOB = "receipt:"  # a job's key: a ticket id, or this and a payment reference (ticket ids have no ':')


def receipt_job(reference: str) -> str:
    """The key of the job printing a payment's receipt alone (its ticket was printed before, at check-in)."""
    return RECEIPT_JOB + reference


@dataclass(frozen=True)
class PrintOutcome:
    state: str  # "pending" | "printed" | "failed" | "unknown"
    reason: str = ""


class KioskPrinter:
    """One printer, one worker: jobs first, status polls when idle."""

    def __init__(self, kiosk: str, printer: Printer, site: Site, render: Render, poll_seconds: float,
                 render_receipt: RenderReceipt | None = None) -> None:
        self.kiosk = kiosk
        self.device = f"printer:{kiosk}"
        self.printer = printer
        self.site = site
        self.render = render
        self.render_receipt = render_receipt
        self.poll_seconds = poll_seconds
        self.health = Health(HealthState.UNKNOWN, "not_checked")
        self._jobs: queue.Queue[tuple[str, str] | threading.Event | None] = queue.Queue()
        self._outcomes: OrderedDict[str, PrintOutcome] = OrderedDict()
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name=f"printer-{kiosk}", daemon=True)
        self._thread.start()

    def submit(self, ticket_id: str, actor: str) -> None:
        """Queue a job: a ticket id, or receipt_job(reference)."""
        self._set_outcome(ticket_id, PrintOutcome("pending"))
        self._jobs.put((ticket_id, actor))

    def outcome(self, ticket_id: str, wait: float = 0.0) -> PrintOutcome | None:
        """The job's outcome, waiting up to `wait` seconds while it is pending; None if never seen here."""
        with self._changed:
            self._changed.wait_for(lambda: self._pending(ticket_id) is False, wait)
            return self._outcomes.get(ticket_id)

    def drain(self, timeout: float = 5.0) -> bool:
        """Wait until the jobs queued so far are done (tests, shutdown); False on timeout."""
        marker = threading.Event()
        self._jobs.put(marker)
        return marker.wait(timeout)

    def close(self) -> None:
        self._jobs.put(None)
        self._thread.join(timeout=5)
        self.printer.close()

    def _pending(self, ticket_id: str) -> bool:
        known = self._outcomes.get(ticket_id)
        return known is not None and known.state == "pending"

    def _set_outcome(self, ticket_id: str, outcome: PrintOutcome) -> None:
        with self._changed:
            self._outcomes[ticket_id] = outcome
            self._outcomes.move_to_end(ticket_id)
            while len(self._outcomes) > KEPT_OUTCOMES:
                self._outcomes.popitem(last=False)
            self._changed.notify_all()

    def _run(self) -> None:
        self._check()
        while True:
            try:
                job = self._jobs.get(timeout=self.poll_seconds)
            except queue.Empty:
                self._check()
                continue
            if job is None:
                return
            if isinstance(job, threading.Event):
                job.set()
                continue
            self._print(*job)
            self._check()

    def _print(self, ticket_id: str, actor: str) -> None:
        started = utc_iso()
        receipt = ticket_id.startswith(RECEIPT_JOB)
        try:
            self.printer.print_ticket(self._render(ticket_id))
            outcome = PrintOutcome("printed")
        except HardwareError as error:
            log.warning("ticket %s not printed on %s: %s", ticket_id, self.device, error)
            outcome = PrintOutcome("failed", reason_of(error))
        except Exception:  # noqa: BLE001 - a bug in layout or driver must not stop the kiosk's printer
            log.exception("ticket %s not printed on %s", ticket_id, self.device)
            outcome = PrintOutcome("failed", "error")
        if not receipt:  # the reprint list holds tickets; a reprinted ticket carries its receipt under it
            self._keep(ticket_id, outcome, actor, started)
        self._set_outcome(ticket_id, outcome)  # after the row: whoever waits for it sees the reprint list

    def _render(self, job: str) -> Any:
        if job.startswith(RECEIPT_JOB) and self.render_receipt is not None:
            return self.render_receipt(job.removeprefix(RECEIPT_JOB))
        return self.render(self.site.ticket_view(job))

    def _keep(self, ticket_id: str, outcome: PrintOutcome, actor: str, started: str) -> None:
        try:
            self.site.record_print(ticket_id, printer=self.device, state=outcome.state, reason=outcome.reason,
                                   actor=actor, started_at=started)
        except Exception:  # noqa: BLE001 - the outcome is still known in memory and in the log
            log.exception("print outcome of %s not stored", ticket_id)

    def _check(self) -> None:
        """Ask the printer how it is; report a change to the site (which journals it once)."""
        try:
            health = self.health = self.printer.health()
            self.site.report_device_health(self.device, "printer", health.state.value, health.reason,
                                           health.detail)
        except Exception:  # noqa: BLE001 - polling must survive a database hiccup
            log.exception("health of %s not recorded", self.device)


def reason_of(error: HardwareError) -> str:
    """A stable reason code from a driver error class: PaperOut -> "paper_out"."""
    name = type(error).__name__
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


class PrintService:
    """The kiosks' printers, opened from the configuration when first needed (or at start)."""

    def __init__(self, site: Site, render: Render, enabled: bool = True,
                 render_receipt: RenderReceipt | None = None) -> None:
        self.site = site
        self.render = render
        self.render_receipt = render_receipt
        self.enabled = enabled
        self._printers = PerKiosk(self._open)

    def printer(self, kiosk: str) -> KioskPrinter | None:
        """The kiosk's printer, opened on first use; None when it has none (or devices are off)."""
        return self._printers.get(kiosk)

    def _open(self, kiosk: str) -> KioskPrinter | None:
        uri = self.site.config.device_uri("printer", kiosk) if self.enabled else ""
        if not uri:
            return None
        poll = float(self.site.config.devices.get("health_poll_seconds", 10))
        return KioskPrinter(kiosk, open_printer(uri), self.site, self.render, poll, self.render_receipt)

    def submit(self, kiosk: str, issued: IssuedTicket, actor: str) -> bool:
        """Queue the ticket on the kiosk's printer; False when that kiosk has no printer."""
        printer = self.printer(kiosk)
        if printer is not None:
            printer.submit(issued.ticket.id, actor)
        return printer is not None

    def submit_receipt(self, kiosk: str, reference: str, actor: str) -> bool:
        """Queue a payment's receipt alone (follow it as outcome(kiosk, receipt_job(reference))); False when
        that kiosk has no printer or no receipt layout."""
        printer = self.printer(kiosk)
        if printer is None or self.render_receipt is None:
            return False
        printer.submit(receipt_job(reference), actor)
        return True

    def reprint(self, ticket_id: str, actor: str, kiosk: str | None = None) -> str | None:
        """Print the ticket again on `kiosk`, else where it last went; the kiosk's name, or None if none."""
        target = kiosk or self._last_kiosk(ticket_id)
        if target is None or self.printer(target) is None:
            return None
        self.submit(target, self.site.ticket_view(ticket_id), actor)
        return target

    def _last_kiosk(self, ticket_id: str) -> str | None:
        device = self.site.last_printer(ticket_id)
        return device.split(":", 1)[1] if device else None

    def outcome(self, kiosk: str, ticket_id: str, wait: float = 0.0) -> PrintOutcome | None:
        printer = self._printers.opened().get(kiosk)
        return printer.outcome(ticket_id, wait) if printer is not None else None

    def active(self) -> dict[str, KioskPrinter]:
        return self._printers.opened()

    def drain(self, timeout: float = 5.0) -> bool:
        return all(printer.drain(timeout) for printer in self.active().values())

    def close(self) -> None:
        for printer in self.active().values():
            printer.close()

