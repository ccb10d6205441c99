"""The ticket state table: exactly the moves the queue allows, every other one refused and harmless."""

from __future__ import annotations

import itertools

import pytest

from core import journal, tickets
from core.errors import Conflict, IllegalTransition
from core.states import REFUSED_IN_STATE, TRANSITIONS, Action, TicketState, next_state

S, A = TicketState, Action

# The specification, written out independently of core.states.TRANSITIONS.
ALLOWED = {
    (S.WAITING, A.CALL): S.CALLED,
    (S.WAITING, A.CANCEL): S.CANCELLED,
    (S.CALLED, A.RECALL): S.CALLED,
    (S.CALLED, A.START): S.SERVING,
    (S.CALLED, A.NO_SHOW): S.NO_SHOW,
    (S.CALLED, A.TRANSFER): S.WAITING,
    (S.CALLED, A.CANCEL): S.CANCELLED,
    (S.SERVING, A.FINISH): S.DONE,
    (S.SERVING, A.TRANSFER): S.WAITING,
    (S.SERVING, A.CANCEL): S.CANCELLED,
    # Only within the window, by the same agent and counter: core/no_show.py, test_no_show_undo.py.
    (S.NO_SHOW, A.UNDO_NO_SHOW): S.CALLED,
}
ILLEGAL = [pair for pair in itertools.product(S, A) if pair not in ALLOWED]


def test_table_is_the_specified_one() -> None:
    assert TRANSITIONS == ALLOWED


@pytest.mark.parametrize(("state", "action"), list(ALLOWED), ids=lambda v: v.value)
def test_allowed_move(state: TicketState, action: Action) -> None:
    assert next_state(state, action) is ALLOWED[(state, action)]


@pytest.mark.parametrize(("state", "action"), ILLEGAL, ids=lambda v: v.value)
def test_illegal_move_raises(state: TicketState, action: Action) -> None:
    with pytest.raises(IllegalTransition) as raised:
        next_state(state, action)
    assert raised.value.status == 409
    # One whole sentence per state, no fragments glued in: it translates as a whole.
    assert raised.value.message == REFUSED_IN_STATE[state] and not raised.value.params
    assert "%(" not in raised.value.message


@pytest.mark.parametrize("state", [S.DONE, S.CANCELLED])
def test_terminal_states_allow_nothing(state: TicketState) -> None:
    for action in A:
        with pytest.raises(IllegalTransition):
            next_state(state, action)


def test_a_no_show_allows_its_undo_alone() -> None:
    for action in set(A) - {A.UNDO_NO_SHOW}:
        with pytest.raises(IllegalTransition):
            next_state(S.NO_SHOW, action)


def _row(db, ticket_id: str) -> dict:
    return next(db.query("SELECT * FROM tickets WHERE id = ?", [ticket_id]))


def test_illegal_apply_changes_nothing(site) -> None:
    issued = site.issue_ticket(service="passport", kind="walk_in", lang="fr", actor="test")
    db = site.store.read()
    before_row, before_seq = _row(db, issued.ticket.id), journal.last_seq(db)
    with pytest.raises(IllegalTransition):
        with site.store.write() as wdb:
            tickets.apply(wdb, tickets.get(wdb, issued.ticket.id), Action.FINISH, actor="test")
    assert _row(db, issued.ticket.id) == before_row
    assert journal.last_seq(db) == before_seq


def test_apply_on_stale_ticket_is_a_conflict_and_changes_nothing(site) -> None:
    issued = site.issue_ticket(service="passport", kind="walk_in", lang="fr", actor="test")
    stale = issued.ticket
    site.cancel(stale.id, actor="test")
    db = site.store.read()
    before_row, before_seq = _row(db, stale.id), journal.last_seq(db)
    with pytest.raises(Conflict):
        with site.store.write() as wdb:
            tickets.apply(wdb, stale, Action.CALL, actor="test")  # still says "waiting"
    assert _row(db, stale.id) == before_row
    assert before_row["state"] == "cancelled"
    assert journal.last_seq(db) == before_seq
