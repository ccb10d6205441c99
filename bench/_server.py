"""Run the real Dour server as a subprocess on 127.0.0.1: enrol devices and an agent first, start, kill -9,
restart on the same database. Shared by tests/system/conftest.py and the bench scripts.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

HOST = "127.0.0.1"
AGENT = "agent1"
AGENT_PASSWORD = "correct-horse-battery"
START_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0
CLI = [sys.executable, "-m", "core.cli"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def server_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of every CLI call: no printer, no site configuration file from the caller."""
    # Nor the caller's escpos cache folder (set in-process by `dour` commands some tests run): each server
    # keeps its own beside its database.
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("DOUR_") and key != "ESCPOS_CAPABILITIES_PICKLE_DIR"}
    env["DOUR_DEVICES_PRINTER"] = ""
    env.update(extra or {})
    return env


@dataclass
class Server:
    """One site server on a temporary database. `start()` returns once GET /api/health answers 200."""

    workdir: Path
    port: int = field(default_factory=free_port)
    env: dict[str, str] = field(default_factory=dict)  # extra DOUR_* settings, e.g. DOUR_SERVER_WORKER
    tokens: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    started_in: float = 0.0

    @property
    def database(self) -> str:
        return str(self.workdir / "dour.db")

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "server.log"

    # --- provisioning through the CLI --------------------------------------------------------------------
    def cli(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run([*CLI, "--database", self.database, *args], input=stdin, capture_output=True,
                              text=True, env=server_env(self.env), cwd=self.workdir, timeout=60, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"dour {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
        return done.stdout

    def add_device(self, name: str, kind: str) -> str:
        lines = self.cli("device", "add", name, "--kind", kind).splitlines()
        marker = next(i for i, line in enumerate(lines) if line.rstrip().endswith("token shown once:"))
        token = lines[marker + 1].strip()
        self.tokens[name] = token
        return token

    def add_user(self, username: str, password: str, role: str = "agent") -> None:
        self.cli("user", "add", username, "--role", role, "--password-stdin", stdin=password + "\n")

    def provision(self) -> Server:
        """A kiosk, a display and agent1: what every system test and bench needs."""
        self.add_device("kiosk1", "kiosk")
        self.add_device("display1", "display")
        self.add_user(AGENT, AGENT_PASSWORD)
        return self

    @property
    def kiosk_token(self) -> str:
        return self.tokens["kiosk1"]

    @property
    def display_token(self) -> str:
        return self.tokens["display1"]

    # --- process lifecycle -------------------------------------------------------------------------------
    def start(self, timeout: float = START_TIMEOUT) -> float:
        """Start the server; return the seconds from spawn to the first 200 on /api/health."""
        if self.process is not None and self.process.poll() is None:
            raise RuntimeError("server already running")
        command = [*CLI, "--database", self.database, "serve", "--host", HOST, "--port", str(self.port)]
        log = self.log_path.open("ab")
        began = time.monotonic()
        # Own session: SIGKILL goes to gunicorn's master and its worker together (a real power cut).
        self.process = subprocess.Popen(command, env=server_env(self.env), cwd=self.workdir, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self._wait_healthy(began, timeout)
        self.started_in = time.monotonic() - began
        return self.started_in

    def _wait_healthy(self, began: float, timeout: float) -> None:
        assert self.process is not None
        while time.monotonic() - began < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if requests.get(f"{self.url}/api/health", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.01)
        self.stop()
        raise RuntimeError(f"server not healthy after {timeout} s:\n{self.log_tail()}")

    def kill(self) -> None:
        """kill -9 the whole server (master and worker), as a crash or power cut would."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=STOP_TIMEOUT)
        self.process = None

    def stop(self) -> None:
        """Graceful stop (SIGTERM to gunicorn's master), SIGKILL if it does not exit in time."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
        self.kill()

    def restart(self, timeout: float = START_TIMEOUT) -> float:
        self.kill()
        return self.start(timeout)

    def processes(self) -> list[Any]:
        """psutil processes of the running server: gunicorn's master and its worker."""
        import psutil

        assert self.process is not None
        master = psutil.Process(self.process.pid)
        return [master, *master.children(recursive=True)]

    def cpu_seconds(self) -> float:
        return sum(cpu_seconds(process) for process in self.processes())

    def rss_mb(self) -> float:
        return sum(process.memory_info().rss for process in self.processes()) / 2**20

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


class RedisServer:
    """Debian's redis-server as a child process on a free loopback port, no persistence, not a daemon: the
    message queue of several server processes (`server.message_queue`, docs/serving.md)."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not Path(binary).exists():
            raise RuntimeError("redis-server is missing: `make apt` installs it (APT_PACKAGES)")
        self.port = free_port()
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", HOST, "--save", "", "--appendonly", "no",
             "--daemonize", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        while not self._answers():
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"redis-server does not answer on port {self.port}")
            time.sleep(0.02)

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def _answers(self) -> bool:
        try:
            with socket.create_connection((HOST, self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT)


def cpu_seconds(process: Any = None) -> float:
    """User + system CPU seconds of a psutil process (default: this one)."""
    import psutil

    times = (process or psutil.Process()).cpu_times()
    return float(times.user + times.system)


def agent_session(server: Server, counter: int = 1, username: str = AGENT,
                  password: str = AGENT_PASSWORD) -> requests.Session:
    """A logged-in agent with `counter` open. Like a browser, it says which origin its requests come from
    (the server refuses a cookie's state change that does not)."""
    http = requests.Session()
    http.headers["Origin"] = server.url
    answer = http.post(f"{server.url}/api/auth/login", json={"username": username, "password": password},
                       timeout=10)
    answer.raise_for_status()
    http.post(f"{server.url}/api/counter/open", json={"counter": counter}, timeout=10).raise_for_status()
    return http


def open_counter_page(page: Any, server: Server, counter: int = 1) -> Any:
    """A Playwright page logged in as the agent, with `counter` open and its waiting list shown."""
    page.goto(f"{server.url}/login")
    page.get_by_test_id("username").fill(AGENT)
    page.get_by_test_id("password").fill(AGENT_PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id(f"counter-option-{counter}").click()
    page.get_by_test_id("waiting-item").first.wait_for()
    return page


def open_display_page(page: Any, server: Server) -> Any:
    """A Playwright page enrolled as the display, once its live connection has applied a seq."""
    page.goto(f"{server.url}/enrol?token={server.display_token}&next=/display")
    page.wait_for_function("() => document.body.dataset.lastSeq !== undefined")
    return page


def kiosk_session(server: Server) -> requests.Session:
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {server.kiosk_token}"
    return http


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (share in 0..100); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(share / 100 * len(ordered))))
    return ordered[rank - 1]


class Display:
    """A waiting-room screen: a real python-socketio client on /display that records what it receives."""

    def __init__(self, server: Server, token: str | None = None) -> None:
        import socketio  # the test extra; imported here so `_server` also loads without it

        self.server = server
        self.token = token or server.display_token
        self.events: list[dict[str, Any]] = []
        self.arrivals: list[float] = []  # time.monotonic() at which each event arrived
        self.snapshots: list[dict[str, Any]] = []
        self.synced: list[int] = []  # the seq of each `synced` (end of a catch-up)
        self._cond = threading.Condition()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("event", self._on_event, namespace="/display")
        self.sio.on("snapshot", self._on_snapshot, namespace="/display")
        self.sio.on("synced", self._on_synced, namespace="/display")

    def _on_event(self, payload: dict[str, Any]) -> None:
        arrived = time.monotonic()
        with self._cond:
            self.events.append(payload)
            self.arrivals.append(arrived)
            self._cond.notify_all()

    def _on_synced(self, payload: dict[str, Any]) -> None:
        with self._cond:
            self.synced.append(int(payload["seq"]))
            self._cond.notify_all()

    def _on_snapshot(self, payload: dict[str, Any]) -> None:
        with self._cond:
            self.snapshots.append(payload)
            self._cond.notify_all()

    def connect(self, last_seq: int = 0, timeout: float = 10.0) -> Display:
        self.sio.connect(self.server.url, namespaces=["/display"], transports=["websocket"],
                         auth={"token": self.token, "last_seq": last_seq}, wait_timeout=timeout)
        return self

    def received(self) -> list[tuple[dict[str, Any], float]]:
        """A copy of the events so far, each with its arrival time (time.monotonic)."""
        with self._cond:
            return list(zip(self.events, self.arrivals, strict=True))

    @property
    def last_seq(self) -> int:
        """The highest seq this screen has seen (events or snapshot)."""
        with self._cond:
            seqs = [int(e["seq"]) for e in self.events] + [int(s["seq"]) for s in self.snapshots]
        return max(seqs, default=0)

    def wait_until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def wait_seq(self, seq: int, timeout: float = 10.0) -> bool:
        return self.wait_until(lambda: self._seen(seq), timeout)

    def _seen(self, seq: int) -> bool:
        seqs = [int(e["seq"]) for e in self.events] + [int(s["seq"]) for s in self.snapshots] + self.synced
        return any(seen >= seq for seen in seqs)

    def close(self) -> None:
        try:
            self.sio.disconnect()
        except Exception:  # noqa: BLE001 - the server may already be gone
            pass


def health_seq(server: Server) -> int:
    answer = requests.get(f"{server.url}/api/health", timeout=10)
    answer.raise_for_status()
    return int(answer.json()["seq"])


class KeepAlive:
    """A lean keep-alive HTTP/1.1 client (http.client, TCP_NODELAY): less client CPU than requests, so the
    load generator, which shares the machine's cores with the server, takes less from it."""

    def __init__(self, server: Server, headers: dict[str, str] | None = None, timeout: float = 10.0) -> None:
        self.server = server
        # Origin: what a browser on the site's pages sends, without which a cookie may change nothing.
        self.headers = {"Content-Type": "application/json", "Origin": server.url, **(headers or {})}
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}  # enough for Flask's session cookie

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(HOST, self.server.port, timeout=self.timeout)
        payload = json.dumps(body).encode() if body is not None else None
        headers = dict(self.headers)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        try:
            self.conn.request(method, path, body=payload, headers=headers)
            answer = self.conn.getresponse()
            data = answer.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        for cookie in answer.headers.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()
        return answer.status, json.loads(data) if data else None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def emit(**figures: Any) -> None:
    """One benchmark figure as one JSON line on stdout, with its ratios to this machine's limits (measured
    in the same run: bench/_limits.py)."""
    import _limits  # beside this file, on the path of every bench script (not needed by the tests)

    _limits.emit(**figures)


def bench_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--worker", choices=("gevent", "gthread"),
                        help="gunicorn worker class (DOUR_SERVER_WORKER); default: the site default")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (DB, server log)")
    return parser


def server_for(args: argparse.Namespace, prefix: str) -> Server:
    workdir = Path(tempfile.mkdtemp(prefix=f"dour-{prefix}-"))
    env = {"DOUR_SERVER_WORKER": args.worker} if args.worker else {}
    return Server(workdir, env=env)


def cleanup(server: Server, args: argparse.Namespace) -> None:
    server.stop()
    if args.keep:
        print(f"# kept {server.workdir}", file=sys.stderr)
    else:
        shutil.rmtree(server.workdir, ignore_errors=True)


def worker_name(server: Server) -> str:
    """The gunicorn worker class the server runs with (its configuration, as the server reads it)."""
    from core import config

    return str(config.load(env=server_env(server.env)).server.get("worker", "gthread"))
