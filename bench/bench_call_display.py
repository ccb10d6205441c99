"""Call next → waiting-room display: how long until every connected screen has the call, what the agent's
"next" request costs, and (4 agents calling at once) that no ticket is ever called twice.

Figures (JSON lines):
- `figure=call_to_display`: 50 python-socketio display clients; one agent calls next N=100 times (call, start,
  finish); per call and per display, the time from sending "next" to that display receiving ticket.called.
  Before each call every screen has caught up (calls on a real site are seconds apart). The 50 clients run in
  this process, on the same cores as the server: their own CPU (reported as clients_cpu_s) is included;
- `figure=next_request`: the agent's POST /api/counter/next, request → response (what the counter page waits
  for before it shows the ticket), same run, with the 50 screens connected;
- `figure=concurrent_agents`: 4 agents on counters 1-4 calling as fast as they can (bounded in time and
  calls); tickets called twice, from the responses and from the journal; and 5 screens that must each get
  every event of the run exactly once.
Every loop is bounded in time and in requests. Loopback only."""

from __future__ import annotations

import sqlite3
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _server as h  # noqa: E402

DISPLAYS = 50
CALLS = 100
AGENTS = 4  # counters 1-3 serve passport and cnie, counters 3-4 registration: they compete for tickets
CONCURRENT_TICKETS = 400
CONCURRENT_SECONDS = 15.0
MAX_CALLS_PER_AGENT = 200
EVENT_TIMEOUT = 5.0
CHECK_DISPLAYS = 5


def issue_many(server: h.Server, count: int, services: tuple[str, ...]) -> None:
    kiosk = h.KeepAlive(server, {"Authorization": f"Bearer {server.kiosk_token}"})
    for i in range(count):
        status, data = kiosk.request("POST", "/api/kiosk/tickets",
                                     {"service": services[i % len(services)], "request_id": uuid.uuid4().hex})
        if status != 201:
            raise RuntimeError(f"issue failed: {status} {data}")
    kiosk.close()


def called_arrivals(display: h.Display, number: str) -> list[float]:
    return [at for event, at in display.received()
            if event["type"] == "ticket.called" and event["number"] == number]


def wait_called(display: h.Display, number: str) -> float | None:
    """When `display` received the call of ticket `number` (time.monotonic), None if it did not. A display
    hears numbers, never ticket ids (core/realtime.py)."""
    if not display.wait_until(lambda: bool(called_arrivals(display, number)), EVENT_TIMEOUT):
        return None
    return called_arrivals(display, number)[0]


def settle(server: h.Server, displays: list[h.Display]) -> None:
    now = h.health_seq(server)
    for display in displays:
        display.wait_seq(now, EVENT_TIMEOUT)


def agent_client(server: h.Server, username: str, counter: int) -> h.KeepAlive:
    client = h.KeepAlive(server)
    login = {"username": username, "password": h.AGENT_PASSWORD}
    status, _ = client.request("POST", "/api/auth/login", login)
    assert status == 200, status
    status, data = client.request("POST", "/api/counter/open", {"counter": counter})
    assert status == 200, data
    return client


def serve_one(agent: h.KeepAlive, ticket_id: str) -> None:
    for action in ("start", "finish"):
        status, data = agent.request("POST", f"/api/counter/tickets/{ticket_id}/{action}")
        if status != 200:
            raise RuntimeError(f"{action} failed: {status} {data}")


def call_to_display(server: h.Server, displays: list[h.Display], worker: str) -> bool:
    issue_many(server, CALLS, ("passport",))
    agent = agent_client(server, h.AGENT, 1)
    next_ms: list[float] = []
    display_ms: list[float] = []
    missing = 0
    server_cpu, own_cpu = server.cpu_seconds(), h.cpu_seconds()
    for _ in range(CALLS):
        settle(server, displays)  # each call is measured on a quiet site, as calls are seconds apart
        sent = time.monotonic()
        status, data = agent.request("POST", "/api/counter/next")
        next_ms.append((time.monotonic() - sent) * 1000)
        assert status == 200 and data["ticket"], data
        ticket_id = data["ticket"]["id"]
        for display in displays:
            arrived = wait_called(display, data["ticket"]["number"])
            if arrived is None:
                missing += 1
            else:
                display_ms.append((arrived - sent) * 1000)
        serve_one(agent, ticket_id)
    cpu = {"server_cpu_s": round(server.cpu_seconds() - server_cpu, 2),
           "clients_cpu_s": round(h.cpu_seconds() - own_cpu, 2)}
    figures = {f"p{p}_ms": round(h.percentile(display_ms, p), 2) for p in (50, 90, 99)}
    h.emit(bench="call_display", figure="call_to_display", displays=len(displays), calls=CALLS, **figures,
           max_ms=round(max(display_ms, default=0.0), 2), samples=len(display_ms), missing=missing,
           worker=worker, **cpu)
    figures = {f"p{p}_ms": round(h.percentile(next_ms, p), 2) for p in (50, 90, 99)}
    h.emit(bench="call_display", figure="next_request", displays=len(displays), calls=CALLS, **figures,
           max_ms=round(max(next_ms), 2), worker=worker)
    agent.request("POST", "/api/counter/close")
    return missing == 0


def concurrent_agents(server: h.Server, displays: list[h.Display], worker: str) -> bool:
    issue_many(server, CONCURRENT_TICKETS, ("passport", "registration"))
    before = h.health_seq(server)
    calls: dict[int, list[str]] = {n: [] for n in range(1, AGENTS + 1)}
    latencies: list[float] = []
    errors: list[str] = []
    deadline = time.monotonic() + CONCURRENT_SECONDS
    lock = threading.Lock()

    def agent_loop(counter: int) -> None:
        agent = agent_client(server, h.AGENT if counter == 1 else f"agent{counter}", counter)
        for _ in range(MAX_CALLS_PER_AGENT):
            if time.monotonic() >= deadline:
                return
            sent = time.monotonic()
            status, data = agent.request("POST", "/api/counter/next")
            with lock:
                latencies.append((time.monotonic() - sent) * 1000)
            if status != 200:
                errors.append(f"{status} {data.get('error') if isinstance(data, dict) else data}")
                return
            if data["ticket"] is None:
                return  # nobody left for this counter
            calls[counter].append(data["ticket"]["id"])
            serve_one(agent, data["ticket"]["id"])

    threads = [threading.Thread(target=agent_loop, args=(n,), daemon=True) for n in calls]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(CONCURRENT_SECONDS + 30)
    elapsed = time.monotonic() - began
    answered = [ticket for ids in calls.values() for ticket in ids]
    journal_twice = journal_double_calls(server.database)
    delivery = display_delivery(server, displays, before)
    figures = {f"p{p}_ms": round(h.percentile(latencies, p), 2) for p in (50, 99)}
    h.emit(bench="call_display", figure="concurrent_agents", agents=AGENTS, calls=len(answered),
           calls_per_s=round(len(answered) / elapsed, 1), next_p50_ms=figures["p50_ms"],
           next_p99_ms=figures["p99_ms"], called_twice_responses=len(answered) - len(set(answered)),
           called_twice_journal=journal_twice, errors=len(errors), first_errors=errors[:3], worker=worker,
           **delivery)
    return not (len(answered) - len(set(answered)) or journal_twice or errors or any(delivery.values()))


def journal_double_calls(database: str) -> int:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        row = db.execute("""SELECT COUNT(*) FROM (SELECT ticket_id FROM journal WHERE type = 'ticket.called'
                            GROUP BY ticket_id HAVING COUNT(*) > 1)""").fetchone()
    return int(row[0])


def display_delivery(server: h.Server, displays: list[h.Display], after: int) -> dict[str, Any]:
    """Every display has every event after `after` exactly once (no call lost, none announced twice)."""
    now = h.health_seq(server)
    late = sum(not display.wait_seq(now, EVENT_TIMEOUT) for display in displays)
    lost = duplicated = 0
    for display in displays:
        seqs = Counter(int(e["seq"]) for e, _ in display.received() if int(e["seq"]) > after)
        lost += sum(1 for seq in range(after + 1, now + 1) if seq not in seqs)
        duplicated += sum(n - 1 for n in seqs.values())
    return {"displays_late": late, "display_events_lost": lost, "display_events_duplicated": duplicated}


def main() -> int:
    parser = h.bench_parser(__doc__.splitlines()[0])
    args = parser.parse_args()
    server = h.server_for(args, "call")
    displays: list[h.Display] = []
    try:
        server.provision()
        for n in range(2, AGENTS + 1):
            server.add_user(f"agent{n}", h.AGENT_PASSWORD)
        server.start()
        worker = h.worker_name(server)
        displays = [h.Display(server).connect(h.health_seq(server)) for _ in range(DISPLAYS)]
        ok = call_to_display(server, displays, worker)
        close_all(displays)
        # A few screens only: 50 python-socketio clients in this process cannot keep up with agents calling
        # flat out on the same cores (~0.6 ms of client CPU per message); they fall behind, answer pings too
        # late and get disconnected, and the figure would measure the load generator.
        displays = [h.Display(server).connect(h.health_seq(server)) for _ in range(CHECK_DISPLAYS)]
        ok = concurrent_agents(server, displays, worker) and ok
        return 0 if ok else 1
    finally:
        close_all(displays)
        h.cleanup(server, args)


def close_all(displays: list[h.Display]) -> None:
    for display in displays:
        display.close()


if __name__ == "__main__":
    sys.exit(main())
