"""Server CPU per issued ticket and per "call next" with 50 displays: what one site's load costs the box.

The server's CPU is read from /proc/<pid>/stat (utime + stime of gunicorn's master and its worker, which
counts every thread of the worker: the gevent loop, the forecast's thread pool); the load generator's own CPU
is reported apart (it shares the cores). Figures (JSON lines), each phase on a fresh server and database:
- `figure=idle`: the server's CPU per second with nothing happening (health polls, the journal follower,
  the revocation watcher): the floor under every figure below, which are not corrected for it;
- `figure=issue`: POST /api/kiosk/tickets, `mode=paced` (20 kiosks offering `--rate` tickets/s, below
  saturation) and `mode=saturate` (20 kiosks back to back): server CPU per ticket, of it the worker's
  threads other than the gevent loop (`background_cpu_ms_per_ticket`: the forecast's replays) and the loop
  itself (`request_path_cpu_ms_per_ticket`), tickets/s, latency; every ticket stays waiting, so the line
  grows to thousands. The forecast rests 20 times as long as its last refresh took (at most 5 % of the
  server's time, core/forecasts.py), but a refresh of thousands waiting takes seconds, so whether one falls
  in a phase of 8 s moves the figure by up to half a millisecond a ticket; a third phase, `forecasts=false`
  (saturate with no refresh during the phase), gives the request path alone. Each line says how many
  refreshes ran in the phase and how long they took (`forecast_refreshes`, `forecast_busy_s`, from the
  server's `/metrics`);
- `figure=call`: `--displays` python-socketio display clients (websocket); an agent calls next `--calls`
  times, each call measured from sending "next" until every display has ticket.called (per-call CPU from
  /proc/<pid>/task/*/schedstat, in nanoseconds: a 10 ms tick is too coarse for one call), then starts and
  finishes the ticket (each event reaches the 50 displays too); `server_cpu_ms_per_cycle` is the whole
  call + start + finish, from /proc/<pid>/stat over the phase.
Every loop is bounded in time and in requests. Loopback only. Each figure carries the load average
(`load_1m`: a machine shared with other jobs shows) and its ratios to this machine's limits
(bench/_limits.py). docs/serving.md, "Cost per ticket", has the figures and what they led to."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _server as h  # noqa: E402
import bench_call_display as calls  # noqa: E402
import bench_issue as issue  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
NO_REFRESH_SECONDS = 10**6  # policy.forecast_interval_seconds for a phase without the forecast's refreshes
IDLE_SECONDS = 3.0


def stat_cpu(pids: list[int]) -> float:
    """utime + stime of `pids` in seconds (/proc/<pid>/stat fields 14 and 15: all of a process's threads)."""
    return sum(ticks(f"/proc/{pid}/stat") for pid in pids) / CLOCK_TICKS


def background_cpu(pid: int) -> float:
    """CPU of the process `pid` outside its main thread, in seconds: under gevent, the thread pool (the
    waiting-time forecast's replays, core/forecasts.py). The process's own figure counts the threads that
    ended too (a pool thread that ran a refresh and went idle long enough to end), which a sum over the
    threads alive at the end would miss."""
    return (ticks(f"/proc/{pid}/stat") - ticks(f"/proc/{pid}/task/{pid}/stat")) / CLOCK_TICKS


def ticks(path: str) -> int:
    with open(path) as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # fields 14 and 15 counted from 1, after pid and (comm)


def run_ns(pids: list[int]) -> int:
    """Time on a CPU of every thread of `pids`, in nanoseconds (/proc/<pid>/task/<tid>/schedstat)."""
    total = 0
    for pid in pids:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{task}/schedstat") as schedstat:
                    total += int(schedstat.read().split()[0])
            except (FileNotFoundError, ProcessLookupError):
                pass  # a thread that ended between listing and reading
    return total


def forecast_figures(server: h.Server) -> tuple[float, float]:
    """The server's forecast refreshes so far and the seconds they took (`/metrics`, from the loopback)."""
    text = requests.get(f"{server.url}/metrics", timeout=10).text
    found = {sample.name: sample.value for family in text_string_to_metric_families(text)
             if family.name.startswith("dour_forecast_") for sample in family.samples}
    return found.get("dour_forecast_refreshes_total", 0.0), found.get("dour_forecast_busy_seconds_total", 0.0)


def first_refresh(server: h.Server, timeout: float = 10.0) -> None:
    """Wait for the refresher's first forecast (on the empty queue, half a second after the start)."""
    deadline = time.monotonic() + timeout
    while forecast_figures(server)[0] < 1:
        if time.monotonic() > deadline:
            raise RuntimeError("no forecast refresh within the timeout")
        time.sleep(0.1)


def server_pids(server: h.Server) -> list[int]:
    return [int(process.pid) for process in server.processes()]


def idle(args: argparse.Namespace) -> bool:
    server = h.server_for(args, "cpu-idle")
    try:
        server.provision().start()
        time.sleep(1.0)  # the first health reports
        pids = server_pids(server)
        before, began = stat_cpu(pids), time.monotonic()
        time.sleep(IDLE_SECONDS)
        elapsed = time.monotonic() - began
        h.emit(bench="cpu", figure="idle", seconds=round(elapsed, 1),
               server_cpu_ms_per_s=round((stat_cpu(pids) - before) * 1000 / elapsed, 2),
               worker=h.worker_name(server))
        return True
    finally:
        h.cleanup(server, args)


def issue_phase(args: argparse.Namespace, mode: str, rate: float | None, forecasts: bool = True) -> bool:
    server = h.server_for(args, "cpu-issue")
    if not forecasts:  # one refresh at the start (waited for), none during the phase
        server.env["DOUR_POLICY_FORECAST_INTERVAL_SECONDS"] = str(NO_REFRESH_SECONDS)
    try:
        server.provision().start()
        pids = server_pids(server)
        if not forecasts:
            first_refresh(server)
        refreshes, busy = forecast_figures(server)
        before, own, background = stat_cpu(pids), h.cpu_seconds(), background_cpu(pids[-1])
        run, elapsed = issue.phase(server, issue.CLIENTS, args.seconds, rate)
        time.sleep(1.0)  # what the tickets set off after their answers (the forecast's refresh) counts too
        spent, background = stat_cpu(pids) - before, background_cpu(pids[-1]) - background
        after, busy_after = forecast_figures(server)
        tickets = max(1, len(run.latencies_ms))
        verdict = issue.check_database(server.database, len(run.latencies_ms))
        h.emit(bench="cpu", figure="issue", mode=mode, forecasts=forecasts, kiosks=issue.CLIENTS,
               offered_per_s=rate, tickets=len(run.latencies_ms),
               tickets_per_s=round(len(run.latencies_ms) / elapsed, 1),
               server_cpu_ms_per_ticket=round(spent * 1000 / tickets, 3),
               background_cpu_ms_per_ticket=round(background * 1000 / tickets, 3),
               request_path_cpu_ms_per_ticket=round((spent - background) * 1000 / tickets, 3),
               forecast_refreshes=int(after - refreshes), forecast_busy_s=round(busy_after - busy, 2),
               **{f"p{p}_ms": round(h.percentile(run.latencies_ms, p), 2) for p in (50, 99)},
               clients_cpu_s=round(h.cpu_seconds() - own, 2), errors=len(run.errors),
               duplicate_numbers=verdict["duplicate_numbers"], lost_or_extra=verdict["lost_or_extra"],
               load_1m=round(os.getloadavg()[0], 2), worker=h.worker_name(server))
        return not (run.errors or verdict["duplicate_numbers"] or verdict["lost_or_extra"])
    finally:
        h.cleanup(server, args)


def one_call(server: h.Server, agent: h.KeepAlive, displays: list[h.Display],
             pids: list[int]) -> tuple[float, list[float | None]]:
    """Call next once; the server's CPU from "next" sent until every display has the call (ms), and when
    each display got it (ms after sending, None if it did not)."""
    calls.settle(server, displays)
    began = run_ns(pids)
    sent = time.monotonic()
    status, data = agent.request("POST", "/api/counter/next")
    assert status == 200 and data["ticket"], data
    arrivals = [calls.wait_called(display, data["ticket"]["number"]) for display in displays]
    spent_ms = (run_ns(pids) - began) / 1e6
    calls.serve_one(agent, data["ticket"]["id"])
    return spent_ms, [None if at is None else (at - sent) * 1000 for at in arrivals]


def call_phase(args: argparse.Namespace) -> bool:
    server = h.server_for(args, "cpu-call")
    displays: list[h.Display] = []
    try:
        server.provision().start()
        pids = server_pids(server)
        calls.issue_many(server, args.calls, ("passport",))
        displays = [h.Display(server).connect(h.health_seq(server)) for _ in range(args.displays)]
        agent = calls.agent_client(server, h.AGENT, 1)
        per_call: list[float] = []
        latencies: list[float | None] = []
        before, own, began = stat_cpu(pids), h.cpu_seconds(), time.monotonic()
        for _ in range(args.calls):
            spent_ms, arrivals = one_call(server, agent, displays, pids)
            per_call.append(spent_ms)
            latencies.extend(arrivals)
        cycle_ms = (stat_cpu(pids) - before) * 1000 / args.calls
        received = [at for at in latencies if at is not None]
        h.emit(bench="cpu", figure="call", displays=len(displays), calls=args.calls,
               server_cpu_ms_per_call=round(statistics.mean(per_call), 3),
               server_cpu_ms_per_call_median=round(statistics.median(per_call), 3),
               server_cpu_ms_per_cycle=round(cycle_ms, 3),
               **{f"call_display_p{p}_ms": round(h.percentile(received, p), 2) for p in (50, 99)},
               missing=len(latencies) - len(received), seconds=round(time.monotonic() - began, 1),
               clients_cpu_s=round(h.cpu_seconds() - own, 2), load_1m=round(os.getloadavg()[0], 2),
               worker=h.worker_name(server))
        agent.close()
        return len(received) == len(latencies)
    finally:
        for display in displays:
            display.close()
        h.cleanup(server, args)


def main() -> int:
    parser = h.bench_parser(__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="duration of each issue phase")
    parser.add_argument("--rate", type=float, default=100.0, help="offered tickets/s in the paced phase")
    parser.add_argument("--displays", type=int, default=50, help="display clients during the calls")
    parser.add_argument("--calls", type=int, default=60, help="calls measured")
    parser.add_argument("--only", choices=("idle", "issue", "call"), help="run one figure only")
    args = parser.parse_args()
    ok = True
    if args.only in (None, "idle"):
        ok = idle(args) and ok
    if args.only in (None, "issue"):
        ok = issue_phase(args, "paced", args.rate) and ok
        ok = issue_phase(args, "saturate", None) and ok
        ok = issue_phase(args, "saturate", None, forecasts=False) and ok
    if args.only in (None, "call"):
        ok = call_phase(args) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
