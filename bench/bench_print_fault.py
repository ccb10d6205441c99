"""Printer faults at the kiosk: the time from a visitor's tap to the kiosk knowing the paper ticket's fate.

Figures (JSON lines), on a real server whose kiosk prints to the simulated ESC/POS printer (TCP):
- `fault=none`: POST the ticket, then the page's long poll GET …/print until `printed`: the visitor sees
  "Take your printed ticket" after this long;
- `fault=paper_out`: the same with the simulator out of paper (switched through the device-control API): the
  time until the kiosk shows the on-screen ticket with its "printer not working" message;
- `fault=mute`: a printer that does not answer at all: bounded by the status timeouts (about 1 s);
- `figure=browser_paper_out`: in Chromium, from the tap on a service to the on-screen ticket's "printer not
  working" message being displayed (MutationObserver timestamps in the page, so no driver round trip).
Sequential, 40 tickets per case (20 in the browser), loopback only."""

from __future__ import annotations

import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _server as h  # noqa: E402

TICKETS = 40
BROWSER_TICKETS = 20
TAP_AND_WATCH = """() => new Promise(resolve => {
  const message = document.querySelector('[data-testid=not-printed]');
  const observer = new MutationObserver(() => {
    if (!message.hidden && message.textContent) { observer.disconnect(); resolve(Date.now() - started); }
  });
  observer.observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
  const started = Date.now();
  document.querySelector('[data-testid=service-civil_status]').click();
})"""


def fate(kiosk: h.KeepAlive) -> tuple[float, str]:
    began = time.perf_counter()
    _, issued = kiosk.request("POST", "/api/kiosk/tickets",
                              {"service": "civil_status", "request_id": uuid.uuid4().hex})
    _, printed = kiosk.request("GET", f"/api/kiosk/tickets/{issued['ticket']['id']}/print?wait=10")
    return (time.perf_counter() - began) * 1000, printed["state"]


def set_fault(boss: h.KeepAlive, fault: str | None) -> None:
    """Through the device-control API; once more on a fresh connection if the idle one was closed."""
    for attempt in (1, 2):
        try:
            boss.request("POST", "/api/sim/printers/kiosk1/fault", {"fault": fault})
            return
        except OSError:
            if attempt == 2:
                raise


def case(server: h.Server, boss: h.KeepAlive, fault: str | None) -> None:
    set_fault(boss, fault)
    kiosk = h.KeepAlive(server, {"Authorization": f"Bearer {server.kiosk_token}"})
    times, states = [], set()
    for _ in range(TICKETS):
        elapsed, state = fate(kiosk)
        times.append(elapsed)
        states.add(state)
    h.emit(fault=fault or "none", n=len(times), states=sorted(states),
           p50_ms=round(statistics.median(times), 1), p95_ms=round(h.percentile(times, 95), 1),
           max_ms=round(max(times), 1), worker=h.worker_name(server))


def in_browser(server: h.Server) -> None:
    from bench_browser import CHROMIUM, FLAGS
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1080, "height": 1920})
        page.goto(f"{server.url}/enrol?token={server.kiosk_token}&next=/kiosk?lang=fr")
        for _ in range(BROWSER_TICKETS):
            page.goto(f"{server.url}/kiosk?lang=fr")
            page.get_by_test_id("service-civil_status").wait_for()
            times.append(float(page.evaluate(TAP_AND_WATCH)))
        browser.close()
    h.emit(figure="browser_paper_out", n=len(times), p50_ms=round(statistics.median(times), 1),
           p95_ms=round(h.percentile(times, 95), 1), max_ms=round(max(times), 1))


def main() -> None:
    args = h.bench_parser(__doc__ or "").parse_args()
    server = h.server_for(args, "printfault")
    server.env["DOUR_DEVICES_PRINTER"] = "sim://"
    try:
        server.provision()
        server.add_user("chief", "supervisor-password-1", role="supervisor")
        server.start()
        boss = h.KeepAlive(server)
        boss.request("POST", "/api/auth/login", {"username": "chief", "password": "supervisor-password-1"})
        for fault in (None, "paper_out", "mute"):
            case(server, boss, fault)
        set_fault(boss, "paper_out")
        in_browser(server)
    finally:
        h.cleanup(server, args)


if __name__ == "__main__":
    main()
