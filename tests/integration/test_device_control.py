"""The demo's device-control API acts on simulated devices through their real paths, for supervisors only."""

from __future__ import annotations

import io
from typing import Any

import pytest
import zxingcpp
from PIL import Image


@pytest.fixture
def app(device_app: Any) -> Any:
    return device_app(DOUR_DEVICES_PRINTER="sim://", DOUR_DEVICES_PAYMENT="sim://")


@pytest.fixture
def kiosk(app: Any, kiosk_client: Any) -> Any:
    return kiosk_client(app)


@pytest.fixture
def boss(app: Any, supervisor_client: Any) -> Any:
    return supervisor_client(app)


def issue(kiosk: Any) -> dict[str, Any]:
    ticket = kiosk.post("/api/kiosk/tickets", json={"service": "civil_status"}).get_json()
    ticket["print"] = kiosk.get(f"/api/kiosk/tickets/{ticket['ticket']['id']}/print?wait=10").get_json()
    return dict(ticket)


def test_a_printer_fault_switched_here_reaches_the_kiosk_and_printed_tickets_show_as_images(
    kiosk: Any, boss: Any,
) -> None:
    assert boss.post("/api/sim/printers/hall-1/fault", json={"fault": "paper_out"}).status_code == 200
    assert issue(kiosk)["print"]["state"] == "failed"
    boss.post("/api/sim/printers/hall-1/fault", json={"fault": None})
    printed = issue(kiosk)
    assert printed["print"]["state"] == "printed"
    state = boss.get("/api/sim/devices").get_json()["kiosks"][0]
    assert state["printer"] == {"fault": None, "jobs": 1} and state["scanner"] is True
    image = boss.get("/api/sim/printers/hall-1/jobs/0.png")
    assert image.mimetype == "image/png"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.data)))
    assert [code.text for code in decoded] == [printed["url"]]


def test_the_next_payment_can_be_scripted(app: Any, kiosk: Any, boss: Any) -> None:
    assert boss.post("/api/sim/terminals/hall-1/script", json={"outcome": "decline"}).status_code == 200
    started = kiosk.post("/api/kiosk/payments", json={"service": "passport", "request_id": "r"}).get_json()
    done = kiosk.get(f"/api/kiosk/payments/{started['payment']['reference']}?wait=10").get_json()
    assert done["payment"]["state"] == "declined"


def test_a_code_scanned_here_goes_through_the_simulated_scanner(app: Any, kiosk: Any, boss: Any) -> None:
    scanner = app.extensions["dour.scanners"].simulator("hall-1")
    seen: list[str] = []
    scanner_writes = scanner.scan

    def spy(text: str) -> None:
        seen.append(text)
        scanner_writes(text)

    scanner.scan = spy
    assert boss.post("/api/sim/scanners/hall-1/scan", json={"code": "HELLO-1"}).status_code == 200
    assert seen == ["HELLO-1"]


def test_badges_are_inserted_and_removed_in_a_counters_simulated_reader(boss: Any) -> None:
    inserted = boss.post("/api/sim/card-readers/1/insert", json={"badge": "AGENT-0042"})
    assert inserted.status_code == 200
    removed = boss.post("/api/sim/card-readers/1/remove", json={})
    assert removed.status_code == 200 and removed.get_json() != inserted.get_json()


def test_only_supervisors_and_only_simulated_devices(app: Any, kiosk: Any, boss: Any, add_agent: Any,
                                                     login: Any) -> None:
    agent = app.test_client()
    add_agent(app.extensions["dour.site"], "agent1")
    login(agent, "agent1")
    assert agent.get("/api/sim/devices").status_code == 403
    assert agent.post("/api/sim/printers/hall-1/fault", json={"fault": "paper_out"}).status_code == 403
    assert boss.post("/api/sim/printers/nowhere/fault", json={"fault": "paper_out"}).status_code == 400
    assert boss.post("/api/sim/printers/hall-1/fault", json={"fault": "on_fire"}).status_code == 400
    assert boss.post("/api/sim/terminals/hall-1/script", json={"outcome": "maybe"}).status_code == 400
    assert boss.get("/api/sim/printers/hall-1/jobs/0.png").status_code == 400  # nothing printed yet
    assert boss.post("/api/sim/card-readers/1/shake", json={}).status_code == 400
    assert boss.get("/devices/control").status_code == 200


def test_a_real_printer_is_never_touched(device_app: Any, kiosk_client: Any, supervisor_client: Any) -> None:
    app = device_app(DOUR_DEVICES_PRINTER="tcp://127.0.0.1:9")
    kiosk_client(app)
    refused = supervisor_client(app).post("/api/sim/printers/hall-1/fault", json={"fault": "paper_out"})
    assert refused.status_code == 409 and "simul" in refused.get_json()["message"]
