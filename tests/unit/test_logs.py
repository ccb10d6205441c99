"""One line per record, logfmt or JSON; an event's line keeps only fields chosen one by one."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from core.journal import Event
from core.logs import JsonFormatter, LogfmtFormatter, event_fields, logfmt_value, logging_config


def test_an_appointment_check_in_line_has_the_ticket_number_and_nothing_personal() -> None:
    event = Event(7, "2026-03-02T08:00:00.000000Z", "appointment.checked_in", "kiosk:checkin", "tid",
                  {"appointment": "RDV-2026-000123", "number": "A-004", "persons": 2, "applicant": "Amina B.",
                   "services": ["passport"], "slot_start": "2026-03-02T08:30:00Z", "source": "sync"})
    assert event_fields(event) == {"event": "appointment.checked_in", "seq": 7, "ticket": "A-004",
                                   "actor": "kiosk:checkin"}


def test_a_device_line_says_which_device_and_why() -> None:
    event = Event(8, "2026-03-02T08:00:00.000000Z", "device.health", "device:printer:hall-1", None,
                  {"device": "printer:hall-1", "kind": "printer", "state": "degraded", "reason": "paper_out",
                   "detail": "free text from the driver", "previous": "ok"})
    assert event_fields(event) == {
        "event": "device.health", "seq": 8, "state": "degraded", "previous": "ok", "device": "printer:hall-1",
        "reason": "paper_out", "device_kind": "printer", "actor": "device:printer:hall-1"}


def test_values_are_quoted_only_when_needed() -> None:
    assert logfmt_value("A-042") == "A-042"
    assert logfmt_value("") == '""'
    assert logfmt_value('say "hi"\nnow') == '"say \\"hi\\"\\nnow"'
    assert logfmt_value(True) == "true"


def test_a_traceback_stays_on_the_records_line() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = logging.LogRecord("core.app", logging.ERROR, __file__, 1, "it failed: %s", ("x",),
                                   sys.exc_info())
    text, data = LogfmtFormatter().format(record), json.loads(JsonFormatter().format(record))
    assert "\n" not in text and text.startswith("at=") and 'msg="it failed: x"' in text
    assert "RuntimeError: boom" in data["exc"] and data["level"] == "error" and data["logger"] == "core.app"


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="log_format"):
        logging_config("xml")
    assert logging_config("json")["formatters"]["dour"]["()"] == "core.logs.JsonFormatter"
