"""Reports from the real server, under both worker classes: computed in a process of their own at the lowest
CPU priority (core/report_process.py), which ends when the server does."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests

pytestmark = pytest.mark.system
PASSWORD = "supervisor-password-1"


@pytest.mark.parametrize("worker", ["gevent", "gthread"])
def test_reports_come_from_a_low_priority_process_that_ends_with_the_server(
    tmp_path: Path, dour: Any, worker: str
) -> None:
    server = dour.Server(tmp_path, env={"DOUR_SERVER_WORKER": worker}).provision()
    server.add_user("boss", PASSWORD, "supervisor")
    server.start()
    try:
        kiosk = dour.kiosk_session(server)
        for service in ("cnie", "passport"):
            issued = kiosk.post(f"{server.url}/api/kiosk/tickets", json={"service": service}, timeout=10)
            assert issued.status_code == 201, issued.text
        boss = requests.Session()
        login = boss.post(f"{server.url}/api/auth/login", json={"username": "boss", "password": PASSWORD},
                          timeout=10)
        assert login.status_code == 200, login.text
        answer = boss.get(f"{server.url}/api/supervisor/reports", timeout=60)
        assert answer.status_code == 200, answer.text
        assert sum(row["issued"] for row in answer.json()["tickets"]) == 2
        master, worker_process, *others = server.processes()
        [child] = [p for p in others if "core.report_process" in " ".join(p.cmdline())]
        assert child.ppid() == worker_process.pid and child.nice() == 19
        assert os.sched_getscheduler(child.pid) == os.SCHED_IDLE
        assert boss.get(f"{server.url}/api/supervisor/reports/tickets.csv", timeout=60).status_code == 200
        assert child.is_running()  # the same child answers the next report

        server.process.terminate()  # a graceful stop: the child hears its pipe close and ends too
        _, alive = psutil.wait_procs([child], timeout=10)
        assert not alive
    finally:
        server.stop()
