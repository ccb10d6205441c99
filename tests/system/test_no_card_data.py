"""No card data, proven: a day of payments on a real server, with a terminal that sends the full card number
in every answer, leaves no Luhn-valid run of 13 to 19 digits in any value of the database, the journal or
the server's log, and not the card's first twelve digits in any byte of the database files (WAL included)."""

from __future__ import annotations

import random
import re
import sqlite3
import string
from pathlib import Path
from typing import Any

import pytest
import requests

from hardware.payment import CaisseApSimulator

pytestmark = pytest.mark.system
FULL_PAN = "4970100000000063"  # a Luhn-valid test card number, as a terminal's answer may carry it
PAN_DIGITS = FULL_PAN[:12]  # all but the last four (which may be kept): in no byte of the database files
CARD_LIKE = re.compile(rb"(?<!\d)\d{13,19}(?!\d)")  # a run of 13 to 19 digits, not part of a longer one
OUTCOMES = ["approve", "decline", "approve", "abandon", "drop_after_approve", "approve", "terminal_timeout",
            "approve", "garbage", "approve"]


def stored_values(database: Path) -> bytes:
    """Every value of every table as SQLite gives it back (read only, the WAL applied), one per line. In a
    page's bytes, columns side by side run together: an authorisation code, the card's last four and a ticket
    id that starts with digits made a Luhn-valid run of 13 digits there one run in fifty."""
    values: list[str] = []
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):
                values += [str(value) for value in row if value is not None]
    return "\n".join(values).encode()


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def card_like(blob: bytes) -> list[str]:
    """Every Luhn-valid run of 13 to 19 digits in the blob (text or the bytes of a file)."""
    return [run.decode() for run in CARD_LIKE.findall(blob) if luhn_valid(run.decode())]


def test_the_database_checks_find_a_card_number_stored_and_not_columns_side_by_side(tmp_path: Path) -> None:
    """A card number in one value is found, in the values and in the file's bytes; an authorisation code,
    last four and a ticket id side by side (a 13-digit Luhn-valid run in the page's bytes) are not."""
    database = tmp_path / "t.db"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE payments (auth_code TEXT, card_last4 TEXT, terminal_code TEXT, ticket TEXT)")
        db.execute("INSERT INTO payments VALUES ('S00007', '0063', '10', '54kQx')")
    assert card_like(database.read_bytes()) == ["0000700631054"]  # what the page holds
    assert card_like(stored_values(database)) == []
    assert PAN_DIGITS.encode() not in database.read_bytes()
    with sqlite3.connect(database) as db:
        db.execute("INSERT INTO payments VALUES (?, NULL, NULL, NULL)", [f"pan={FULL_PAN}"])
    assert card_like(stored_values(database)) == [FULL_PAN]
    assert PAN_DIGITS.encode() in database.read_bytes()


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

    files = sorted(tmp_path.glob("dour.db*"))
    assert any(path.name.endswith("-wal") for path in files) or Path(paying_server.database).stat().st_size
    for path in files:  # every page as written, older versions in the WAL included
        blob = path.read_bytes()
        assert PAN_DIGITS.encode() not in blob, path.name
    assert card_like(stored_values(Path(paying_server.database))) == []
    assert card_like(paying_server.log_path.read_bytes()) == []
    assert card_like(journal) == []
    assert FULL_PAN in {t.card_number for t in terminal.ledger.entries}  # the terminal really sent it
