"""The sync worker (`dour sync`): its own process beside the server, keeping the site and the central in step.

A round pulls (appointments, keys, fees, then no-shows), asks for pending eTimbre numbers, pushes the
journal until its backlog is empty, then sends the reports of the closed days that changed
(sync/daily_reports.py); eTimbres come before the push so the numbers they journal go up in the same round.
The loop pulls every `sync.pull_seconds` (at once when the supervisor asked, `pull_requested`)
and pushes every `sync.push_seconds`. The parts fail apart: a malformed appointment page does not hold the
journal back, but an unreachable central ends the round at once.

After a failed round the worker waits a random time in [0, min(60 s, 1 s × 2^failures)] ("full jitter"):
sixty sites coming back after a central outage do not all knock at the same second. Success resets it.
Every time decision reads core.clock, so tests move time; the waits themselves are real and short.
"""

from __future__ import annotations

import logging
import random
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.clock import now, utc_iso
from core.site import Site
from sync import outbox, status
from sync.client import CentralRefused, CentralUnavailable, EtimbreIssued, EtimbreRequest
from sync.daily_reports import DailyReports
from sync.etimbre import EtimbreRequester, request_of
from sync.http_client import CentralMalformed, SiteCentral
from sync.outbox import Outbox
from sync.puller import Puller

BACKOFF_BASE, BACKOFF_CAP = 1.0, 60.0
POLL_SECONDS = 1.0  # how often an idle loop looks for a "sync now"
PHASE_SECONDS = 300.0  # a pull or a push gives way after this long (the next round goes on)
log = logging.getLogger(__name__)


@dataclass
class RoundSummary:
    """What one round did, for the log line, `dour sync --once` and the tests."""

    appointments: int = 0
    skipped: int = 0
    keys: int = 0
    no_shows: int = 0
    etimbres: int = 0
    pushed: int = 0
    reports: int = 0  # daily reports sent (a day just closed, or changed since)
    errors: list[str] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)  # "pull", "etimbre", "push", "reports"

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def did_something(self) -> bool:
        return bool(self.appointments or self.skipped or self.no_shows or self.etimbres or self.pushed
                    or self.reports)

    def line(self) -> str:
        return (f"appointments {self.appointments} (other sites skipped {self.skipped}), no-shows "
                f"{self.no_shows}, eTimbres {self.etimbres}, events pushed {self.pushed}, daily reports "
                f"{self.reports}")


def backoff_seconds(failures: int, rng: random.Random) -> float:
    return rng.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2 ** min(failures, 32)))


def unreachable(error: Exception) -> bool:
    """No answer at all: the other parts of the round would only wait for the same silence."""
    return isinstance(error, CentralUnavailable) and not isinstance(error, CentralMalformed)


class _Watched:
    """The client as the EtimbreRequester sees it: its round stops quietly at an outage, so this remembers
    the outage for the round's result, and remembers refusals so they are asked again only every
    `sync.etimbre_retry_seconds`, not at every push."""

    def __init__(self, client: SiteCentral) -> None:
        self.client = client
        self.outage: CentralUnavailable | None = None
        self.refused_at: dict[str, datetime] = {}

    def request_etimbre(self, request: EtimbreRequest) -> EtimbreIssued:
        try:
            return self.client.request_etimbre(request)
        except CentralUnavailable as error:
            self.outage = error
            raise
        except CentralRefused:
            self.refused_at[request.payment_reference] = now()
            raise


class SyncWorker:
    def __init__(self, site: Site, client: SiteCentral, rng: random.Random | None = None) -> None:
        self.site = site
        settings = site.config.sync
        self.puller = Puller(site, client)
        self.outbox = Outbox(site, client, int(settings["batch_size"]))
        self.daily_reports = DailyReports(site, client)
        self.watched = _Watched(client)
        self.etimbre = EtimbreRequester(self.watched, self._etimbre_pending, site.set_etimbre)
        self.pull_every = timedelta(seconds=float(settings["pull_seconds"]))
        self.push_every = timedelta(seconds=float(settings["push_seconds"]))
        self.retry_refused = timedelta(seconds=float(settings["etimbre_retry_seconds"]))
        self.rng = rng or random.Random()
        self.stop = threading.Event()
        self.health = status.Health.restored(status.read_status(site.store.read()))
        self.retry_at: datetime | None = None
        self.next_pull: datetime | None = None  # None: due now
        self.next_push: datetime | None = None

    def run_once(self) -> RoundSummary:
        """One full round: pull, eTimbres, push until the backlog is empty; the status is written."""
        return self._round(pull=True, push=True)

    def run(self) -> None:
        """Rounds as they fall due, until `self.stop` is set (stop_on_signals sets it on SIGTERM/SIGINT)."""
        while not self.stop.is_set():
            try:
                pull, push = self._due(now())
                if pull or push:
                    self._round(pull, push)
            except Exception:  # noqa: BLE001 - e.g. the database busy past its timeout: try again later
                log.exception("sync loop")
                self.retry_at = now() + timedelta(seconds=backoff_seconds(self.health.failures + 1, self.rng))
            self.stop.wait(self._idle_seconds())

    # --- one round ---------------------------------------------------------------------------------------
    def _round(self, pull: bool, push: bool) -> RoundSummary:
        summary = RoundSummary()
        steps: list[tuple[str, Callable[[RoundSummary], None]]] = []
        steps += [("pull", self._pull)] if pull else []
        if push:
            steps += [("etimbre", self._etimbres), ("push", self._push), ("reports", self._reports)]
        for name, step in steps:
            try:
                step(summary)
            except Exception as error:  # noqa: BLE001 - every failure is recorded; a bug is logged in full
                self._failed(summary, name, error)
                if unreachable(error):
                    break
        self._schedule(summary, pull, push)
        self._record(summary)
        # The worker has no screens; this keeps its Site's publication mark current, so that its own next
        # change does not read back everything the server journaled since the worker started.
        self.site.follow_journal()
        return summary

    def _pull(self, summary: RoundSummary) -> None:
        with self.site.store.write() as db:
            status.clear_pull_request(db)  # a request arriving during this pull stays, for one more pull
        pulled = self.puller.pull(time.monotonic() + PHASE_SECONDS, self.stop)
        summary.appointments, summary.skipped = pulled.appointments, pulled.skipped
        summary.keys, summary.no_shows = pulled.keys, pulled.no_shows

    def _etimbres(self, summary: RoundSummary) -> None:
        self.watched.outage = None
        summary.etimbres = self.etimbre.round()
        if self.watched.outage is not None:
            raise self.watched.outage

    def _push(self, summary: RoundSummary) -> None:
        summary.pushed = self.outbox.push_all(time.monotonic() + PHASE_SECONDS, self.stop)

    def _reports(self, summary: RoundSummary) -> None:
        summary.reports = self.daily_reports.push_all(time.monotonic() + PHASE_SECONDS, self.stop)

    def _etimbre_pending(self) -> list[EtimbreRequest]:
        """Approved payments without their number, as core/app.py used to list them; one the central refused
        waits `sync.etimbre_retry_seconds` before it is asked again."""
        moment, site = now(), self.site
        self.watched.refused_at = {ref: at for ref, at in self.watched.refused_at.items()
                                   if moment - at < self.retry_refused}
        return [request_of(site.config.site_id, payment,
                           site.ticket_view(payment.ticket_id).ticket.number if payment.ticket_id else None)
                for payment in site.etimbre_pending() if payment.reference not in self.watched.refused_at]

    def _failed(self, summary: RoundSummary, step: str, error: Exception) -> None:
        text = f"{step}: {error}"[:500]
        summary.errors.append(text)
        summary.failed.add(step)
        if isinstance(error, CentralUnavailable | CentralRefused):
            log.warning("sync %s", text)
        else:
            log.exception("sync %s failed unexpectedly", step)

    # --- scheduling and status -----------------------------------------------------------------------------
    def _due(self, moment: datetime) -> tuple[bool, bool]:
        """(pull, push) due now. A "sync now" pulls even during a backoff: a person asked for it."""
        asked = status.pull_requested(self.site.store.read())
        if self.retry_at is not None and moment < self.retry_at:
            return asked, False
        return (asked or self.next_pull is None or moment >= self.next_pull,
                self.next_push is None or moment >= self.next_push)

    def _schedule(self, summary: RoundSummary, pulled: bool, pushed: bool) -> None:
        """A part that worked comes back at its interval; one that failed as soon as the backoff allows."""
        moment = now()
        if pulled and "pull" not in summary.failed:
            self.next_pull = moment + self.pull_every
        if pushed and not summary.failed & {"etimbre", "push", "reports"}:
            self.next_push = moment + self.push_every

    def _record(self, summary: RoundSummary) -> None:
        health, moment = self.health, now()
        if summary.ok:
            health.failures, health.last_success, health.next_attempt_at = 0, utc_iso(moment), None
            self.retry_at = None
        else:
            health.failures += 1
            self.retry_at = moment + timedelta(seconds=backoff_seconds(health.failures, self.rng))
            health.last_error, health.last_error_at = "; ".join(summary.errors)[:1000], utc_iso(moment)
            health.next_attempt_at = utc_iso(self.retry_at)
        reports_waiting = self.daily_reports.waiting_now()
        with self.site.store.write() as db:
            status.write(db, health, acked_seq=outbox.acked_seq(db), pending=outbox.pending(db),
                         today=self.site.config.local_day(moment), reports_waiting=reports_waiting)
        if summary.did_something:
            log.info("sync: %s", summary.line())
        if not summary.ok:
            log.warning("sync round failed (%d in a row), next attempt at %s", health.failures,
                        health.next_attempt_at)

    def _idle_seconds(self) -> float:
        """Until the next part falls due, between 0.05 s and POLL_SECONDS (a "sync now" is seen within it)."""
        moment = now()
        times = [self.retry_at] if self.retry_at else [t for t in (self.next_pull, self.next_push) if t]
        wait = min(((t - moment).total_seconds() for t in times), default=0.0)
        return max(0.05, min(POLL_SECONDS, wait))


def stop_on_signals(worker: SyncWorker) -> None:
    """SIGTERM (systemd) and SIGINT (Ctrl-C) end the loop after the request in flight; nothing is lost
    either way, since the position only moves after an answer."""
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: worker.stop.set())
