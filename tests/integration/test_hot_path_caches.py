"""What the issue and call paths keep instead of redoing on every request (docs/serving.md, "Cost per
ticket"): each cache here gives the answer a fresh computation would, and follows what it depends on."""

from __future__ import annotations

import logging
from datetime import timedelta
from types import SimpleNamespace

from gunicorn.config import Config

from core import store, tickets, waits
from core.forecasts import MAX_SHARE, rest_after
from core.migrations import MIGRATIONS
from core.serve import SiteLogger
from core.states import Action

STATE_URL = "/api/counter/state"


def error_message(client, token: str, **kwargs) -> str:
    answer = client.post("/api/kiosk/tickets", headers={"Authorization": f"Bearer {token}",
                                                        **kwargs.pop("headers", {})}, **kwargs)
    assert answer.status_code == 400
    return answer.get_json()["message"]


def test_the_session_cookie_follows_a_new_secret_key(app, client, app_site, add_agent, login) -> None:
    """The signing serializer is built once per key: a cookie signed with the old key stops working when the
    key changes, and works again while the old key is a fallback."""
    add_agent(app_site, "amina")
    assert login(client, "amina").status_code == 200
    assert client.get(STATE_URL).status_code != 401
    interface = app.session_interface
    assert interface.get_signing_serializer(app) is interface.get_signing_serializer(app)
    old_key = app.secret_key
    app.secret_key = "another key altogether, as after a restore"
    assert client.get(STATE_URL).status_code == 401
    app.config["SECRET_KEY_FALLBACKS"] = [old_key]
    assert client.get(STATE_URL).status_code != 401


def test_each_request_gets_its_own_language_from_the_parsed_locales(client, kiosk_token) -> None:
    """Locales are parsed once per language, never once for the whole process."""
    arabic = error_message(client, kiosk_token, json={"service": "visa", "lang": "ar"})
    english = error_message(client, kiosk_token, json={"service": "visa", "lang": "en"})
    assert arabic != english
    assert error_message(client, kiosk_token, json={"service": "visa", "lang": "ar"}) == arabic
    assert any("\u0600" <= char <= "\u06ff" for char in arabic)


def test_without_accept_language_a_request_gets_the_site_language(client, app_site, kiosk_token) -> None:
    default = app_site.config.site["default_language"]
    site_language = error_message(client, kiosk_token, json={"service": "visa", "lang": default})
    assert error_message(client, kiosk_token, json={"service": "visa"}) == site_language
    german = error_message(client, kiosk_token, json={"service": "visa"}, headers={"Accept-Language": "de"})
    assert german == error_message(client, kiosk_token, json={"service": "visa", "lang": "de"})
    assert german != site_language


def test_a_ticket_row_is_written_and_read_back_whole(app_site) -> None:
    """The issue path writes and reads tickets by position (tickets.COLUMNS): every field comes back."""
    issued = app_site.issue_ticket(service="passport", kind="walk_in", lang="fr", actor="device:1",
                                   priority=True, request_key="k1:r1").ticket
    with app_site.store.reading() as db:
        assert tickets.get(db, issued.id) == issued
        assert tickets.by_request_key(db, "k1:r1") == issued
        assert db.execute("SELECT COUNT(*) FROM pragma_table_info('tickets')").fetchone()[0] == \
            len(tickets.COLUMNS)


def test_gunicorn_builds_no_access_line_that_goes_nowhere() -> None:
    """Our logging configuration gives `gunicorn.access` no handler: the line is not even built. Given a
    handler, it is written as gunicorn would."""
    touched = [logging.getLogger(name) for name in ("gunicorn.error", "gunicorn.access")]
    kept = [(log.handlers[:], log.propagate, log.level) for log in touched]
    config = Config()
    config.set("accesslog", "-")
    logger = SiteLogger(config)
    access = logger.access_log
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    try:
        access.handlers, access.propagate = [], False
        logger.access(object(), object(), {}, timedelta(0))  # building the line from these would raise
        access.addHandler(handler)
        response = SimpleNamespace(status="201 CREATED", sent=42, headers=[])
        environ = {"REQUEST_METHOD": "POST", "RAW_URI": "/api/kiosk/tickets", "SERVER_PROTOCOL": "HTTP/1.1"}
        logger.access(response, SimpleNamespace(headers=[]), environ, timedelta(milliseconds=3))
        assert len(lines) == 1 and "POST /api/kiosk/tickets" in lines[0]
    finally:
        for log, (handlers, propagate, level) in zip(touched, kept, strict=True):
            log.handlers, log.propagate = handlers, propagate
            log.setLevel(level)


def test_a_long_forecast_rests_in_proportion() -> None:
    """A refresh that takes long is followed by a rest long enough to keep it to MAX_SHARE of the time."""
    assert rest_after(0.05, 3.0) == 3.0
    assert rest_after(1.0, 3.0) == 1.0 / MAX_SHARE
    assert 1.0 / rest_after(1.0, 3.0) <= MAX_SHARE


def counted(db) -> dict[tuple[str, str], int]:
    """The waiting line counted from the tickets themselves: what the kept counts must always equal."""
    rows = db.execute("SELECT day, service, COUNT(*) FROM tickets WHERE state = 'waiting' "
                      "GROUP BY day, service")
    return {(day, service): count for day, service, count in rows.fetchall()}


def kept(db) -> dict[tuple[str, str], int]:
    rows = db.execute("SELECT day, service, waiting FROM waiting_counts WHERE waiting != 0").fetchall()
    return {(day, service): waiting for day, service, waiting in rows}


def test_the_kept_waiting_counts_follow_every_change_of_a_ticket(site, add_agent) -> None:
    """Issue, call, serve, no-show and its undo, transfer to another service, cancel, a ticket carried to
    another day and one deleted (as the retention does): the triggers' counts equal a fresh count."""
    agent = add_agent(site)
    site.open_counter(3, agent)
    issued = [site.issue_ticket(service=service, kind="walk_in", lang="fr", actor="device:1").ticket
              for service in ("passport", "cnie", "registration", "passport", "cnie", "registration")]
    db = site.store.read()
    assert kept(db) == counted(db) != {}
    called = site.call_next(3, agent)
    assert called is not None
    site.act(called.id, Action.NO_SHOW, 3, agent)
    site.undo_no_show(called.id, 3, agent)
    site.transfer(called.id, 3, agent, to_service="civil_status")
    assert kept(db) == counted(db)
    again = site.call_next(3, agent)
    assert again is not None
    site.act(again.id, Action.START, 3, agent)
    site.act(again.id, Action.FINISH, 3, agent)
    site.cancel(issued[-1].id, "user:1")
    assert kept(db) == counted(db)
    with site.store.write() as writer:
        writer.execute("UPDATE tickets SET day = '2099-01-01' WHERE id = ?", [issued[1].id])
        writer.execute("DELETE FROM tickets WHERE id = ?", [issued[2].id])
    assert kept(db) == counted(db)
    assert waits.waiting_counts(db, site.config, site.today()) == {
        code: counted(db).get((site.today(), code), 0) for code in site.config.services}


def test_the_migration_counts_the_line_already_waiting(tmp_path) -> None:
    """A site upgraded mid-day starts with the counts of the tickets already waiting."""
    db = store.connect(str(tmp_path / "old.db"))
    db.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    names = [name for name, _step in MIGRATIONS]
    for name, step in MIGRATIONS[:names.index("013_waiting_line")]:
        step(db)
        db.execute("INSERT INTO _migrations VALUES (?, datetime('now'))", [name])
    for n, (service, state) in enumerate([("passport", "waiting"), ("passport", "waiting"),
                                          ("cnie", "waiting"), ("cnie", "called")]):
        db.execute("INSERT INTO tickets (id, day, prefix, seq_no, number, service, kind, state, lang, "
                   "arrived_at) VALUES (?, '2026-01-05', 'A', ?, ?, ?, 'walk_in', ?, 'fr', ?)",
                   [f"t{n}", n + 1, f"A-{n + 1:03d}", service, state, "2026-01-05T09:00:00Z"])
    assert "013_waiting_line" in store.migrate(db)
    assert kept(db) == counted(db) == {("2026-01-05", "passport"): 2, ("2026-01-05", "cnie"): 1}
