"""What a visitor with an appointment sees, in real Chromium: the QR code read by a keyboard-wedge scanner →
the ticket number on the kiosk's screen.

Figures (JSON lines), each p50/p95/max over SCANS scans of distinct valid appointment codes (after WARMUP
scans not counted), on the services screen of a French kiosk page reloaded before each scan:
- `figure=scan_to_ticket_shown`: the wedge's last keystroke (its Enter) → the ticket screen shown with the
  number (DOM changed), measured in the page with performance.now();
- `figure=scan_to_ticket_frame`: the same, to the first animation frame after it (the frame that paints it);
- `figure=scan_request`: the POST /api/kiosk/scans alone (Resource Timing: request start → response end),
  the server's share: offline signature check, check-in, ticket issue, journal, in one transaction.
The central's signing key is cached in the server's database as the sync worker would; tokens are signed
here. Every loop is bounded in count and time. Loopback only.

The helpers (`cache_signing_key`, `appointment_token`, `wedge_events`) are shared with
tests/e2e/test_kiosk_appointments.py.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _server as h  # noqa: E402

SCANS = 30
WARMUP = 2
DEADLINE_S = 180.0
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
KID = "bench-k1"
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
# A US-configured wedge scanner's keys for the Base45 characters that are not letters or digits.
SHIFTED = {"$": "Digit4", "%": "Digit5", "*": "Digit8", "+": "Equal", ":": "Semicolon"}
PLAIN = {" ": "Space", "-": "Minus", ".": "Period", "/": "Slash"}
# Types the code as the scanner does (keydowns in one burst), then waits for the ticket on screen.
SCAN_AND_WAIT = """async (events) => {
  const screen = document.querySelector('[data-testid=ticket-screen]');
  const number = document.querySelector('[data-testid=ticket-number]');
  const shown = () => !screen.hidden && number.textContent.trim() !== '';
  const ticket = new Promise((resolve) => {
    const observer = new MutationObserver(() => {
      if (shown()) { observer.disconnect(); resolve(performance.now()); }
    });
    observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true,
                                      attributeFilter: ['hidden'] });
    setTimeout(() => { observer.disconnect(); resolve(null); }, 10000);
  });
  const target = document.activeElement || document.body;
  let lastKey = 0;
  events.forEach((init, index) => {
    if (index === events.length - 1) lastKey = performance.now();
    target.dispatchEvent(new KeyboardEvent('keydown', { ...init, bubbles: true, cancelable: true }));
  });
  const shownAt = await ticket;
  if (shownAt === null) return null;
  const frameAt = await new Promise((resolve) => requestAnimationFrame(() => resolve(performance.now())));
  const request = performance.getEntriesByType('resource').find((e) => e.name.endsWith('/api/kiosk/scans'));
  return { shown: shownAt - lastKey, frame: frameAt - lastKey, number: number.textContent.trim(),
           request: request ? request.responseEnd - request.startTime : null };
}"""


def cache_signing_key(server: h.Server, private_key: Any, kid: str = KID) -> None:
    """Cache the central's public key in the running server's database (the kiosk reads keys at each scan)."""
    from core import keyring
    from core.store import Store
    from sync import tokens

    now = datetime.now(UTC)
    store = Store(server.database)
    try:
        with store.write() as db:
            key = tokens.SigningKey(kid, tokens.public_bytes(private_key), now - timedelta(days=30),
                                    now + timedelta(days=30))
            keyring.store(db, [key], now)
    finally:
        store.close()


def reference(number: int) -> str:
    """A booking reference: "RDV-" and 6 characters of the references' alphabet."""
    characters = ""
    for _ in range(6):
        number, digit = divmod(number, len(REFERENCE_ALPHABET))
        characters = REFERENCE_ALPHABET[digit] + characters
    return f"RDV-{characters}"


def slot_soon(config: Any) -> datetime:
    """10 minutes from now, or now when that would be tomorrow already (the slot must be today)."""
    now = datetime.now(UTC).replace(microsecond=0)
    soon = now + timedelta(minutes=10)
    return soon if config.local_day(soon) == config.local_day(now) else now


def appointment_token(config: Any, number: int, start: datetime, private_key: Any, persons: int = 1,
                      services: tuple[str, ...] = ("civil_status",), kid: str = KID) -> str:
    """The QR code of appointment `number` at `start`, at the configured site, as the central signs it."""
    from sync import tokens

    claims = tokens.AppointmentClaims(
        appointment_id=f"apt_{number:06d}", reference=reference(number), site=config.site_id,
        services=services, slot_start=start, slot_end=start + timedelta(minutes=15), persons=persons,
        lang="fr", version=1, issued_at=start - timedelta(days=3), expires_at=start + timedelta(days=1))
    return tokens.sign(claims, private_key, kid)


def wedge_events(text: str) -> list[dict[str, Any]]:
    """The keydowns of a US-configured wedge scanner typing `text`, then Enter."""
    events = []
    for char in text:
        if char.isdigit():
            code, shift = f"Digit{char}", False
        elif char.isalpha():
            code, shift = f"Key{char.upper()}", char.isupper()
        else:
            code, shift = (SHIFTED[char], True) if char in SHIFTED else (PLAIN[char], False)
        events.append({"key": char, "code": code, "shiftKey": shift})
    return events + [{"key": "Enter", "code": "Enter", "shiftKey": False}]


def main() -> int:
    from core import config as site_config
    from sync import tokens

    args = h.bench_parser(__doc__ or "").parse_args()
    server = h.server_for(args, "checkin-browser")
    try:
        server.provision().start()
        private_key = tokens.new_private_key()
        cache_signing_key(server, private_key)
        config = site_config.load(env=h.server_env(server.env))
        start = slot_soon(config)
        codes = [appointment_token(config, index + 1, start, private_key) for index in range(WARMUP + SCANS)]
        samples = measure(server, codes)[WARMUP:]
    finally:
        h.cleanup(server, args)
    worker = h.worker_name(server)
    for figure, key in (("scan_to_ticket_shown", "shown"), ("scan_to_ticket_frame", "frame"),
                        ("scan_request", "request")):
        values = [float(sample[key]) for sample in samples if sample.get(key) is not None]
        h.emit(bench="checkin_browser", figure=figure, worker=worker, scans=len(values),
               p50_ms=round(h.percentile(values, 50), 1), p95_ms=round(h.percentile(values, 95), 1),
               max_ms=round(max(values, default=0.0), 1))
    numbers = {sample["number"] for sample in samples}
    return 0 if len(samples) == SCANS and len(numbers) == SCANS else 1


def measure(server: h.Server, codes: list[str]) -> list[dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    samples: list[dict[str, Any]] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1080, "height": 1920}, has_touch=True)
        page.goto(f"{server.url}/enrol?token={server.kiosk_token}&next=/kiosk?lang=fr")
        began = time.monotonic()
        for code in codes:
            if time.monotonic() - began > DEADLINE_S:
                break
            page.goto(f"{server.url}/kiosk?lang=fr")  # the services screen, as a visitor finds it
            page.wait_for_function("() => document.body.dataset.scanner === 'connected'")
            sample = page.evaluate(SCAN_AND_WAIT, wedge_events(code))
            if sample is None:
                raise RuntimeError(f"no ticket on screen within 10 s:\n{server.log_tail()}")
            samples.append(sample)
        browser.close()
    return samples


if __name__ == "__main__":
    sys.exit(main())
