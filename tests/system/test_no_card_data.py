"""No card data, proven: a day of payments on a real server, with a terminal that sends the full card number
in every answer, leaves no Luhn-valid run of 13 to 19 digits in the database (WAL included), the journal or
the server's log."""

from __future__ import annotations

import random
import re
import string
from pathlib import Path
from typing import Any

import pytest
import requests

from hardware.payment import CaisseApSimulator

pytestmark = pytest.mark.system
FULL_PAN = "4970100000000063"  # a Luhn-valid test card number, as a terminal's answer may carry it
CARD_LIKE = re.compile(rb"(?<!\d)\d{13,19}(?!\d)")  # a run of 13 to 19 digits, not part of a longer one
OUTCOMES = ["approve", "decline", "approve", "abandon", "drop_after_approve", "approve", "terminal_timeout",
            "approve", "garbage", "approve"]


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def card_like(blob: bytes) -> list[str]:
    """Every Luhn-valid run of 13 to 19 digits in the blob (text or the bytes of a file)."""
    return [run.decode() for run in CARD_LIKE.findall(blob) if luhn_valid(run.decode())]


def request_id() -> str:
    """Letters only: a random hex id can hold a long digit run that happens to pass Luhn (a false alarm)."""
    return "".join(random.choices(string.ascii_lowercase, k=24))


def test_the_scanner_finds_a_card_number_when_there_is_one() -> None:
    assert card_like(f"ref=A1 pan={FULL_PAN};".encode()) == [FULL_PAN]
    assert card_like(b"\x00" + FULL_PAN.encode() + b"\x17") == [FULL_PAN]  # as SQLite stores it
    assert card_like(b"2026-11-23T10:00:00Z 1234567890 ****0063 4970100000000064") == []


def pay(kiosk: requests.Session, url: str) -> dict[str, Any]:
    body = {"service": "passport", "request_id": request_id()}
    started = kiosk.post(f"{url}/api/kiosk/payments", json=body, timeout=10)
    assert started.status_code == 202, started.text
    reference = started.json()["payment"]["reference"]
    for _ in range(5):
        answer = kiosk.get(f"{url}/api/kiosk/payments/{reference}?wait=10", timeout=15).json()
        if answer["payment"]["state"] not in ("pending", "sent", "unknown"):
            return dict(answer["payment"])
    raise AssertionError(f"payment {reference} never settled")


def test_a_day_of_payments_leaves_no_card_number_anywhere(paying_server: Any, terminal: CaisseApSimulator,
                                                          tmp_path: Path) -> None:
    url = paying_server.url
    terminal.terminal.card_number = FULL_PAN
    paying_server.add_user("chief", "supervisor-password-1", role="supervisor")
    kiosk = requests.Session()
    kiosk.headers["Authorization"] = f"Bearer {paying_server.kiosk_token}"
    terminal.script(*OUTCOMES)
    done = [pay(kiosk, url) for _ in OUTCOMES]
    approved = [p for p in done if p["state"] == "approved"]
    assert len(approved) >= 6 and {p["card"] for p in approved} == {"**** 0063"}
    chief = requests.Session()
    chief.headers["Origin"] = url  # as the supervisor's browser does
    chief.post(f"{url}/api/auth/login", json={"username": "chief", "password": "supervisor-password-1"},
               timeout=10).raise_for_status()
    voided = chief.post(f"{url}/api/payments/{approved[0]['reference']}/void", json={}, timeout=10)
    assert voided.status_code == 202
    printed = terminal.totals()  # a real Concert terminal prints them; we type them in
    totals = {"debit_count": printed.debit_count, "debit_minor": printed.debit_minor}
    assert chief.post(f"{url}/api/payments/reconciliation", json={"kiosk": "kiosk1", "totals": totals},
                      timeout=10).ok
    journal = chief.get(f"{url}/api/payments", timeout=10).content
    paying_server.stop()  # the WAL stays on disk as it was: scan it too

    files = sorted(tmp_path.glob("dour.db*")) + [paying_server.log_path]
    assert any(path.name.endswith("-wal") for path in files) or Path(paying_server.database).stat().st_size
    for path in files:
        assert card_like(path.read_bytes()) == [], path.name
    assert card_like(journal) == []
    assert FULL_PAN in {t.card_number for t in terminal.ledger.entries}  # the terminal really sent it
