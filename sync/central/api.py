"""The site API, `/v1` (docs/central-api.yaml): what a site's sync worker calls with its bearer token.

Each view checks everything it was sent before it touches the database, then does its work in one
transaction: a batch of events, an eTimbre or a daily report is stored whole or not at all.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from sync.central import appointments, daily_reports, faults, ledger, sites
from sync.central.keys import published
from sync.central.validate import identifier
from sync.central.web import authorised_site, body, calling_site, query_limit, store
from sync.tokens import key_to_jwk

v1 = Blueprint("central_v1", __name__, url_prefix="/v1")
faults.install(v1)


@v1.get("/sites/<site>/appointments")
def list_appointments(site: str) -> Any:
    authorised_site(site)
    limit = query_limit(appointments.DEFAULT_LIMIT, appointments.MAX_LIMIT)
    with store().reading() as db:
        return jsonify(appointments.changes(db, site, request.args.get("cursor"), limit))


@v1.get("/sites/<site>/fees")
def fees(site: str) -> Any:
    authorised_site(site)
    return jsonify(sites.fee_schedule(store().read(), site))


@v1.get("/keys")
def keys() -> Any:
    calling_site()
    return jsonify({"keys": [key_to_jwk(key) for key in published(store().read())]})


@v1.post("/sites/<site>/events")
def push_events(site: str) -> Any:
    authorised_site(site)
    events = ledger.parse_events(body(), site)
    with store().write() as db:
        acknowledged = ledger.store_events(db, site, events)
    return jsonify({"acknowledged": acknowledged})


@v1.put("/sites/<site>/etimbres/<payment_reference>")
def etimbre(site: str, payment_reference: str) -> Any:
    authorised_site(site)
    request_ = ledger.parse_etimbre(body(), site, identifier(payment_reference, "payment_reference"))
    with store().write() as db:
        number, created = ledger.issue_etimbre(db, site, request_)
    return jsonify({"payment_reference": payment_reference, "number": number}), 201 if created else 200


@v1.put("/sites/<site>/daily-reports/<day>")
def put_daily_report(site: str, day: str) -> Any:
    authorised_site(site)
    report = daily_reports.parse(body(), site, daily_reports.check_day(day))
    with store().write() as db:
        held = daily_reports.store_report(db, site, day, report)
    return jsonify(held), 201 if held["new_revision"] else 200


@v1.get("/sites/<site>/daily-reports/<day>")
def get_daily_report(site: str, day: str) -> Any:
    authorised_site(site)
    return jsonify(daily_reports.latest(store().read(), site, daily_reports.check_day(day)))
