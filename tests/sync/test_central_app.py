"""The reference central through Flask's test client: auth, paging, idempotency, limits, faults, validation.

The socket faults (`drop_after`, `unreachable`) need gunicorn's client socket: test_central_process.py.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core import config as site_config
from sync.central import appointments
from sync.central.app import create_app
from sync.central.seed import seed_demo
from sync.tokens import TokenError, key_from_jwk, verify

ADMIN = "admin-token-for-the-tests-0123456789"
SITE, OTHER = "ma-paris", "ma-lyon"
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def central(tmp_path: Path) -> Any:
    return create_app(str(tmp_path / "central.db"), ADMIN)


def client_with(app: Any, token: str) -> Any:
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


@pytest.fixture
def admin(central: Any) -> Any:
    return client_with(central, ADMIN)


@pytest.fixture
def site_client(central: Any, admin: Any) -> Callable[[str], Any]:
    """site_client("ma-paris"): registers the site through the admin API, returns a client with its token."""
    def make(site: str = SITE) -> Any:
        answer = admin.post("/admin/sites", json={"id": site, "name": site.title()})
        assert answer.status_code == 201
        return client_with(central, answer.get_json()["token"])
    return make


@pytest.fixture
def paris(site_client: Callable[[str], Any]) -> Any:
    return site_client(SITE)


def book(admin: Any, hour: int = 9, site: str = SITE, **extra: Any) -> dict[str, Any]:
    start = datetime(2026, 12, 2, hour, 0, tzinfo=UTC)
    body = {"site": site, "services": ["passport"], "slot_start": start.isoformat(),
            "slot_end": (start + timedelta(minutes=15)).isoformat(), "persons": 1, "lang": "fr", **extra}
    answer = admin.post("/admin/appointments", json=body)
    assert answer.status_code == 201, answer.get_json()
    return dict(answer.get_json())


def pull(client: Any, cursor: str | None = None, limit: int = 1000) -> dict[str, Any]:
    query = f"?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
    answer = client.get(f"/v1/sites/{SITE}/appointments{query}")
    assert answer.status_code == 200, answer.get_json()
    return dict(answer.get_json())


def event(seq: int, type_: str = "ticket.issued", site: str = SITE) -> dict[str, Any]:
    return {"id": f"{site}:epoch1:{seq}", "seq": seq, "type": type_, "at": "2026-12-02T09:00:00.000000Z",
            "actor": "kiosk:hall-1", "ticket_id": f"t{seq}", "data": {"number": f"A-{seq:03d}"}}


def etimbre_body(reference: str = "PAY-1", **extra: Any) -> dict[str, Any]:
    return {"site_id": SITE, "payment_reference": reference, "service": "passport",
            "items": [["passport_stamp", 6000]], "amount_minor": 6000, "currency": "EUR",
            "paid_at": "2026-12-02T09:10:00Z", "authorisation": "A12345", "ticket_number": "A-001", **extra}


def stats(admin: Any, site: str = SITE) -> dict[str, Any]:
    return dict(admin.get(f"/admin/sites/{site}/stats").get_json())


# --- authentication -----------------------------------------------------------------------------------------
def test_site_calls_need_a_known_token(central: Any, paris: Any) -> None:
    anonymous = central.test_client()
    assert anonymous.get(f"/v1/sites/{SITE}/appointments").status_code == 401
    assert anonymous.get("/v1/keys").status_code == 401
    wrong = client_with(central, "not-a-token")
    answer = wrong.post(f"/v1/sites/{SITE}/events", json={"events": []})
    assert answer.status_code == 401 and answer.get_json()["error"] == "unauthorized"


def test_a_site_cannot_use_another_sites_paths(paris: Any, site_client: Callable[[str], Any]) -> None:
    site_client(OTHER)
    for answer in (paris.get(f"/v1/sites/{OTHER}/appointments"), paris.get(f"/v1/sites/{OTHER}/fees"),
                   paris.post(f"/v1/sites/{OTHER}/events", json={"events": []}),
                   paris.put(f"/v1/sites/{OTHER}/etimbres/PAY-1", json=etimbre_body())):
        assert answer.status_code == 403 and answer.get_json()["error"] == "forbidden"


def test_the_admin_api_takes_only_the_admin_token(central: Any, paris: Any) -> None:
    assert central.test_client().get("/admin/faults").status_code == 401
    assert paris.get("/admin/faults").status_code == 401
    assert client_with(central, ADMIN + "x").get("/admin/faults").status_code == 401


def test_site_tokens_are_stored_as_sha256_only(central: Any, admin: Any, tmp_path: Path) -> None:
    token = admin.post("/admin/sites", json={"id": SITE, "name": "Paris"}).get_json()["token"]
    store = central.extensions["dour.central"]
    (stored,) = store.read().execute("SELECT token_sha256 FROM sites").fetchone()
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    store.close()
    raw = b"".join(path.read_bytes() for path in tmp_path.glob("central.db*"))
    assert token.encode() not in raw


def test_a_site_is_registered_once(admin: Any, paris: Any) -> None:
    assert admin.post("/admin/sites", json={"id": SITE, "name": "again"}).status_code == 409


# --- appointments by cursor ---------------------------------------------------------------------------------
def test_pages_follow_the_cursor_oldest_change_first(admin: Any, paris: Any) -> None:
    booked = [book(admin, hour) for hour in range(8, 13)]
    first = pull(paris, limit=2)
    second = pull(paris, first["cursor"], limit=2)
    third = pull(paris, second["cursor"], limit=2)
    assert (first["more"], second["more"], third["more"]) == (True, True, False)
    seen = [a["id"] for page in (first, second, third) for a in page["appointments"]]
    assert seen == [a["id"] for a in booked]
    empty = pull(paris, third["cursor"])
    assert empty == {"appointments": [], "cursor": third["cursor"], "more": False}


def test_moved_and_cancelled_appear_once_in_their_latest_state(admin: Any, paris: Any) -> None:
    first, second, third = (book(admin, hour) for hour in (9, 10, 11))
    cursor = pull(paris)["cursor"]
    moved = {"slot_start": "2026-12-02T14:00:00+01:00", "slot_end": "2026-12-02T14:30:00+01:00"}
    assert admin.post(f"/admin/appointments/{first['id']}/move", json=moved).status_code == 200
    assert admin.post(f"/admin/appointments/{second['id']}/cancel").status_code == 200
    assert admin.post(f"/admin/appointments/{first['id']}/move", json=moved).get_json()["version"] == 3
    changed = pull(paris, cursor)["appointments"]
    assert [a["id"] for a in changed] == [second["id"], first["id"]]
    assert changed[0]["status"] == "cancelled" and changed[0]["version"] == 2
    assert changed[1]["slot_start"] == "2026-12-02T13:00:00Z" and changed[1]["version"] == 3
    everything = pull(paris)["appointments"]
    assert sorted(a["id"] for a in everything) == sorted(a["id"] for a in (first, second, third))


def test_an_appointment_has_the_documented_shape(admin: Any, paris: Any) -> None:
    booked = book(admin, documents=["photo", "birth_certificate"], persons=3)
    assert set(booked) == {"id", "reference", "site", "services", "slot_start", "slot_end", "persons", "lang",
                           "applicant", "documents", "status", "version"}
    assert re.fullmatch(r"RDV-[2-9A-HJKMNP-Z]{6}", booked["reference"])
    assert booked["id"].startswith("apt_") and booked["applicant"].startswith("APL-")
    assert (booked["status"], booked["version"], booked["persons"]) == ("booked", 1, 3)
    assert pull(paris)["appointments"] == [booked]


def test_a_cancelled_appointment_cannot_change_again(admin: Any, paris: Any) -> None:
    booked = book(admin)
    admin.post(f"/admin/appointments/{booked['id']}/cancel")
    assert admin.post(f"/admin/appointments/{booked['id']}/cancel").status_code == 409
    assert admin.post("/admin/appointments/apt_nope/cancel").status_code == 404


@pytest.mark.parametrize("cursor", ["not-a-cursor!", appointments.encode_cursor(5)[:-1] + "@", "YzI6NQ",
                                    "YzE6LTE", "YzE6MDE", "x" * 100])
def test_a_malformed_cursor_is_refused(paris: Any, cursor: str) -> None:
    answer = paris.get(f"/v1/sites/{SITE}/appointments", query_string={"cursor": cursor})
    assert answer.status_code == 400 and answer.get_json()["error"] == "malformed"


@pytest.mark.parametrize("limit", ["0", "5001", "abc", "-1", "1.5"])
def test_a_bad_limit_is_refused(paris: Any, limit: str) -> None:
    assert paris.get(f"/v1/sites/{SITE}/appointments?limit={limit}").status_code == 400


# --- events -------------------------------------------------------------------------------------------------
def test_an_event_batch_sent_twice_is_stored_once(admin: Any, paris: Any) -> None:
    batch = [event(1), event(2, "ticket.called"), event(3)]
    answer = paris.post(f"/v1/sites/{SITE}/events", json={"events": batch})
    assert answer.get_json() == {"acknowledged": [e["id"] for e in batch]}
    again = paris.post(f"/v1/sites/{SITE}/events", json={"events": [*batch, event(4)]})
    assert again.get_json()["acknowledged"] == [e["id"] for e in [*batch, event(4)]]
    assert stats(admin) == {"events": 4, "events_by_type": {"ticket.called": 1, "ticket.issued": 3},
                            "duplicates": 3, "etimbres": 0, "appointments": 0, "daily_reports": 0,
                            "daily_report_revisions": 0, "daily_report_repeats": 0}


def test_an_event_id_must_be_the_sites_own(paris: Any) -> None:
    answer = paris.post(f"/v1/sites/{SITE}/events", json={"events": [event(1, site=OTHER)]})
    assert answer.status_code == 400 and "must start with the site id" in answer.get_json()["message"]


def test_a_batch_above_1000_events_is_too_large(admin: Any, paris: Any) -> None:
    answer = paris.post(f"/v1/sites/{SITE}/events", json={"events": [event(i) for i in range(1001)]})
    assert answer.status_code == 413 and answer.get_json()["error"] == "too_large"
    assert stats(admin)["events"] == 0


def test_a_body_above_8_mb_is_too_large(paris: Any) -> None:
    body = json.dumps({"events": [], "padding": "x" * (8 * 1024 * 1024)})
    answer = paris.post(f"/v1/sites/{SITE}/events", data=body, content_type="application/json")
    assert answer.status_code == 413 and answer.get_json()["error"] == "too_large"


# --- eTimbres -----------------------------------------------------------------------------------------------
def test_an_etimbre_is_issued_once_per_payment_reference(admin: Any, paris: Any) -> None:
    first = paris.put(f"/v1/sites/{SITE}/etimbres/PAY-1", json=etimbre_body())
    assert first.status_code == 201
    number = first.get_json()["number"]
    assert re.fullmatch(r"ETB\d{4}\d{8}", number)
    objects = etimbre_body(items=[{"code": "passport_stamp", "amount_minor": 6000}])
    again = paris.put(f"/v1/sites/{SITE}/etimbres/PAY-1", json=objects)
    assert again.status_code == 200 and again.get_json() == {"payment_reference": "PAY-1", "number": number}
    other = paris.put(f"/v1/sites/{SITE}/etimbres/PAY-2", json=etimbre_body("PAY-2"))
    assert other.status_code == 201 and other.get_json()["number"] > number
    assert stats(admin)["etimbres"] == 2


def test_another_sites_payment_reference_is_a_conflict(paris: Any, site_client: Callable[[str], Any]) -> None:
    lyon = site_client(OTHER)
    paris.put(f"/v1/sites/{SITE}/etimbres/PAY-1", json=etimbre_body())
    answer = lyon.put(f"/v1/sites/{OTHER}/etimbres/PAY-1", json=etimbre_body(site_id=OTHER))
    assert answer.status_code == 409


@pytest.mark.parametrize("change", [
    {"site_id": OTHER}, {"payment_reference": "PAY-9"}, {"amount_minor": 5000}, {"amount_minor": 6000.0},
    {"items": [["passport_stamp", "6000"]]}, {"items": []}, {"items": [["a", 1, 2]]}, {"currency": "eur"},
    {"paid_at": "2026-12-02T09:10:00"}, {"service": ""}, {"authorisation": 12345}, {"ticket_number": ["A"]}])
def test_a_malformed_etimbre_request_is_refused(admin: Any, paris: Any, change: dict[str, Any]) -> None:
    answer = paris.put(f"/v1/sites/{SITE}/etimbres/PAY-1", json={**etimbre_body(), **change})
    assert answer.status_code == 400 and answer.get_json()["error"] == "malformed"
    assert stats(admin)["etimbres"] == 0


# --- faults -------------------------------------------------------------------------------------------------
def set_fault(admin: Any, mode: str, **extra: Any) -> None:
    answer = admin.put("/admin/faults", json={"mode": mode, **extra})
    assert answer.status_code == 200, answer.get_json()


def test_error_fault_answers_500_without_processing(admin: Any, paris: Any) -> None:
    set_fault(admin, "error")
    answer = paris.post(f"/v1/sites/{SITE}/events", json={"events": [event(1)]})
    assert answer.status_code == 500 and answer.get_json()["error"] == "injected_fault"
    assert stats(admin)["events"] == 0  # the admin API is never faulted
    set_fault(admin, "normal")
    assert paris.post(f"/v1/sites/{SITE}/events", json={"events": [event(1)]}).status_code == 200


def test_a_fault_with_remaining_returns_to_normal(admin: Any, paris: Any) -> None:
    set_fault(admin, "error", remaining=2)
    codes = [paris.get(f"/v1/sites/{SITE}/fees").status_code for _ in range(3)]
    assert codes == [500, 500, 200]
    normal = {"mode": "normal", "delay_seconds": 0.0, "remaining": None}
    assert admin.get("/admin/faults").get_json() == normal


def test_slow_fault_answers_after_the_delay(admin: Any, paris: Any) -> None:
    set_fault(admin, "slow", delay_seconds=0.3, remaining=1)
    began = time.monotonic()
    assert paris.get("/v1/keys").status_code == 200
    assert time.monotonic() - began >= 0.3


def test_unreachable_without_gunicorn_answers_503_and_does_nothing(admin: Any, paris: Any) -> None:
    set_fault(admin, "unreachable")
    assert paris.post(f"/v1/sites/{SITE}/events", json={"events": [event(1)]}).status_code == 503
    assert stats(admin)["events"] == 0


def test_drop_after_without_gunicorn_still_processes(admin: Any, paris: Any) -> None:
    set_fault(admin, "drop_after", remaining=1)
    assert paris.post(f"/v1/sites/{SITE}/events", json={"events": [event(1)]}).status_code == 200
    assert stats(admin)["events"] == 1


def test_the_fault_survives_a_restart(tmp_path: Path, admin: Any) -> None:
    set_fault(admin, "slow", delay_seconds=1.5, remaining=7)
    restarted = client_with(create_app(str(tmp_path / "central.db"), ADMIN), ADMIN)
    assert restarted.get("/admin/faults").get_json() == {"mode": "slow", "delay_seconds": 1.5, "remaining": 7}


# --- strict validation --------------------------------------------------------------------------------------
BAD_CHANGES: list[dict[str, Any]] = [
    {"seq": "1"}, {"seq": True}, {"seq": -1}, {"type": None}, {"at": "yesterday"},
    {"at": "2026-12-02T09:00:00"}, {"data": [1]}, {"id": "ma-paris: spaces"}, {"actor": 7}]
NO_SEQ = {key: value for key, value in event(1).items() if key != "seq"}
BAD_EVENTS = [{"events": "no"}, {"events": [1]}, {"events": [NO_SEQ]},
              *({"events": [event(2), {**event(1), **change}]} for change in BAD_CHANGES)]


@pytest.mark.parametrize("body", BAD_EVENTS)
def test_malformed_events_are_refused_and_none_stored(admin: Any, paris: Any, body: dict[str, Any]) -> None:
    answer = paris.post(f"/v1/sites/{SITE}/events", json=body)
    assert answer.status_code == 400 and answer.get_json()["message"]
    assert stats(admin)["events"] == 0


@pytest.mark.parametrize("data", [b"", b"not json", b"[1, 2]", b"\xff\xfe", b"[" * 100_000 + b"]" * 100_000])
def test_a_body_that_is_not_a_json_object_is_refused(paris: Any, data: bytes) -> None:
    answer = paris.post(f"/v1/sites/{SITE}/events", data=data, content_type="application/json")
    assert answer.status_code == 400 and answer.get_json()["error"] == "malformed"


@pytest.mark.parametrize("change", [{"persons": 0}, {"persons": True}, {"persons": "1"}, {"services": []},
                                    {"services": "passport"}, {"slot_end": "2026-12-02T08:00:00Z"},
                                    {"site": "ma paris"}, {"lang": 3}, {"documents": [1]}])
def test_a_malformed_booking_is_refused(admin: Any, paris: Any, change: dict[str, Any]) -> None:
    body = {"site": SITE, "services": ["passport"], "slot_start": "2026-12-02T09:00:00Z",
            "slot_end": "2026-12-02T09:15:00Z", "persons": 1, "lang": "fr", **change}
    assert admin.post("/admin/appointments", json=body).status_code == 400


def test_a_booking_for_an_unknown_site_is_not_found(admin: Any) -> None:
    answer = admin.post("/admin/appointments", json={
        "site": "ma-nowhere", "services": ["passport"], "slot_start": "2026-12-02T09:00:00Z",
        "slot_end": "2026-12-02T09:15:00Z", "persons": 1})
    assert answer.status_code == 404


@pytest.mark.parametrize("body", [{"mode": "broken"}, {"mode": "slow", "delay_seconds": -1},
                                  {"mode": "slow", "delay_seconds": "1"}, {"mode": "error", "remaining": 0},
                                  {"mode": "error", "remaining": 1.5}, {}])
def test_a_malformed_fault_is_refused(admin: Any, body: dict[str, Any]) -> None:
    assert admin.put("/admin/faults", json=body).status_code == 400


def test_unknown_routes_and_methods_answer_json(paris: Any) -> None:
    assert paris.get("/v1/nothing").get_json()["error"] == "not_found"
    answer = paris.delete("/v1/keys")
    assert answer.status_code == 405 and answer.get_json()["error"] == "method_not_allowed"


# --- fees, keys, tokens, samples ----------------------------------------------------------------------------
def test_fees_come_from_the_seeded_site_configuration(central: Any, paris: Any, clock: Any) -> None:
    clock.set(datetime(2026, 12, 2, 8, tzinfo=UTC))
    config = site_config.load(env={})
    with central.extensions["dour.central"].write() as db:
        seed_demo(db, config, SITE, PARIS, datetime(2026, 12, 2).date())
    schedule = paris.get(f"/v1/sites/{SITE}/fees").get_json()
    assert schedule["currency"] == "EUR" and schedule["version"] == 1
    passport = next(s for s in schedule["services"] if s["code"] == "passport")
    assert passport["items"][0] == {"code": "passport_stamp", "amount_minor": 6000,
                                    "names": config.services["passport"].fees[0].names}


def published(client: Any) -> dict[str, Any]:
    return {key.kid: key for key in map(key_from_jwk, client.get("/v1/keys").get_json()["keys"])}


def test_rotation_keeps_older_keys_published(admin: Any, paris: Any, clock: Any) -> None:
    clock.set(datetime(2026, 12, 2, 8, tzinfo=UTC))
    first = admin.post("/admin/keys/rotate", json={"days": 30}).get_json()["kid"]
    clock.advance(timedelta(days=10))
    second = admin.post("/admin/keys/rotate", json={"days": 30}).get_json()["kid"]
    assert set(published(paris)) == {first, second}
    clock.advance(timedelta(days=25))
    assert set(published(paris)) == {second}


def test_an_appointment_token_verifies_with_the_published_keys(admin: Any, paris: Any, clock: Any) -> None:
    clock.set(datetime(2026, 12, 2, 8, tzinfo=UTC))
    assert admin.get(f"/admin/appointments/{book(admin)['id']}/token").status_code == 503  # no key yet
    admin.post("/admin/keys/rotate", json={"days": 90})
    booked = book(admin)
    text = admin.get(f"/admin/appointments/{booked['id']}/token").get_json()["token"]
    claims = verify(text, published(paris), datetime(2026, 12, 2, 8, 30, tzinfo=UTC))
    assert (claims.appointment_id, claims.reference, claims.site) == (booked["id"], booked["reference"], SITE)
    assert claims.expires_at == datetime(2026, 12, 3, 9, 15, tzinfo=UTC)


def test_qr_samples_cover_every_case(central: Any, admin: Any, paris: Any, clock: Any) -> None:
    now = datetime(2026, 12, 2, 10, 0, tzinfo=PARIS)
    clock.set(now.astimezone(UTC), step=timedelta(0))
    with central.extensions["dour.central"].write() as db:
        seed_demo(db, site_config.load(env={}), SITE, PARIS, now.date())
    answer = admin.get(f"/admin/sites/{SITE}/qr-samples?day=2026-12-02&timezone=Europe/Paris")
    found: dict[str, list[dict[str, Any]]] = {}
    for sample in answer.get_json()["samples"]:
        found.setdefault(sample["label"], []).append(sample)
    assert set(found) == {"valid", "forged", "expired", "unknown_key", "other_site", "cancelled", "too_early",
                          "other_day"}
    assert len(found["valid"]) >= 3
    keys, at = published(paris), now.astimezone(UTC)
    refusals = (("forged", "bad_signature"), ("expired", "expired"), ("unknown_key", "unknown_key"))
    for label, reason in refusals:
        with pytest.raises(TokenError) as refused:
            verify(found[label][0]["text"], keys, at)
        assert refused.value.reason == reason
    claims = {label: verify(rows[0]["text"], keys, at) for label, rows in found.items()
              if label in ("valid", "other_site", "cancelled", "too_early", "other_day")}
    assert claims["valid"].site == SITE and claims["other_site"].site == OTHER
    assert claims["too_early"].slot_start >= at + timedelta(hours=3)
    assert claims["other_day"].slot_start.astimezone(PARIS).date() == now.date() + timedelta(days=1)
    cancelled = admin.get(f"/admin/appointments/{found['cancelled'][0]['appointment_id']}").get_json()
    assert cancelled["status"] == "cancelled"


def test_qr_samples_refuse_a_bad_day_or_timezone(admin: Any, paris: Any) -> None:
    assert admin.get(f"/admin/sites/{SITE}/qr-samples?day=02/12/2026").status_code == 400
    assert admin.get(f"/admin/sites/{SITE}/qr-samples?timezone=Mars/Olympus").status_code == 400
    assert admin.get("/admin/sites/ma-nowhere/qr-samples").status_code == 404


def test_seeding_twice_adds_nothing(central: Any, admin: Any, paris: Any, clock: Any) -> None:
    clock.set(datetime(2026, 12, 2, 8, tzinfo=UTC))
    store, config = central.extensions["dour.central"], site_config.load(env={})
    day = datetime(2026, 12, 2).date()
    with store.write() as db:
        assert seed_demo(db, config, SITE, PARIS, day).created == 51
    with store.write() as db:
        assert seed_demo(db, config, SITE, PARIS, day).created == 0
    rows = pull(paris)["appointments"]
    assert len(rows) == 46 and sum(a["status"] == "cancelled" for a in rows) == 3
    assert sum(a["version"] == 2 and a["status"] == "booked" for a in rows) == 2
    assert any(a["persons"] > 1 for a in rows)
