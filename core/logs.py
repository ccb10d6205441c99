"""Logs a person can read and a machine can parse: one line per record, logfmt (`server.log_format = "text"`)
or JSON lines (`"json"`), for the server (gunicorn's own lines included) and the sync worker.

Every journal event the server publishes becomes one line on the `dour.events` logger, with the ticket
number or the payment reference and a short list of other fields, chosen one by one: never a visitor's name,
an appointment's reference, a free-text note, nor the card's last four digits or the authorisation code.

Imported by gunicorn's master to configure logging: it must stay free of Flask and of the database layer.
"""

from __future__ import annotations

import json
import logging
import logging.config
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.journal import Event

FORMATS = ("text", "json")
EVENT_LOGGER = "dour.events"
# What a log line may say of an event: the event's data key → the line's key. Anything else stays out.
EVENT_FIELDS = {
    "number": "ticket", "service": "service", "counter": "counter", "from_counter": "from_counter",
    "to_service": "to_service", "to_counter": "to_counter", "operation": "operation", "state": "state",
    "previous": "previous", "amount_minor": "amount_minor", "currency": "currency", "kiosk": "kiosk",
    "terminal": "terminal", "etimbre_state": "etimbre_state", "device": "device", "printer": "printer",
    "reason": "reason", "exception": "exception",
}
PAYMENT_EVENT_FIELDS = {"reference": "payment", "original_reference": "original_payment", "kind": "kind"}
DEVICE_EVENT_FIELDS = {"kind": "device_kind"}


def event_fields(event: Event) -> dict[str, Any]:
    """The fields of an event's log line, in a stable order."""
    allowed = dict(EVENT_FIELDS)
    if event.type.startswith("payment."):
        allowed.update(PAYMENT_EVENT_FIELDS)
    elif event.type == "device.health":
        allowed.update(DEVICE_EVENT_FIELDS)
    fields: dict[str, Any] = {"event": event.type, "seq": event.seq}
    for key, name in allowed.items():
        value = event.data.get(key)
        if isinstance(value, str | int | float | bool) and value != "":
            fields[name] = value
    ticket = event.data.get("ticket")
    if isinstance(ticket, dict) and isinstance(ticket.get("kind"), str):
        fields["kind"] = ticket["kind"]  # the ticket's public kind: walk_in, appointment, pickup
    fields["actor"] = event.actor
    return fields


def event_logger(logger: logging.Logger | None = None):  # type: ignore[no-untyped-def]
    """A bus subscriber (core/bus.py) writing one INFO line per published event."""
    target = logger or logging.getLogger(EVENT_LOGGER)

    def log_event(event: Event) -> None:
        if target.isEnabledFor(logging.INFO):
            target.info(event.type, extra={"fields": event_fields(event)})

    return log_event


def record_fields(record: logging.LogRecord) -> dict[str, Any]:
    """at, level, logger, then the event's fields or the message (and a traceback, on one line)."""
    at = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    fields: dict[str, Any] = {"at": at, "level": record.levelname.lower(), "logger": record.name}
    extra = getattr(record, "fields", None)
    if isinstance(extra, dict):
        fields.update(extra)
    else:
        fields["msg"] = record.getMessage()
    if record.exc_info:
        fields["exc"] = logging.Formatter().formatException(record.exc_info)
    return fields


NEEDS_QUOTES = re.compile(r'[ ="\\\n\r\t]')  # one search per value: every published event is a line


def logfmt_value(value: Any) -> str:
    text = "true" if value is True else "false" if value is False else str(value)
    if text and NEEDS_QUOTES.search(text) is None:
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return '"' + escaped.replace("\t", "\\t") + '"'


class LogfmtFormatter(logging.Formatter):
    """`at=2026-03-02T08:15:03.120Z level=info logger=dour.events event=ticket.issued ticket=A-042 …`"""

    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{key}={logfmt_value(value)}" for key, value in record_fields(record).items())


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the same keys as the logfmt lines."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(record_fields(record), ensure_ascii=False, default=str)


def logging_config(log_format: str) -> dict[str, Any]:
    """A logging.config.dictConfig dict: every record at INFO or above, one line each on standard error.
    Also gunicorn's `logconfig_dict` (its master applies it, and the worker inherits it)."""
    if log_format not in FORMATS:
        raise ValueError(f"server.log_format must be one of {', '.join(FORMATS)}, not {log_format!r}")
    formatter = LogfmtFormatter if log_format == "text" else JsonFormatter
    handler = {"class": "logging.StreamHandler", "formatter": "dour", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"dour": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "handlers": {"console": handler},
        "root": {"level": "INFO", "handlers": ["console"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
        },
    }


def configure(log_format: str) -> None:
    """For a process gunicorn does not start (the sync worker)."""
    logging.config.dictConfig(logging_config(log_format))
