"""The daily report of a closed day goes up to the central with the sync, once per content
(sync/daily_reports.py, sync/central/daily_reports.py): after `dour close-day`, never before; sent again
unchanged it is stored once; a lost answer or a central away changes nothing but the time it arrives; a late
correction is a new revision.

The central's own checks run on the Flask test client; the rest against the real central (gunicorn, so that
`drop_after` really loses the answer) and the real worker, as tests/sync/test_sync_faults.py does.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core import daily_report, day_close, journal, payments, retention
from core.cli import main
from core.site import Site
from sync import status
from sync.central.app import create_app
from sync.central.db import CentralStore
from sync.central.sites import add_site
from sync.client import CentralUnavailable
from sync.daily_reports import DailyReports, held
from sync.http_client import CentralMalformed, HttpCentral, ReportHeld
from sync.worker import SyncWorker

bench = sys.modules["dour_bench_sync"]  # loaded by tests/sync/conftest.py, which has the `central` fixture
SITE, DAY = "ma-paris", "2026-12-02"
ADMIN = "admin-token-for-the-tests-0123"


def a_report(**change: Any) -> dict[str, Any]:
    """A small report as core/daily_report.py shapes it."""
    figures = {"count": 2, "p50": 8.0, "p90": 12.0, "max": 12.0, "mean": 10.0}
    row = {"service": "passport", "kind": "walk_in", "issued": 3, "served": 2, "no_show": 1, "cancelled": 0,
           "carried": 0, "waits": {**figures, "within_target": 0.5}, "service_times": figures}
    return {"schema": "dour.daily-report", "schema_version": 1, "site": SITE, "day": DAY,
            "timezone": "Europe/Paris", "closed_at": f"{DAY}T17:00:00.000000Z",
            "tickets": {"by_service_kind": [row], "by_service": [], "all": row},
            "payments": {"fee_items": [], "by_outcome": []}, "devices": [], **change}


# --- the central's side (Flask test client) ---------------------------------------------------------------
@pytest.fixture
def paris(tmp_path: Path) -> Any:
    app = create_app(str(tmp_path / "central.db"), ADMIN)
    with CentralStore(str(tmp_path / "central.db")).write() as db:
        token = add_site(db, SITE, SITE)
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def listed(paris: Any) -> list[dict[str, Any]]:
    answer = paris.get(f"/admin/sites/{SITE}/daily-reports", headers={"Authorization": f"Bearer {ADMIN}"})
    assert answer.status_code == 200
    return list(answer.get_json()["daily_reports"])


def test_the_same_report_twice_is_one_revision_and_a_changed_one_the_next(paris: Any) -> None:
    path = f"/v1/sites/{SITE}/daily-reports/{DAY}"
    assert paris.get(path).status_code == 404
    first, again = paris.put(path, json=a_report()), paris.put(path, json=a_report())
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["sha256"] == again.get_json()["sha256"] == daily_report.sha256(a_report())
    assert (first.get_json()["revision"], again.get_json()["new_revision"]) == (1, False)
    changed = paris.put(path, json=a_report(devices=[{"device": "printer:hall-1", "incidents": 1}]))
    assert (changed.status_code, changed.get_json()["revision"]) == (201, 2)
    held_now = paris.get(path).get_json()
    assert held_now["revision"] == 2 and held_now["report"]["devices"][0]["incidents"] == 1
    assert [(row["day"], row["revision"], row["revisions"]) for row in listed(paris)] == [(DAY, 2, 2)]


@pytest.mark.parametrize("change", [
    {"devices": [{"device": "Amina Benali"}]},  # free text, e.g. a name: never in a report
    {"tickets": {"all": {"issued": -1}}},
    {"tickets": {"all": {"waits": float("inf")}}},
    {"day": "2026-12-03"},
    {"site": "ma-lyon"},
    {"schema_version": 2},
    {"schema_version": True},
    {"closed_at": "yesterday"},
])
def test_a_report_that_is_not_figures_and_codes_of_the_paths_day_is_refused(paris: Any,
                                                                            change: dict[str, Any]) -> None:
    report = a_report(**change)
    # json.dumps writes Infinity: the central must refuse it, not store it
    answer = paris.put(f"/v1/sites/{SITE}/daily-reports/{DAY}", data=json.dumps(report),
                       content_type="application/json")
    assert answer.status_code == 400 and answer.get_json()["error"] == "malformed"
    assert listed(paris) == []


def test_a_day_that_is_not_a_date_is_refused(paris: Any) -> None:
    assert paris.put(f"/v1/sites/{SITE}/daily-reports/2026-13-01", json=a_report()).status_code == 400


# --- the site's side, with a central that answers as told ------------------------------------------------
class Answering:
    """A central that holds what it is sent, or says it holds `digest`; counts the reports sent."""

    def __init__(self, digest: str | None = None) -> None:
        self.digest, self.sent = digest, 0

    def put_daily_report(self, site: str, day: str, report: dict[str, Any]) -> ReportHeld:
        self.sent += 1
        return ReportHeld(1, self.digest or daily_report.sha256(report), True)


def test_only_an_answer_naming_the_content_sent_acknowledges_it(site: Site) -> None:
    bench.issue_tickets(site, 2)
    day_close.close_day(site, leftover="no_show", actor="user:1")
    with pytest.raises(CentralMalformed, match="another content"):
        DailyReports(site, Answering("0" * 64)).push_all(float("inf"))  # type: ignore[arg-type]
    assert held(site.store.read()) == {}
    central = Answering()
    reports = DailyReports(site, central)  # type: ignore[arg-type]
    assert reports.push_all(float("inf")) == 1 and reports.push_all(float("inf")) == 0 and central.sent == 1


def test_a_purged_day_and_a_day_past_the_horizon_are_left_as_last_sent(site: Site) -> None:
    bench.issue_tickets(site, 2)
    day_close.close_day(site, leftover="no_show", actor="user:1")
    reports = DailyReports(site, Answering())  # type: ignore[arg-type]
    assert reports.due() == [site.today()]
    with site.store.write() as db:
        db.execute("INSERT INTO day_summaries (day, closed_at, closed_by, leftover, summary) "
                   "VALUES ('2001-01-01', '2001-01-01T17:00:00Z', 'user:1', 'no_show', '{}')")
        db.execute("INSERT INTO retention_days (day, purged_at) VALUES (?, '2099-01-01T00:00:00Z')",
                   [site.today()])
    assert reports.due() == []


def test_the_retention_purges_a_day_only_once_the_central_holds_its_report(make_site: Any,
                                                                           clock: Any) -> None:
    """The report is computed from the rows the purge deletes: with a central configured, a day whose events
    went up but whose report did not is pseudonymised and kept; once the report is acknowledged, purged.
    A payment voided after that changes the report: the purge waits for it again."""
    site = make_site(DOUR_SYNC_CENTRAL_URL="https://central.example")
    morning = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)
    clock.set(morning)
    bench.issue_tickets(site, 2)
    day = site.today()
    day_close.close_day(site, leftover="no_show", actor="user:1")
    with site.store.write() as db:  # every event went up (sync/outbox.py keeps this position)
        status.put(db, "acked_seq", str(journal.last_seq(db)))
    clock.set(morning + timedelta(days=25))  # past `policy.purge_days` (23)
    report = retention.run(site)
    assert day in report.pseudonymised and report.purged == [] and report.held == day
    assert DailyReports(site, Answering()).push_all(float("inf")) == 1  # type: ignore[arg-type]
    report = retention.run(site)
    assert report.held is None and day in report.purged


def test_a_report_changed_since_its_acknowledgement_holds_the_purge(make_site: Any, clock: Any) -> None:
    site = make_site(DOUR_SYNC_CENTRAL_URL="https://central.example")
    clock.set(datetime(2025, 6, 2, 8, 0, tzinfo=UTC))
    bench.issue_tickets(site, 2)
    day = site.today()
    day_close.close_day(site, leftover="no_show", actor="user:1")
    DailyReports(site, Answering()).push_all(float("inf"))  # type: ignore[arg-type]
    assert not retention.report_held(site.store.read(), site.config, day)
    with site.store.write() as db:  # a late change to the day's rows: its fingerprint moves
        db.execute("UPDATE tickets SET state = 'done' WHERE day = ? AND state = 'no_show'", [day])
    assert retention.report_held(site.store.read(), site.config, day)


# --- the site's worker against the real central ----------------------------------------------------------
def worker_on(site: Site, central: Any) -> SyncWorker:
    return SyncWorker(site, HttpCentral(central.url, central.tokens[bench.SITE], timeout=5))


def reports_held(central: Any) -> list[dict[str, Any]]:
    return list(central.admin("GET", f"/sites/{bench.SITE}/daily-reports")["daily_reports"])


def a_day(site: Site) -> None:
    bench.issue_tickets(site, 6)
    bench.approve_payment(site, "PAY-DAILY-1")


def close_day(site: Site, capsys: Any) -> None:
    assert main(["--database", site.store.path, "close-day", "--force"]) == 0
    assert "closed" in capsys.readouterr().out


def test_the_report_goes_up_after_close_day_once_and_again_when_corrected(
    site: Site, central: Any, capsys: Any,
) -> None:
    a_day(site)
    worker = worker_on(site, central)
    summary = worker.run_once()
    assert summary.ok and summary.reports == 0 and reports_held(central) == []  # not closed: not sent
    close_day(site, capsys)
    summary = worker.run_once()
    assert summary.ok and summary.reports == 1
    [row] = reports_held(central)
    assert (row["day"], row["revision"]) == (site.today(), 1)
    with site.store.reading() as db:
        built = daily_report.build(db, site.config, site.today())
    assert built is not None and row["sha256"] == daily_report.sha256(built)
    assert worker.run_once().reports == 0  # nothing changed: nothing sent
    again = worker.daily_reports.client.put_daily_report(bench.SITE, site.today(), built)  # a retry
    assert (again.revision, again.new_revision) == (1, False)
    stats = central.stats()
    assert (stats["daily_reports"], stats["daily_report_revisions"], stats["daily_report_repeats"]) == (
        1, 1, 1)

    with site.change() as (db, events):  # the next morning, the fee is voided: a late correction
        events.append(payments.move(db, "PAY-DAILY-1", "voided", "user:1")[1])
    assert worker.run_once().reports == 1
    [row] = reports_held(central)
    assert (row["revision"], row["revisions"]) == (2, 2)
    assert held(site.store.read())[site.today()]["revision"] == 2
    assert status.read_status(site.store.read())["daily_reports_waiting"] == 0
    database = ["--database", str(central.database)]
    assert main(["central", "report", "list", *database]) == 0
    assert f"{bench.SITE} {site.today()} revision 2 of 2" in capsys.readouterr().out
    assert main(["central", "report", "show", bench.SITE, site.today(), *database]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["revision"] == 2 and shown["report"]["payments"]["fee_items"][0]["reversed_count"] == 1
    assert main(["central", "report", "show", bench.SITE, "2001-01-01", *database]) == 2


def test_a_central_away_then_a_lost_answer_delay_the_report_and_it_is_stored_once(
    site: Site, central: Any, capsys: Any,
) -> None:
    a_day(site)
    close_day(site, capsys)
    worker = worker_on(site, central)
    central.fault("unreachable")
    for _ in range(3):
        summary = worker.run_once()
        assert not summary.ok and summary.reports == 0
    assert status.read_status(site.store.read())["daily_reports_waiting"] == 1 and reports_held(central) == []

    central.fault("normal")
    worker.outbox.push_all(float("inf"))  # the events first: the report's request is the next one
    central.fault("drop_after", remaining=1)
    with pytest.raises(CentralUnavailable):
        worker.daily_reports.push_all(float("inf"))
    assert len(reports_held(central)) == 1 and held(site.store.read()) == {}  # stored, answer lost
    restarted = worker_on(site, central)  # a new process: what it knows is in the database
    assert sum(restarted.run_once().reports for _ in range(2)) == 1
    [row] = reports_held(central)
    assert (row["revision"], row["revisions"]) == (1, 1) and central.stats()["daily_report_repeats"] == 1
    assert status.read_status(site.store.read())["daily_reports_waiting"] == 0
