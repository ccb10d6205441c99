"""Events another process writes in the journal (the sync worker) reach this process's screens in seq order,
once each, whether this process is idle (the follower) or writing itself."""

from __future__ import annotations

from typing import Any

from core import config as site_config
from core.journal import Event
from core.site import Site
from core.store import Store


def two_processes(tmp_path: Any) -> tuple[Site, Site, list[Event]]:
    config = site_config.load(env={})
    server, worker = Site(config, Store(str(tmp_path / "s.db"))), Site(config, Store(str(tmp_path / "s.db")))
    heard: list[Event] = []
    server.bus.subscribe(heard.append)
    return server, worker, heard


def issue(site: Site) -> None:
    site.issue_ticket(service="passport", kind="walk_in", lang="fr", actor="test")


def test_an_idle_server_publishes_what_the_worker_wrote(tmp_path: Any) -> None:
    server, worker, heard = two_processes(tmp_path)
    issue(worker)
    issue(worker)
    assert heard == []
    assert server.follow_journal() == 2 and [e.seq for e in heard] == [1, 2]
    assert server.follow_journal() == 0 and len(heard) == 2  # once each


def test_a_busy_server_publishes_the_workers_events_before_its_own(tmp_path: Any) -> None:
    server, worker, heard = two_processes(tmp_path)
    issue(server)
    issue(worker)
    issue(server)  # seq 3: the worker's seq 2 goes out first
    assert [e.seq for e in heard] == [1, 2, 3]
    assert heard[1].type == "ticket.issued" and heard[1].data["number"] == "A-002"
    assert server.follow_journal() == 0
