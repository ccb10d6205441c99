"""The report's tables, once: each is a title, typed columns and rows of raw values, which the page formats in
its language and the CSV export writes as numbers a spreadsheet reads (docs/reports.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from core.config import KIND_LABELS, SiteConfig
from core.errors import N_

# Column kinds: text, int, minutes (float), share (0..1), money ((minor units, currency)).
DEVICE_KINDS = {
    "printer": N_("Printer of kiosk %(name)s"),
    "scanner": N_("Scanner of kiosk %(name)s"),
    "card_reader": N_("Badge reader of counter %(name)s"),
    "payment": N_("Payment terminal of kiosk %(name)s"),
}
PAYMENT_STATES = {
    "pending": N_("Waiting to be sent"),
    "sent": N_("At the terminal"),
    "approved": N_("Approved"),
    "declined": N_("Declined"),
    "abandoned": N_("Cancelled at the terminal"),
    "failed": N_("Not charged"),
    "unknown": N_("Outcome unknown"),
    "voided": N_("Voided"),
    "refunded": N_("Refunded"),
}
OPERATIONS = {"payment": N_("Payment"), "void": N_("Void"), "refund": N_("Refund")}


@dataclass(frozen=True)
class Table:
    name: str  # the CSV file's name and the HTML id
    title: str
    columns: list[tuple[str, str]]  # (header, kind)
    rows: list[list[Any]]


def _spread(figures: dict[str, Any], target: bool = True) -> list[Any]:
    cells = [
        figures.get("count") or 0,
        figures.get("p50"),
        figures.get("p90"),
        figures.get("max"),
        figures.get("mean"),
    ]
    return [*cells, figures.get("within_target")] if target else cells


def _spread_columns(count: str, target: bool = True) -> list[tuple[str, str]]:
    columns = [
        (count, "int"),
        (_("Median (min)"), "minutes"),
        (_("90th percentile (min)"), "minutes"),
        (_("Longest (min)"), "minutes"),
        (_("Mean (min)"), "minutes"),
    ]
    return [*columns, (_("Within the target"), "share")] if target else columns


def _device(name: str) -> str:
    kind, _sep, owner = name.partition(":")
    return _(DEVICE_KINDS[kind], name=owner) if kind in DEVICE_KINDS else name


def tables(report: dict[str, Any], config: SiteConfig, lang: str) -> list[Table]:
    """Every table of `report` (core/period_report.py), titled and headed in the current language."""

    def service(code: str) -> str:
        return config.services[code].name(lang) if code in config.services else code

    tickets, waits, times = report["tickets"], report["waits"], report["service_times"]
    payments = report["payments"]
    counts = [
        (_("Issued"), "int"),
        (_("Served"), "int"),
        (_("No-shows"), "int"),
        (_("Cancelled"), "int"),
        (_("Carried"), "int"),
        (_("Still open"), "int"),
    ]
    keys = ("issued", "served", "no_show", "cancelled", "carried", "open")
    totals = [sum(row[key] for row in tickets) for key in keys]
    staff_columns = [
        (_("Served"), "int"),
        (_("No-shows"), "int"),
        (_("Recalls"), "int"),
        (_("Transfers"), "int"),
        (_("Median wait before the call (min)"), "minutes"),
        (_("Median service time (min)"), "minutes"),
        (_("Mean service time (min)"), "minutes"),
    ]

    def staff(rows: list[dict[str, Any]], label: str, name: Callable[[Any], Any]) -> list[list[Any]]:
        return [
            [
                name(row[label]),
                row["served"],
                row["no_show"],
                row["recalls"],
                row["transfers"],
                row["wait"]["p50"],
                row["service_time"]["p50"],
                row["service_time"]["mean"],
            ]
            for row in rows
        ]

    charts = report["charts"]
    return [
        Table(
            "tickets",
            _("Tickets per service and kind"),
            [(_("Service"), "text"), (_("Kind"), "text"), *counts],
            [
                [
                    service(row["service"]),
                    _(KIND_LABELS.get(row["kind"], row["kind"])),
                    *(row[key] for key in keys),
                ]
                for row in tickets
            ]
            + ([[_("All services"), "", *totals]] if tickets else []),
        ),
        Table(
            "waits",
            _("Wait before the call"),
            [(_("Service"), "text"), *_spread_columns(_("Calls"))],
            [[service(row["service"]), *_spread(row)] for row in waits["by_service"]]
            + ([[_("All services"), *_spread(waits["all"])]] if waits["all"]["count"] else []),
        ),
        Table(
            "service_times",
            _("Service time (from the start to the end of serving)"),
            [(_("Service"), "text"), *_spread_columns(_("Served"), target=False)],
            [[service(row["service"]), *_spread(row, target=False)] for row in times["by_service"]]
            + ([[_("All services"), *_spread(times["all"], target=False)]] if times["all"]["count"] else []),
        ),
        Table(
            "days",
            _("Day by day"),
            [
                (_("Day"), "text"),
                (_("Issued"), "int"),
                (_("Served"), "int"),
                (_("No-shows"), "int"),
                *_spread_columns(_("Calls"))[1:],
            ],
            [
                [row["day"], row["issued"], row["served"], row["no_show"], *_spread(row["wait"])[1:]]
                for row in report["days"]
            ],
        ),
        Table(
            "counters",
            _("Per counter"),
            [(_("Counter"), "text"), *staff_columns],
            staff(report["counters"], "counter", str),
        ),
        Table(
            "agents",
            _("Per agent"),
            [(_("Agent"), "text"), *staff_columns],
            staff(report["agents"], "agent", str),
        ),
        Table(
            "fee_items",
            _("Payments by fee item"),
            [
                (_("Fee item"), "text"),
                (_("Payments kept"), "int"),
                (_("Amount kept"), "money"),
                (_("Voided or refunded"), "int"),
                (_("Amount voided or refunded"), "money"),
            ],
            [
                [
                    row["names"].get(lang) or row["code"],
                    row["count"],
                    (row["amount_minor"], row["currency"]),
                    row["reversed_count"],
                    (row["reversed_minor"], row["currency"]),
                ]
                for row in payments["fee_items"]
            ],
        ),
        Table(
            "payment_states",
            _("Payments by outcome"),
            [(_("Operation"), "text"), (_("Outcome"), "text"), (_("Count"), "int"), (_("Amount"), "money")],
            [
                [
                    _(OPERATIONS.get(row["operation"], row["operation"])),
                    _(PAYMENT_STATES.get(row["state"], row["state"])),
                    row["count"],
                    (row["amount_minor"], row["currency"]),
                ]
                for row in payments["states"]
            ],
        ),
        Table(
            "devices",
            _("Device incidents"),
            [
                (_("Device"), "text"),
                (_("Incidents"), "int"),
                (_("Minutes not working"), "minutes"),
                (_("Tickets not printed"), "int"),
            ],
            [
                [_device(row["device"]), row["incidents"], row["minutes"], row["print_failures"]]
                for row in report["devices"]
            ],
        ),
        Table(
            "waiting",
            _("People waiting over the day"),
            [
                (_("Time"), "text"),
                (_("Waiting (mean over the days)"), "minutes"),
                (_("Waiting (highest)"), "minutes"),
            ],
            [
                [label, mean, top]
                for label, mean, top in zip(
                    charts["waiting"]["labels"],
                    charts["waiting"]["mean"],
                    charts["waiting"]["max"],
                    strict=True,
                )
            ],
        ),
        Table(
            "arrivals",
            _("Arrivals per hour against capacity"),
            [
                (_("Hour"), "text"),
                (_("Arrivals (mean per day)"), "minutes"),
                (_("Capacity (counters open × 60 / mean service time)"), "minutes"),
            ],
            [
                [label, arrivals, capacity]
                for label, arrivals, capacity in zip(
                    charts["arrivals"]["labels"],
                    charts["arrivals"]["arrivals"],
                    charts["arrivals"]["capacity"],
                    strict=True,
                )
            ],
        ),
        Table(
            "wait_distribution",
            _("Distribution of waits before the call"),
            [(_("Wait (min)"), "text"), (_("Calls"), "int")],
            [
                [label, count]
                for label, count in zip(charts["waits"]["labels"], charts["waits"]["counts"], strict=True)
            ],
        ),
    ]
