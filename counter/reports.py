"""Supervisors' reports (docs/reports.md): a day, a week or a month, as a page with charts (printable on A4),
as JSON, and each table as a CSV file.

A month of a large post takes SQLite seconds of CPU: it is computed in a process of its own, at the lowest
CPU priority (core/report_process.py), so the kiosks' requests share nothing with it but the cores and get
those first; reports queue there one at a time, and a request beyond the queue is told to try again. A past
period's report is kept there while nothing it counts changes (core/kept_reports.py), so the page, its CSV
files and a reprint compute it once.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from babel.numbers import format_decimal, format_percent
from flask import Blueprint, Response, jsonify, redirect, render_template, request, url_for

from core import report_csv, report_process, svg_charts
from core.clock import now
from core.errors import N_, DourError, Forbidden, NotFound
from core.fees import format_amount
from core.report_queries import Period, check_period, month_of, week_of
from core.web import current_user, error_message, language_context, page_language, require_user, site
from counter.report_tables import Table, tables

bp = Blueprint(
    "reports",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/reports",
)


def _period() -> Period:
    args = request.args
    return check_period(
        site().config,
        args.get("from") or None,
        args.get("to") or None,
        args.get("service") or None,
        site().today(),
    )


def report_for(period: Period) -> dict[str, Any]:
    the_site = site()
    return report_process.report(the_site.store, the_site.config, period, now(), the_site.today())


@bp.get("/api/supervisor/reports")
@require_user("supervisor")
def report_json() -> Any:
    return jsonify(report_for(_period()))


@bp.get("/api/supervisor/reports/<name>.csv")
@require_user("supervisor")
def report_csv_file(name: str) -> Any:
    period = _period()
    lang = page_language()
    table = next((t for t in tables(report_for(period), site().config, lang) if t.name == name), None)
    if table is None:
        raise NotFound(N_("There is no such table in the report."))
    text = report_csv.to_csv(table.columns, table.rows, site().config.site["default_language"])
    service = f"-{period.service}" if period.service else ""
    filename = f"dour-{name}-{period.first}-{period.last}{service}.csv"
    return Response(
        text.encode("utf-8"),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def cell_text(value: Any, kind: str, lang: str) -> str:
    """A cell as the page shows it, in the page's language."""
    if value is None or value == "":
        return "–" if kind != "text" else str(value or "")
    if kind == "money":
        return format_amount(int(value[0]), str(value[1]), lang)
    if kind == "minutes":
        return str(format_decimal(value, "#,##0.0", locale=lang))
    if kind == "share":
        return str(format_percent(value, "#,##0.0%", locale=lang))
    if kind == "int":
        return str(format_decimal(value, locale=lang))
    return str(value)


def charts(report: dict[str, Any], named: dict[str, Table]) -> list[dict[str, Any]]:
    """The three charts as `<img>` data URIs, each with the table that holds its numbers."""
    from flask_babel import gettext as _

    data = report["charts"]
    waiting = svg_charts.lines(
        named["waiting"].title,
        data["waiting"]["labels"],
        [
            svg_charts.Series(_("Mean over the days"), data["waiting"]["mean"]),
            svg_charts.Series(_("Highest"), data["waiting"]["max"]),
        ],
        _("People waiting"),
    )
    arrivals = svg_charts.bars_and_line(
        named["arrivals"].title,
        data["arrivals"]["labels"],
        svg_charts.Series(_("Arrivals"), data["arrivals"]["arrivals"]),
        svg_charts.Series(_("Capacity"), data["arrivals"]["capacity"]),
        _("Visitors per hour"),
    )
    spread = svg_charts.bars_and_line(
        named["wait_distribution"].title,
        data["waits"]["labels"],
        svg_charts.Series(_("Calls"), data["waits"]["counts"]),
        None,
        _("Calls"),
    )
    return [
        {"table": named[name], "uri": svg_charts.data_uri(svg)}
        for name, svg in (("waiting", waiting), ("arrivals", arrivals), ("wait_distribution", spread))
    ]


def presets(today: str) -> list[tuple[str, str, str]]:
    """(label, first, last) of the quick choices: today, yesterday, this week, last week, this month, last
    month."""
    from flask_babel import gettext as _

    yesterday = (date.fromisoformat(today) - timedelta(days=1)).isoformat()
    last_week = (date.fromisoformat(today) - timedelta(days=7)).isoformat()
    last_month = (date.fromisoformat(month_of(today)[0]) - timedelta(days=1)).isoformat()
    return [
        (_("Today"), today, today),
        (_("Yesterday"), yesterday, yesterday),
        (_("This week"), *week_of(today)),
        (_("Last week"), *week_of(last_week)),
        (_("This month"), *month_of(today)),
        (_("Last month"), *month_of(last_month)),
    ]


@bp.get("/supervisor/reports")
def reports_page() -> Any:
    user = current_user()
    if user is None:
        return redirect(url_for("counter.login_page"))
    if user["role"] != "supervisor":
        raise Forbidden(N_("Your role may not do that."))
    lang, config, today = page_language(), site().config, site().today()
    context: dict[str, Any] = {
        "site": config.site,
        "services": config.services.values(),
        "lang_code": lang,
        "presets": presets(today),
        "args": request.args,
        "error": None,
        "tables": [],
        "charts": [],
        "cell_text": cell_text,
        **language_context(),
    }
    try:
        period = _period()
        report = report_for(period)
    except DourError as error:
        context["error"] = error_message(error)
        return render_template("reports.html", **context), error.status
    named = {table.name: table for table in tables(report, config, lang)}
    context.update(
        period=period,
        report=report,
        tables=list(named.values()),
        charts=charts(report, named),
        service_name=config.services[period.service].name(lang) if period.service else None,
    )
    return render_template("reports.html", **context)
