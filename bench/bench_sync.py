"""The sync worker against the reference central, both real: pull, push, and catching up after an outage.

Figures (JSON lines):
- `figure=pull`: 10,000 appointments (seeded straight into the central's database with its own code) pulled
  into an empty site database, with the keys, fees and no-shows that make a pull. Target: at most 2 s.
- `figure=push`: a backlog of 10,000 journal events (inserted in one transaction) pushed until the central
  acknowledged all, at `sync.batch_size` 500 (the default) and 1000 (the maximum). Target: at most 10 s.
- `figure=recovery`: `dour sync` running while the central is `unreachable`; once the worker has failed
  `failures` rounds in a row, the central goes back to `normal` and we time until the site's backlog is
  empty. Most of it is the backoff's random wait (full jitter, up to 2^failures s).

The `Central` and `SyncProcess` classes are also the tests' harness (tests/sync/), so both start the central
and the worker the same way.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

import _server as h  # noqa: E402

SITE = "ma-paris"
START_TIMEOUT, STOP_TIMEOUT, REQUEST_TIMEOUT = 20.0, 10.0, 10.0
EVENT_TYPES = ("ticket.issued", "ticket.called", "ticket.started", "ticket.finished", "counter.opened")


@dataclass
class Central:
    """The reference central (`dour central serve`, gunicorn) on a database in `workdir`."""

    workdir: Path
    port: int = field(default_factory=h.free_port)
    tls: tuple[str, str] | None = None  # (certfile, keyfile)
    verify: str | bool = True  # the CA file when it serves HTTPS
    process: subprocess.Popen[bytes] | None = None
    tokens: dict[str, str] = field(default_factory=dict)  # site -> bearer token

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        if not self.admin_token_file.exists():
            self.admin_token_file.write_text(secrets.token_urlsafe(32), encoding="utf-8")

    @property
    def database(self) -> Path:
        return self.workdir / "central.db"

    @property
    def admin_token_file(self) -> Path:
        return self.workdir / "admin.token"

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{h.HOST}:{self.port}"

    def start(self) -> Central:
        command = [*h.CLI, "central", "serve", "--host", h.HOST, "--port", str(self.port), "--database",
                   str(self.database), "--admin-token-file", str(self.admin_token_file)]
        command += ["--certfile", self.tls[0], "--keyfile", self.tls[1]] if self.tls else []
        with (self.workdir / "central.log").open("ab") as log:
            # Own session: kill -9 reaches gunicorn's master and worker together, as a crash would.
            self.process = subprocess.Popen(command, env=h.server_env(), cwd=self.workdir, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(self._healthy, START_TIMEOUT, f"the central did not start:\n{self.log()}")
        return self

    def _healthy(self) -> bool:
        assert self.process is not None and self.process.poll() is None, self.log()
        try:
            return requests.get(f"{self.url}/health", timeout=1, verify=self.verify).status_code == 200
        except requests.RequestException:
            return False

    def kill(self) -> None:
        """kill -9 the whole central."""
        if self.process is not None:
            _signal_group(self.process, signal.SIGKILL)
            self.process.wait(timeout=STOP_TIMEOUT)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            _signal_group(self.process, signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
            self.kill()

    def ready(self) -> Central:
        """Started, with the site registered and a signing key: what every sync test and figure needs."""
        self.start()
        self.add_site()
        self.admin("POST", "/keys/rotate", {"days": 30})
        return self

    def restart(self) -> Central:
        self.kill()
        return self.start()

    def log(self) -> str:
        path = self.workdir / "central.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else "(no log)"

    def admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        token = self.admin_token_file.read_text(encoding="utf-8").strip()
        answer = requests.request(method, f"{self.url}/admin{path}", json=body, timeout=REQUEST_TIMEOUT,
                                  verify=self.verify, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code < 300, f"{method} {path}: {answer.status_code} {answer.text}"
        return answer.json()

    def add_site(self, site: str = SITE) -> str:
        self.tokens[site] = self.admin("POST", "/sites", {"id": site, "name": site})["token"]
        return self.tokens[site]

    def fault(self, mode: str, **extra: Any) -> None:
        self.admin("PUT", "/faults", {"mode": mode, **extra})

    def stats(self, site: str = SITE) -> dict[str, Any]:
        return dict(self.admin("GET", f"/sites/{site}/stats"))

    def book(self, start: datetime, site: str = SITE, service: str = "passport") -> dict[str, Any]:
        slot = {"slot_start": _iso(start), "slot_end": _iso(start + timedelta(minutes=15))}
        return dict(self.admin("POST", "/appointments", {"site": site, "services": [service], "persons": 1,
                                                         "lang": "fr", **slot}))

    def set_fees(self, services: dict[str, Any], currency: str = "EUR", site: str = SITE) -> None:
        """Replace the site's fee schedule at the central ({service: (FeeItem, ...)}), as its operators do."""
        from sync.central import sites
        from sync.central.db import CentralStore

        store = CentralStore(str(self.database))
        with store.write() as db:
            sites.set_fees(db, site, currency, services)
        store.close()

    def seed_appointments(self, count: int, start: datetime, site: str = SITE) -> None:
        """`count` appointments in one transaction of the central's own code (no HTTP call per row)."""
        from sync.central import appointments
        from sync.central.db import CentralStore

        store = CentralStore(str(self.database))
        with store.write() as db:
            for index in range(count):
                slot = start + timedelta(minutes=5 * (index % 100), days=index // 100)
                appointments.create(db, site, ["passport"], (slot, slot + timedelta(minutes=15)), 1, "fr")
        store.close()


@dataclass
class SyncProcess:
    """`dour sync` as its own process on a site database, logging to `workdir/sync.log`."""

    workdir: Path
    database: str
    central: Central
    env: dict[str, str] = field(default_factory=dict)  # extra DOUR_* settings
    process: subprocess.Popen[bytes] | None = None

    def _command(self, *args: str) -> tuple[list[str], dict[str, str]]:
        env = h.server_env({"DOUR_SYNC_CENTRAL_URL": self.central.url,
                            "DOUR_SYNC_TOKEN": self.central.tokens[SITE], **self.env})
        return [*h.CLI, "--database", self.database, "sync", *args], env

    def start(self) -> SyncProcess:
        command, env = self._command()
        with (self.workdir / "sync.log").open("ab") as log:
            self.process = subprocess.Popen(command, env=env, cwd=self.workdir, stdout=log,
                                            stderr=subprocess.STDOUT)
        return self

    def once(self) -> subprocess.CompletedProcess[str]:
        command, env = self._command("--once")
        return subprocess.run(command, env=env, cwd=self.workdir, capture_output=True, text=True,
                              timeout=120, check=False)

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT)
            self.process = None

    def terminate(self) -> int:
        """SIGTERM, as systemd stops it; its exit status (SIGKILL after STOP_TIMEOUT)."""
        assert self.process is not None
        self.process.terminate()
        try:
            return self.process.wait(timeout=STOP_TIMEOUT)
        finally:
            self.kill()

    def log(self) -> str:
        path = self.workdir / "sync.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else "(no log)"


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def wait_for(predicate: Callable[[], bool], timeout: float, message: str = "timed out") -> float:
    """Poll until `predicate()`; the seconds it took. AssertionError after `timeout`."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if predicate():
            return time.monotonic() - began
        time.sleep(0.02)
    raise AssertionError(message)


def insert_backlog(store: Any, count: int) -> None:
    """`count` journal events in one transaction, as a busy day leaves them when the central is away."""
    from core import journal

    with store.write() as db:
        for index in range(count):
            journal.append(db, EVENT_TYPES[index % len(EVENT_TYPES)], "kiosk:hall-1",
                           {"number": f"A-{index % 1000:03d}", "counter": index % 40}, f"t{index}")


def issue_tickets(site: Any, count: int) -> None:
    """Walk-in tickets through the site's own use case (a transaction and its journal row each)."""
    for index in range(count):
        site.issue_ticket(service="passport" if index % 2 else "cnie", kind="walk_in", lang="fr",
                          actor="kiosk:hall-1")


def approve_payment(site: Any, reference: str) -> None:
    """An approved fee payment as the kiosk's terminal flow leaves it (core.payments, journaled): it now
    needs its eTimbre number."""
    from core import payments

    items = [{"code": "passport_stamp", "amount_minor": 6000}]
    with site.change() as (db, events):
        _, created = payments.create(db, reference=reference, terminal="term-1", amount_minor=6000,
                                     currency="EUR", lang="fr", day=site.today(), actor="device:hall-1",
                                     kiosk="hall-1", service="passport", items=items)
        _, sent = payments.move(db, reference, "sent", "device:hall-1")
        _, approved = payments.move(db, reference, "approved", "device:hall-1", auth_code="A12345")
        events.extend([created, sent, approved])


def journal_counts(store: Any) -> dict[str, int]:
    """The site journal's events per type: what the central must hold after a full push."""
    rows = store.read().execute("SELECT type, COUNT(*) FROM journal GROUP BY type").fetchall()
    return {str(kind): int(count) for kind, count in rows}


def pending_events(store: Any) -> int:
    from sync.outbox import pending

    return pending(store.read())[0]


# --- the benchmark ---------------------------------------------------------------------------------------
def _worker(database: Path, central: Central, **env: str) -> Any:
    from core import config as site_config
    from core.site import Site
    from core.store import Store
    from sync.http_client import HttpCentral
    from sync.worker import SyncWorker

    site = Site(site_config.load(env=env), Store(str(database)))
    return SyncWorker(site, HttpCentral(central.url, central.tokens[SITE], timeout=30))


def bench_pull(central: Central, workdir: Path, count: int) -> None:
    central.seed_appointments(count, datetime.now(UTC).replace(microsecond=0) + timedelta(days=1))
    worker = _worker(workdir / "pull.db", central)
    began = time.perf_counter()
    pulled = worker.puller.pull(time.monotonic() + 600)
    seconds = time.perf_counter() - began
    h.emit(bench="sync", figure="pull", appointments=pulled.appointments, pages=pulled.pages,
           page_limit=worker.puller.page_limit, seconds=round(seconds, 3), target_s=2.0)


def bench_push(central: Central, workdir: Path, count: int, batch_size: int) -> None:
    worker = _worker(workdir / f"push{batch_size}.db", central, DOUR_SYNC_BATCH_SIZE=str(batch_size))
    insert_backlog(worker.site.store, count)
    worker.outbox.epoch  # noqa: B018 - created before the clock starts, as in a running site
    began = time.perf_counter()
    pushed = worker.outbox.push_all(time.monotonic() + 600)
    seconds = time.perf_counter() - began
    h.emit(bench="sync", figure="push", events=pushed, batch_size=batch_size, seconds=round(seconds, 3),
           events_per_s=round(pushed / seconds), target_s=10.0)


def bench_recovery(central: Central, workdir: Path, count: int, failures: int) -> None:
    from core.store import Store
    from sync.status import read_status

    database = workdir / f"recovery{failures}.db"
    store = Store(str(database))
    central.fault("unreachable")
    process = SyncProcess(workdir, str(database), central).start()
    try:
        insert_backlog(store, count)
        wait_for(lambda: read_status(store.read()).get("failures", 0) >= failures, 300,
                 f"the worker did not fail {failures} times:\n{process.log()}")
        central.fault("normal")
        seconds = wait_for(lambda: pending_events(store) == 0, 300, f"backlog not emptied:\n{process.log()}")
    finally:
        process.terminate()
    h.emit(bench="sync", figure="recovery", events=count, failures=failures, seconds=round(seconds, 3))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (databases, logs)")
    parser.add_argument("--appointments", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--recovery-events", type=int, default=2_000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="dour-sync-"))
    central = Central(workdir / "central")
    try:
        central.ready()
        bench_pull(central, workdir, args.appointments)
        for batch_size in (500, 1000):
            bench_push(central, workdir, args.events, batch_size)
        for failures in (2, 5):
            bench_recovery(central, workdir, args.recovery_events, failures)
    finally:
        central.stop()
        if args.keep:
            print(f"# kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
