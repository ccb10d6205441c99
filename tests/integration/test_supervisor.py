"""The supervisor's overview: figures per service and per counter, for supervisors only."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta

import pytest

from core import clock


@pytest.fixture
def minutes_ago(app_site) -> Iterator[Callable[[int], AbstractContextManager[None]]]:
    """The clock runs from 12:00 site time today, so "45 minutes ago" is still today whenever CI runs;
    `with minutes_ago(45):` stops it 45 minutes before that running clock."""
    started = datetime.now(app_site.config.tz)
    noon = started.replace(hour=12, minute=0, second=0, microsecond=0)

    def running() -> datetime:
        return noon + (datetime.now(app_site.config.tz) - started)

    @contextmanager
    def back(minutes: int) -> Iterator[None]:
        moment = running() - timedelta(minutes=minutes)
        clock.set_clock(lambda: moment)
        yield
        clock.set_clock(running)

    clock.set_clock(running)
    yield back
    clock.set_clock(None)


def test_overview_counts_today_per_service_and_counter(app, app_site, add_agent, login, minutes_ago) -> None:
    agent = add_agent(app_site, "amina")
    add_agent(app_site, "boss", role="supervisor")
    with minutes_ago(45):
        first = app_site.issue_ticket(service="passport", kind="walk_in", lang="fr", actor="test").ticket
    app_site.issue_ticket(service="passport", kind="walk_in", lang="fr", actor="test")
    app_site.issue_ticket(service="pickup", kind="pickup", lang="ar", actor="test")
    app_site.open_counter(1, agent)
    assert app_site.call_next(1, agent).id == first.id

    boss = app.test_client()
    login(boss, "boss")
    data = boss.get("/api/supervisor/overview").get_json()
    services = {service["code"]: service for service in data["services"]}
    assert services["passport"]["waiting"] == 1 and services["passport"]["issued"] == 2
    assert services["passport"]["mean_wait_minutes"] >= 44  # the first ticket waited 45 min for its call
    assert services["pickup"]["waiting"] == 1 and services["cnie"]["issued"] == 0
    assert services["pickup"]["over_target"] is False
    counters = {counter["number"]: counter for counter in data["counters"]}
    assert counters[1]["agent"] == "Amina" and counters[1]["current"]["number"] == first.number
    assert counters[2]["agent"] is None and counters[2]["current"] is None
    assert data["seq"] == app_site.last_seq()
    assert boss.get("/supervisor").status_code == 200


def test_a_waiting_ticket_past_its_target_is_flagged(app, app_site, add_agent, login, minutes_ago) -> None:
    add_agent(app_site, "boss", role="supervisor")
    with minutes_ago(31):
        app_site.issue_ticket(service="passport", kind="walk_in", lang="fr", actor="test")
    boss = app.test_client()
    login(boss, "boss")
    passport = next(s for s in boss.get("/api/supervisor/overview").get_json()["services"]
                    if s["code"] == "passport")
    assert passport["oldest_wait_minutes"] >= 31 and passport["over_target"] is True


def test_agents_and_devices_cannot_see_the_overview(app, app_site, add_agent, login, kiosk_token) -> None:
    add_agent(app_site, "amina")
    agent = app.test_client()
    login(agent, "amina")
    assert agent.get("/api/supervisor/overview").status_code == 403
    assert agent.get("/supervisor").status_code == 403
    kiosk = app.test_client()
    headers = {"Authorization": f"Bearer {kiosk_token}"}
    assert kiosk.get("/api/supervisor/overview", headers=headers).status_code == 401
    assert kiosk.get("/supervisor").status_code == 302  # to the login page
