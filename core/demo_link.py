"""The demo's link with eConsulat: a fresh reference central seeded with a day of appointments, and the sync
worker, each its own process beside the site server, stopped with it.

Only `dour demo` uses this. The central listens on loopback, on the site's port + 10.
"""

from __future__ import annotations

import atexit
import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from core.config import SiteConfig

CENTRAL_PORT_OFFSET = 10
START_TIMEOUT = 20.0


@dataclass
class DemoLink:
    central_url: str
    admin_token_file: Path
    site_token_file: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()


def first_slot(config: SiteConfig) -> str:
    """The demo day's first slot: two hours ago, but early enough that its 7.5 hours of slots end today, so
    that valid, early and late codes exist whenever the demo is started."""
    local = datetime.now(config.tz)
    minutes = min(max(local.hour * 60 + local.minute - 120, 0), 16 * 60 + 15)
    return f"{minutes // 60:02d}:{minutes % 60 // 15 * 15:02d}"


def _dour(config_path: str | None, *args: str) -> list[str]:
    return [sys.executable, "-m", "core.cli", *(["--config", config_path] if config_path else []), *args]


def _fresh(*paths: Path) -> None:
    for path in paths:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the demo central stopped at start; see its messages above")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"the demo central did not listen on port {port} within {START_TIMEOUT:.0f} s")


def start(config: SiteConfig, config_path: str | None, site_database: str) -> DemoLink:
    """Seed and start the central, point the site at it, start the sync worker; both stop with this one."""
    var = Path(site_database).resolve().parent
    central_db, admin_file, site_token = var / "demo-central.db", var / "demo-central-admin.token", \
        var / "demo-site.token"
    _fresh(central_db, site_token)
    from sync.central.cli import write_secret

    write_secret(admin_file, secrets.token_urlsafe(32))
    subprocess.run(_dour(config_path, "central", "seed-demo", "--database", str(central_db), "--token-file",
                         str(site_token), "--first-slot", first_slot(config)), check=True,
                   stdout=subprocess.DEVNULL)
    port = int(config.server["port"]) + CENTRAL_PORT_OFFSET
    link = DemoLink(f"http://127.0.0.1:{port}", admin_file, site_token)
    link.processes.append(subprocess.Popen(_dour(
        config_path, "central", "serve", "--host", "127.0.0.1", "--port", str(port), "--database",
        str(central_db), "--admin-token-file", str(admin_file)), stdout=subprocess.DEVNULL))
    _wait_for_port(port, link.processes[0])
    config.sync.update(central_url=link.central_url, token_file=str(site_token),
                       demo_admin_token_file=str(admin_file))
    env = {**os.environ, "DOUR_SYNC_CENTRAL_URL": link.central_url, "DOUR_SYNC_TOKEN_FILE": str(site_token)}
    link.processes.append(subprocess.Popen(_dour(config_path, "--database", site_database, "sync"), env=env))
    owner = os.getpid()  # gunicorn's forked workers run atexit too: only the demo's own process stops them
    atexit.register(lambda: link.stop() if os.getpid() == owner else None)
    return link
