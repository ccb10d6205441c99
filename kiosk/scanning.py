"""The kiosks' server-side QR scanners: open each kiosk's scanner, report its health, check every scan with
core.scans (the one validation path) and push the answer live to that kiosk's page, in the page's language.

Pages listen on the `/kiosk` namespace in one room per kiosk and language (kiosk/socket.py). A scan is
checked once and its answer written in each of the site's languages, one emit per room: nothing is kept per
connection here, so this also works when several processes share broadcasts through a message queue.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from functools import partial
from typing import Any

from flask import Flask
from flask_babel import force_locale

from core.errors import DourError
from core.realtime import socketio_of
from core.scans import ScanResult, validate
from core.site import Site
from core.web import error_json, page_language
from floor.printing import PrintService
from hardware.health import Health, HealthState
from hardware.scanner import PtyScanner, Scan, ScanSource, SimulatedSerialScanner, open_scanner
from kiosk.routes import fee_view, print_state, ticket_json

log = logging.getLogger(__name__)

NAMESPACE = "/kiosk"
SCANNED = {"state": "scanned"}  # a ticket shown again from its QR code: the page offers to print it (once)


def room(kiosk: str, lang: str) -> str:
    return f"kiosk:{kiosk}:{lang}"


def accepted(result: ScanResult, source: str, kiosk: str | None = None) -> dict[str, Any]:
    """The page's answer to an accepted code, in the current locale (a request's, or a forced one). A ticket
    shown again offers a reprint; an appointment just checked in at `kiosk` follows its print job."""
    answer: dict[str, Any] = {"ok": True, "kind": result.kind, "source": source, "data": dict(result.data)}
    if result.ticket is not None:
        printed = print_state(kiosk, result.ticket.ticket.id) if kiosk and newly_issued(result) else SCANNED
        answer.update(ticket_json(result.ticket), print=printed)
    if result.ticket is not None and newly_issued(result):
        # The appointment's fees (None when free): the kiosk offers to pay them now or at the counter.
        answer["fees"] = fee_view(result.ticket.ticket.service, page_language())
    return answer


def newly_issued(result: ScanResult) -> bool:
    """An appointment checked in by this very scan (its ticket is to be printed)."""
    return result.kind == "appointment" and bool(result.data.get("checked_in"))


def print_checkin(printing: PrintService, kiosk: str, result: ScanResult, actor: str) -> None:
    """Print the ticket of an appointment this scan checked in, at the kiosk where it was scanned."""
    if newly_issued(result) and result.ticket is not None:
        printing.submit(kiosk, result.ticket, actor=actor)


def refused(error: DourError, source: str) -> dict[str, Any]:
    """The page's answer to a refused code: the sentence only, never the scanned text."""
    return {"ok": False, "source": source, **error_json(error)}


class ScannerService:
    """Each kiosk's server-side scanner (none for `web://`), opened when the devices start or, for a kiosk
    enrolled later, when its page first connects. `enabled=False` (tests, tools) opens none."""

    def __init__(self, app: Flask, site: Site, enabled: bool) -> None:
        self.app, self.site, self.enabled = app, site, enabled
        self._scanners: dict[str, ScanSource | None] = {}
        self._lock = threading.Lock()

    def start(self, kiosks: Iterable[str]) -> None:
        for kiosk in kiosks:
            self.ensure(kiosk)

    def ensure(self, kiosk: str) -> ScanSource | None:
        """The kiosk's scanner, opened and started the first time it is asked for."""
        if not self.enabled:
            return None
        with self._lock:
            if kiosk not in self._scanners:
                self._scanners[kiosk] = self._open(kiosk)
            return self._scanners[kiosk]

    def simulator(self, kiosk: str) -> PtyScanner | None:
        """The simulated scanner of a kiosk configured with `sim://` (the demo's device page types into it:
        `.scan(text)`, `.unplug()`, `.replug()`); None for a real or absent scanner."""
        scanner = self.ensure(kiosk)
        return scanner.simulator if isinstance(scanner, SimulatedSerialScanner) else None

    def simulate_scan(self, kiosk: str, text: str) -> None:
        """Type `text` into the kiosk's simulated scanner; it then travels the real path (pty, serial driver,
        validation, socket). LookupError when the kiosk's scanner is not `sim://`."""
        simulator = self.simulator(kiosk)
        if simulator is None:
            raise LookupError(f"kiosk {kiosk!r} has no simulated scanner (its scanner URI is not sim://)")
        simulator.scan(text)

    def stop(self) -> None:
        with self._lock:
            scanners, self._scanners = list(self._scanners.values()), {}
        for scanner in scanners:
            if scanner is not None:
                scanner.stop()

    def push(self, kiosk: str, scan: Scan) -> None:
        """Check a scan once, then answer the kiosk's pages, each in its language."""
        outcome = self.check(scan.text)
        if not isinstance(outcome, DourError):
            print_checkin(self.app.extensions["dour.printer"], kiosk, outcome, f"scanner:{kiosk}")
        socketio = socketio_of(self.app)
        for lang in self.site.config.site["languages"]:
            socketio.emit("scan", self.answer(outcome, scan.source, lang, kiosk), to=room(kiosk, lang),
                          namespace=NAMESPACE)

    def check(self, text: str) -> ScanResult | DourError:
        try:
            return validate(self.site, text)
        except DourError as error:
            return error

    def answer(self, outcome: ScanResult | DourError, source: str, lang: str,
               kiosk: str | None = None) -> dict[str, Any]:
        with self.app.app_context(), force_locale(lang):
            if isinstance(outcome, DourError):
                return refused(outcome, source)
            return accepted(outcome, source, kiosk)

    def _open(self, kiosk: str) -> ScanSource | None:
        uri = self.site.config.device_uri("scanner", kiosk)
        try:
            scanner = open_scanner(uri)
        except ValueError as error:
            log.error("kiosk %s: %s", kiosk, error)
            self._report(kiosk, Health(HealthState.OFFLINE, "bad_uri", str(error)))
            return None
        if scanner is not None:
            scanner.start(partial(self.push, kiosk), partial(self._report, kiosk))
        return scanner

    def _report(self, kiosk: str, health: Health) -> None:
        self.site.report_device_health(f"scanner:{kiosk}", "scanner", health.state.value, health.reason,
                                       health.detail)
