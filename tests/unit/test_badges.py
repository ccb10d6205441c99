"""Badge enrolment and verification: hashed id, scrypt PIN, revocation, per-badge throttling."""

from __future__ import annotations

import pytest

from core import badges
from core.errors import Conflict, InvalidInput
from core.throttle import LoginThrottle, TooManyAttempts

PIN = "4821"


@pytest.fixture
def agent(site, add_agent):
    return add_agent(site, "amina")


def enrol(site, username: str = "amina", badge_id: str = "AGENT-0042", pin: str = PIN) -> int:
    with site.store.write() as db:
        return badges.enrol(db, username, badge_id, pin)


def test_enrolled_badge_and_pin_give_the_account(site, agent) -> None:
    enrol(site)
    user = badges.verify(site.store.read(), "AGENT-0042", PIN, LoginThrottle())
    assert user["id"] == agent["id"] and user["username"] == "amina" and "pin_hash" not in user


def test_neither_badge_id_nor_pin_is_stored_in_clear(site, agent) -> None:
    enrol(site)
    row = site.store.read().execute("SELECT badge_hash, pin_hash FROM badges").fetchone()
    assert "AGENT-0042" not in " ".join(row) and PIN not in row[1]
    assert row[0] == badges.digest("AGENT-0042") and row[1].startswith("scrypt$")


def test_wrong_pin_and_unknown_badge_are_typed_errors(site, agent) -> None:
    enrol(site)
    with pytest.raises(badges.WrongPin) as wrong:
        badges.verify(site.store.read(), "AGENT-0042", "0000", LoginThrottle())
    assert wrong.value.status == 401
    with pytest.raises(badges.UnknownBadge) as unknown:
        badges.verify(site.store.read(), "AGENT-9999", PIN, LoginThrottle())
    assert unknown.value.status == 403


def test_revoked_badge_no_longer_logs_in_and_can_be_enrolled_again(site, agent) -> None:
    enrol(site)
    with site.store.write() as db:
        assert badges.revoke(db, "AGENT-0042") is True
        assert badges.revoke(db, "AGENT-0042") is False
    with pytest.raises(badges.UnknownBadge):
        badges.verify(site.store.read(), "AGENT-0042", PIN, LoginThrottle())
    enrol(site, pin="99887766")
    assert badges.verify(site.store.read(), "AGENT-0042", "99887766", LoginThrottle())["id"] == agent["id"]
    listed = badges.list_badges(site.store.read())
    assert [(b["username"], bool(b["revoked_at"])) for b in listed] == [("amina", True), ("amina", False)]
    assert listed[0]["fingerprint"] == badges.fingerprint("AGENT-0042")


def test_revoke_every_badge_of_an_account(site, agent, add_agent) -> None:
    add_agent(site, "karim")
    enrol(site, badge_id="AGENT-0001")
    enrol(site, badge_id="AGENT-0002")
    enrol(site, "karim", badge_id="AGENT-0003")
    with site.store.write() as db:
        assert badges.revoke_user(db, "amina") == 2
    enrolled = [badges.is_enrolled(site.store.read(), b) for b in ("AGENT-0001", "AGENT-0002", "AGENT-0003")]
    assert enrolled == [False, False, True]


def test_a_disabled_account_loses_its_badge(site, agent) -> None:
    enrol(site)
    with site.store.write() as db:
        db.execute("UPDATE users SET active = 0 WHERE id = ?", [agent["id"]])
    assert badges.is_enrolled(site.store.read(), "AGENT-0042") is False


@pytest.mark.parametrize(("username", "badge_id", "pin", "error"), [
    ("amina", "AGENT-0042", "12a4", InvalidInput),
    ("amina", "AGENT-0042", "123", InvalidInput),
    ("amina", "AGENT-0042", "1234567890123", InvalidInput),
    ("amina", "AGENT-0042", "١٢٣٤", InvalidInput),  # Arabic-Indic digits: not what a PIN pad sends
    ("amina", "", PIN, InvalidInput),
    ("amina", "A\nB", PIN, InvalidInput),
    ("nobody", "AGENT-0042", PIN, InvalidInput),
])
def test_enrolment_refuses_bad_input(site, agent, username, badge_id, pin, error) -> None:
    with pytest.raises(error):
        enrol(site, username, badge_id, pin)
    assert badges.list_badges(site.store.read()) == []


def test_a_badge_is_enrolled_once(site, agent) -> None:
    enrol(site)
    with pytest.raises(Conflict):
        enrol(site, pin="5555")


def test_wrong_pins_are_throttled_per_badge(site, agent) -> None:
    enrol(site)
    enrol(site, badge_id="AGENT-0043")
    throttle = LoginThrottle(limit=3)
    db = site.store.read()
    for _ in range(3):
        with pytest.raises(badges.WrongPin):
            badges.verify(db, "AGENT-0042", "0000", throttle)
    with pytest.raises(TooManyAttempts):
        badges.verify(db, "AGENT-0042", PIN, throttle)  # even the right PIN, until the window passes
    assert badges.verify(db, "AGENT-0043", PIN, throttle)["id"] == agent["id"]


def test_badge_commands(tmp_path, monkeypatch, capsys) -> None:
    import io

    from core import cli

    database = str(tmp_path / "cli.db")

    def dour(*args: str, stdin: str = "") -> int:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        return cli.main(["--database", database, *args])

    assert dour("user", "add", "amina", "--password-stdin", stdin="correct horse battery\n") == 0
    assert dour("badge", "add", "amina", "AGENT-0042", "--pin-stdin", stdin=f"{PIN}\n") == 0
    assert dour("badge", "add", "amina", "AGENT-0043", "--pin-stdin", stdin="12\n") == 2  # refused: short PIN
    assert dour("badge", "list") == 0
    listing = capsys.readouterr().out
    assert f"\t{badges.fingerprint('AGENT-0042')}\tamina\t" in listing and "AGENT-0042" not in listing
    assert dour("badge", "revoke", "AGENT-0042") == 0 and dour("badge", "revoke", "AGENT-0042") == 1
    assert dour("badge", "add", "amina", "AGENT-0042", "--pin-stdin", stdin=f"{PIN}\n") == 0
    assert dour("badge", "revoke", "--user", "amina") == 0
    assert "1 badge(s) revoked" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        dour("badge", "revoke")  # neither a badge id nor --user
