"""The kiosk prints through the real ESC/POS driver to the loopback simulator, after the commit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from core import config as site_config
from core import devices
from core.app import create_app


@pytest.fixture
def printing_app(tmp_path: Any) -> Iterator[Any]:
    config = site_config.load(env={"DOUR_DEVICES_PRINTER": "sim://"})
    app = create_app(config, str(tmp_path / "print.db"))
    yield app
    app.extensions["dour.printer"].close()


def issue(app: Any, lang: str) -> Any:
    site = app.extensions["dour.site"]
    with site.store.write() as db:
        token = devices.add_device(db, f"kiosk-{lang}", "kiosk")
    return app.test_client().post("/api/kiosk/tickets", json={"service": "passport", "lang": lang},
                                  headers={"Authorization": f"Bearer {token}"})


def test_ticket_is_printed_in_the_visitors_language(printing_app: Any) -> None:
    printer = printing_app.extensions["dour.printer"]
    answer = issue(printing_app, "fr")
    assert answer.status_code == 201
    assert printer.drain()
    job = printer.printer.simulator.wait_for_jobs(1, timeout=10)[-1]
    assert b"A-001" in job and "Personnes avant vous".encode("cp858") in job
    assert answer.get_json()["ticket"]["id"].encode() in job  # the QR carries the visitor's link
    assert printer.results[-1] == ("A-001", "printed")


def test_arabic_ticket_is_printed_with_latin_lines_until_raster_printing(printing_app: Any) -> None:
    printer = printing_app.extensions["dour.printer"]
    assert issue(printing_app, "ar").status_code == 201
    assert printer.drain()
    job = printer.printer.simulator.wait_for_jobs(1, timeout=10)[-1]
    assert b"Passeport" in job


def test_paper_out_still_issues_the_ticket_and_records_the_failure(printing_app: Any) -> None:
    printer = printing_app.extensions["dour.printer"]
    printer.printer.simulator.set_fault("paper_out")
    answer = issue(printing_app, "en")
    assert answer.status_code == 201
    assert printer.drain()
    assert printer.printer.simulator.wait_idle(timeout=10)
    assert printer.printer.simulator.jobs == []
    assert printer.results[-1] == ("A-001", "PaperOut")
    site = printing_app.extensions["dour.site"]
    assert site.ticket_view(answer.get_json()["ticket"]["id"]).ticket.number == "A-001"
