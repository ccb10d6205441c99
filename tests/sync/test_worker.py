"""The sync worker against the reference central as a real process over real HTTP.

Appointments come down by cursor (created, moved, cancelled), the journal goes up once, an approved payment
gets one eTimbre, the keys reach the keyring, and the status tells the supervisor all of it. The harness
(`Central`, `SyncProcess`) is bench/bench_sync.py's, so the benchmark and the tests start things the same way.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import trustme

from core import appointments, journal, keyring
from core.clock import now, utc_iso
from core.fees import FeeItem
from core.site import Site
from sync import status
from sync.client import CentralRefused, CentralUnavailable
from sync.http_client import HttpCentral
from sync.outbox import acked_seq, pending
from sync.puller import CURSOR_KEY, FEES_KEY
from sync.worker import SyncWorker

bench = sys.modules["dour_bench_sync"]  # loaded by tests/sync/conftest.py, which has the `central` fixture


@pytest.fixture
def worker_for(central: Any) -> Callable[..., SyncWorker]:
    def make(site: Site, token: str | None = None) -> SyncWorker:
        return SyncWorker(site, HttpCentral(central.url, token or central.tokens[bench.SITE], timeout=5))
    return make


def tomorrow(hour: int = 10) -> datetime:
    return (now() + timedelta(days=1)).replace(hour=hour, minute=0, second=0, microsecond=0)


def journal_counts(site: Site) -> dict[str, int]:
    return dict(bench.journal_counts(site.store))


def test_pull_creates_moves_and_cancels_appointments_and_keeps_the_cursor(
    site: Site, central: Any, worker_for: Callable[..., SyncWorker],
) -> None:
    booked = [central.book(tomorrow(10 + index)) for index in range(3)]
    worker = worker_for(site)
    first = worker.run_once()
    assert first.ok and first.appointments == 3
    central.admin("POST", f"/appointments/{booked[0]['id']}/move",
                  {"slot_start": bench._iso(tomorrow(15)), "slot_end": bench._iso(tomorrow(16))})
    central.admin("POST", f"/appointments/{booked[1]['id']}/cancel")
    cursor = status.get(site.store.read(), CURSOR_KEY)
    second = worker.run_once()
    assert second.ok and second.appointments == 2
    db = site.store.read()
    moved, cancelled, kept = (appointments.get(db, item["id"]) for item in booked)
    assert moved and moved.slot_start == utc_iso(tomorrow(15)) and moved.version == 2
    assert cancelled and cancelled.status == "cancelled" and kept and kept.version == 1
    assert status.get(db, CURSOR_KEY) not in (None, cursor)
    third = worker.run_once()
    assert third.ok and third.appointments == 0 and status.get(site.store.read(), CURSOR_KEY) != cursor


def test_a_backlog_of_journal_events_is_pushed_once_in_batches(
    make_site: Callable[..., Site], central: Any, worker_for: Callable[..., SyncWorker],
) -> None:
    site = make_site(DOUR_SYNC_BATCH_SIZE="7")
    bench.issue_tickets(site, 30)
    worker = worker_for(site)
    summary = worker.run_once()
    assert summary.ok and summary.pushed == 30
    stats = central.stats()
    assert stats["events_by_type"] == journal_counts(site) and stats["duplicates"] == 0
    db = site.store.read()
    assert acked_seq(db) == journal.last_seq(db) and pending(db) == (0, None)
    assert worker.run_once().pushed == 0 and central.stats()["events"] == 30


def test_an_approved_payment_gets_its_etimbre_once(
    site: Site, central: Any, worker_for: Callable[..., SyncWorker],
) -> None:
    bench.approve_payment(site, "PAY-0001")
    worker = worker_for(site)
    summary = worker.run_once()
    assert summary.ok and summary.etimbres == 1
    payment = site.store.read().execute("SELECT etimbre, etimbre_state FROM payments").fetchone()
    assert payment[0].startswith("ETB") and payment[1] == "issued"
    assert worker.run_once().etimbres == 0 and worker_for(site).run_once().etimbres == 0
    stats = central.stats()
    assert stats["etimbres"] == 1 and stats["events_by_type"] == journal_counts(site)
    assert journal_counts(site)["payment.etimbre_issued"] == 1


def test_keys_reach_the_keyring_and_the_status_tells_the_supervisor(
    site: Site, central: Any, worker_for: Callable[..., SyncWorker],
) -> None:
    central.book(now().replace(microsecond=0) + timedelta(hours=2))
    bench.issue_tickets(site, 1)
    assert worker_for(site).run_once().ok
    db = site.store.read()
    published = HttpCentral(central.url, central.tokens[bench.SITE]).keys()
    assert set(keyring.keys(db)) == {key.kid for key in published} != set()
    written = status.read_status(db)
    assert written["failures"] == 0 and written["last_error"] is None and written["last_success"]
    assert written["pending_events"] == 0 and written["acked_seq"] == acked_seq(db)
    assert [key["kid"] for key in written["keys"]] == [key.kid for key in published]
    assert written["appointments_today"]["total"] in (0, 1)  # 0 when two hours from now is tomorrow there
    assert written["fees_differ"] is True  # the central was given no fee schedule


def test_the_central_fee_schedule_is_kept_and_a_difference_shown_not_applied(
    site: Site, central: Any, worker_for: Callable[..., SyncWorker],
) -> None:
    same = {code: service.fees for code, service in site.config.services.items() if service.fees}
    central.set_fees(same)
    worker = worker_for(site)
    assert worker.run_once().ok and status.read_status(site.store.read())["fees_differ"] is False
    central.set_fees({**same, "passport": (FeeItem("passport_stamp", 6500),)})
    assert worker.run_once().ok and status.read_status(site.store.read())["fees_differ"] is True
    kept = json.loads(status.get(site.store.read(), FEES_KEY) or "{}")
    amounts = {(service["code"], item["code"]): item["amount_minor"]
               for service in kept["services"] for item in service["items"]}
    assert amounts[("passport", "passport_stamp")] == 6500
    assert site.config.service("passport").fees[0].amount_minor == 6000  # the site still charges its own


def test_a_refusal_and_an_outage_are_recorded_without_the_token_then_cleared(
    site: Site, central: Any, worker_for: Callable[..., SyncWorker],
) -> None:
    bench.issue_tickets(site, 1)
    wrong = "not-the-token-" + "x" * 30
    refused = worker_for(site, wrong)
    with pytest.raises(CentralRefused):
        refused.puller.keys()
    assert not refused.run_once().ok
    written = status.read_status(site.store.read())
    assert written["failures"] == 1 and "401" in written["last_error"] and wrong not in str(written)
    central.fault("error")
    worker = worker_for(site)
    with pytest.raises(CentralUnavailable):
        worker.outbox.push_batch()
    assert not worker.run_once().ok and status.read_status(site.store.read())["failures"] == 2
    assert pending(site.store.read())[0] == 1
    central.fault("normal")
    assert worker.run_once().ok
    written = status.read_status(site.store.read())
    assert written["failures"] == 0 and written["pending_events"] == 0 and written["next_attempt_at"] is None


def test_sync_now_makes_the_running_loop_pull_at_once_and_a_stop_ends_it(
    make_site: Callable[..., Site], central: Any, worker_for: Callable[..., SyncWorker],
) -> None:
    site = make_site(DOUR_SYNC_PULL_SECONDS="3600")
    worker = worker_for(site)
    loop = threading.Thread(target=worker.run, daemon=True)
    loop.start()
    try:
        bench.wait_for(lambda: status.read_status(site.store.read()).get("last_success") is not None, 10)
        booked = central.book(tomorrow())
        with site.store.write() as db:
            status.request_pull(db)
        bench.wait_for(lambda: appointments.get(site.store.read(), booked["id"]) is not None, 5)
        assert not status.pull_requested(site.store.read())
    finally:
        worker.stop.set()
        loop.join(timeout=10)
    assert not loop.is_alive()


def test_dour_sync_once_runs_one_round_and_says_what_it_did(tmp_path: Path, site: Site, central: Any) -> None:
    central.book(tomorrow())
    process = bench.SyncProcess(tmp_path, site.store.path, central)
    done = process.once()
    assert done.returncode == 0, done.stderr
    assert "sync: appointments 1" in done.stderr and central.tokens[bench.SITE] not in done.stderr
    assert status.read_status(site.store.read())["last_success"]


def test_dour_sync_without_a_central_url_says_what_to_set(tmp_path: Path) -> None:
    done = subprocess.run([*bench.h.CLI, "--database", str(tmp_path / "s.db"), "sync", "--once"],
                          env=bench.h.server_env(), capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 78 and "sync.central_url is empty" in done.stderr


@pytest.fixture
def tls_central(tmp_path: Path) -> Iterator[Any]:
    """A central serving HTTPS with a certificate for 127.0.0.1 from a private CA (trustme)."""
    authority = trustme.CA()
    issued = authority.issue_cert(bench.h.HOST)
    ca_file, certfile, keyfile = (str(tmp_path / name) for name in ("ca.pem", "cert.pem", "key.pem"))
    authority.cert_pem.write_to_path(ca_file)
    issued.private_key_and_cert_chain_pem.write_to_path(certfile)
    issued.private_key_pem.write_to_path(keyfile)
    running = bench.Central(tmp_path / "tls", tls=(certfile, keyfile), verify=ca_file).start()
    try:
        running.add_site()
        yield running
    finally:
        running.stop()


def test_https_with_a_private_ca_works_only_with_its_ca_file(site: Site, tls_central: Any) -> None:
    token = tls_central.tokens[bench.SITE]
    trusting = SyncWorker(site, HttpCentral(tls_central.url, token, ca_file=str(tls_central.verify)))
    assert trusting.run_once().ok
    with pytest.raises(CentralUnavailable, match="SSLError"):
        HttpCentral(tls_central.url, token).keys()

