"""What the daily reports cost the sync worker (sync/daily_reports.py), on a month of a large post.

Seeds 30 closed days before today (`--tickets`, 45,000 by default: 1,500 a day, with payments and device
incidents, as bench/bench_reports.py does), then, with an in-process central that acknowledges everything:
- `figure=build`: computing one day's report (core/daily_report.py), median and longest over the 30 days;
- `figure=first_round`: the first round after an upgrade, sending all 30 reports;
- `figure=check`: a round with nothing to send (every report acknowledged): the fingerprints only; this runs
  every `sync.push_seconds`;
- `figure=correction`: a round after one payment of a past day was voided: one report computed and sent.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

import bench_reports  # noqa: E402

from core import config as site_config  # noqa: E402
from core import daily_report  # noqa: E402
from core.site import Site  # noqa: E402
from core.store import Store  # noqa: E402
from sync.daily_reports import DailyReports  # noqa: E402
from sync.http_client import ReportHeld  # noqa: E402


class Acknowledging:
    """A central that holds whatever it is sent (the network is bench_sync.py's business)."""

    def __init__(self) -> None:
        self.sent = 0

    def put_daily_report(self, site: str, day: str, report: dict[str, Any]) -> ReportHeld:
        self.sent += 1
        return ReportHeld(1, daily_report.sha256(report), True)


def timed(call: Any) -> tuple[float, Any]:
    began = time.perf_counter()
    result = call()
    return round((time.perf_counter() - began) * 1000, 2), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=45_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        path = str(Path(workdir) / "site.db")
        days = bench_reports.month_before(date.today())
        print(json.dumps({"figure": "seed", **bench_reports.seed_month(path, days, args.tickets)}))
        store = Store(path)
        with store.write() as db:
            for day in days:
                db.execute("INSERT INTO day_summaries (day, closed_at, closed_by, leftover, summary) "
                           "VALUES (?, ?, 'bench', 'no_show', '{}')", [day, f"{day}T17:00:00.000000Z"])
        site = Site(site_config.load(env={}), store)
        builds = []
        for day in days:
            with store.reading() as db:
                builds.append(timed(lambda day=day: daily_report.build(db, site.config, day))[0])
        print(json.dumps({"figure": "build", "days": len(days), "median_ms": statistics.median(builds),
                          "max_ms": max(builds)}))
        central = Acknowledging()
        reports = DailyReports(site, central)  # type: ignore[arg-type]
        first_ms, sent = timed(lambda: reports.push_all(float("inf")))
        print(json.dumps({"figure": "first_round", "reports": sent, "ms": first_ms}))
        checks = [timed(lambda: reports.push_all(float("inf")))[0] for _ in range(20)]
        median = round(statistics.median(checks), 2)
        print(json.dumps({"figure": "check", "days": len(days), "median_ms": median, "max_ms": max(checks)}))
        with store.write() as db:
            db.execute("UPDATE payments SET state = 'voided', updated_at = '9999' WHERE id = "
                       "(SELECT MIN(id) FROM payments WHERE state = 'approved')")
        correction_ms, sent = timed(lambda: reports.push_all(float("inf")))
        print(json.dumps({"figure": "correction", "reports": sent, "ms": correction_ms}))
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
