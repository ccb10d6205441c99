"""Reports of past periods, kept while nothing they count has changed (docs/reports.md).

A period that ended before today changes only by corrections: a day closed (its leftover tickets ended, some
carried to the next day), a ticket left open that an agent ends after midnight, a payment voided or refunded
since, the retention's purge (the rows give way to the kept summary), an agent's new display name. The
period's fingerprint reads exactly those, from indexes: tickets per state, carried tickets, closes, retention,
payments per state and their last change, the agents' names. A report is kept with the fingerprint it was
computed under and given again while the fingerprint holds; a period with a ticket still open is never kept
(its calls and times may still move). The page, its 12 CSV files and a reprint then compute a past month once.

Runs in the reports' process (core/report_process.py): the fingerprint's reads cost the server nothing.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime
from typing import Any

import sqlite_utils

from core import period_report
from core.config import SiteConfig
from core.report_queries import Period
from core.store import Store

KEPT_REPORTS = 8  # a few periods, most recently asked first: each is a few tens of kilobytes
OPEN_STATES = ("waiting", "called", "serving")
FINGERPRINT = """
    SELECT (SELECT group_concat(n) FROM (SELECT state || ':' || COUNT(*) AS n FROM tickets
                                         WHERE day BETWEEN :first AND :last GROUP BY state ORDER BY state)),
           (SELECT COUNT(*) FROM carried_tickets WHERE from_day BETWEEN :first AND :last),
           (SELECT group_concat(day || ':' || closed_at) FROM (SELECT day, closed_at FROM day_summaries
                                                            WHERE day BETWEEN :first AND :last ORDER BY day)),
           (SELECT group_concat(day || ':' || IFNULL(pseudonymised_at, '') || ':' || IFNULL(purged_at, ''))
            FROM (SELECT * FROM retention_days WHERE day BETWEEN :first AND :last ORDER BY day)),
           (SELECT group_concat(n) FROM (SELECT state || ':' || COUNT(*) || ':' || MAX(updated_at) AS n
                                         FROM payments WHERE day BETWEEN :first AND :last
                                         GROUP BY state ORDER BY state)),
           (SELECT group_concat(id || ':' || display_name) FROM (SELECT * FROM users ORDER BY id))
"""

_kept: OrderedDict[tuple[str, Period], tuple[tuple[Any, ...], SiteConfig, dict[str, Any]]] = OrderedDict()


def fingerprint(db: sqlite_utils.Database, period: Period) -> tuple[Any, ...] | None:
    """What the period's report depends on that may still change; None while one of its tickets is open."""
    days = {"first": period.first, "last": period.last}
    row = tuple(db.execute(FINGERPRINT, days).fetchone())
    states = {part.split(":")[0] for part in (row[0] or "").split(",")}
    return None if states & set(OPEN_STATES) else row


def report(
    store: Store, config: SiteConfig, period: Period, moment: datetime, today: str
) -> dict[str, Any]:
    """The report of `period` as of `moment`: kept if the period ended before `today` and nothing changed."""
    key = (store.path, period)
    with store.reading() as db:  # the fingerprint and the figures of one snapshot
        mark = fingerprint(db, period) if period.last < today else None
        kept = _kept.get(key)
        if mark is not None and kept is not None and kept[0] == mark and kept[1] == config:
            _kept.move_to_end(key)
            return kept[2]
        built = period_report.build(db, config, period, moment)
    if mark is not None:
        _kept[key] = (mark, config, built)
        _kept.move_to_end(key)
        while len(_kept) > KEPT_REPORTS:
            _kept.popitem(last=False)
    return built
