"""The staffing advice reaches supervisors: in the overview the page reads, and live as `staffing` on
`/counter` (supervisors only). The test app starts no refresher: the test refreshes explicitly."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


def received(socket: Any) -> list[tuple[str, Any]]:
    return [(message["name"], message["args"][0]) for message in socket.get_received("/counter")]


def test_the_advice_reaches_supervisors_after_tickets_are_issued(app: Any, app_site: Any,
                                                                 supervisor_client: Any, add_agent: Any,
                                                                 login: Any, clock: Any) -> None:
    clock.set(NOW)
    agent_user = add_agent(app_site, "amina")
    app_site.open_counter(1, agent_user)  # passport and cnie; counters 2 and 3 (passport too) stay closed
    boss_http = supervisor_client(app)
    assert boss_http.get("/api/supervisor/overview").get_json()["staffing"] is None  # before any forecast
    socketio = app.extensions["socketio"]
    boss = socketio.test_client(app, namespace="/counter", flask_test_client=boss_http)
    agent_http = app.test_client()
    login(agent_http, "amina")
    agent = socketio.test_client(app, namespace="/counter", flask_test_client=agent_http)
    assert "staffing" not in [name for name, _ in received(boss)]
    for _ in range(8):  # 12 minutes each at one counter: the last would wait well over the 30 min promised
        app_site.issue_ticket(service="passport", kind="walk_in", lang="fr", actor="test")
    received(boss), received(agent)

    app_site.forecasts.refresh()
    app_site.forecasts.refresh_staffing()
    pushed = [view for name, view in received(boss) if name == "staffing"]
    assert len(pushed) == 1
    (advice,) = pushed[0]["advice"]
    assert advice["service"] == "passport" and advice["kind"] == "walk_in" and advice["waiting"] == 8
    assert advice["target_minutes"] == 30 and advice["target_percent"] == 80 and advice["percent"] < 80
    assert advice["counter"] == 2 and advice["percent_with_counter"] > advice["percent"]
    assert "staffing" not in [name for name, _ in received(agent)]
    assert boss_http.get("/api/supervisor/overview").get_json()["staffing"] == pushed[0]

    app_site.forecasts.refresh_staffing()  # the same advice: nothing new to push
    assert received(boss) == []
    again = socketio.test_client(app, namespace="/counter", flask_test_client=boss_http)
    assert ("staffing", pushed[0]) in received(again)  # a supervisor connecting gets the current advice
