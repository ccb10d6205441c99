"""`/healthz` answers without looking at anything; `/readyz` is 503 only when the database cannot take a
write (locked by another process, read-only), and 200 `degraded` for a printer out of paper or a central
out of reach."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from core import config as site_config
from core.app import create_app
from core.clock import utc_iso
from core.site_health import PROBE_MIN_INTERVAL_SECONDS
from sync import status


def test_healthz_answers_without_the_database(client: Any) -> None:
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.get_json() == {"status": "ok"}
    assert answer.headers["Cache-Control"] == "no-store"


def test_ready_with_a_real_write(client: Any, app_site: Any) -> None:
    answer = client.get("/readyz")
    body = answer.get_json()
    assert answer.status_code == 200 and body["status"] == "ready" and body["problems"] == []
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["central"]["state"] == "not_configured"
    probe = app_site.store.read().execute("SELECT value FROM settings WHERE key = 'readyz_probe'").fetchone()
    assert probe is not None and probe[0] <= utc_iso()


def test_paper_out_and_an_unreachable_central_leave_the_site_ready(tmp_path: Path) -> None:
    config = site_config.load(env={"DOUR_SYNC_CENTRAL_URL": "https://central.example/api"})
    app = create_app(config, str(tmp_path / "linked.db"), start_devices=False)
    site = app.extensions["dour.site"]
    site.report_device_health("printer:hall-1", "printer", "degraded", "paper_out")
    with site.store.write() as db:
        status.put(db, status.STATUS_KEY, json.dumps({"failures": 3, "updated_at": utc_iso(),
                                                       "last_error_at": utc_iso()}))
    answer = app.test_client().get("/readyz")
    body = answer.get_json()
    assert answer.status_code == 200 and body["status"] == "degraded" and body["problems"] == []
    assert body["warnings"] == ["printer:hall-1 degraded (paper_out)", "central unreachable"]
    assert body["checks"]["devices"]["states"] == {"degraded": 1}
    assert body["checks"]["central"]["failures"] == 3


@pytest.fixture
def held_lock(app_site: Any) -> Iterator[sqlite3.Connection]:
    """Another process's write transaction, held (a stuck CLI, a wedged sync worker)."""
    other = sqlite3.connect(app_site.store.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    yield other
    other.execute("ROLLBACK")
    other.close()


def test_a_locked_database_is_not_ready(client: Any, held_lock: sqlite3.Connection) -> None:
    answer = client.get("/readyz")
    body = answer.get_json()
    assert answer.status_code == 503 and body["status"] == "not_ready"
    assert body["problems"] == ["database not writable: database is locked"]
    assert body["checks"]["database"]["ok"] is False and body["checks"]["database"]["ms"] < 5000
    assert client.get("/healthz").status_code == 200


def make_read_only(path: str) -> Callable[[], object]:
    """The database file as a read-only filesystem would leave it; root ignores permissions, so as root
    the file is made immutable (chattr +i)."""
    if os.geteuid() != 0:
        os.chmod(path, 0o444)
        return lambda: os.chmod(path, 0o644)
    done = subprocess.run(["chattr", "+i", path], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot make the database read-only here: {done.stderr.decode().strip()}")
    return lambda: subprocess.run(["chattr", "-i", path], check=True)


def test_a_read_only_database_is_not_ready(client: Any, app_site: Any) -> None:
    undo = make_read_only(app_site.store.path)
    try:
        answer = client.get("/readyz")
    finally:
        undo()
    body = answer.get_json()
    assert answer.status_code == 503 and body["status"] == "not_ready"
    assert body["problems"][0].startswith("database not writable:") and "readonly" in body["problems"][0]
    time.sleep(PROBE_MIN_INTERVAL_SECONDS)  # a probe answered that recently is answered again
    assert client.get("/readyz").status_code == 200
