"""SIGKILL of the server after the terminal approved and before Dour recorded it: after the restart the
payment is recovered as approved, from the terminal, with exactly one charge and one ticket."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import requests

from hardware.payment import CaisseApSimulator

pytestmark = pytest.mark.system


def wait_for(condition: Any, seconds: float) -> bool:
    limit = time.monotonic() + seconds
    while time.monotonic() < limit:
        if condition():
            return True
        time.sleep(0.01)
    return False


def test_an_approval_lost_in_a_crash_is_recovered_with_one_charge(paying_server: Any,
                                                                  terminal: CaisseApSimulator) -> None:
    kiosk = requests.Session()
    kiosk.headers["Authorization"] = f"Bearer {paying_server.kiosk_token}"
    url = paying_server.url
    terminal.script("approve_then_hang")
    body = {"service": "passport", "request_id": uuid.uuid4().hex}
    started = kiosk.post(f"{url}/api/kiosk/payments", json=body, timeout=10)
    reference = started.json()["payment"]["reference"]
    assert wait_for(lambda: terminal.charges(reference), 10)  # the card is charged; the answer never comes
    state = kiosk.get(f"{url}/api/kiosk/payments/{reference}", timeout=10).json()["payment"]["state"]
    assert state == "sent"
    paying_server.kill()

    paying_server.start()
    assert wait_for(lambda: kiosk.get(f"{url}/api/kiosk/payments/{reference}", timeout=10)
                    .json()["payment"]["state"] == "approved", 15)
    payment = kiosk.get(f"{url}/api/kiosk/payments/{reference}", timeout=10).json()
    assert payment["payment"]["resolved_by"] == "terminal"
    assert payment["ticket"]["ticket"]["number"] == "A-001"
    assert len(terminal.charges(reference)) == 1
    services = kiosk.get(f"{url}/api/kiosk/services", timeout=10).json()["services"]
    assert {s["code"]: s["waiting"] for s in services}["passport"] == 1  # one ticket, not two
