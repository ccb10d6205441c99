"""Supervisors' reports: the figures of a served morning, the same after pseudonymisation, the kept summary
after the purge, date errors in the page's language, CSV files a French spreadsheet reads, the queries on
their indexes, the same figures from the reports' own process, and past reports kept until a correction."""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core import (
    day_close,
    kept_reports,
    payments,
    period_report,
    report_process,
    report_queries,
    report_series,
    retention,
)
from core.clock import now
from core.report_queries import Period
from core.site import Site
from core.states import Action

MORNING = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)  # a Monday, 10:00 in Paris
DAY = "2025-06-02"


def serve_a_morning(site: Site, clock: Any, agent: dict[str, Any]) -> None:
    """Three passport walk-ins at counter 1 (waits 29, 35 and 29 min; services 13 and 11 min; a no-show),
    one CNIE left waiting, a printer out of paper for 10 minutes."""
    clock.set(MORNING)
    site.open_counter(1, agent)
    tickets = []
    for minutes in (0, 10, 20):
        clock.set(MORNING + timedelta(minutes=minutes))
        tickets.append(site.issue_ticket(service="passport", kind="walk_in", lang="fr", actor="test").ticket)
    clock.set(MORNING + timedelta(minutes=29))
    first = site.call_next(1, agent)
    assert first is not None and first.id == tickets[0].id
    site.act(first.id, Action.START, 1, agent)
    clock.set(MORNING + timedelta(minutes=42))
    site.act(first.id, Action.FINISH, 1, agent)
    clock.set(MORNING + timedelta(minutes=45))
    second = site.call_next(1, agent)
    assert second is not None
    clock.set(MORNING + timedelta(minutes=48))
    site.act(second.id, Action.NO_SHOW, 1, agent)
    clock.set(MORNING + timedelta(minutes=49))
    third = site.call_next(1, agent)
    assert third is not None
    site.act(third.id, Action.START, 1, agent)
    clock.set(MORNING + timedelta(minutes=60))
    site.act(third.id, Action.FINISH, 1, agent)
    site.issue_ticket(service="cnie", kind="walk_in", lang="ar", actor="test")
    site.report_device_health("printer:hall-1", "printer", "offline", "paper_out")
    clock.set(MORNING + timedelta(minutes=70))
    site.report_device_health("printer:hall-1", "printer", "ok", "")


def report_of(site: Site, first: str = DAY, last: str = DAY, service: str | None = None) -> dict[str, Any]:
    with site.store.reading() as db:
        return period_report.build(db, site.config, Period(first, last, service), now())


def check_the_morning(report: dict[str, Any]) -> None:
    tickets = {(row["service"], row["kind"]): row for row in report["tickets"]}
    assert tickets[("passport", "walk_in")] == {
        "service": "passport",
        "kind": "walk_in",
        "issued": 3,
        "served": 2,
        "no_show": 1,
        "cancelled": 0,
        "carried": 0,
        "open": 0,
    }
    passport = next(row for row in report["waits"]["by_service"] if row["service"] == "passport")
    assert (passport["count"], passport["p50"], passport["p90"], passport["max"]) == (3, 29.0, 35.0, 35.0)
    assert passport["within_target"] == pytest.approx(0.667)
    assert report["service_times"]["all"]["p50"] == 11.0 and report["service_times"]["all"]["max"] == 13.0
    assert [(row["counter"], row["served"], row["no_show"]) for row in report["counters"]] == [(1, 2, 1)]
    assert [(row["agent"], row["served"]) for row in report["agents"]] == [("Amina", 2)]
    assert report["days"][0]["issued"] == 4 and report["days"][0]["source"] == "rows"


def test_a_served_morning_in_figures_and_charts(site: Site, clock: Any, add_agent: Any) -> None:
    serve_a_morning(site, clock, add_agent(site, "amina"))
    report = report_of(site)
    check_the_morning(report)
    assert report["devices"] == [
        {
            "device": "printer:hall-1",
            "incidents": 1,
            "minutes": 70.0 - 60.0,
            "reasons": ["paper_out"],
            "print_failures": 0,
        }
    ]
    arrivals = dict(
        zip(report["charts"]["arrivals"]["labels"], report["charts"]["arrivals"]["arrivals"], strict=True)
    )
    assert arrivals["10:00"] == 3 and arrivals["11:00"] == 1  # Paris hours (UTC+2 in June)
    capacity = dict(
        zip(report["charts"]["arrivals"]["labels"], report["charts"]["arrivals"]["capacity"], strict=True)
    )
    assert capacity["10:00"] == 5.0  # one counter open the whole hour × 60 / 12 min mean service
    waiting = dict(
        zip(report["charts"]["waiting"]["labels"], report["charts"]["waiting"]["mean"], strict=True)
    )
    assert waiting["10:15"] == 2 and waiting["10:30"] == 2  # at the end of the quarter: 3 arrived, 1 called
    assert sum(report["charts"]["waits"]["counts"]) == 3
    assert report_of(site, service="cnie")["waits"]["all"]["count"] == 0


def test_pseudonymised_days_keep_their_figures_and_purged_days_their_summary(
    site: Site, clock: Any, add_agent: Any
) -> None:
    serve_a_morning(site, clock, add_agent(site, "amina"))
    clock.set(MORNING + timedelta(days=2))
    assert DAY in retention.run(site).pseudonymised
    check_the_morning(report_of(site))

    clock.set(MORNING + timedelta(days=40))
    assert DAY in retention.run(site).purged
    report = report_of(site, "2025-06-01", "2025-06-03")
    assert report["sources"] == {"days_with_rows": [], "days_from_summaries": [DAY]}
    tickets = {(row["service"], row["kind"]): row for row in report["tickets"]}
    assert tickets[("passport", "walk_in")]["issued"] == 3 and tickets[("passport", "walk_in")]["served"] == 2
    assert tickets[("cnie", "walk_in")]["no_show"] == 1  # left waiting: the retention's close ended it
    day = report["days"][0]
    assert (day["day"], day["source"], day["issued"]) == (DAY, "summary", 4)
    assert (day["wait"]["p50"], day["wait"]["max"]) == (29.0, 35.0)
    assert report_of(site, "2025-06-01", "2025-06-03", "cnie")["days"][0]["issued"] == 1


def test_the_api_and_page_refuse_bad_dates_in_the_page_language(app: Any, supervisor_client: Any) -> None:
    boss = supervisor_client(app)
    for query in (
        "from=2025-13-01",
        "from=2025-06-10&to=2025-06-01",
        "from=2025-01-01&to=2025-12-31",
        "service=nothing",
    ):
        answer = boss.get(f"/api/supervisor/reports?{query}")
        assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_input", query
    page = boss.get("/supervisor/reports?from=2025-06-10&to=2025-06-01&lang=fr")
    assert page.status_code == 400
    assert 'data-testid="report-error"' in page.text and "2025-06-10" in page.text  # the form keeps them
    french = boss.get("/api/supervisor/reports?from=06/02/2025&lang=fr").get_json()["message"]
    assert french != "A day is written YYYY-MM-DD." and "AAAA-MM-JJ" in french


def test_agents_and_devices_cannot_see_reports(
    app: Any, add_agent: Any, login: Any, kiosk_token: str
) -> None:
    add_agent(app.extensions["dour.site"], "amina")
    agent = app.test_client()
    login(agent, "amina")
    assert agent.get("/api/supervisor/reports").status_code == 403
    assert agent.get("/supervisor/reports").status_code == 403
    assert agent.get("/api/supervisor/reports/tickets.csv").status_code == 403
    kiosk = app.test_client()
    assert (
        kiosk.get("/api/supervisor/reports", headers={"Authorization": f"Bearer {kiosk_token}"}).status_code
        == 401
    )
    assert app.test_client().get("/supervisor/reports").status_code == 302


def test_csv_files_open_in_a_french_spreadsheet_and_match_the_report(
    app: Any, app_site: Site, clock: Any, add_agent: Any, supervisor_client: Any
) -> None:
    serve_a_morning(app_site, clock, add_agent(app_site, "amina"))
    boss = supervisor_client(app)
    answer = boss.get(f"/api/supervisor/reports/waits.csv?from={DAY}&to={DAY}&lang=fr")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert f'filename="dour-waits-{DAY}-{DAY}.csv"' in answer.headers["Content-Disposition"]
    raw = answer.data
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark: Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Service" and rows[0][-1].endswith("(%)")
    passport = next(row for row in rows if row[0] == "Passeport")
    assert passport[1:5] == ["3", "29,0", "35,0", "35,0"] and passport[6] == "66,7"
    arabic = boss.get(f"/api/supervisor/reports/tickets.csv?from={DAY}&to={DAY}&lang=ar").data.decode(
        "utf-8-sig"
    )
    assert "جواز السفر" in arabic
    assert boss.get(f"/api/supervisor/reports/nothing.csv?from={DAY}").status_code == 404


def test_the_page_shows_tables_charts_and_csv_links(
    app: Any, app_site: Site, clock: Any, add_agent: Any, supervisor_client: Any
) -> None:
    serve_a_morning(app_site, clock, add_agent(app_site, "amina"))
    boss = supervisor_client(app)
    page = boss.get(f"/supervisor/reports?from={DAY}&to={DAY}&lang=en")
    assert page.status_code == 200
    assert page.text.count('src="data:image/svg+xml;base64,') == 3
    assert page.text.count("Its figures are in the table below it.") == 3
    assert 'data-testid="csv-fee_items"' in page.text and "Amina" in page.text
    assert boss.get("/supervisor/reports").status_code == 200  # today, empty
    assert 'data-testid="nav-reports"' in boss.get("/supervisor").text  # every staff page links here


def test_report_queries_use_indexes(site: Site) -> None:
    db = site.store.read()
    period = Period(DAY, DAY)
    where, params = period.where()
    plans = {
        "tickets": (report_queries.TICKET_COUNTS.format(where=where), params),
        "journal": (
            f"SELECT at FROM journal WHERE {report_series.FLOOR_EVENTS} AND at >= ? AND at < ?",
            ["a", "b"],
        ),
        "payments": (report_queries.PAYMENT_STATES.format(where=where), params),
    }
    for name, (sql, args) in plans.items():
        plan = " | ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}", args))
        assert "USING INDEX" in plan and "SCAN t " not in plan + " " and "SCAN journal" not in plan, (
            name,
            plan,
        )


def test_the_report_is_computed_outside_the_server_process_with_the_same_figures(
    app: Any, app_site: Site, clock: Any, add_agent: Any, supervisor_client: Any, monkeypatch: Any
) -> None:
    serve_a_morning(app_site, clock, add_agent(app_site, "amina"))
    here = json.loads(json.dumps(report_of(app_site, DAY, "2025-06-08")))  # a week, computed in this process

    def not_here(*args: Any) -> None:
        raise AssertionError("a report computed in the server's own process")

    monkeypatch.setattr(period_report, "build", not_here)
    answer = supervisor_client(app).get(f"/api/supervisor/reports?from={DAY}&to=2025-06-08")
    assert answer.status_code == 200 and answer.get_json() == here


def pay_on_the_day(site: Site, reference: str) -> None:
    """A passport fee paid by card on DAY, as the kiosk's terminal flow leaves it."""
    items = [{"code": "passport_stamp", "amount_minor": 6000}]
    with site.change() as (db, events):
        events.append(payments.create(db, reference=reference, terminal="term-1", amount_minor=6000,
                                      currency="EUR", lang="fr", day=DAY, actor="device:hall-1",
                                      kiosk="hall-1", service="passport", items=items)[1])
        events.append(payments.move(db, reference, "sent", "device:hall-1")[1])
        events.append(payments.move(db, reference, "approved", "device:hall-1", auth_code="A12345")[1])


def test_a_kept_past_report_follows_a_payment_voided_the_next_morning(
    app: Any, app_site: Site, clock: Any, add_agent: Any, supervisor_client: Any
) -> None:
    serve_a_morning(app_site, clock, add_agent(app_site, "amina"))
    pay_on_the_day(app_site, "PAY-REPORT-1")
    day_close.close_day(app_site, leftover="no_show", actor="user:9", force=True)
    clock.set(MORNING + timedelta(days=1))  # the day is past: its report is kept
    boss = supervisor_client(app)

    def fee_item() -> dict[str, Any]:
        report = boss.get(f"/api/supervisor/reports?from={DAY}&to={DAY}").get_json()
        return dict(report["payments"]["fee_items"][0])

    assert (fee_item()["count"], fee_item()["reversed_count"]) == (1, 0)
    with app_site.change() as (db, events):
        events.append(payments.move(db, "PAY-REPORT-1", "voided", "user:9")[1])
    assert (fee_item()["count"], fee_item()["reversed_count"]) == (0, 1)


def test_a_past_period_is_computed_once_while_nothing_it_counts_changes(
    site: Site, clock: Any, add_agent: Any, monkeypatch: Any
) -> None:
    serve_a_morning(site, clock, add_agent(site, "amina"))
    built: list[Period] = []
    build = period_report.build

    def counted(db: Any, config: Any, period: Period, moment: Any) -> dict[str, Any]:
        built.append(period)
        return build(db, config, period, moment)

    monkeypatch.setattr(period_report, "build", counted)

    def report() -> dict[str, Any]:
        return kept_reports.report(site.store, site.config, Period(DAY, DAY), now(), site.today())

    report()
    report()
    assert len(built) == 2  # today's figures move with every ticket: never kept
    clock.set(MORNING + timedelta(days=1))
    report()
    report()
    assert len(built) == 4  # the CNIE ticket still waits: its wait may still change
    day_close.close_day(site, day=DAY, leftover="no_show", actor="user:9")
    first = report()
    assert report() == first and len(built) == 5  # closed and past: kept
    with site.store.write() as db:
        db.execute("UPDATE users SET display_name = 'Amina B.' WHERE username = 'amina'")
    assert [row["agent"] for row in report()["agents"]] == ["Amina B."] and len(built) == 6


def test_a_busy_report_process_is_said_in_the_page_language(
    app: Any, supervisor_client: Any, monkeypatch: Any
) -> None:
    def busy(*args: Any) -> None:
        raise report_process.ReportsBusy(report_process.BUSY)

    monkeypatch.setattr(report_process, "report", busy)
    boss = supervisor_client(app)
    answer = boss.get("/api/supervisor/reports?lang=fr")
    assert answer.status_code == 503 and answer.get_json()["error"] == "reports_busy"
    assert answer.get_json()["message"] == (
        "Un autre rapport est en cours de préparation. Réessayez dans une minute."
    )
    page = boss.get("/supervisor/reports?lang=ar")
    assert page.status_code == 503 and "يجري إعداد تقرير آخر" in page.text


# The percentiles as SQLite's window functions computed them before they moved to Python
# (core/report_queries.py `spreads`): the oracle the Python version must agree with, figure for figure.
WINDOWED_SPREADS = """
    WITH targets(service, minutes) AS ({targets}),
    base AS MATERIALIZED (
        SELECT t.day, t.service, t.counter, t.agent_id,
               MAX(0.0, (julianday(t.called_at) - julianday(t.arrived_at)) * 1440.0) AS wait,
               CASE WHEN t.state = 'done' AND t.started_at IS NOT NULL AND t.finished_at IS NOT NULL
                    THEN MAX(0.0, (julianday(t.finished_at) - julianday(t.started_at)) * 1440.0)
               END AS served,
               g.minutes AS target
        FROM tickets t LEFT JOIN targets g ON g.service = t.service
        WHERE {where}),
    points(metric, dim, key, m, ok) AS ({points}),
    ranked AS (
        SELECT metric, dim, key, m, ok, ROW_NUMBER() OVER (PARTITION BY metric, dim, key ORDER BY m) AS rn,
               COUNT(*) OVER (PARTITION BY metric, dim, key) AS n
        FROM points)
    SELECT metric, dim, key, n, MAX(CASE WHEN rn = (n + 1) / 2 THEN m END),
           MAX(CASE WHEN rn = (9 * n + 9) / 10 THEN m END), MAX(m), AVG(m), SUM(ok)
    FROM ranked GROUP BY metric, dim, key"""


def windowed_spreads(site: Site, period: Period) -> dict[str, dict[str, dict[Any, dict[str, Any]]]]:
    keys = {"all": "''", "service": "service", "day": "day", "counter": "counter", "agent": "agent_id"}
    points = "\n UNION ALL ".join(
        f"SELECT '{metric}', '{dim}', {key}, {value}, {ok} FROM base"
        f" WHERE {value} IS NOT NULL AND {key} IS NOT NULL"
        for metric, value, ok in (("wait", "wait", "wait <= target"), ("service", "served", "NULL"))
        for dim, key in keys.items()
    )
    services = [(s.code, s.target_wait_minutes) for s in site.config.services.values()]
    targets, target_params = report_queries.values_cte(services)
    where, params = period.where()
    sql = WINDOWED_SPREADS.format(targets=targets, where=where, points=points)
    found: dict[str, dict[str, dict[Any, dict[str, Any]]]] = {"wait": {}, "service": {}}
    one = report_queries._round
    rows = site.store.read().execute(sql, [*target_params, *params])
    for metric, dim, key, n, p50, p90, top, mean, ok in rows:
        found[metric].setdefault(dim, {})[key] = {
            "count": n, "p50": one(p50), "p90": one(p90), "max": one(top), "mean": one(mean),
            "within_target": round(ok / n, 3) if metric == "wait" and ok is not None else None,
        }
    return found


def test_spreads_agree_with_the_windowed_sql_they_replace(site: Site) -> None:
    """Ties, one-ticket groups, tickets never called, served or not, counters and agents missing, two days and
    a service filter: the Python percentiles give the same figures, keys and order as SQLite's windows."""
    services = [code for code, service in site.config.services.items() if "walk_in" in service.kinds]
    rng = random.Random(7)
    for _ in range(160):
        site.issue_ticket(service=rng.choice(services), kind="walk_in", lang="fr", actor="test")
    with site.store.write() as db:
        for (ticket_id,) in db.execute("SELECT id FROM tickets ORDER BY rowid").fetchall():
            day = rng.choice([DAY, "2025-06-03"])
            start = datetime.fromisoformat(f"{day}T08:00:00+00:00") + timedelta(minutes=rng.randint(0, 300))
            called = start + timedelta(minutes=rng.choice([0, 5, 5, 12, 30, rng.randint(0, 90)]))
            began = called + timedelta(minutes=rng.randint(0, 3))
            ended = began + timedelta(minutes=rng.choice([4, 7, 7, 15, rng.randint(1, 40)]))
            state = rng.choice(["done", "done", "done", "no_show", "waiting"])
            db.execute(
                "UPDATE tickets SET day = ?, arrived_at = ?, called_at = ?, started_at = ?, finished_at = ?,"
                " state = ?, counter = ?, agent_id = ? WHERE id = ?",
                [day, start.isoformat(), None if state == "waiting" else called.isoformat(),
                 began.isoformat() if state == "done" else None,
                 ended.isoformat() if state == "done" else None, state,
                 rng.choice([None, 1, 2, 3, 7]), rng.choice([None, 11, 12]), ticket_id],
            )
    for period in (Period(DAY, DAY), Period(DAY, "2025-06-03"), Period(DAY, "2025-06-03", services[0])):
        with site.store.reading() as db:
            found = report_queries.spreads(db, site.config, period)
        expected = windowed_spreads(site, period)
        assert found == expected and list(found["wait"]) == list(expected["wait"])
        assert [list(by_key) for by_key in found["wait"].values()] == [
            list(by_key) for by_key in expected["wait"].values()
        ]
        assert found["wait"]["all"][""]["count"] > 10 and found["service"]["agent"]
