"""The admin API, `/admin`: what the demo, the tests and an operator use to play the central's other side.

It books, moves and cancels appointments (as visitors would online), registers sites, rotates keys, sets the
faults, reads the stats and the daily reports sites sent. It takes its own bearer token, never a site's, and
faults never apply to it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from sync.central import appointments, daily_reports, faults, keys, ledger, samples, sites
from sync.central.validate import Refused, identifier, integer, moment, text, text_list
from sync.central.web import body, require_admin, store
from sync.tokens import MAX_PERSONS, key_to_jwk

admin = Blueprint("central_admin", __name__, url_prefix="/admin")
admin.before_request(require_admin)


def _slot(data: dict[str, Any]) -> tuple[Any, Any]:
    return moment(data, "slot_start"), moment(data, "slot_end")


def _known_site(site: str) -> str:
    if not sites.exists(store().read(), site):
        raise Refused(404, "not_found", f"no site {site}")
    return site


@admin.post("/sites")
def add_site() -> Any:
    data = body()
    site, name = identifier(data.get("id"), "id"), text(data, "name", optional=True)
    with store().write() as db:
        token = sites.add_site(db, site, name or site)
    return jsonify({"id": site, "name": name or site, "token": token}), 201


@admin.post("/appointments")
def book() -> Any:
    data = body()
    fields = {"site": identifier(data.get("site"), "site"),
              "services": text_list(data, "services", non_empty=True),
              "slot": _slot(data), "persons": integer(data, "persons", 1, MAX_PERSONS),
              "lang": text(data, "lang", optional=True, max_length=8),
              "applicant": text(data, "applicant", optional=True),
              "documents": text_list(data, "documents", optional=True)}
    with store().write() as db:
        return jsonify(appointments.create(db, **fields)), 201


@admin.get("/appointments/<appointment_id>")
def appointment(appointment_id: str) -> Any:
    return jsonify(appointments.get(store().read(), appointment_id))


@admin.post("/appointments/<appointment_id>/move")
def move(appointment_id: str) -> Any:
    slot = _slot(body())
    with store().write() as db:
        return jsonify(appointments.move(db, appointment_id, slot))


@admin.post("/appointments/<appointment_id>/cancel")
def cancel(appointment_id: str) -> Any:
    with store().write() as db:
        return jsonify(appointments.cancel(db, appointment_id))


@admin.get("/appointments/<appointment_id>/token")
def token(appointment_id: str) -> Any:
    db = store().read()
    return jsonify({"token": keys.token_for(db, appointments.get(db, appointment_id))})


@admin.get("/sites/<site>/stats")
def stats(site: str) -> Any:
    with store().reading() as db:
        return jsonify(ledger.stats(db, _known_site(site)))


@admin.get("/sites/<site>/daily-reports")
def site_daily_reports(site: str) -> Any:
    with store().reading() as db:
        return jsonify({"daily_reports": daily_reports.listing(db, _known_site(site))})


@admin.get("/sites/<site>/qr-samples")
def qr_samples(site: str) -> Any:
    day, zone = samples.parse_day(request.args.get("day"), request.args.get("timezone", "Europe/Paris"))
    with store().reading() as db:
        return jsonify({"samples": samples.samples(db, _known_site(site), day, zone)})


@admin.post("/keys/rotate")
def rotate() -> Any:
    days = integer(body(), "days", 1, keys.MAX_DAYS)
    with store().write() as db:
        key = keys.rotate(db, days)
    return jsonify(key_to_jwk(key)), 201


@admin.get("/faults")
def get_faults() -> Any:
    return jsonify(faults.current(store().read()).to_json())


@admin.put("/faults")
def put_faults() -> Any:
    fault = faults.parse(body())
    with store().write() as db:
        faults.set_fault(db, fault)
    return jsonify(fault.to_json())
