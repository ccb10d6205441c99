"""Kiosk ticket issue: latency and sustained throughput with 20 concurrent kiosks, then a check of the
database (read-only): no duplicate number, and exactly as many rows as tickets answered 201.

Figures (JSON lines), each phase on a fresh server and database (the queue starts empty, as a day does):
- `mode=sequential`: one kiosk issuing back to back (the latency a lone kiosk sees);
- `mode=paced`: 20 kiosks together offering `--rate` tickets/s (200 by default) for 10 s, i.e. 2,000
  tickets, a busy site's whole day, all left waiting: latency at that load;
- `mode=saturate`: 20 kiosks issuing back to back (closed loop): the most tickets/s the server sustains;
  latency there is mostly queueing (20 requests always in flight);
- `check=db` after each phase: duplicates, and rows versus answered.
Every loop is bounded in time and in requests (20,000). Loopback only; the load generator shares the cores."""

from __future__ import annotations

import argparse
import sqlite3
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _server as h  # noqa: E402

CLIENTS = 20
MAX_REQUESTS = 20_000
SERVICES = ("passport", "cnie", "civil_status", "registration", "legalisation")


@dataclass
class Run:
    """Shared by the kiosk threads of one phase."""

    deadline: float
    budget: int
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> bool:
        with self.lock:
            if self.budget <= 0 or time.monotonic() >= self.deadline:
                return False
            self.budget -= 1
            return True

    def record(self, latency_ms: float | None, error: str | None = None) -> None:
        with self.lock:
            if error is None and latency_ms is not None:
                self.latencies_ms.append(latency_ms)
            else:
                self.errors.append(error or "?")


def kiosk(server: h.Server, run: Run, index: int, interval: float | None, start: float) -> None:
    client = h.KeepAlive(server, {"Authorization": f"Bearer {server.kiosk_token}"})
    sent = 0
    while run.take():
        if interval is not None:  # paced: each kiosk sends on its own schedule, phase-shifted
            due = start + (index / CLIENTS + sent) * interval
            time.sleep(max(0.0, due - time.monotonic()))
        body = {"service": SERVICES[(index + sent) % len(SERVICES)], "request_id": uuid.uuid4().hex}
        began = time.perf_counter()
        try:
            status, data = client.request("POST", "/api/kiosk/tickets", body)
        except Exception as error:  # noqa: BLE001 - counted and reported
            run.record(None, type(error).__name__)
            continue
        elapsed = (time.perf_counter() - began) * 1000
        run.record(elapsed if status == 201 else None, None if status == 201 else f"HTTP {status}: {data}")
        sent += 1
    client.close()


def phase(server: h.Server, clients: int, seconds: float, rate: float | None = None) -> tuple[Run, float]:
    start = time.monotonic()
    run = Run(deadline=start + seconds, budget=MAX_REQUESTS)
    interval = clients / rate if rate else None
    threads = [threading.Thread(target=kiosk, args=(server, run, i, interval, start), daemon=True)
               for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 30)
    return run, time.monotonic() - start


def report(run: Run, elapsed: float, **labels: object) -> None:
    lat = run.latencies_ms
    figures = {f"p{p}_ms": round(h.percentile(lat, p), 2) for p in (50, 90, 99)}
    h.emit(bench="issue", **labels, requests=len(lat) + len(run.errors), **figures,
           max_ms=round(max(lat, default=0.0), 2), tickets_per_s=round(len(lat) / elapsed, 1),
           errors=len(run.errors), first_errors=sorted(set(run.errors))[:3])


def check_database(database: str, answered: int) -> dict[str, int]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
        duplicates = db.execute("""SELECT COALESCE(SUM(n - 1), 0) FROM (SELECT COUNT(*) AS n FROM tickets
                                   GROUP BY day, prefix, seq_no HAVING n > 1)""").fetchone()[0]
    return {"rows": rows, "answered": answered, "duplicate_numbers": duplicates,
            "lost_or_extra": rows - answered}


def measure(args: argparse.Namespace, clients: int, seconds: float, rate: float | None = None,
            **labels: object) -> bool:
    """One phase on its own fresh server and database: the queue starts empty, as a site's day does."""
    server = h.server_for(args, "issue")
    try:
        server.provision().start()
        run, elapsed = phase(server, clients, seconds, rate)
        report(run, elapsed, clients=clients, **labels, worker=h.worker_name(server))
        verdict = check_database(server.database, len(run.latencies_ms))
        h.emit(bench="issue", check="db", **labels, **verdict)
        return not (verdict["duplicate_numbers"] or verdict["lost_or_extra"] or run.errors)
    finally:
        h.cleanup(server, args)


def main() -> int:
    parser = h.bench_parser(__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each 20-client phase")
    parser.add_argument("--rate", type=float, default=200.0, help="offered tickets/s in the paced phase")
    args = parser.parse_args()
    ok = measure(args, 1, min(args.seconds, 3.0), mode="sequential")
    ok = measure(args, CLIENTS, args.seconds, args.rate, mode="paced", offered_per_s=args.rate) and ok
    ok = measure(args, CLIENTS, args.seconds, mode="saturate") and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
