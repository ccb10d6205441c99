"""Reports never slow the floor: the month report of a large post while kiosks issue tickets.

Seeds 30 days before today of a large post (`--tickets`, 45,000 by default: 1,500 a day, with their journal
events, counter openings, device incidents and card payments) in one transaction with executemany, starts the
real server on loopback, then measures the kiosk's ticket issue (paced kiosks, `--rate` tickets/s) for
`--seconds` per phase, in `--rounds` rounds of three phases: alone (`none`), while a supervisor fetches month
reports back to back (`computed`: a period not asked before at each fetch, each holding the whole seeded
month, so nothing kept is used), and while they fetch one past month again and again, `--kept-pause` apart
as a supervisor clicks the page's CSV links (`kept`: computed once, then kept). Before each phase the tickets
still waiting are cancelled: the kiosks never call, and a line grown by the earlier phases would slow the
later ones (the waiting-time forecast replays the whole line), which is no effect of the reports; comparing
a first `none` phase with later loaded ones is how an earlier version of this bench saw +18.5 %.
Figures (JSON lines):
- `figure=seed`: tickets, events, seconds;
- `figure=report`, per mode: fetches, time of the first and median fetch (`GET /api/supervisor/reports`),
  size of its JSON, and the CPU seconds per fetch that the server's processes (the reports' one included)
  spent beyond the same round's `none` phase;
- `figure=kiosk`, per mode: p50/p99 of the ticket issue over every round's requests, and each round's p99;
- `figure=p99_change`, per mode: the relative change of the pooled p99 against `none` (target: at most
  10 %), and the change in each round against that round's `none`.
Every loop is bounded in time and in requests. Loopback only; the load generator shares the cores.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import sqlite3
import statistics
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
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


class Reports:
    """The periods a supervisor asks for, each a 30- to 92-day range holding the whole seeded month: the
    first is the `kept` one, the others are each asked once (`computed`), across rounds. The fetches run in
    a forked process, which asks from this object's state at the fork; `skip` moves past what it asked."""

    def __init__(self, days: list[str]) -> None:
        first = date.fromisoformat(days[0])
        self.paths = [
            f"/api/supervisor/reports?from={first - timedelta(days=k)}&to={days[-1]}" for k in range(63)
        ]
        self.next = 1

    def computed(self) -> str:
        path = self.paths[self.next]
        self.next = self.next % (len(self.paths) - 1) + 1
        return path

    def skip(self, count: int) -> None:
        for _ in range(count):
            self.computed()

    def kept(self) -> str:
        return self.paths[0]


def report_loop(
    server: h.Server, next_path: Any, stop: Any, limit: int, times: list[float], sizes: list[int],
    pause: float,
) -> None:
    client = h.KeepAlive(server, timeout=120)
    status, data = client.request(
        "POST", "/api/auth/login", {"username": SUPERVISOR, "password": SUPERVISOR_PASSWORD}
    )
    assert status == 200, data
    for _ in range(limit):
        if stop.is_set():
            break
        began = time.perf_counter()
        status, data = client.request("GET", next_path())
        if status != 200:
            raise RuntimeError(f"report: HTTP {status}: {data}")
        times.append((time.perf_counter() - began) * 1000)
        sizes.append(len(json.dumps(data)))
        stop.wait(pause)
    client.close()


def supervisor_process(
    server: h.Server, next_path: Any, stop: Any, limit: int, pause: float, results: Any
) -> None:
    """The supervisor's fetches in a process of their own (forked): decoding a 20 KB report in a thread of
    the kiosks' process would hold their GIL and delay the timing of their answers, which is no effect of
    the server."""
    times: list[float] = []
    sizes: list[int] = []
    try:
        report_loop(server, next_path, stop, limit, times, sizes, pause)
    finally:
        results.put((times, sizes))


def end_waiting(path: str, day: str) -> int:
    """Cancel the tickets still waiting on `day`, so that every phase starts with the same (empty) line."""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        return conn.execute(
            "UPDATE tickets SET state = 'cancelled', finished_at = ? WHERE day = ? AND state = 'waiting'",
            [iso(datetime.now(UTC)), day],
        ).rowcount
    finally:
        conn.close()


@dataclass
class Phase:
    latencies: list[float] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    cpu_seconds: float = 0.0


def measure(
    server: h.Server, seconds: float, rate: float, next_path: Any, reports: int, pause: float = 0.0
) -> Phase:
    phase = Phase()
    forked = multiprocessing.get_context("fork")
    stop, results = forked.Event(), forked.Queue()
    threads = [
        threading.Thread(target=kiosk_loop, args=(server, phase.latencies, stop, KIOSKS / rate, i))
        for i in range(KIOSKS)
    ]
    supervisor = None
    if next_path is not None:  # forked before any kiosk thread starts
        supervisor = forked.Process(
            target=supervisor_process, args=(server, next_path, stop, reports, pause, results)
        )
    cpu = server.cpu_seconds()
    if supervisor is not None:
        supervisor.start()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=180)
    if supervisor is not None:
        phase.times, phase.sizes = results.get(timeout=180)
        supervisor.join(timeout=10)
    phase.cpu_seconds = server.cpu_seconds() - cpu
    return phase


def emit_figures(server: h.Server, phases: dict[str, list[Phase]], days: int) -> None:
    alone = [x for phase in phases["none"] for x in phase.latencies]
    for mode, rounds in phases.items():
        loaded = [x for phase in rounds for x in phase.latencies]
        if mode != "none":
            emit_report(server, mode, rounds, phases["none"], days)
        h.emit(bench="reports", figure="kiosk", with_report=mode, requests=len(loaded),
               p50_ms=round(h.percentile(loaded, 50), 2), p99_ms=round(h.percentile(loaded, 99), 2),
               p99_ms_per_round=[round(h.percentile(phase.latencies, 99), 2) for phase in rounds])
        if mode == "none":
            continue
        per_round = [change(base.latencies, phase.latencies) for base, phase in zip(phases["none"], rounds,
                                                                                    strict=True)]
        h.emit(bench="reports", figure="p99_change", with_report=mode, change=change(alone, loaded),
               per_round=per_round, median_of_rounds=round(statistics.median(per_round), 3), target=0.10)


def emit_report(server: h.Server, mode: str, rounds: list[Phase], alone: list[Phase], days: int) -> None:
    """The fetches' times, and the server's CPU (every process) beyond what the same round's `none` phase
    took, per fetch: the report's own CPU."""
    times = [t for phase in rounds for t in phase.times]
    firsts = [phase.times[0] for phase in rounds if phase.times]
    extra_cpu = sum(phase.cpu_seconds - base.cpu_seconds for phase, base in zip(rounds, alone, strict=True))
    h.emit(bench="reports", figure="report", mode=mode, days=days, fetches=len(times),
           first_ms=round(firsts[0], 1) if firsts else None,
           median_ms=round(statistics.median(times), 1) if times else None,
           json_kb=round(rounds[0].sizes[0] / 1024, 1) if rounds[0].sizes else None,
           cpu_s_per_fetch=round(extra_cpu / max(1, len(times)), 3), worker=h.worker_name(server))


def change(before: list[float], after: list[float]) -> float:
    old, new = h.percentile(before, 99), h.percentile(after, 99)
    return round((new - old) / old, 3) if old else 0.0


def main() -> int:
    parser = h.bench_parser(__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=45_000)
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds per phase")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the three phases")
    parser.add_argument("--rate", type=float, default=20.0, help="kiosk tickets per second, all kiosks")
    parser.add_argument("--reports", type=int, default=200, help="at most this many report fetches a phase")
    parser.add_argument("--kept-pause", type=float, default=0.5,
                        help="seconds between two fetches of the kept report (a supervisor's clicks)")
    args = parser.parse_args()
    server = h.server_for(args, "reports")
    try:
        server.provision()
        server.add_user(SUPERVISOR, SUPERVISOR_PASSWORD, "supervisor")
        config = site_config.load(env={})
        today = datetime.now(config.tz).date()
        days = month_before(today)
        h.emit(bench="reports", figure="seed", **seed_month(server.database, days, args.tickets))
        server.start()
        reports = Reports(days)
        modes = {"none": None, "computed": reports.computed, "kept": reports.kept}
        phases: dict[str, list[Phase]] = {mode: [] for mode in modes}
        for _ in range(args.rounds):
            for mode, next_path in modes.items():
                end_waiting(server.database, today.isoformat())
                time.sleep(2)  # the waiting-time forecast sees the empty line
                pause = args.kept_pause if mode == "kept" else 0.0
                phase = measure(server, args.seconds, args.rate, next_path, args.reports, pause)
                if mode == "computed":
                    reports.skip(len(phase.times))  # the fetches ran in a child: the periods it asked
                phases[mode].append(phase)
        emit_figures(server, phases, len(days))
    finally:
        h.cleanup(server, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
