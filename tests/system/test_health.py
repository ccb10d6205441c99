"""The real server (gunicorn subprocess): `/healthz` and `/readyz` as a proxy sees them, a database locked by
another process makes it not ready and then ready again, `/metrics` is refused without the token and moves
with the floor, and the log is one JSON object per line."""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.system
harness: Any = sys.modules["dour_bench_server"]  # bench/_server.py, loaded by tests/conftest.py

TOKEN = "system-test-metrics-token-0123456789"


@pytest.fixture(scope="module")
def monitored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One server for this module. Loopback not on the allow list (the monitoring host is elsewhere), a
    token, JSON logs."""
    env = {"DOUR_SERVER_METRICS_ALLOW": "10.255.255.1", "DOUR_METRICS_TOKEN": TOKEN,
           "DOUR_SERVER_LOG_FORMAT": "json"}
    server = harness.Server(tmp_path_factory.mktemp("health"), env=env).provision()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def scrape(server: Any) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    answer = requests.get(f"{server.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/plain")
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(answer.text) for sample in family.samples}


def test_readiness_follows_a_lock_held_by_another_process(monitored: Any) -> None:
    url = monitored.url
    assert requests.get(f"{url}/healthz", timeout=5).json() == {"status": "ok"}
    assert requests.get(f"{url}/readyz", timeout=5).status_code == 200
    time.sleep(0.6)  # past the interval in which a probe's answer is reused
    other = sqlite3.connect(monitored.database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        locked = requests.get(f"{url}/readyz", timeout=10)
        alive = requests.get(f"{url}/healthz", timeout=5)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert locked.status_code == 503 and locked.json()["problems"] == [
        "database not writable: database is locked"]
    assert alive.status_code == 200
    time.sleep(0.6)
    assert requests.get(f"{url}/readyz", timeout=5).json()["status"] == "ready"


def test_metrics_need_the_token_and_follow_the_floor(monitored: Any, dour: Any) -> None:
    refused = requests.get(f"{monitored.url}/metrics", timeout=5)
    assert refused.status_code == 401 and "dour_" not in refused.text
    before = scrape(monitored)
    issued = frozenset({("service", "passport"), ("kind", "walk_in")})
    passport = frozenset({("service", "passport")})
    kiosk = dour.kiosk_session(monitored)
    answer = kiosk.post(f"{monitored.url}/api/kiosk/tickets", json={"service": "passport"}, timeout=10)
    assert answer.status_code == 201
    agent = dour.agent_session(monitored, counter=1)
    assert agent.post(f"{monitored.url}/api/counter/next", timeout=10).json()["ticket"] is not None
    kiosk.close()
    agent.close()
    after = scrape(monitored)
    moved = {name: after[(name, labels)] - before.get((name, labels), 0.0) for name, labels in (
        ("dour_tickets_issued_total", issued), ("dour_ticket_calls_total", passport),
        ("dour_ticket_wait_seconds_count", passport), ("dour_http_request_duration_seconds_count", frozenset(
            {("endpoint", "kiosk.issue"), ("method", "POST"), ("status", "2xx")})))}
    assert moved == {"dour_tickets_issued_total": 1, "dour_ticket_calls_total": 1,
                     "dour_ticket_wait_seconds_count": 1, "dour_http_request_duration_seconds_count": 1}


def test_the_log_is_one_json_object_per_line(monitored: Any, dour: Any) -> None:
    kiosk = dour.kiosk_session(monitored)
    ticket = kiosk.post(f"{monitored.url}/api/kiosk/tickets", json={"service": "passport"}, timeout=10).json()
    kiosk.close()
    number = ticket["ticket"]["number"]
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and number not in monitored.log_path.read_text():
        time.sleep(0.05)
    records = [json.loads(line) for line in monitored.log_path.read_text().splitlines() if line.strip()]
    issued = [r for r in records if r.get("event") == "ticket.issued" and r.get("ticket") == number]
    assert len(issued) == 1 and issued[0]["service"] == "passport"
    assert ticket["ticket"]["id"] not in monitored.log_path.read_text()
    assert any(r["logger"] == "gunicorn.error" for r in records)  # gunicorn's own lines, in the same format
