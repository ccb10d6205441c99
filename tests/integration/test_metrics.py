"""`/metrics`: refused to the LAN, the text format to the loopback or the token, and figures that move with
what happens on the floor, read from the database (so a second app on the same database agrees)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from core import config as site_config
from core.app import create_app
from core.clock import utc_iso
from sync import status

LAN = {"REMOTE_ADDR": "192.168.1.50"}
TOKEN = "s3cret-metrics-token-0123456789"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: Any, **kwargs: Any) -> Samples:
    answer = client.get("/metrics", **kwargs)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.headers["Content-Type"].startswith("text/plain")
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(answer.get_data(as_text=True))
            for sample in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def issue(client: Any, token: str, service: str = "passport") -> dict[str, Any]:
    answer = client.post("/api/kiosk/tickets", json={"service": service},
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 201
    return dict(answer.get_json()["ticket"])


@pytest.fixture
def desk(app: Any, app_site: Any, add_agent: Callable[..., Any], login: Callable[..., Any]) -> Any:
    add_agent(app_site, "amina")
    client = app.test_client()
    assert login(client, "amina").status_code == 200
    assert client.post("/api/counter/open", json={"counter": 1}).status_code == 200
    return client


def test_figures_follow_issue_call_recall_and_service(client: Any, desk: Any, kiosk_token: str) -> None:
    before = scrape(client)
    assert value(before, "dour_tickets_issued_total", service="passport", kind="walk_in") == 0
    ticket = issue(client, kiosk_token)
    issued = scrape(client)
    assert value(issued, "dour_tickets_issued_total", service="passport", kind="walk_in") == 1
    assert value(issued, "dour_tickets_waiting", service="passport") == 1

    called = desk.post("/api/counter/next").get_json()["ticket"]
    assert called["id"] == ticket["id"]
    for action in ("recall", "start", "finish"):
        assert desk.post(f"/api/counter/tickets/{ticket['id']}/{action}").status_code == 200
    after = scrape(client)
    assert value(after, "dour_ticket_calls_total", service="passport") == 1
    assert value(after, "dour_ticket_recalls_total", service="passport") == 1
    assert value(after, "dour_tickets_served_total", service="passport", kind="walk_in") == 1
    assert value(after, "dour_ticket_wait_seconds_count", service="passport") == 1
    assert value(after, "dour_ticket_wait_seconds_bucket", service="passport", le="+Inf") == 1
    assert value(after, "dour_ticket_service_seconds_count", service="passport") == 1
    assert value(after, "dour_tickets_waiting", service="passport") == 0
    assert value(after, "dour_journal_seq") > value(before, "dour_journal_seq")


def test_request_latency_is_labelled_by_endpoint_never_by_path(client: Any, kiosk_token: str) -> None:
    ticket = issue(client, kiosk_token)
    assert client.get(f"/t/{ticket['id']}").status_code == 200
    assert client.get("/no/such/page").status_code == 404
    answer = client.get("/metrics").get_data(as_text=True)
    samples = scrape(client)
    assert value(samples, "dour_http_request_duration_seconds_count", endpoint="kiosk.issue", method="POST",
                 status="2xx") == 1
    assert value(samples, "dour_http_request_duration_seconds_count", endpoint="unmatched", method="GET",
                 status="4xx") == 1
    assert ticket["id"] not in answer and "/t/" not in answer


def test_a_second_app_on_the_same_database_reports_the_same_figures(
        app: Any, client: Any, desk: Any, kiosk_token: str, tmp_path: Path) -> None:
    """What a restart, or another gunicorn worker, sees: the figures come from the journal, not memory."""
    for _ in range(3):
        issue(client, kiosk_token)
    desk.post("/api/counter/next")
    first = scrape(client)
    again = create_app(site_config.load(env={}), app.extensions["dour.site"].store.path, start_devices=False)
    second = scrape(again.test_client())
    for name, labels in (("dour_tickets_issued_total", {"service": "passport", "kind": "walk_in"}),
                         ("dour_ticket_calls_total", {"service": "passport"}),
                         ("dour_ticket_wait_seconds_sum", {"service": "passport"})):
        assert value(second, name, **labels) == value(first, name, **labels)
    assert value(second, "dour_tickets_issued_total", service="passport", kind="walk_in") == 3


def test_a_lan_address_is_refused_without_a_token(client: Any) -> None:
    answer = client.get("/metrics", environ_base=LAN)
    assert answer.status_code == 403 and b"dour_" not in answer.data


def test_a_forwarded_request_is_not_trusted_by_its_loopback_address(client: Any) -> None:
    """An nginx on this machine, not declared with server.proxy_hops, must not open /metrics to the LAN."""
    assert client.get("/metrics", headers={"X-Forwarded-For": "192.168.1.50"}).status_code == 403
    assert client.get("/metrics", headers={"X-Real-IP": "127.0.0.1"}).status_code == 403


@pytest.fixture
def guarded(tmp_path: Path) -> Any:
    """Loopback not allowed (a monitoring host elsewhere), a token in a file."""
    token_file = tmp_path / "metrics.token"
    token_file.write_text(TOKEN + "\n", encoding="utf-8")
    config = site_config.load(env={"DOUR_SERVER_METRICS_ALLOW": "10.0.5.0/24",
                                   "DOUR_SERVER_METRICS_TOKEN_FILE": str(token_file)})
    return create_app(config, str(tmp_path / "guarded.db"), start_devices=False)


def test_the_token_admits_from_anywhere_and_nothing_else_does(guarded: Any) -> None:
    client = guarded.test_client()
    refused = client.get("/metrics")
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", environ_base=LAN).status_code == 401
    samples = scrape(client, environ_base=LAN, headers={"Authorization": f"Bearer {TOKEN}"})
    assert value(samples, "dour_database_up") == 1
    assert scrape(client, environ_base={"REMOTE_ADDR": "10.0.5.9"})  # the allowed network, no token


def test_behind_a_declared_proxy_the_forwarded_client_counts(tmp_path: Path) -> None:
    app = create_app(site_config.load(env={"DOUR_SERVER_PROXY_HOPS": "1"}), str(tmp_path / "p.db"),
                     start_devices=False)
    client = app.test_client()
    assert client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 200
    assert client.get("/metrics", headers={"X-Forwarded-For": "192.168.1.50"}).status_code == 403


def test_an_allow_list_entry_that_is_no_address_stops_the_start(tmp_path: Path) -> None:
    config = site_config.load(env={"DOUR_SERVER_METRICS_ALLOW": "monitoring.lan"})
    with pytest.raises(ValueError, match="metrics_allow"):
        create_app(config, str(tmp_path / "bad.db"), start_devices=False)


def test_devices_screens_and_sync_are_reported(app: Any, client: Any, app_site: Any,
                                               display_token: str) -> None:
    app_site.report_device_health("printer:hall-1", "printer", "degraded", "paper_out")
    socket = app.extensions["socketio"].test_client(app, namespace="/display", auth={"token": display_token},
                                                    flask_test_client=client)
    assert socket.is_connected("/display")
    report = {"failures": 2, "last_success": "2026-12-02T08:00:00.000000Z", "updated_at": utc_iso()}
    with app_site.store.write() as db:
        status.put(db, status.STATUS_KEY, json.dumps(report))
    samples = scrape(client)
    assert value(samples, "dour_device_state", device="printer:hall-1", kind="printer", state="degraded") == 1
    assert value(samples, "dour_device_state", device="printer:hall-1", kind="printer", state="ok") == 0
    assert value(samples, "dour_screens_connected", namespace="/display") == 1
    assert value(samples, "dour_screens_connected", namespace="/counter") == 0
    assert value(samples, "dour_sync_failures") == 2
    assert value(samples, "dour_sync_last_success_timestamp_seconds") == 1796198400.0
    assert value(samples, "dour_sync_backlog_events") >= 1
    socket.disconnect(namespace="/display")
    assert value(scrape(client), "dour_screens_connected", namespace="/display") == 0


def test_todays_payments_by_state(device_app: Callable[..., Any], kiosk_client: Callable[..., Any]) -> None:
    app = device_app(DOUR_DEVICES_PAYMENT="sim://")
    kiosk = kiosk_client(app)
    body = {"service": "passport", "request_id": "r1", "lang": "fr"}
    started = kiosk.post("/api/kiosk/payments", json=body)
    reference = started.get_json()["payment"]["reference"]
    assert kiosk.get(f"/api/kiosk/payments/{reference}?wait=10").get_json()["payment"]["state"] == "approved"
    samples = scrape(app.test_client())
    assert value(samples, "dour_payments", operation="payment", state="approved") == 1
    assert value(samples, "dour_payments", operation="payment", state="declined") == 0


def test_the_forecast_says_how_fresh_and_what_it_costs(client: Any, app_site: Any, kiosk_token: str,
                                                       clock: Any) -> None:
    """Before any forecast: none computed, no age. After one: its count, the seconds it (and the staffing
    advice after it) took, and the age of the ranges shown, which grows with the clock until the next."""
    clock.set(datetime(2025, 6, 10, 8, 0, tzinfo=UTC), step=timedelta(0))
    before = scrape(client)
    assert value(before, "dour_forecast_refreshes_total") == 0
    assert ("dour_forecast_age_seconds", frozenset()) not in before
    issue(client, kiosk_token)
    app_site.forecasts.refresh()
    app_site.forecasts.refresh_staffing()
    fresh = scrape(client)
    assert value(fresh, "dour_forecast_refreshes_total") == 1
    spent = value(fresh, "dour_forecast_last_refresh_seconds")
    assert value(fresh, "dour_forecast_busy_seconds_total") > spent > 0
    assert value(fresh, "dour_forecast_age_seconds") == 0
    clock.advance(timedelta(seconds=90))
    assert value(scrape(client), "dour_forecast_age_seconds") == 90
    app_site.forecasts.refresh()
    again = scrape(client)
    assert value(again, "dour_forecast_refreshes_total") == 2
    assert value(again, "dour_forecast_age_seconds") == 0
