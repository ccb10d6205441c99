"""A restart on the same database file: tickets are still there and numbering goes on."""

from __future__ import annotations

from core import journal
from core.app import create_app


def issue(app, token: str, service: str = "passport") -> dict:
    response = app.test_client().post("/api/kiosk/tickets", json={"service": service},
                                      headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201
    return response.get_json()["ticket"]


def test_restart_keeps_tickets_and_continues_numbering(config, tmp_path, enrol) -> None:
    path = str(tmp_path / "site.db")
    first = create_app(config, path, start_devices=False)
    token = enrol(first.extensions["dour.site"], "kiosk")
    before = [issue(first, token) for _ in range(3)] + [issue(first, token, "cnie")]
    first.extensions["dour.site"].store.close()
    del first

    second = create_app(config, path, start_devices=False)
    site = second.extensions["dour.site"]
    for ticket in before:
        assert site.ticket_view(ticket["id"]).ticket.number == ticket["number"]
    after = [issue(second, token), issue(second, token, "cnie")]  # the enrolment survived too
    assert [t["number"] for t in after] == ["A-004", "B-002"]
    db = site.store.read()
    numbers = [row[0] for row in db.execute("SELECT number FROM tickets").fetchall()]
    assert len(numbers) == len(set(numbers)) == 6
    assert [e.seq for e in journal.since(db, 0)] == list(range(1, 7))


def test_restart_keeps_the_session_key(config, tmp_path) -> None:
    path = str(tmp_path / "site.db")
    first = create_app(config, path, start_devices=False)
    key = first.config["SECRET_KEY"]
    first.extensions["dour.site"].store.close()
    second = create_app(config, path, start_devices=False)
    assert second.config["SECRET_KEY"] == key and len(key) >= 32
    other = create_app(config, str(tmp_path / "other.db"), start_devices=False)
    assert other.config["SECRET_KEY"] != key
