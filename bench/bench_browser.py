"""What people see, in real Chromium: agent clicks "Call next" → the counter page shows the ticket, and → the
waiting-room display page shows the call.

Figures (JSON lines):
- `figure=counter_page_next`: click on the counter page's "Call next" button → its current-number element
  shows the called ticket (the agent's perceived latency), p50/p99 over N calls;
- `figure=display_page_call`: the same click → the display page (another Chromium page, connected over
  Socket.IO) shows the number, p50/p99. Peer for scale: FQM's display shows a call after ~3 s (it polls).
Times are taken in one browser clock (performance.now() + a shared epoch), so they need no clock sync.
Every loop is bounded in count and time. Loopback only.
"""

from __future__ import annotations

import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _server as h  # noqa: E402

CALLS = 40
DEADLINE_S = 120.0
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
WATCH = """n => { window.__shownAt = new Promise(resolve => {
  const check = () => {
    const el = document.querySelector('[data-testid=current-number]');
    if (el && el.textContent.trim() === n) { resolve(Date.now()); return true; }
    return false;
  };
  if (check()) return;
  const observer = new MutationObserver(() => { if (check()) observer.disconnect(); });
  observer.observe(document.body, {subtree: true, childList: true, characterData: true});
}); }"""
SHOWN_AT = "() => window.__shownAt"
CLICK_NEXT = """() => {
  const t = Date.now();
  document.querySelector('[data-testid=btn-next]').click();
  return t;
}"""


def issue(server: h.Server, count: int) -> None:
    kiosk = h.KeepAlive(server, {"Authorization": f"Bearer {server.kiosk_token}"})
    for _ in range(count):
        status, data = kiosk.request("POST", "/api/kiosk/tickets",
                                     {"service": "passport", "request_id": uuid.uuid4().hex})
        if status != 201:
            raise RuntimeError(f"issue failed: {status} {data}")
    kiosk.close()


def main() -> int:
    args = h.bench_parser(__doc__ or "").parse_args()
    server = h.server_for(args, "browser")
    try:
        server.provision().start()
        issue(server, CALLS + 1)  # one left waiting, so "Call next" stays enabled after the last call
        counter_ms, display_ms = measure(server)
    finally:
        h.cleanup(server, args)
    worker = h.worker_name(server)
    for figure, values in (("counter_page_next", counter_ms), ("display_page_call", display_ms)):
        h.emit(bench="browser", figure=figure, worker=worker, calls=len(values),
               p50_ms=round(h.percentile(values, 50), 1), p99_ms=round(h.percentile(values, 99), 1),
               max_ms=round(max(values, default=0.0), 1))
    return 0 if len(counter_ms) == CALLS and len(display_ms) == CALLS else 1


def measure(server: h.Server) -> tuple[list[float], list[float]]:
    from playwright.sync_api import sync_playwright

    counter_ms: list[float] = []
    display_ms: list[float] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        display = h.open_display_page(browser.new_page(), server)
        counter = h.open_counter_page(browser.new_page(), server)
        began = time.monotonic()
        for index in range(CALLS):
            if time.monotonic() - began > DEADLINE_S:
                break
            number = f"A-{index + 1:03d}"
            display.evaluate(WATCH, number)  # the watchers are armed before the click
            counter.evaluate(WATCH, number)
            clicked = counter.evaluate(CLICK_NEXT)
            counter_ms.append(counter.evaluate(SHOWN_AT) - clicked)
            display_ms.append(display.evaluate(SHOWN_AT) - clicked)
            for button in ("btn-start", "btn-finish"):
                counter.wait_for_selector(f"[data-testid={button}]:not([disabled])")
                counter.get_by_test_id(button).click()
            counter.wait_for_selector("[data-testid=btn-next]:not([disabled])")
        browser.close()
    return counter_ms, display_ms


if __name__ == "__main__":
    sys.exit(main())
