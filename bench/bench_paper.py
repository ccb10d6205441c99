"""Printed paper: the bytes of the kiosk's typical jobs and the time they take on a 9600-baud serial line.

Figures (JSON lines), one per job and paper width (80 mm: TM-T20II, native QR, images aligned by the
printer; 58 mm: POS-5890, image QR, images placed on a band):
- `figure=job`: `job=walk_in_fr` (a French visitor's walk-in ticket, with its Arabic lines), `walk_in_ar`
  (an Arabic-speaking visitor's), `priority_ar` (the same with the priority mark), `paid_fr` / `paid_ar`
  (a ticket paid by card at the kiosk: ticket, cut, receipt, in one job). `bytes`, `rasters` (GS v 0
  images) and `raster_bytes`, `seconds_9600` = bytes * 10 / 9600 (start bit, 8 data bits, stop bit).
- `figure=send_9600` (with --serial-runs N): the paid Arabic job sent to the pty printer simulator that
  reads no faster than 9600 baud, from the status check to the printer's answer after the job, median.
Built from the real layouts (floor.ticket_and_receipt) and catalogs on a throwaway site database.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

import _server as h  # noqa: E402

from core import payments  # noqa: E402
from core.store import Store  # noqa: E402
from hardware.printer import EscposPrinter, PrinterProfile, PtyPrinterSimulator, Ticket, printer_profile  # noqa: E402
from hardware.printer.encode import encode_ticket  # noqa: E402
from hardware.printer.escpos_stream import command_length  # noqa: E402
from hardware.printer.transport import SerialTransport  # noqa: E402

JOBS = {  # name -> (language, priority, paid by card)
    "walk_in_fr": ("fr", False, False),
    "walk_in_ar": ("ar", False, False),
    "priority_ar": ("ar", True, False),
    "paid_fr": ("fr", False, True),
    "paid_ar": ("ar", False, True),
}


def typical_jobs() -> dict[str, Ticket]:
    """Each job of JOBS as the kiosk lays it out, on a throwaway site."""
    from babel.support import Translations

    from core import config as site_config
    from core.clock import set_clock
    from core.site import Site
    from floor import ticket_and_receipt

    catalogs = str(ROOT / "core" / "translations")

    def translate(lang: str, message: str) -> str:
        return str(Translations.load(catalogs, [lang]).gettext(message))

    set_clock(lambda: datetime(2026, 11, 23, 8, 14, tzinfo=UTC))
    tickets: dict[str, Ticket] = {}
    with tempfile.TemporaryDirectory() as folder:
        store = Store(str(Path(folder) / "bench.db"))
        site = Site(site_config.load(env={}), store)
        for name, (lang, priority, paid) in JOBS.items():
            issued = site.issue_ticket(service="passport", kind="walk_in", lang=lang, actor="bench",
                                       priority=priority)
            if paid:
                pay(store, f"K1-{name}", lang, issued.ticket.id)
            tickets[name] = ticket_and_receipt(site, issued, translate)
        store.close()
    set_clock(None)
    return tickets


def pay(store: Store, reference: str, lang: str, ticket_id: str) -> None:
    """An approved card payment of the passport fee, linked to the ticket."""
    with store.write() as db:
        payments.create(db, reference=reference, terminal="hall-1", amount_minor=6000, currency="EUR",
                        lang=lang, day="2026-11-23", actor="bench", kiosk="hall-1", service="passport",
                        items=[{"code": "passport_stamp", "amount_minor": 6000}])
        payments.move(db, reference, "sent", "bench")
        payments.move(db, reference, "approved", "bench", auth_code="A1B2C3", card_last4="4242")
        payments.link_ticket(db, reference, ticket_id)


def raster_sizes(job: bytes) -> list[int]:
    """The length of each GS v 0 command in job."""
    sizes, start = [], 0
    while start < len(job):
        length = command_length(job[start : start + 8]) or len(job) - start
        if job[start : start + 3] == b"\x1dv0":
            sizes.append(length)
        start += length
    return sizes


def measure(name: str, ticket: Ticket, profile: PrinterProfile) -> None:
    job = encode_ticket(ticket, profile)
    rasters = raster_sizes(job)
    h.emit(bench="paper", figure="job", job=name, paper=profile.name, bytes=len(job), rasters=len(rasters),
           raster_bytes=sum(rasters), seconds_9600=round(len(job) * 10 / 9600, 2))


def send_serial(ticket: Ticket, profile: PrinterProfile, runs: int) -> None:
    with PtyPrinterSimulator(baud=9600) as sim:
        printer = EscposPrinter(SerialTransport(sim.path, 9600), profile)
        seconds = []
        for _ in range(runs):
            started = time.perf_counter()
            printer.print_ticket(ticket)
            seconds.append(time.perf_counter() - started)
    size = len(printer.encode(ticket))
    h.emit(bench="paper", figure="send_9600", job="paid_ar", paper=profile.name, bytes=size,
           median_s=round(statistics.median(seconds), 2), computed_s=round(size * 10 / 9600, 2), runs=runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serial-runs", type=int, default=0,
                        help="also send the paid Arabic job at 9600 baud this many times (about 10 s each)")
    args = parser.parse_args()
    jobs = typical_jobs()
    for profile in (printer_profile("80mm"), printer_profile("58mm")):
        for name, ticket in jobs.items():
            measure(name, ticket, profile)
    if args.serial_runs > 0:
        send_serial(jobs["paid_ar"], printer_profile("80mm"), args.serial_runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
