"""The printed paper through the real kiosk, printer simulator and device-control preview: a paid ticket's
receipt previews "€" as the printer prints it, an Arabic receipt reads from the right, a priority ticket
carries its mark."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image, ImageChops

from hardware.printer import render

CP858 = b"\x1bt\x13"


@pytest.fixture
def app(device_app: Any) -> Any:
    return device_app(DOUR_DEVICES_PRINTER="sim://", DOUR_DEVICES_PAYMENT="sim://")


def printer(app: Any) -> Any:
    return app.extensions["dour.printer"].printer("hall-1").printer.simulator


def paid_and_printed(client: Any, lang: str) -> dict[str, Any]:
    body = {"service": "passport", "request_id": "r1", "lang": lang}
    started = client.post("/api/kiosk/payments", json=body)
    reference = started.get_json()["payment"]["reference"]
    payment = client.get(f"/api/kiosk/payments/{reference}?wait=10&lang={lang}").get_json()
    ticket_id = payment["ticket"]["ticket"]["id"]
    assert client.get(f"/api/kiosk/tickets/{ticket_id}/print?wait=10").get_json()["state"] == "printed"
    return dict(payment)


def test_the_preview_of_a_receipt_shows_what_the_printer_prints(app: Any, kiosk_client: Any,
                                                               supervisor_client: Any) -> None:
    paid_and_printed(kiosk_client(app), "fr")
    simulator = printer(app)
    ticket, receipt = simulator.wait_for_jobs(2)
    assert ticket.startswith(b"\x1b@" + CP858) and receipt.startswith(CP858)  # each piece says its page
    png = supervisor_client(app).get("/api/sim/printers/hall-1/jobs/0.png")
    preview = Image.open(io.BytesIO(png.data)).convert("L")
    printed = render(receipt, code_page=simulator.code_pages[1]).image.convert("L")  # the printer kept CP858
    assert ImageChops.difference(preview, printed).getbbox() is None
    assert b"60,00 \xd5" in receipt and b"\x1dv0" not in receipt  # "€" and the fee's dash as text


def test_an_arabic_receipt_prints_right_aligned_with_the_card_in_order(app: Any, kiosk_client: Any) -> None:
    paid_and_printed(kiosk_client(app), "ar")
    _, receipt = printer(app).wait_for_jobs(2)
    assert b"\x1ba\x02**** 4242\n" in receipt and b"4242 ****" not in receipt
    assert b"\x1ba\x00\x1dv0" not in receipt  # no label flush left


def test_a_priority_ticket_prints_its_mark(app: Any, kiosk_client: Any) -> None:
    client = kiosk_client(app)
    issued = client.post("/api/kiosk/tickets", json={"service": "passport", "priority": True}).get_json()
    assert client.get(f"/api/kiosk/tickets/{issued['ticket']['id']}/print?wait=10").get_json()["state"] == (
        "printed")
    [job] = printer(app).wait_for_jobs(1)
    assert b"\x1dB\x01" in job and job.index(b"\x1dB\x01") > job.index(issued["ticket"]["number"].encode())
