"""Accounts and enrolled devices: secrets are stored only as hashes and checked properly."""

from __future__ import annotations

import hashlib

import pytest

from core import devices, journal, users
from core.errors import Conflict, InvalidInput

PASSWORD = "correct horse battery"


def add(store, username: str = "amina", password: str = PASSWORD, role: str = "agent") -> int:
    with store.write() as db:
        return users.add_user(db, username, "Amina", role, password)


def test_password_is_stored_as_scrypt_hash(store) -> None:
    user_id = add(store)
    stored = store.read().execute("SELECT password_hash FROM users WHERE id = ?", [user_id]).fetchone()[0]
    assert stored.startswith("scrypt$")
    assert PASSWORD not in stored
    assert users.verify_password(PASSWORD, stored)


def test_same_password_gets_different_salts(store) -> None:
    assert users.hash_password(PASSWORD) != users.hash_password(PASSWORD)


def test_authenticate(store) -> None:
    user_id = add(store)
    db = store.read()
    user = users.authenticate(db, "amina", PASSWORD)
    assert user is not None and user["id"] == user_id
    assert users.authenticate(db, "amina", PASSWORD + "x") is None
    assert users.authenticate(db, "nobody", PASSWORD) is None


def test_inactive_account_cannot_log_in(store) -> None:
    user_id = add(store)
    with store.write() as db:
        db.execute("UPDATE users SET active = 0 WHERE id = ?", [user_id])
    assert users.authenticate(store.read(), "amina", PASSWORD) is None
    assert users.get_user(store.read(), user_id) is None


def test_malformed_stored_hash_never_matches() -> None:
    assert users.verify_password(PASSWORD, PASSWORD) is False
    assert users.verify_password(PASSWORD, "md5$a$b$c$d$e") is False


@pytest.mark.parametrize(
    ("username", "password", "role"),
    [("amina", "short", "agent"), ("amina", PASSWORD, "admin"), ("two words", PASSWORD, "agent"),
     ("", PASSWORD, "agent")],
    ids=["short-password", "unknown-role", "space-in-name", "empty-name"],
)
def test_invalid_accounts_are_refused(store, username, password, role) -> None:
    with pytest.raises(InvalidInput):
        add(store, username, password, role)
    assert store.read().execute("SELECT COUNT(*) FROM users").fetchone()[0] == 0


def test_duplicate_user_is_a_conflict(store) -> None:
    add(store)
    with pytest.raises(Conflict):
        add(store)
    assert store.read().execute("SELECT COUNT(*) FROM users").fetchone()[0] == 1


def enrol(store, name: str = "kiosk-1", kind: str = "kiosk") -> str:
    with store.write() as db:
        return devices.add_device(db, name, kind)


def test_device_token_is_stored_only_as_hash(store) -> None:
    token = enrol(store)
    rows = store.read().execute("SELECT * FROM devices").fetchall()
    assert all(token not in map(str, row) for row in rows)
    stored = store.read().execute("SELECT token_hash FROM devices").fetchone()[0]
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    device = devices.device_for_token(store.read(), token)
    assert device is not None and (device["name"], device["kind"]) == ("kiosk-1", "kiosk")


def test_tokens_are_per_device(store) -> None:
    first, second = enrol(store, "kiosk-1"), enrol(store, "display-1", "display")
    assert first != second
    device = devices.device_for_token(store.read(), second)
    assert device is not None and device["kind"] == "display"
    assert devices.device_for_token(store.read(), "guess") is None


def test_revoked_token_no_longer_authenticates(store) -> None:
    token = enrol(store)
    other = enrol(store, "kiosk-2")
    with store.write() as db:
        assert devices.revoke_device(db, "kiosk-1") is True
        assert devices.revoke_device(db, "kiosk-1") is False
    assert devices.device_for_token(store.read(), token) is None
    assert devices.device_for_token(store.read(), other) is not None


def test_device_errors(store) -> None:
    enrol(store)
    with pytest.raises(Conflict):
        enrol(store)
    with pytest.raises(InvalidInput):
        enrol(store, "printer-1", "printer")
    assert [d["name"] for d in devices.list_devices(store.read())] == ["kiosk-1"]


def test_agent_cannot_take_a_counter_open_by_another_but_a_supervisor_can(site, add_agent) -> None:
    first = add_agent(site, "agent1")
    second = add_agent(site, "agent2")
    boss = add_agent(site, "boss", role="supervisor")
    site.open_counter(1, first)
    before = journal.last_seq(site.store.read())
    with pytest.raises(Conflict):
        site.open_counter(1, second)
    assert site.open_counters() == {1: first["id"]}
    assert journal.last_seq(site.store.read()) == before
    site.open_counter(1, boss)
    assert site.open_counters() == {1: boss["id"]}
    types = [event.type for event in journal.since(site.store.read(), before)]
    assert types == ["counter.closed", "counter.opened"]
