"""Supervisors' reports (docs/reports.md): a day, a week or a month, as a page with charts (printable on A4),
as JSON, and each table as a CSV file.

A month of a large post takes SQLite seconds of CPU. Under gevent, it runs on its own read connection in a
one-thread pool kept for reports, at a lower CPU priority (nice): SQLite computes without the GIL, the
kiosks' requests go first when the cores are busy, and two supervisors' reports queue instead of taking
two cores. A period that ended before today changes only when a day is closed or the retention runs: its
report is kept (a few, most recent first), so the page, its CSV files and a reprint compute it once.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from datetime import date, timedelta
from typing import Any

from babel.numbers import format_decimal, format_percent
from flask import Blueprint, Response, jsonify, redirect, render_template, request, url_for

from core import period_report, report_csv, svg_charts
from core.clock import now
from core.errors import N_, DourError, Forbidden, NotFound
from core.fees import format_amount
from core.report_queries import Period, check_period, month_of, week_of
from core.site import Site
from core.web import current_user, error_message, language_context, page_language, require_user, site
from counter.report_tables import Table, tables

bp = Blueprint(
    "reports",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/reports",
)


REPORT_NICE = 10  # the report thread's niceness: the server's own threads stay at 0
KEPT_REPORTS = 8
_kept: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
_kept_lock = threading.Lock()
_pool: Any = None


def _lower_priority() -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, 0, REPORT_NICE)  # Linux: 0 is the calling thread
    except (AttributeError, OSError):
        pass


def _in_report_thread(function: Any, *args: Any) -> Any:
    """Run `function` in the reports' own low-priority thread when gevent serves this process, else here."""
    global _pool
    try:
        from gevent import monkey
    except ImportError:
        return function(*args)
    if not monkey.is_module_patched("threading"):
        return function(*args)
    if _pool is None:
        from gevent.threadpool import ThreadPool

        _pool = ThreadPool(1)
        _pool.apply(_lower_priority)
    return _pool.apply(function, args)


def _generation(db: Any) -> tuple[Any, ...]:
    """What changes a past period's figures: a day closed, a day pseudonymised or purged."""
    return tuple(db.execute("SELECT (SELECT COUNT(*) FROM day_summaries), COUNT(*), MAX(pseudonymised_at), "
                            "MAX(purged_at) FROM retention_days").fetchone())


def _compute(the_site: Site, period: Period, today: str) -> dict[str, Any]:
    with the_site.store.reading() as db:
        key = (the_site.store.path, period, _generation(db)) if period.last < today else None
        with _kept_lock:
            if key is not None and key in _kept:
                _kept.move_to_end(key)
                return _kept[key]
        report = period_report.build(db, the_site.config, period, now())
    if key is not None:
        with _kept_lock:
            _kept[key] = report
            while len(_kept) > KEPT_REPORTS:
                _kept.popitem(last=False)
    return report


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
    return dict(_in_report_thread(_compute, site(), period, site().today()))


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
    except DourError as error:
        context["error"] = error_message(error)
        return render_template("reports.html", **context), error.status
    report = report_for(period)
    named = {table.name: table for table in tables(report, config, lang)}
    context.update(
        period=period,
        report=report,
        tables=list(named.values()),
        charts=charts(report, named),
        service_name=config.services[period.service].name(lang) if period.service else None,
    )
    return render_template("reports.html", **context)
