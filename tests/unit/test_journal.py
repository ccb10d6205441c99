"""The journal: one event per state change, in the same transaction, published only after commit."""

from __future__ import annotations

import pytest

from core import journal
from core.states import Action


def events(site) -> list[journal.Event]:
    return journal.since(site.store.read(), 0, 10_000)


def issue(site, service: str = "passport"):
    return site.issue_ticket(service=service, kind="walk_in", lang="fr", actor="device:1").ticket


def test_each_state_change_writes_exactly_one_event(site, add_agent) -> None:
    agent = add_agent(site)
    steps = [
        ("counter.opened", lambda: site.open_counter(1, agent)),
        ("ticket.issued", lambda: issue(site)),
        ("ticket.called", lambda: site.call_next(1, agent)),
    ]
    for expected, step in steps:
        before = len(events(site))
        step()
        after = events(site)
        assert len(after) == before + 1
        assert after[-1].type == expected
    ticket = site.current_ticket(1)
    for action, expected in [(Action.RECALL, "ticket.recalled"), (Action.START, "ticket.started"),
                             (Action.FINISH, "ticket.finished")]:
        before = len(events(site))
        site.act(ticket.id, action, 1, agent)
        after = events(site)
        assert len(after) == before + 1
        last = after[-1]
        assert (last.type, last.ticket_id, last.actor) == (expected, ticket.id, f"user:{agent['id']}")
    assert [e.type for e in journal.for_ticket(site.store.read(), ticket.id)] == [
        "ticket.issued", "ticket.called", "ticket.recalled", "ticket.started", "ticket.finished"]


def test_journal_failure_rolls_back_the_call(site, add_agent, monkeypatch) -> None:
    agent = add_agent(site)
    site.open_counter(1, agent)
    ticket = issue(site)
    published: list[journal.Event] = []
    site.bus.subscribe(published.append)
    seen_inside: list[str] = []

    def failing_append(db, type_, *args, **kwargs):
        # The ticket row was already updated in this transaction when the journal insert fails.
        seen_inside.append(db.execute("SELECT state FROM tickets WHERE id = ?", [ticket.id]).fetchone()[0])
        raise RuntimeError("disk full")

    before_seq = site.last_seq()
    monkeypatch.setattr(journal, "append", failing_append)
    with pytest.raises(RuntimeError):
        site.call_next(1, agent)
    monkeypatch.undo()
    assert seen_inside == ["called"]
    row = next(site.store.read().query("SELECT state, counter, agent_id, called_at FROM tickets WHERE id = ?",
                                       [ticket.id]))
    assert row == {"state": "waiting", "counter": None, "agent_id": None, "called_at": None}
    assert site.last_seq() == before_seq
    assert published == []
    # The writer is usable again and the same ticket is still callable.
    assert site.call_next(1, agent).id == ticket.id


def test_journal_failure_rolls_back_the_issue_and_its_number(site, monkeypatch) -> None:
    def failing_append(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(journal, "append", failing_append)
    with pytest.raises(RuntimeError):
        issue(site)
    monkeypatch.undo()
    db = site.store.read()
    assert db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM number_sequences").fetchone()[0] == 0
    assert issue(site).number == "A-001"


def test_events_are_published_only_after_commit(site) -> None:
    visible_at_publish = []

    def subscriber(event: journal.Event) -> None:
        # A separate connection sees only committed rows.
        visible_at_publish.append(journal.last_seq(site.store.read()) >= event.seq)

    site.bus.subscribe(subscriber)
    issue(site)
    issue(site)
    assert visible_at_publish == [True, True]


def test_seq_strictly_increases(site, add_agent) -> None:
    agent = add_agent(site)
    site.open_counter(1, agent)
    for service in ("passport", "cnie", "passport"):
        issue(site, service)
    while (ticket := site.call_next(1, agent)) is not None:
        site.act(ticket.id, Action.NO_SHOW, 1, agent)
    seqs = [e.seq for e in events(site)]
    assert len(seqs) == 1 + 3 + 3 + 3
    assert all(a < b for a, b in zip(seqs, seqs[1:], strict=False))
    assert seqs[-1] == site.last_seq()


def test_since_returns_later_events_oldest_first_up_to_limit(site) -> None:
    numbers = [issue(site).number for _ in range(5)]
    db = site.store.read()
    everything = journal.since(db, 0)
    assert [e.data["number"] for e in everything] == numbers
    middle = journal.since(db, everything[1].seq, limit=2)
    assert [e.seq for e in middle] == [everything[2].seq, everything[3].seq]
    assert journal.since(db, everything[-1].seq) == []


def test_event_payload_round_trips(site) -> None:
    ticket = issue(site)
    (event,) = events(site)
    assert (event.type, event.actor, event.ticket_id) == ("ticket.issued", "device:1", ticket.id)
    as_sent = event.to_dict()
    assert as_sent["seq"] == event.seq and as_sent["number"] == "A-001"
    assert as_sent["ticket"]["state"] == "waiting"


def test_empty_journal_and_unknown_type(store) -> None:
    assert journal.last_seq(store.read()) == 0
    with pytest.raises(ValueError):
        with store.write() as db:
            journal.append(db, "ticket.teleported", "test", {})
    assert journal.last_seq(store.read()) == 0
