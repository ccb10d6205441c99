"""The supervisor's link with eConsulat: the worker's report read from sync_state, what the server computes
itself (pending events, stale worker, keys, today's appointments), "Sync now", and the live `sync` push."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core import appointments, journal, keyring
from core import config as site_config
from core.app import close_devices, create_app
from core.clock import utc_iso
from sync import tokens

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
SYNC = "/api/supervisor/sync"
PULL = "/api/supervisor/sync/pull"


@pytest.fixture
def linked_app(tmp_path: Any) -> Any:
    """An app whose site has a central configured (devices not started: the test drives the watcher)."""
    config = site_config.load(env={"DOUR_SYNC_CENTRAL_URL": "https://central.example/v1"})
    return create_app(config, str(tmp_path / "linked.db"), start_devices=False)


@pytest.fixture
def site(linked_app: Any) -> Any:
    return linked_app.extensions["dour.site"]


def set_state(site: Any, key: str, value: object) -> None:
    text = value if isinstance(value, str) else json.dumps(value)
    with site.store.write() as db:
        db.execute("INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE "
                   "SET value = excluded.value", [key, text])


def report(at: datetime, **fields: Any) -> dict[str, Any]:
    """A report as the sync worker writes it after a good round at `at`."""
    return {"reported_at": utc_iso(at), "last_success": utc_iso(at), "last_error": None,
            "last_error_at": None, "failures": 0, "next_attempt_at": utc_iso(at + timedelta(seconds=2)),
            "pending_events": 0, "oldest_pending_at": None, "acked_seq": 0, "keys": [], "fees_differ": False,
            "appointments_today": {"total": 0, "cancelled": 0, "checked_in": 0, "no_show": 0}, **fields}


def received(socket: Any) -> list[tuple[str, Any]]:
    return [(message["name"], message["args"][0]) for message in socket.get_received("/counter")]


def test_supervisors_only(linked_app: Any, site: Any, supervisor_client: Any, add_agent: Any,
                          login: Any) -> None:
    boss = supervisor_client(linked_app)
    assert boss.get(SYNC).status_code == 200
    add_agent(site, "amina")
    agent = linked_app.test_client()
    login(agent, "amina")
    assert agent.get(SYNC).status_code == 403 and agent.post(PULL).status_code == 403
    assert linked_app.test_client().get(SYNC).status_code == 401


def test_no_central_configured(app: Any, supervisor_client: Any) -> None:
    boss = supervisor_client(app)
    view = boss.get(SYNC).get_json()
    assert view["state"] == "not_configured" and view["central_configured"] is False
    assert boss.post(PULL).status_code == 409


@pytest.mark.parametrize("status", [None, "{not json", "[1, 2]", '"ok"'])
def test_an_absent_or_unreadable_report_means_not_reported_yet(linked_app: Any, site: Any,
                                                               supervisor_client: Any, status: Any) -> None:
    if status is not None:
        set_state(site, "status", status)
    view = supervisor_client(linked_app).get(SYNC).get_json()
    assert view["state"] == "not_reported" and view["reported"] is False and view["worker_running"] is False
    assert view["last_success"] is None and view["failures"] == 0


def test_pending_is_the_journal_after_the_acknowledged_seq(linked_app: Any, site: Any, supervisor_client: Any,
                                                           kiosk_client: Any) -> None:
    boss = supervisor_client(linked_app)
    kiosk = kiosk_client(linked_app)
    for _ in range(3):
        assert kiosk.post("/api/kiosk/tickets", json={"service": "passport"}).status_code == 201
    last = site.last_seq()
    view = boss.get(SYNC).get_json()
    assert view["pending_events"] == last and view["acked_seq"] == 0
    assert view["oldest_pending_at"] == journal.since(site.store.read(), 0, 1)[0].at
    set_state(site, "acked_seq", str(last - 1))
    view = boss.get(SYNC).get_json()
    assert view["pending_events"] == 1 and view["acked_seq"] == last - 1
    assert view["oldest_pending_at"] == journal.since(site.store.read(), last - 1, 1)[0].at
    set_state(site, "acked_seq", str(last))
    view = boss.get(SYNC).get_json()
    assert view["pending_events"] == 0 and view["oldest_pending_at"] is None


def test_a_report_too_old_means_the_worker_is_not_running(linked_app: Any, site: Any, supervisor_client: Any,
                                                          clock: Any) -> None:
    boss = supervisor_client(linked_app)
    clock.set(NOW, step=timedelta(0))
    set_state(site, "status", report(NOW - timedelta(seconds=30)))  # push_seconds 2: stale after 36 s
    assert boss.get(SYNC).get_json()["state"] == "ok"
    set_state(site, "status", report(NOW - timedelta(seconds=40)))
    view = boss.get(SYNC).get_json()
    assert view["state"] == "not_running" and view["worker_running"] is False and view["reported"] is True
    assert view["reported_at"] == utc_iso(NOW - timedelta(seconds=40))


def test_a_failing_worker_means_the_central_is_unreachable(linked_app: Any, site: Any, supervisor_client: Any,
                                                           clock: Any) -> None:
    clock.set(NOW, step=timedelta(0))
    success = NOW - timedelta(hours=2)
    set_state(site, "status", report(NOW, last_success=utc_iso(success), last_error="timeout after 10 s",
                                     last_error_at=utc_iso(NOW), failures=14))
    view = supervisor_client(linked_app).get(SYNC).get_json()
    assert view["state"] == "unreachable" and view["failures"] == 14
    assert view["last_success"] == utc_iso(success) and view["last_error"] == "timeout after 10 s"
    backing_off = report(NOW - timedelta(seconds=50), last_success=utc_iso(success), failures=6,
                         next_attempt_at=utc_iso(NOW + timedelta(seconds=5)))
    set_state(site, "status", backing_off)  # it waits for the attempt it announced: not taken as dead
    assert supervisor_client(linked_app, "chief2").get(SYNC).get_json()["state"] == "unreachable"


def test_keys_and_todays_appointments_are_read_live(linked_app: Any, site: Any, supervisor_client: Any,
                                                    clock: Any) -> None:
    boss = supervisor_client(linked_app)
    clock.set(NOW, step=timedelta(0))
    assert boss.get(SYNC).get_json()["keys_warning"] == "no_key"
    public = tokens.public_bytes(tokens.new_private_key())
    ending = tokens.SigningKey("k1", public, NOW - timedelta(days=80), NOW + timedelta(days=5))
    with site.store.write() as db:
        keyring.store(db, [ending], NOW)
        for number, status in enumerate(("booked", "booked", "cancelled")):
            item = {"id": f"apt_{number}", "reference": f"RDV-{number}", "site": "ma-paris",
                    "services": ["passport"], "slot_start": "2026-12-02T13:00:00Z",
                    "slot_end": "2026-12-02T13:15:00Z", "persons": 1, "status": status, "version": 1}
            appointments.store_from_central(db, appointments.validated(item, site.config), "test")
    view = boss.get(SYNC).get_json()
    assert view["keys_warning"] == "expiring"
    keys = [(key["kid"], key["state"], key["expires_in_days"]) for key in view["keys"]]
    assert keys == [("k1", "valid", 5)]
    assert view["appointments_today"] == {"total": 3, "cancelled": 1, "checked_in": 0, "no_show": 0}
    following = tokens.SigningKey("k2", public, NOW + timedelta(days=3), NOW + timedelta(days=90))
    with site.store.write() as db:  # the next key is published: no more warning
        keyring.store(db, [following], NOW)
    view = boss.get(SYNC).get_json()
    assert view["keys_warning"] is None and [key["state"] for key in view["keys"]] == ["valid", "not_yet"]


def test_sync_now_sets_the_flag_and_journals_nothing(linked_app: Any, site: Any,
                                                     supervisor_client: Any) -> None:
    boss = supervisor_client(linked_app)
    seq = site.last_seq()
    answer = boss.post(PULL)
    assert answer.status_code == 200 and answer.get_json()["pull_requested"] is True
    row = site.store.read().execute("SELECT value FROM sync_state WHERE key = 'pull_requested'").fetchone()
    assert row == ("1",) and site.last_seq() == seq


def test_the_watcher_pushes_changes_to_supervisors_only(linked_app: Any, site: Any, supervisor_client: Any,
                                                        add_agent: Any, login: Any, clock: Any) -> None:
    socketio = linked_app.extensions["socketio"]
    boss = socketio.test_client(linked_app, namespace="/counter",
                                flask_test_client=supervisor_client(linked_app))
    add_agent(site, "amina")
    agent_http = linked_app.test_client()
    login(agent_http, "amina")
    agent = socketio.test_client(linked_app, namespace="/counter", flask_test_client=agent_http)
    names = [name for name, _ in received(boss)]
    assert names == ["snapshot", "synced", "sync"]  # the current view right after the catch-up
    assert "sync" not in [name for name, _ in received(agent)]
    watcher = linked_app.extensions["dour.sync_watcher"]
    assert watcher.running is False  # devices not started: the test drives it
    assert watcher.check() is True  # its first look is news to it
    received(boss)
    assert watcher.check() is False and received(boss) == []
    clock.set(NOW, step=timedelta(0))
    set_state(site, "status", report(NOW - timedelta(seconds=10)))
    assert watcher.check() is True
    (name, view), = received(boss)
    assert name == "sync" and view["state"] == "ok" and view["reported"] is True and "now" in view
    assert received(agent) == []
    set_state(site, "status", report(NOW - timedelta(seconds=8)))  # the next round, in the same minute
    assert watcher.check() is False and received(boss) == []
    clock.advance(timedelta(seconds=60))  # then the worker stops reporting
    assert watcher.check() is True
    (name, view), = received(boss)
    assert view["state"] == "not_running"


def test_the_watcher_runs_with_the_devices_and_stops_with_them(device_app: Any) -> None:
    app = device_app()
    watcher = app.extensions["dour.sync_watcher"]
    assert watcher.running is True
    close_devices(app)
    assert watcher.running is False
