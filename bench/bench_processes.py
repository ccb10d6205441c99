"""One, two and four server processes: ticket issue throughput and call → display latency.

Each layout runs on a fresh database (the queue starts empty, as a day does):
- `processes=1 queue=none`: the embedded default, one `dour serve`, no Redis;
- `processes=N queue=redis` (N = 1, 2, 4): N `dour serve` (one gevent worker each) on N ports, one database,
  one redis-server (`server.message_queue`); the load generator spreads its clients over the ports the way
  nginx's `hash $remote_addr` spreads PCs (docs/serving.md).

Figures (JSON lines):
- `figure=issue`: 20 kiosks (5 per process at 4) issuing back to back for `--seconds`: tickets/s, latency,
  and a database check (duplicate numbers, rows versus answered);
- `figure=call_to_display`: `--displays` python-socketio display clients (websocket) spread over the
  processes; an agent on the *last* process calls next `--calls` times (call, start, finish, one call at a
  time, every screen caught up before the next); per call and per display, from sending "next" to that
  display receiving ticket.called; events missed or received twice.
Server and client CPU seconds are reported: all of it shares this machine's cores. Every loop is bounded in
time and in requests. Loopback only."""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _server as h  # noqa: E402
import bench_call_display as calls  # noqa: E402
import bench_issue as issue  # noqa: E402

KIOSKS = 20
LAYOUTS = ((1, False), (1, True), (2, True), (4, True))  # (processes, with Redis)


def start_site(workdir: Path, processes: int, queue: str, worker: str | None) -> list[h.Server]:
    env = {"DOUR_SERVER_MESSAGE_QUEUE": queue} if queue else {}
    if worker:
        env["DOUR_SERVER_WORKER"] = worker
    servers = [h.Server(workdir, env=env) for _ in range(processes)]
    servers[0].provision()
    for server in servers:
        server.tokens = servers[0].tokens
        server.start()
    time.sleep(1.0)  # the devices' first health reports and the publisher lease settle
    return servers


def cpu(servers: list[h.Server]) -> float:
    return sum(server.cpu_seconds() for server in servers)


def issue_phase(servers: list[h.Server], seconds: float, labels: dict[str, Any]) -> bool:
    start = time.monotonic()
    run = issue.Run(deadline=start + seconds, budget=issue.MAX_REQUESTS)
    before, own = cpu(servers), h.cpu_seconds()
    threads = [threading.Thread(target=issue.kiosk, args=(servers[i % len(servers)], run, i, None, start),
                                daemon=True) for i in range(KIOSKS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 30)
    elapsed = time.monotonic() - start
    lat = run.latencies_ms
    verdict = issue.check_database(servers[0].database, len(lat))
    h.emit(bench="processes", figure="issue", **labels, kiosks=KIOSKS, tickets=len(lat),
           tickets_per_s=round(len(lat) / elapsed, 1),
           **{f"p{p}_ms": round(h.percentile(lat, p), 2) for p in (50, 99)},
           server_cpu_ms_per_ticket=round((cpu(servers) - before) * 1000 / max(1, len(lat)), 2),
           clients_cpu_s=round(h.cpu_seconds() - own, 2), errors=len(run.errors),
           duplicate_numbers=verdict["duplicate_numbers"], lost_or_extra=verdict["lost_or_extra"])
    return not (run.errors or verdict["duplicate_numbers"] or verdict["lost_or_extra"])


def call_phase(servers: list[h.Server], displays: list[h.Display], count: int,
               labels: dict[str, Any]) -> bool:
    calls.issue_many(servers[0], count, ("passport",))
    agent = calls.agent_client(servers[-1], h.AGENT, 1)
    start_seq = h.health_seq(servers[0])
    latencies: list[float] = []
    missing = 0
    before, own = cpu(servers), h.cpu_seconds()
    for _ in range(count):
        calls.settle(servers[0], displays)
        sent = time.monotonic()
        status, data = agent.request("POST", "/api/counter/next")
        assert status == 200 and data["ticket"], data
        for display in displays:
            arrived = calls.wait_called(display, data["ticket"]["number"])
            if arrived is None:
                missing += 1
            else:
                latencies.append((arrived - sent) * 1000)
        calls.serve_one(agent, data["ticket"]["id"])
    calls.settle(servers[0], displays)
    twice = sum(n - 1 for display in displays for n in
                Counter(e["seq"] for e in display.events if e["seq"] > start_seq).values() if n > 1)
    h.emit(bench="processes", figure="call_to_display", **labels, displays=len(displays), calls=count,
           **{f"p{p}_ms": round(h.percentile(latencies, p), 2) for p in (50, 90, 99)},
           max_ms=round(max(latencies, default=0.0), 2), missing=missing, received_twice=twice,
           server_cpu_s=round(cpu(servers) - before, 2), clients_cpu_s=round(h.cpu_seconds() - own, 2))
    agent.close()
    return missing == 0 and twice == 0


def layout(args: Any, processes: int, with_redis: bool) -> bool:
    workdir = Path(tempfile.mkdtemp(prefix=f"dour-processes-{processes}-"))
    redis = h.RedisServer() if with_redis else None
    labels = {"processes": processes, "queue": "redis" if redis else "none", "cpus": os.cpu_count()}
    servers: list[h.Server] = []
    displays: list[h.Display] = []
    try:
        servers = start_site(workdir, processes, redis.url if redis else "", args.worker)
        ok = issue_phase(servers, args.seconds, labels)
        displays = [h.Display(servers[i % processes]).connect(h.health_seq(servers[0]))
                    for i in range(args.displays)]
        return call_phase(servers, displays, args.calls, labels) and ok
    finally:
        for display in displays:
            display.close()
        for server in servers:
            server.stop()
        if redis:
            redis.stop()
        if not args.keep:
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)


def main() -> int:
    parser = h.bench_parser(__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="duration of each issue phase")
    parser.add_argument("--displays", type=int, default=20, help="display clients, spread over the processes")
    parser.add_argument("--calls", type=int, default=50, help="calls measured per layout")
    args = parser.parse_args()
    ok = True
    for processes, with_redis in LAYOUTS:
        ok = layout(args, processes, with_redis) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
