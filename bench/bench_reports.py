"""Reports never slow the floor: the month report of a large post while kiosks issue tickets.

Seeds 30 days before today of a large post (`--tickets`, 45,000 by default: 1,500 a day, with their journal
events, counter openings, device incidents and card payments) in one transaction with executemany, starts the
real server on loopback, then measures the kiosk's ticket issue (paced kiosks, `--rate` tickets/s) for
`--seconds`, first alone, then while a supervisor fetches the month report back to back (at most
`--reports` fetches). Figures (JSON lines):
- `figure=seed`: tickets, events, seconds;
- `figure=kiosk`, `with_report=none`: p50/p99 of the ticket issue alone;
- `figure=report`, `mode=computed`: a different 30-day period at each fetch (nothing kept: each is computed),
  time of the first and median fetch (`GET /api/supervisor/reports`), size of its JSON; `mode=kept`: the
  same month again and again (a past period's report is kept);
- `figure=kiosk` and `figure=p99_change` for each mode: the kiosk's p50/p99 meanwhile and the relative
  change of its p99 against `none` (target: at most 10 %).
Every loop is bounded in time and in requests. Loopback only; the load generator shares the cores.
"""

from __future__ import annotations

import json
import random
import sqlite3
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

import _server as h  # noqa: E402

from core import config as site_config  # noqa: E402
from core.store import Store  # noqa: E402

SUPERVISOR, SUPERVISOR_PASSWORD = "boss", "supervisor-password-1"
KIOSKS = 4
MAX_KIOSK_REQUESTS = 5_000


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Seed:
    """Rows of one month, gathered in lists, then written with executemany in one transaction."""

    def __init__(self, config: site_config.SiteConfig, agents: list[int], rng: random.Random) -> None:
        self.config, self.agents, self.rng = config, agents, rng
        self.tickets: list[tuple[Any, ...]] = []
        self.events: list[tuple[Any, ...]] = []
        self.payments: list[tuple[Any, ...]] = []

    def event(self, at: datetime, type_: str, ticket: str | None, actor: str, data: dict[str, Any]) -> None:
        self.events.append((iso(at), type_, ticket, actor, json.dumps(data, sort_keys=True)))

    def day(self, day: str, count: int) -> None:
        tz = self.config.tz
        opening = datetime.combine(date.fromisoformat(day), day_time(8, 30), tzinfo=tz)
        counters = sorted(self.config.counters.values(), key=lambda c: c.number)
        for counter in counters:
            self.event(
                opening - timedelta(minutes=5), "counter.opened", None, "user:2", {"counter": counter.number}
            )
        services = [s for s in self.config.services.values()]
        numbers: dict[str, int] = {}
        arrivals = sorted(self.rng.uniform(0, 8 * 3600) for _ in range(count))
        for offset in arrivals:
            self.ticket(
                day, opening + timedelta(seconds=offset), self.rng.choice(services), numbers, counters
            )
        closing = opening + timedelta(hours=9)
        for counter in counters:
            self.event(closing, "counter.closed", None, "user:2", {"counter": counter.number})
        if self.rng.random() < 0.3:
            down = opening + timedelta(hours=self.rng.uniform(0, 7))
            self.event(
                down,
                "device.health",
                None,
                "device:kiosk1",
                {
                    "device": "printer:kiosk1",
                    "kind": "printer",
                    "state": "offline",
                    "reason": "paper_out",
                    "detail": "",
                    "previous": "ok",
                },
            )
            self.event(
                down + timedelta(minutes=12),
                "device.health",
                None,
                "device:kiosk1",
                {
                    "device": "printer:kiosk1",
                    "kind": "printer",
                    "state": "ok",
                    "reason": "",
                    "detail": "",
                    "previous": "offline",
                },
            )

    def ticket(
        self, day: str, arrived: datetime, service: Any, numbers: dict[str, int], counters: list[Any]
    ) -> None:
        numbers[service.prefix] = seq_no = numbers.get(service.prefix, 0) + 1
        number, ticket_id = f"{service.prefix}-{seq_no:03d}", uuid.uuid4().hex
        kind = service.kinds[0] if self.rng.random() < 0.6 else service.kinds[-1]
        counter = self.rng.choice([c.number for c in counters if service.code in c.services] or [1])
        called = arrived + timedelta(minutes=self.rng.expovariate(1 / 18))
        started = called + timedelta(minutes=self.rng.uniform(0.5, 2))
        finished = started + timedelta(minutes=self.rng.uniform(4, 2 * service.average_service_minutes))
        no_show = self.rng.random() < 0.07
        agent = self.rng.choice(self.agents)
        self.tickets.append(
            (
                ticket_id,
                day,
                service.prefix,
                seq_no,
                number,
                service.code,
                kind,
                "no_show" if no_show else "done",
                "fr",
                iso(arrived),
                counter,
                agent,
                iso(called),
                None if no_show else iso(started),
                iso(called + timedelta(minutes=3)) if no_show else iso(finished),
            )
        )
        data = {"ticket": ticket_id, "number": number, "service": service.code}
        self.event(arrived, "ticket.issued", ticket_id, "device:kiosk1", data)
        self.event(called, "ticket.called", ticket_id, f"user:{agent}", {**data, "counter": counter})
        if no_show:
            self.event(
                called + timedelta(minutes=3),
                "ticket.no_show",
                ticket_id,
                f"user:{agent}",
                {**data, "counter": counter},
            )
            return
        self.event(started, "ticket.started", ticket_id, f"user:{agent}", {**data, "counter": counter})
        self.event(finished, "ticket.finished", ticket_id, f"user:{agent}", {**data, "counter": counter})
        if service.fees and self.rng.random() < 0.4:
            items = [{"code": fee.code, "amount_minor": fee.amount_minor} for fee in service.fees]
            amount = sum(fee.amount_minor for fee in service.fees)
            self.payments.append(
                (
                    f"PAY-{ticket_id[:12]}",
                    "payment",
                    "kiosk1",
                    "kiosk1",
                    service.code,
                    json.dumps(items),
                    amount,
                    "EUR",
                    "fr",
                    "approved",
                    ticket_id,
                    "issued",
                    day,
                    iso(arrived),
                    iso(arrived),
                )
            )

    def write(self, path: str) -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO tickets (id, day, prefix, seq_no, number, service, kind, state, lang, arrived_at, "
            "counter, agent_id, called_at, started_at, finished_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            self.tickets,
        )
        conn.executemany(
            "INSERT INTO journal (at, type, ticket_id, actor, data) VALUES (?, ?, ?, ?, ?)",
            sorted(self.events),
        )
        conn.executemany(
            "INSERT INTO payments (reference, operation, kiosk, terminal, service, items, amount_minor, "
            "currency, lang, state, ticket_id, etimbre_state, day, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            self.payments,
        )
        conn.execute("COMMIT")
        conn.close()


def seed_month(path: str, days: list[str], tickets: int, seed: int = 7) -> dict[str, Any]:
    """Write `tickets` tickets spread over `days` (with agents to serve them) into the database at `path`."""
    config = site_config.load(env={})
    Store(path).close()  # the schema, migrated
    conn = sqlite3.connect(path, isolation_level=None)
    agents = []
    for index in range(12):
        cursor = conn.execute(
            "INSERT INTO users (username, display_name, role, password_hash, created_at) "
            "VALUES (?, ?, 'agent', 'x', ?)",
            [f"seed{index}", f"Agent {index + 1}", iso(datetime.now(UTC))],
        )
        agents.append(int(cursor.lastrowid or 0))
    conn.close()
    began = time.perf_counter()
    rows = Seed(config, agents, random.Random(seed))
    for index, day in enumerate(days):
        rows.day(day, tickets // len(days) + (1 if index < tickets % len(days) else 0))
    rows.write(path)
    return {
        "tickets": len(rows.tickets),
        "events": len(rows.events),
        "payments": len(rows.payments),
        "seconds": round(time.perf_counter() - began, 2),
    }


def month_before(today: date, days: int = 30) -> list[str]:
    return [(today - timedelta(days=days - n)).isoformat() for n in range(days)]


def kiosk_loop(
    server: h.Server, latencies: list[float], stop: threading.Event, interval: float, index: int
) -> None:
    client = h.KeepAlive(server, {"Authorization": f"Bearer {server.kiosk_token}"})
    services = ("passport", "cnie", "civil_status", "legalisation")
    due = time.monotonic() + interval * index / KIOSKS
    for sent in range(MAX_KIOSK_REQUESTS):
        if stop.is_set():
            break
        time.sleep(max(0.0, due - time.monotonic()))
        due += interval
        began = time.perf_counter()
        status, data = client.request(
            "POST",
            "/api/kiosk/tickets",
            {"service": services[sent % len(services)], "request_id": uuid.uuid4().hex},
        )
        if status != 201:
            raise RuntimeError(f"kiosk: HTTP {status}: {data}")
        latencies.append((time.perf_counter() - began) * 1000)
    client.close()


def report_loop(
    server: h.Server, paths: list[str], stop: threading.Event, limit: int, times: list[float],
    sizes: list[int],
) -> None:
    client = h.KeepAlive(server, timeout=120)
    status, data = client.request(
        "POST", "/api/auth/login", {"username": SUPERVISOR, "password": SUPERVISOR_PASSWORD}
    )
    assert status == 200, data
    for index in range(limit):
        if stop.is_set():
            break
        began = time.perf_counter()
        status, data = client.request("GET", paths[index % len(paths)])
        if status != 200:
            raise RuntimeError(f"report: HTTP {status}: {data}")
        times.append((time.perf_counter() - began) * 1000)
        sizes.append(len(json.dumps(data)))
    client.close()


def measure(
    server: h.Server, seconds: float, rate: float, report_paths: list[str], reports: int
) -> tuple[list[float], list[float], list[int]]:
    latencies: list[float] = []
    times: list[float] = []
    sizes: list[int] = []
    stop = threading.Event()
    threads = [
        threading.Thread(target=kiosk_loop, args=(server, latencies, stop, KIOSKS / rate, i))
        for i in range(KIOSKS)
    ]
    if report_paths:
        threads.append(
            threading.Thread(target=report_loop, args=(server, report_paths, stop, reports, times, sizes))
        )
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=180)
    return latencies, times, sizes


def main() -> int:
    parser = h.bench_parser(__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=45_000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=20.0, help="kiosk tickets per second, all kiosks")
    parser.add_argument("--reports", type=int, default=200, help="at most this many report fetches")
    args = parser.parse_args()
    server = h.server_for(args, "reports")
    try:
        server.provision()
        server.add_user(SUPERVISOR, SUPERVISOR_PASSWORD, "supervisor")
        config = site_config.load(env={})
        days = month_before(datetime.now(config.tz).date())
        h.emit(bench="reports", figure="seed", **seed_month(server.database, days, args.tickets))
        server.start()
        first = date.fromisoformat(days[0])
        # A different 30-day period at each fetch: nothing is kept, each report is computed.
        shifted = [f"/api/supervisor/reports?from={first - timedelta(days=k)}"
                   f"&to={first + timedelta(days=29 - k)}" for k in range(30)]
        alone, _, _ = measure(server, args.seconds, args.rate, [], 0)
        h.emit(bench="reports", figure="kiosk", with_report="none", requests=len(alone),
               p50_ms=round(h.percentile(alone, 50), 2), p99_ms=round(h.percentile(alone, 99), 2))
        for mode, paths in (("computed", shifted), ("kept", shifted[:1])):
            loaded, times, sizes = measure(server, args.seconds, args.rate, paths, args.reports)
            h.emit(bench="reports", figure="report", mode=mode, days=len(days), fetches=len(times),
                   first_ms=round(times[0], 1) if times else None,
                   median_ms=round(statistics.median(times), 1) if times else None,
                   json_kb=round(sizes[0] / 1024, 1) if sizes else None, worker=h.worker_name(server))
            h.emit(bench="reports", figure="kiosk", with_report=mode, requests=len(loaded),
                   p50_ms=round(h.percentile(loaded, 50), 2), p99_ms=round(h.percentile(loaded, 99), 2))
            before, after = h.percentile(alone, 99), h.percentile(loaded, 99)
            change = round((after - before) / before, 3) if before else None
            h.emit(bench="reports", figure="p99_change", with_report=mode, change=change, target=0.10)
    finally:
        h.cleanup(server, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
