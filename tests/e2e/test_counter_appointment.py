"""In real Chromium: the desk shows a family appointment checked in at the kiosk, and the warning appears
without reload when eConsulat cancels it; the supervisor's link panel follows the sync worker's report live.

The sync worker's part is played by this test writing into the server's database, as that other process
does: the server's journal follower and sync watcher pick it up.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core import appointments, keyring
from core import config as site_config
from core.clock import utc_iso
from core.store import Store
from sync import tokens

pytestmark = pytest.mark.browser

KEY = tokens.new_private_key()


def central_item(start: datetime, **changes: Any) -> dict[str, Any]:
    return {"id": "apt_e2e", "reference": "RDV-E2E7K3", "site": "ma-paris", "services": ["passport"],
            "slot_start": utc_iso(start), "slot_end": utc_iso(start + timedelta(minutes=15)), "persons": 3,
            "lang": "fr", "applicant": "APL-5D2F9A1C", "documents": ["photo", "birth_certificate"],
            "status": "booked", "version": 1, **changes}


def as_the_sync_worker(server: Any, start: datetime, **changes: Any) -> None:
    """Store the central's appointment (and its key) in the server's database, as `dour sync` does."""
    config = site_config.load(env={})
    store = Store(server.database)
    try:
        with store.write() as db:
            key = tokens.SigningKey("k1", tokens.public_bytes(KEY), start - timedelta(days=30),
                                    start + timedelta(days=30))
            keyring.store(db, [key], start)
            row = appointments.validated(central_item(start, **changes), config)
            appointments.store_from_central(db, row, "sync:central")
    finally:
        store.close()


def test_the_desk_shows_the_appointment_and_its_cancellation_live(
        server: Any, dour: Any, browser: Any, output_dir: Path) -> None:
    start = datetime.now(UTC).replace(microsecond=0)
    as_the_sync_worker(server, start)
    claims = tokens.AppointmentClaims(
        appointment_id="apt_e2e", reference="RDV-E2E7K3", site="ma-paris", services=("passport",),
        slot_start=start, slot_end=start + timedelta(minutes=15), persons=3, lang="fr", version=1,
        issued_at=start - timedelta(days=1), expires_at=start + timedelta(days=1))
    scan = dour.kiosk_session(server).post(f"{server.url}/api/kiosk/scans", timeout=10,
                                           json={"code": tokens.sign(claims, KEY, "k1"), "lang": "fr"})
    assert scan.status_code == 201, scan.text

    # The browser asks for English: the page speaks it.
    page = dour.open_counter_page(browser.new_page(viewport={"width": 1366, "height": 900}), server)
    assert "3 persons" in page.get_by_test_id("waiting-list").inner_text()
    page.get_by_test_id("btn-next").click()
    panel = page.get_by_test_id("appointment")
    panel.wait_for()
    assert "RDV-E2E7K3" in page.get_by_test_id("appointment-title").inner_text()
    assert page.get_by_test_id("appointment-persons").inner_text().strip() == "3 persons"
    assert page.get_by_test_id("appointment-documents").inner_text().split("\n") == [
        "Photo", "Birth certificate"]
    assert page.get_by_test_id("appointment-applicant").inner_text().strip() == "APL-5D2F9A1C"
    assert not page.get_by_test_id("appointment-warning").is_visible()
    page.screenshot(path=str(output_dir / "0-desk-appointment.png"))

    as_the_sync_worker(server, start, status="cancelled", version=2)
    warning = page.get_by_role("alert").filter(has_text="eConsulat")
    warning.wait_for(timeout=10000)
    assert warning.inner_text().startswith("Cancelled on eConsulat after check-in")
    # The event told this desk it was about the ticket it holds (by ticket, never by booking reference).
    page.wait_for_function("() => document.querySelector('[data-testid=appointment]')"
                           ".classList.contains('changed')")
    page.screenshot(path=str(output_dir / "1-desk-cancelled.png"))


def test_the_supervisor_sees_the_link_change_live(tmp_path: Path, dour: Any, browser: Any,
                                                  output_dir: Path) -> None:
    server = dour.Server(tmp_path, env={"DOUR_SYNC_CENTRAL_URL": "http://127.0.0.1:9/v1"}).provision()
    server.add_user("boss", "supervisor-password-1", "supervisor")
    server.start()
    try:
        page = browser.new_page(viewport={"width": 1366, "height": 1200})
        page.goto(f"{server.url}/login?lang=en")
        page.get_by_test_id("username").fill("boss")
        page.get_by_test_id("password").fill("supervisor-password-1")
        page.get_by_test_id("login-submit").click()
        page.wait_for_url("**/counter**")
        page.goto(f"{server.url}/supervisor?lang=en")
        state = page.get_by_test_id("sync-state")
        page.wait_for_function("() => document.querySelector('#sync-state').dataset.state === 'not_reported'")
        assert "has not reported yet" in state.inner_text()

        store = Store(server.database)
        try:
            with store.write() as db:
                moment = utc_iso(datetime.now(UTC))
                report = {"updated_at": moment, "last_success": moment, "failures": 0, "fees_differ": False}
                db.execute("INSERT INTO sync_state (key, value) VALUES ('status', ?)", [json.dumps(report)])
        finally:
            store.close()
        page.wait_for_function("() => document.querySelector('#sync-state').dataset.state === 'ok'",
                               timeout=10000)
        assert page.get_by_test_id("sync-keys-warning").inner_text().startswith("No valid signing key")
        page.get_by_test_id("sync-now").click()
        page.get_by_test_id("sync-status").filter(has_text="Sync requested").wait_for()
        assert page.get_by_test_id("sync-now").is_disabled()
        page.screenshot(path=str(output_dir / "supervisor-sync.png"))
    finally:
        server.stop()
