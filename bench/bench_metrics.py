"""The cost of monitoring: a kiosk's ticket-issue latency with and without a Prometheus scraper reading
/metrics every second, and what one scrape costs.

Figures (JSON lines), each phase on a fresh server and database (the queue starts empty, as a day does):
- `mode=baseline`: one kiosk issuing `--tickets` tickets back to back, nobody scraping;
- `mode=scraped`: the same while a scraper GETs /metrics every `--interval` seconds (1 s: a short
  Prometheus scrape interval), with the scrapes' own durations;
- `mode=stress`: the same with a scrape every 0.1 s, to make the interference visible above the noise;
- `mode=cold_scrape`: after a phase, the server restarted on its database and scraped once: the worst
  scrape of a day, when the journal tally reads the whole day's journal again.
Phases alternate (baseline, scraped, baseline, scraped, ...) so that the VM's drift hits both alike. Every
loop is bounded (tickets, seconds); loopback only, so the scraper is allowed without a token."""

from __future__ import annotations

import argparse
import sys
import threading
import time
import uuid
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _server as h  # noqa: E402

MAX_PHASE_SECONDS = 120.0
SERVICES = ("passport", "cnie", "civil_status", "registration", "legalisation")


class Scraper:
    """GET /metrics every `interval` seconds in a thread, until stopped; keeps each scrape's duration."""

    def __init__(self, server: h.Server, interval: float) -> None:
        self.server, self.interval = server, interval
        self.durations_ms: list[float] = []
        self.errors = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Scraper:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(30)

    def _run(self) -> None:
        http = requests.Session()
        while not self._stop.is_set():
            began = time.perf_counter()
            self.scrape_once(http)
            self._stop.wait(max(0.0, self.interval - (time.perf_counter() - began)))
        http.close()

    def scrape_once(self, http: requests.Session) -> None:
        began = time.perf_counter()
        try:
            answer = http.get(f"{self.server.url}/metrics", timeout=10)
            ok = answer.status_code == 200 and "dour_tickets_issued_total" in answer.text
        except requests.RequestException:
            ok = False
        if ok:
            self.durations_ms.append((time.perf_counter() - began) * 1000)
        else:
            self.errors += 1


def issue_tickets(server: h.Server, count: int) -> tuple[list[float], int]:
    client = h.KeepAlive(server, {"Authorization": f"Bearer {server.kiosk_token}"})
    latencies, errors, deadline = [], 0, time.monotonic() + MAX_PHASE_SECONDS
    for index in range(count):
        if time.monotonic() > deadline:
            break
        body = {"service": SERVICES[index % len(SERVICES)], "request_id": uuid.uuid4().hex}
        began = time.perf_counter()
        try:
            status, _ = client.request("POST", "/api/kiosk/tickets", body)
        except Exception:  # noqa: BLE001 - counted and reported
            status = 0
        if status == 201:
            latencies.append((time.perf_counter() - began) * 1000)
        else:
            errors += 1
    client.close()
    return latencies, errors


def figures(values: list[float], prefix: str = "") -> dict[str, float]:
    found = {f"{prefix}p{p}_ms": round(h.percentile(values, p), 2) for p in (50, 90, 99)}
    return found | {f"{prefix}max_ms": round(max(values, default=0.0), 2)}


def phase(args: argparse.Namespace, tickets: int, interval: float | None, mode: str) -> bool:
    server = h.server_for(args, "metrics")
    try:
        server.provision().start()
        if interval is None:
            latencies, errors = issue_tickets(server, tickets)
            scrapes: list[float] = []
            scrape_errors = 0
        else:
            with Scraper(server, interval) as scraper:
                latencies, errors = issue_tickets(server, tickets)
            scrapes, scrape_errors = scraper.durations_ms, scraper.errors
        h.emit(bench="metrics", mode=mode, interval_s=interval, tickets=len(latencies), errors=errors,
               **figures(latencies), scrapes=len(scrapes), scrape_errors=scrape_errors,
               **figures(scrapes, "scrape_"), worker=h.worker_name(server))
        if interval is not None and mode == "scraped":
            cold_scrape(server)
        return errors == 0 and scrape_errors == 0
    finally:
        h.cleanup(server, args)


def cold_scrape(server: h.Server) -> None:
    server.restart()
    one = Scraper(server, 0.0)
    with requests.Session() as http:
        one.scrape_once(http)  # the first: the tally reads the whole day
        one.scrape_once(http)  # the next: only what was appended since
    events = h.health_seq(server)
    h.emit(bench="metrics", mode="cold_scrape", journal_events=events,
           first_ms=round(one.durations_ms[0], 2) if one.durations_ms else None,
           next_ms=round(one.durations_ms[1], 2) if len(one.durations_ms) > 1 else None)


def main() -> int:
    parser = h.bench_parser(__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=3000, help="tickets per phase (one kiosk)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between scrapes")
    parser.add_argument("--rounds", type=int, default=2, help="baseline/scraped pairs")
    args = parser.parse_args()
    ok = True
    for _ in range(max(1, args.rounds)):
        ok = phase(args, args.tickets, None, "baseline") and ok
        ok = phase(args, args.tickets, args.interval, "scraped") and ok
    ok = phase(args, args.tickets, 0.1, "stress") and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
