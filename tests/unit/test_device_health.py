"""Device health: a change is stored and journaled once; a repeated report changes nothing."""

from __future__ import annotations

import json

import pytest

from core.site import Site


def health_events(site: Site) -> list[dict]:
    with site.store.reading() as db:
        rows = db.execute("SELECT data FROM journal WHERE type = 'device.health' ORDER BY seq").fetchall()
    return [json.loads(row[0]) for row in rows]


def test_first_report_and_changes_are_journaled_once(site: Site) -> None:
    published: list = []
    site.bus.subscribe(published.append)
    assert site.report_device_health("printer:hall-1", "printer", "ok") is True
    assert site.report_device_health("printer:hall-1", "printer", "ok") is False
    assert site.report_device_health("printer:hall-1", "printer", "degraded", "paper_near_end") is True
    assert site.report_device_health("printer:hall-1", "printer", "degraded", "paper_near_end", "x") is False
    events = health_events(site)
    assert [(e["state"], e["reason"], e["previous"]) for e in events] == [
        ("ok", "", None), ("degraded", "paper_near_end", "ok")]
    assert [e.type for e in published] == ["device.health", "device.health"]


def test_since_moves_only_on_change(site: Site) -> None:
    site.report_device_health("scanner:hall-1", "scanner", "offline", "unreachable")
    first = site.device_states()[0]
    site.report_device_health("scanner:hall-1", "scanner", "offline", "unreachable")
    assert site.device_states()[0].since == first.since
    site.report_device_health("scanner:hall-1", "scanner", "ok")
    assert site.device_states()[0].state == "ok"


@pytest.mark.parametrize("kind, state", [("toaster", "ok"), ("printer", "fine")])
def test_unknown_kind_or_state_is_refused_and_stores_nothing(site: Site, kind: str, state: str) -> None:
    with pytest.raises(ValueError):
        site.report_device_health("x", kind, state)
    assert site.device_states() == [] and health_events(site) == []
