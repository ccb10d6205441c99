"""The event log: each published journal event is one line a machine parses, with the ticket number or the
payment reference, and never card data (the last four digits, the authorisation code)."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from core.logs import EVENT_LOGGER, JsonFormatter, LogfmtFormatter

PAIR = re.compile(r'([A-Za-z_][\w.]*)=("(?:[^"\\]|\\.)*"|[^\s"]*)(?:\s|$)')


def parse_logfmt(line: str) -> dict[str, str]:
    """Strict: the whole line must be key=value pairs."""
    pairs = PAIR.findall(line)
    assert " ".join(f"{key}={raw}" for key, raw in pairs) == line, line
    return {key: json.loads(raw) if raw.startswith('"') else raw for key, raw in pairs}


@pytest.fixture
def event_lines() -> Iterator[Callable[[str], list[str]]]:
    """`event_lines("text" | "json")`: what the dour.events logger wrote so far, in that format."""
    streams = {"text": io.StringIO(), "json": io.StringIO()}
    logger = logging.getLogger(EVENT_LOGGER)
    handlers = []
    for name, formatter in (("text", LogfmtFormatter()), ("json", JsonFormatter())):
        handler = logging.StreamHandler(streams[name])
        handler.setFormatter(formatter)
        logger.addHandler(handler)
        handlers.append(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    yield lambda name: streams[name].getvalue().splitlines()
    logger.setLevel(level)
    for handler in handlers:
        logger.removeHandler(handler)


def test_a_ticket_issue_is_one_parseable_line_with_its_number(
        client: Any, kiosk_token: str, event_lines: Callable[[str], list[str]]) -> None:
    answer = client.post("/api/kiosk/tickets", json={"service": "passport"},
                         headers={"Authorization": f"Bearer {kiosk_token}"})
    ticket = answer.get_json()["ticket"]
    text, json_lines = event_lines("text"), event_lines("json")
    assert len(text) == 1 and len(json_lines) == 1
    line = parse_logfmt(text[0])
    assert line["event"] == "ticket.issued" and line["ticket"] == ticket["number"] == "A-001"
    assert line["service"] == "passport" and line["kind"] == "walk_in" and line["level"] == "info"
    assert ticket["id"] not in text[0]  # the id is the visitor's link to the ticket page
    record = json.loads(json_lines[0])
    assert {key: record[key] for key in ("event", "ticket", "service", "seq")} == {
        "event": "ticket.issued", "ticket": "A-001", "service": "passport", "seq": int(line["seq"])}


def test_payment_lines_name_the_reference_and_never_card_data(
        device_app: Callable[..., Any], kiosk_client: Callable[..., Any],
        event_lines: Callable[[str], list[str]]) -> None:
    app = device_app(DOUR_DEVICES_PAYMENT="sim://")
    kiosk = kiosk_client(app)
    body = {"service": "passport", "request_id": "r1", "lang": "fr"}
    started = kiosk.post("/api/kiosk/payments", json=body)
    reference = started.get_json()["payment"]["reference"]
    payment = kiosk.get(f"/api/kiosk/payments/{reference}?wait=10").get_json()["payment"]
    assert payment["state"] == "approved" and payment["card"] == "**** 4242" and payment["auth_code"]
    lines = [parse_logfmt(line) for line in event_lines("text")]
    paid = [line for line in lines if line["event"].startswith("payment.")]
    assert [line["event"] for line in paid][-1] == "payment.approved"
    assert all(line["payment"] == reference for line in paid)
    assert any(line["event"] == "ticket.issued" for line in lines)
    for raw in event_lines("text") + event_lines("json"):
        assert "4242" not in raw and payment["auth_code"] not in raw
