"""This machine's own limits, measured in the same `make bench` run as the figures, and every figure's ratios
to them, so that figures from two machines can be compared (docs/serving.md, "Comparing machines").

Two limits, each measured in a few seconds, bounded in count and time:
- durable SQLite commits: on a fresh database with the site's schema (core/migrations.py) and the site's
  pragmas (core/store.py: WAL, `synchronous=FULL`, so each commit is fsynced), in the temporary folder the
  benches' servers use; each transaction inserts a ticket row and a journal row, as issuing a ticket does.
  Commits per second and CPU milliseconds per commit (this process: Python's side, SQLite, the fsync's
  kernel work);
- a loopback websocket round trip: a text message echoed by a websocket server in another process, both
  ends simple-websocket (the library the server's Socket.IO uses) on 127.0.0.1. Median milliseconds.

bench/bench_00_limits.py measures them first in `make bench` (which runs bench/bench_*.py in name order),
prints them as one JSON line and keeps them in a file of the temporary folder; the other scripts read that
file (at most `MAX_AGE_SECONDS` old) or, run alone, measure and print their own. `emit` prints a figure as
a JSON line with a `ratios` object: CPU milliseconds (keys with `cpu` ending in `_ms` or holding `_ms_`)
over the CPU of a commit, throughputs (`*_per_s`) over commits per second, other milliseconds (latencies)
over the websocket round trip.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
CACHE = Path(tempfile.gettempdir()) / f"dour-bench-limits-{os.getuid()}.json"
MAX_AGE_SECONDS = 2 * 3600.0  # a whole `make bench` run
COMMITS, COMMIT_SECONDS = 1000, 3.0
ROUND_TRIPS, ROUND_TRIP_SECONDS = 1000, 3.0
LIMIT_KEYS = ("sqlite_commits_per_s", "sqlite_commit_cpu_ms", "ws_rtt_ms")


# --- durable SQLite commits ------------------------------------------------------------------------------
def sqlite_commits(commits: int = COMMITS, seconds: float = COMMIT_SECONDS) -> dict[str, float]:
    """Transactions of one ticket row and one journal row, each committed durably, as the site commits."""
    from core import store, tickets

    folder = tempfile.mkdtemp(prefix="dour-limits-")
    db = store.connect(str(Path(folder) / "limits.db"))
    store.migrate(db)
    conn = db.conn
    done, cpu, began = 0, time.process_time(), time.perf_counter()
    while done < commits and time.perf_counter() - began < seconds:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(tickets.INSERT, ticket_row(done))
        conn.execute("INSERT INTO journal (at, type, ticket_id, actor, data) VALUES (?, ?, ?, ?, ?)",
                     ["2026-01-05T09:00:00Z", "ticket.issued", f"limits-{done}", "device:1",
                      '{"number": "A-001", "service": "passport"}'])
        conn.execute("COMMIT")
        done += 1
    wall, cpu = time.perf_counter() - began, time.process_time() - cpu
    conn.close()
    shutil.rmtree(folder, ignore_errors=True)
    return {"sqlite_commits_per_s": round(done / wall, 1),
            "sqlite_commit_cpu_ms": round(cpu * 1000 / done, 4), "sqlite_commits": done}


def ticket_row(n: int) -> list[Any]:
    from core import tickets

    values: dict[str, Any] = dict.fromkeys(tickets.COLUMNS)
    values.update(id=f"limits-{n}", day="2026-01-05", prefix="A", seq_no=n + 1, number=f"A-{n + 1:03d}",
                  service="passport", kind="walk_in", priority=0, state="waiting", lang="fr",
                  arrived_at="2026-01-05T09:00:00Z", recalls=0, transfers=0, issued_by="device:1")
    return [values[name] for name in tickets.COLUMNS]


# --- loopback websocket round trip -----------------------------------------------------------------------
def serve_echo() -> None:
    """The echo end, in its own process: accept one websocket on 127.0.0.1 and send back what it gets."""
    import simple_websocket

    listener = socket.create_server((HOST, 0))
    print(listener.getsockname()[1], flush=True)
    conn, _ = listener.accept()
    request = b""
    while b"\r\n\r\n" not in request:
        request += conn.recv(4096)
    lines = request.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")[1:]
    environ: dict[str, Any] = {"HTTP_" + name.strip().upper().replace("-", "_"): value.strip()
                               for name, _, value in (line.partition(":") for line in lines)}
    environ["werkzeug.socket"] = conn
    ws = simple_websocket.Server(environ)
    try:
        while True:
            ws.send(ws.receive())
    except simple_websocket.ConnectionClosed:
        pass


def ws_round_trip(trips: int = ROUND_TRIPS, seconds: float = ROUND_TRIP_SECONDS) -> dict[str, float]:
    import simple_websocket

    echo = subprocess.Popen([sys.executable, __file__, "--echo"], stdout=subprocess.PIPE, text=True)
    try:
        assert echo.stdout is not None
        port = int(echo.stdout.readline())
        client = simple_websocket.Client.connect(f"ws://{HOST}:{port}/")
        times: list[float] = []
        began = time.perf_counter()
        while len(times) < trips and time.perf_counter() - began < seconds:
            sent = time.perf_counter()
            client.send("ticket.called A-042 5")
            client.receive(timeout=5)
            times.append((time.perf_counter() - sent) * 1000)
        client.close()
        warm = times[len(times) // 10:]  # the first round trips warm both ends up
        return {"ws_rtt_ms": round(statistics.median(warm), 4),
                "ws_rtt_p90_ms": round(sorted(warm)[int(len(warm) * 0.9)], 4), "ws_round_trips": len(times)}
    finally:
        echo.kill()
        echo.wait()


# --- measure once per run, read by every script --------------------------------------------------------
def measure() -> dict[str, Any]:
    """Both limits now, with the CPU count and the load average (a machine shared with other jobs shows)."""
    figures: dict[str, Any] = {"bench": "limits", "cpus": os.cpu_count(),
                               "load_1m": round(os.getloadavg()[0], 2)}
    figures.update(sqlite_commits())
    figures.update(ws_round_trip())
    figures["measured_at"] = time.time()
    return figures


def save(limits: dict[str, Any]) -> None:
    partial = CACHE.with_suffix(".tmp")
    partial.write_text(json.dumps(limits))
    partial.replace(CACHE)


def cached(max_age: float = MAX_AGE_SECONDS) -> dict[str, Any] | None:
    try:
        limits = json.loads(CACHE.read_text())
    except (OSError, ValueError):
        return None
    fresh = isinstance(limits, dict) and time.time() - float(limits.get("measured_at", 0)) <= max_age
    return limits if fresh and all(key in limits for key in LIMIT_KEYS) else None


_current: dict[str, Any] | None = None


def current() -> dict[str, Any]:
    """This run's limits: read from bench_00_limits.py's file, else measured (and printed) now."""
    global _current
    if _current is None:
        _current = cached() or measure_and_keep()
    return _current


def measure_and_keep() -> dict[str, Any]:
    """Measure, print the limits as a JSON line, keep them for the run's other scripts."""
    limits = measure()
    save(limits)
    print_line(limits)
    return limits


# --- figures and their ratios ----------------------------------------------------------------------------
def ratios(figures: dict[str, Any], limits: dict[str, Any]) -> dict[str, float]:
    """Each figure over the limit it compares to (see the module's docstring); none for counts and labels."""
    found: dict[str, float] = {}
    for key, value in figures.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        limit = limit_for(key)
        if limit is not None and limits.get(limit):
            found[f"{key}/{limit}"] = round(value / float(limits[limit]), 3)
    return found


def limit_for(key: str) -> str | None:
    if "cpu" in key and (key.endswith("_ms") or "_ms_" in key):
        return "sqlite_commit_cpu_ms"
    if key.endswith("_per_s"):
        return "sqlite_commits_per_s"
    if key.endswith("_ms"):
        return "ws_rtt_ms"
    return None


def emit(**figures: Any) -> None:
    """One benchmark figure as one JSON line on stdout, with its ratios to this machine's limits."""
    found = ratios(figures, current())
    print_line({**figures, "ratios": found} if found else figures)


def print_line(figures: dict[str, Any]) -> None:
    print(json.dumps(figures, ensure_ascii=False), flush=True)


if __name__ == "__main__" and sys.argv[1:] == ["--echo"]:  # the echo end of ws_round_trip
    serve_echo()
