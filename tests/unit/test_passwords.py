"""Passwords: the policy (NIST SP 800-63B), one scrypt per login attempt whoever the name, hashing off the
gevent loop."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from core import passwords, users
from core.errors import InvalidInput

ROOT = Path(__file__).resolve().parents[2]

REFUSED = {
    "eleven-chars": ("amina", "abcdefghijk"),
    "common": ("amina", "qwertyuiop123"),
    "common-with-digits-and-signs": ("amina", "Password2024!!"),
    "common-long": ("amina", "1q2w3e4r5t6y7u8i9o0p"),
    "user-name": ("karim.benali", "karim.benali"),
    "contains-user-name": ("amina", "Amina-is-the-best-1"),
}


@pytest.mark.parametrize(("username", "password"), REFUSED.values(), ids=REFUSED.keys())
def test_weak_passwords_are_refused(store, username, password) -> None:
    with pytest.raises(InvalidInput), store.write() as db:
        users.add_user(db, username, "Someone", "agent", password)
    assert store.read().execute("SELECT COUNT(*) FROM users").fetchone()[0] == 0


@pytest.mark.parametrize("password", ["correct horse battery", "tajine au citron confit", "Zq8#v1Lm0@x2"])
def test_good_passwords_are_accepted(password) -> None:
    passwords.check_policy(password, "amina")


def test_the_common_list_is_shipped_and_sizeable() -> None:
    common = passwords.common_passwords()
    assert 5000 <= len(common) <= 20000
    assert {"password", "123456", "iloveyou", "qwertyuiop"} <= common
    assert all(word == word.lower() for word in common)


@pytest.fixture
def scrypt_calls(monkeypatch):
    """Counts hashlib.scrypt calls (and still runs them)."""
    calls: list[int] = []
    real = hashlib.scrypt

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counting)
    return calls


def test_a_known_and_an_unknown_name_cost_one_scrypt_each(store, scrypt_calls) -> None:
    """The same work whether the name exists or not: timing does not tell which names are accounts."""
    with store.write() as db:
        users.add_user(db, "amina", "Amina", "agent", "correct horse battery")
    passwords.decoy_hash()  # made once per process, before any attempt
    db = store.read()
    scrypt_calls.clear()
    assert users.authenticate(db, "amina", "wrong password!") is None
    known = len(scrypt_calls)
    scrypt_calls.clear()
    assert users.authenticate(db, "nobody", "wrong password!") is None
    assert known == len(scrypt_calls) == 1


def test_the_decoy_hash_has_the_cost_of_a_real_one() -> None:
    scheme, n, r, p, _salt, _digest = passwords.decoy_hash().split("$")
    assert (scheme, int(n), int(r), int(p)) == ("scrypt", *passwords.SCRYPT.values())


def test_hashing_leaves_the_gevent_loop_free() -> None:
    """Under gunicorn's gevent worker every request shares one thread: while a login's scrypt runs, the
    other greenlets (kiosks, screens) must go on. A ticker greenlet counts the loop's turns meanwhile."""
    script = textwrap.dedent("""
        from gevent import monkey
        monkey.patch_all()
        import gevent
        from core import passwords
        stored = passwords.hash_password("correct horse battery")
        turns = []
        def tick():
            while True:
                turns.append(1)
                gevent.sleep(0.001)
        ticker = gevent.spawn(tick)
        gevent.sleep(0.01)
        before = len(turns)
        for _ in range(3):
            assert passwords.verify_password("correct horse battery", stored)
        print(len(turns) - before)
        ticker.kill()
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=True)
    assert int(done.stdout.strip()) >= 10, done.stdout  # ~150 ms of hashing: the loop turned meanwhile
