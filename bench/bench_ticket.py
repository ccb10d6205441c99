"""Printed ticket: bytes, time to build them, and time to send them to the printer simulators.

Figures (JSON lines):
- `figure=build`: bytes of one ticket and the time to turn it into ESC/POS (Arabic rasters drawn, QR encoded),
  median and p95 over --renders builds after one warm-up build (`first_ms`: font loading included).
  `ticket=one_arabic_line`: the issue's reference ticket (number, service, one Arabic line, native QR);
  `ticket=queue_fr` / `queue_ar`: the kiosk's real bilingual layout (floor.ticket_layout) for a French or an
  Arabic-speaking visitor. Each for 80 mm and 58 mm (`qr=native` forced on 58 mm for the reference ticket,
  and the 58 mm profile's own image QR beside it).
- `figure=send_9600`: the reference ticket to the pty simulator emulating a 9600-baud line, measured from
  the status check to the printer's answer after the job, median over --serial-runs; `computed_s` is
  bytes * 10 / 9600 (start bit, 8 data bits, stop bit).
- `figure=send_tcp`: the same to the loopback TCP simulator, median over --tcp-runs.
Targets from the issue: at most 4 KB per ticket with one Arabic line, built in at most 50 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

import _server as h  # noqa: E402

from hardware.printer import (  # noqa: E402
    Align,
    EscposPrinter,
    PrinterProfile,
    PrinterSimulator,
    PtyPrinterSimulator,
    Qr,
    Text,
    Ticket,
    printer_profile,
)
from hardware.printer.encode import encode_ticket  # noqa: E402
from hardware.printer.transport import SerialTransport  # noqa: E402

URL = "https://rdv.consulat.example/t/4kq9ZtW2aPm7Xc3v"


def reference_ticket() -> Ticket:
    return Ticket([
        Text("Consulat général du Royaume du Maroc à Paris", Align.CENTER, bold=True),
        Text("A-042", Align.CENTER, scale=4, bold=True), Text("Passeport", Align.CENTER),
        Text("عدد الأشخاص قبلك: 3", Align.CENTER), Text("23/11/2026 09:14", Align.CENTER), Qr(URL),
    ])


def queue_ticket(lang: str) -> Ticket:
    """The kiosk's own layout for a visitor speaking lang, on a throwaway site database."""
    from babel.support import Translations

    from core import config as site_config
    from core.clock import set_clock
    from core.site import Site
    from core.store import Store
    from floor.ticket_layout import layout_ticket

    set_clock(lambda: datetime(2026, 11, 23, 8, 14, tzinfo=UTC))
    with tempfile.TemporaryDirectory() as folder:
        store = Store(str(Path(folder) / "bench.db"))
        site = Site(site_config.load(env={}), store)
        issued = site.issue_ticket(service="passport", kind="walk_in", lang=lang, actor="bench")
        catalogs = str(ROOT / "core" / "translations")

        def translate(to: str, message: str) -> str:
            return str(Translations.load(catalogs, [to]).gettext(message))

        ticket = layout_ticket(site, issued, translate)
        store.close()
    set_clock(None)
    return ticket


def timed_ms(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def build(name: str, ticket: Ticket, profile: PrinterProfile, renders: int) -> None:
    first = timed_ms(lambda: encode_ticket(ticket, profile))
    times = [timed_ms(lambda: encode_ticket(ticket, profile)) for _ in range(renders)]
    h.emit(bench="ticket", figure="build", ticket=name, paper=profile.name,
           qr="native" if profile.native_qr else "image", bytes=len(encode_ticket(ticket, profile)),
           first_ms=round(first, 2), median_ms=round(statistics.median(times), 2),
           p95_ms=round(h.percentile(times, 95), 2), renders=renders)


def send_serial(ticket: Ticket, profile: PrinterProfile, runs: int) -> None:
    with PtyPrinterSimulator(baud=9600) as sim:
        printer = EscposPrinter(SerialTransport(sim.path, 9600), profile)
        seconds = [timed_ms(lambda: printer.print_ticket(ticket)) / 1000 for _ in range(runs)]
    size = len(printer.encode(ticket))
    h.emit(bench="ticket", figure="send_9600", paper=profile.name, bytes=size,
           median_s=round(statistics.median(seconds), 2), computed_s=round(size * 10 / 9600, 2), runs=runs)


def send_tcp(ticket: Ticket, profile: PrinterProfile, runs: int) -> None:
    with PrinterSimulator() as sim:
        printer = EscposPrinter(sim.transport(), profile)
        times = [timed_ms(lambda: printer.print_ticket(ticket)) for _ in range(runs)]
    h.emit(bench="ticket", figure="send_tcp", paper=profile.name, bytes=len(printer.encode(ticket)),
           median_ms=round(statistics.median(times), 2), p95_ms=round(h.percentile(times, 95), 2), runs=runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=200)
    parser.add_argument("--serial-runs", type=int, default=3)
    parser.add_argument("--tcp-runs", type=int, default=50)
    args = parser.parse_args()
    p80, p58 = printer_profile("80mm"), printer_profile("58mm")
    reference = reference_ticket()
    for profile in (p80, p58.with_native_qr(True), p58):
        build("one_arabic_line", reference, profile, args.renders)
    for lang in ("fr", "ar"):
        for profile in (p80, p58):
            build(f"queue_{lang}", queue_ticket(lang), profile, args.renders)
    for profile in (p80, p58.with_native_qr(True)):
        send_serial(reference, profile, args.serial_runs)
        send_tcp(reference, profile, args.tcp_runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
