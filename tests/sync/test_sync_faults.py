"""The sync under faults: a central away for a day, lost answers, kill -9 of the worker or of the central in
the middle of a batch, and answers that break the contract. Each time: nothing lost, nothing stored twice,
the position never moves on an error, and the next good round catches up.

Real processes and real HTTP throughout; only the clock is moved in-process (tests/conftest.py's FakeClock).
The misbehaving central of the last tests is a tiny http.server on loopback.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from core import journal
from core.site import Site
from sync import status
from sync.client import CentralUnavailable
from sync.http_client import MAX_BODY_BYTES, CentralMalformed, HttpCentral
from sync.outbox import Outbox, acked_seq, pending
from sync.puller import CURSOR_KEY, Pulled, Puller
from sync.worker import SyncWorker

pytestmark = pytest.mark.system


bench = sys.modules["dour_bench_sync"]  # loaded by tests/sync/conftest.py, which has the `central` fixture


def worker_on(site: Site, url: str, token: str) -> SyncWorker:
    return SyncWorker(site, HttpCentral(url, token, timeout=5))


def assert_central_holds_the_journal_once(site: Site, central: Any) -> dict[str, Any]:
    stats = central.stats()
    counts = bench.journal_counts(site.store)
    assert stats["events_by_type"] == counts and stats["events"] == sum(counts.values())
    db = site.store.read()
    assert pending(db) == (0, None) and acked_seq(db) == journal.last_seq(db)
    return dict(stats)


def catch_up(worker: SyncWorker, rounds: int = 5) -> None:
    for _ in range(rounds):
        if worker.run_once().ok and pending(worker.site.store.read())[0] == 0:
            return
    raise AssertionError(status.read_status(worker.site.store.read()))


# --- (a) a day without the central ------------------------------------------------------------------------
def test_a_day_without_the_central_loses_nothing_and_one_round_catches_up(
    site: Site, central: Any, clock: Any,
) -> None:
    clock.set(datetime(2026, 12, 2, 6, 0, tzinfo=UTC))
    central.fault("unreachable")
    worker = worker_on(site, central.url, central.tokens[bench.SITE])
    rounds = 48  # every half hour, a whole day
    for step in range(rounds):
        bench.issue_tickets(site, 2)
        if step % 4 == 0:
            bench.approve_payment(site, f"PAY-{step:04d}")
        summary = worker.run_once()
        assert not summary.ok and summary.pushed == 0 and summary.etimbres == 0
        clock.advance(timedelta(minutes=30))
    written = status.read_status(site.store.read())
    assert written["failures"] == rounds and written["pending_events"] == journal.last_seq(site.store.read())
    assert written["oldest_pending_at"].startswith("2026-12-02T06:00") and central.stats()["events"] == 0
    central.fault("normal")
    catch_up(worker)
    stats = assert_central_holds_the_journal_once(site, central)
    approved = rounds // 4
    assert stats["etimbres"] == approved and stats["duplicates"] == 0
    assert stats["events_by_type"]["payment.etimbre_issued"] == approved
    issued = site.store.read().execute("SELECT COUNT(*) FROM payments WHERE etimbre_state = 'issued'")
    assert issued.fetchone()[0] == approved and status.read_status(site.store.read())["failures"] == 0


# --- (b) lost answers --------------------------------------------------------------------------------------
def test_a_lost_acknowledgement_means_the_batch_is_sent_again_and_stored_once(
    site: Site, central: Any,
) -> None:
    bench.issue_tickets(site, 20)
    worker = worker_on(site, central.url, central.tokens[bench.SITE])
    central.fault("drop_after", remaining=1)
    with pytest.raises(CentralUnavailable):
        worker.outbox.push_batch()
    assert acked_seq(site.store.read()) == 0 and central.stats()["events"] == 20  # stored, answer lost
    catch_up(worker)
    stats = assert_central_holds_the_journal_once(site, central)
    assert stats["duplicates"] >= 20


def test_a_lost_etimbre_answer_gets_the_same_number_on_the_retry(site: Site, central: Any) -> None:
    bench.approve_payment(site, "PAY-LOST")
    worker = worker_on(site, central.url, central.tokens[bench.SITE])
    central.fault("drop_after", remaining=1)
    assert worker.etimbre.round() == 0 and central.stats()["etimbres"] == 1
    catch_up(worker)
    assert central.stats()["etimbres"] == 1
    assert site.store.read().execute("SELECT etimbre FROM payments").fetchone()[0].startswith("ETB")


# --- (c), (d) kill -9 in the middle of a batch --------------------------------------------------------------
BACKLOG, BATCH = 3000, "250"


def test_kill_9_of_the_worker_mid_batch_then_a_restart_loses_and_duplicates_nothing(
    tmp_path: Path, site: Site, central: Any,
) -> None:
    bench.insert_backlog(site.store, BACKLOG)
    central.fault("slow", delay_seconds=0.3)
    process = bench.SyncProcess(tmp_path, site.store.path, central, env={"DOUR_SYNC_BATCH_SIZE": BATCH})
    process.start()
    try:
        bench.wait_for(lambda: central.stats()["events"] >= 2 * int(BATCH), 60, process.log())
        time.sleep(0.15)  # inside the next request's 0.3 s at the central
    finally:
        process.kill()
    assert 0 < acked_seq(site.store.read()) < BACKLOG
    central.fault("normal")
    for _ in range(5):
        done = process.once()
        if done.returncode == 0 and bench.pending_events(site.store) == 0:
            break
    assert_central_holds_the_journal_once(site, central)


def test_kill_9_of_the_central_after_it_stored_a_batch_before_it_answered_loses_and_duplicates_nothing(
    site: Site, central: Any,
) -> None:
    bench.insert_backlog(site.store, BACKLOG)
    central.fault("stall_after", delay_seconds=30.0)  # stored and committed, then silence before the answer
    outbox = Outbox(site, HttpCentral(central.url, central.tokens[bench.SITE], timeout=60), int(BATCH))
    failed: list[Exception] = []

    def push() -> None:
        try:
            outbox.push_batch()
        except Exception as error:  # noqa: BLE001 - the test asserts on it
            failed.append(error)

    pushing = threading.Thread(target=push)
    pushing.start()
    bench.wait_for(lambda: central.stats()["events"] == int(BATCH), 30)  # the batch is in its database
    central.kill()  # kill -9: the answer is never sent
    pushing.join(timeout=30)
    assert failed and isinstance(failed[0], CentralUnavailable) and acked_seq(site.store.read()) == 0
    central.start()
    central.fault("normal")
    worker = worker_on(site, central.url, central.tokens[bench.SITE])
    catch_up(worker)
    stats = assert_central_holds_the_journal_once(site, central)
    assert stats["duplicates"] == int(BATCH)  # the stored batch came again and was stored once


# --- (e) answers that break the contract --------------------------------------------------------------------
WRONG_TYPES = {"appointments": {"appointments": {}, "cursor": 5, "more": "yes"},
               "events": {"acknowledged": [1]}, "keys": {"keys": "all"},
               "fees": {"currency": "euro", "version": -1, "services": None}}
GOOD_APPOINTMENT = {"id": "apt_1", "reference": "RDV-AAAAAA", "site": bench.SITE, "services": ["passport"],
                    "slot_start": "2026-12-03T09:00:00Z", "slot_end": "2026-12-03T09:15:00Z", "persons": 1,
                    "status": "booked", "version": 1}
BAD_APPOINTMENT = {**GOOD_APPOINTMENT, "services": "passport"}
HUGE_LIMIT = 2 * 2**30


class Misbehaving(ThreadingHTTPServer):
    """A central that answers `mode` to every request, and counts the bytes it sent."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__((bench.h.HOST, 0), MisbehavingHandler)
        self.mode = "bad_json"
        self.page: list[Any] = []  # what mode "page" answers to every request
        self.sent = 0

    @property
    def url(self) -> str:
        return f"http://{bench.h.HOST}:{self.server_address[1]}"


class MisbehavingHandler(BaseHTTPRequestHandler):
    server: Misbehaving

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        mode, endpoint = self.server.mode, urlsplit(self.path).path.rstrip("/").split("/")[-1]
        if mode == "huge":
            return self._endless()
        status, body = {"bad_json": lambda: (200, b'{"appointments": ['),
                        "wrong_types": lambda: (200, json.dumps(WRONG_TYPES.get(endpoint, [])).encode()),
                        "stuck": lambda: (200, self._stuck(endpoint)),
                        "bad_appointment": lambda: (200, self._page([BAD_APPOINTMENT], "c-new", False)),
                        "too_many_requests": lambda: (429, b"{}"),
                        "page": lambda: (200, self._page(self.server.page, "c-page", False))}[mode]()
        self._send(status, body)

    do_POST = do_PUT = do_GET

    def _stuck(self, endpoint: str) -> bytes:
        """The cursor sent comes back with `more`: no progress; and no event is ever acknowledged."""
        cursor = parse_qs(urlsplit(self.path).query).get("cursor", ["c0"])[0]
        return self._page([], cursor, True) if endpoint == "appointments" else b'{"acknowledged": []}'

    @staticmethod
    def _page(items: list[Any], cursor: str, more: bool) -> bytes:
        return json.dumps({"appointments": items, "cursor": cursor, "more": more}).encode()

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _endless(self) -> None:
        """A JSON answer that never ends (no length, HTTP/1.0): up to 2 GiB or until the client hangs up."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        chunk = b" " * 2**20
        try:
            self.wfile.write(b'{"appointments": [')
            while self.server.sent < HUGE_LIMIT:
                self.wfile.write(chunk)
                self.server.sent += len(chunk)
        except OSError:
            pass


@pytest.fixture
def misbehaving() -> Iterator[Misbehaving]:
    server = Misbehaving()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def position(site: Site) -> tuple[str | None, int, int]:
    db = site.store.read()
    count = db.execute("SELECT COUNT(*) FROM appointments").fetchone()[0]
    return status.get(db, CURSOR_KEY), acked_seq(db), count


@pytest.mark.parametrize("mode", ["bad_json", "wrong_types", "stuck", "bad_appointment", "too_many_requests",
                                  "huge"])
def test_a_malformed_answer_is_recorded_and_moves_nothing_then_the_real_central_catches_up(
    site: Site, central: Any, misbehaving: Misbehaving, mode: str,
) -> None:
    token = central.tokens[bench.SITE]
    central.book(datetime.now(UTC).replace(microsecond=0) + timedelta(days=1))
    bench.issue_tickets(site, 3)
    catch_up(worker_on(site, central.url, token))
    before = position(site)
    bench.issue_tickets(site, 3)
    misbehaving.mode = mode
    began = time.monotonic()
    summary = worker_on(site, misbehaving.url, token).run_once()
    # A 429 is "come back later": the round stops there; a malformed answer fails its own part only.
    failed = {"pull"} if mode == "too_many_requests" else {"pull", "push"}
    assert not summary.ok and summary.failed == failed and time.monotonic() - began < 30
    assert position(site) == before and pending(site.store.read())[0] == 3
    written = status.read_status(site.store.read())
    assert written["failures"] == 1 and written["last_error"] and token not in written["last_error"]
    if mode == "huge":
        assert "cap" in written["last_error"] and misbehaving.sent < 8 * MAX_BODY_BYTES
    central.book(datetime.now(UTC).replace(microsecond=0) + timedelta(days=2))
    catch_up(worker_on(site, central.url, token))
    assert position(site)[2] == before[2] + 1
    assert_central_holds_the_journal_once(site, central)


def test_appointments_of_another_site_are_skipped_and_counted(site: Site, misbehaving: Misbehaving) -> None:
    other = {**GOOD_APPOINTMENT, "id": "apt_other", "reference": "RDV-BBBBBB", "site": "ma-lyon"}
    misbehaving.mode, misbehaving.page = "page", [other, GOOD_APPOINTMENT]
    pulled = Pulled()
    Puller(site, HttpCentral(misbehaving.url, "token")).appointments(pulled, time.monotonic() + 30)
    assert (pulled.appointments, pulled.skipped, pulled.pages) == (1, 1, 1)
    assert position(site) == ("c-page", 0, 1)


def test_the_client_gives_up_on_an_endless_answer_at_its_cap(misbehaving: Misbehaving) -> None:
    misbehaving.mode = "huge"
    with pytest.raises(CentralMalformed, match="cap"):
        HttpCentral(misbehaving.url, "token", max_body=2**20).appointments(bench.SITE, None, 10)


class PartialCentral:
    """The real central's client, except that one event of each batch goes unacknowledged."""

    def __init__(self, client: HttpCentral, dropped_index: int) -> None:
        self.client, self.dropped_index = client, dropped_index

    def push_events(self, site: str, events: list[dict[str, Any]]) -> set[str]:
        acknowledged = self.client.push_events(site, events)
        dropped = {events[self.dropped_index]["id"]} if len(events) > self.dropped_index else set()
        return acknowledged - dropped

    def __getattr__(self, name: str) -> Callable[..., Any]:
        return getattr(self.client, name)  # type: ignore[no-any-return]


def test_acked_seq_never_moves_past_an_event_left_unacknowledged(site: Site, central: Any) -> None:
    bench.issue_tickets(site, 10)
    real = HttpCentral(central.url, central.tokens[bench.SITE], timeout=5)
    partial = SyncWorker(site, PartialCentral(real, dropped_index=3))  # type: ignore[arg-type]
    done, more = partial.outbox.push_batch()
    first_seqs = [event.seq for event in journal.since(site.store.read(), 0, 4)]
    assert (done, more) == (3, True) and acked_seq(site.store.read()) == first_seqs[2]
    catch_up(SyncWorker(site, real))
    assert_central_holds_the_journal_once(site, central)
