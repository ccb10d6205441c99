"""Ticket states and the explicit table of allowed moves."""

from __future__ import annotations

from enum import StrEnum

from core.errors import N_, IllegalTransition


class TicketState(StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    DONE = "done"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


class Action(StrEnum):
    CALL = "call"
    RECALL = "recall"
    START = "start"
    FINISH = "finish"
    NO_SHOW = "no_show"
    TRANSFER = "transfer"
    CANCEL = "cancel"
    UNDO_NO_SHOW = "undo_no_show"


S, A = TicketState, Action

# (state, action) -> new state. Anything absent is illegal.
TRANSITIONS: dict[tuple[TicketState, Action], TicketState] = {
    (S.WAITING, A.CALL): S.CALLED,
    (S.WAITING, A.CANCEL): S.CANCELLED,
    (S.CALLED, A.RECALL): S.CALLED,
    (S.CALLED, A.START): S.SERVING,
    (S.CALLED, A.NO_SHOW): S.NO_SHOW,
    # Back to the counter that marked it, within a short window (core/no_show.py holds the other rules).
    (S.NO_SHOW, A.UNDO_NO_SHOW): S.CALLED,
    (S.CALLED, A.TRANSFER): S.WAITING,
    (S.CALLED, A.CANCEL): S.CANCELLED,
    (S.SERVING, A.FINISH): S.DONE,
    (S.SERVING, A.TRANSFER): S.WAITING,
    (S.SERVING, A.CANCEL): S.CANCELLED,
}

ACTIVE_STATES = (S.CALLED, S.SERVING)

# Why a move is refused, one whole sentence per state (sentences built from fragments translate badly).
REFUSED_IN_STATE = {
    S.WAITING: N_("This ticket is still waiting: it has not been called yet."),
    S.CALLED: N_("This ticket has already been called and is not being served yet."),
    S.SERVING: N_("This ticket is already being served."),
    S.DONE: N_("This ticket has already been served."),
    S.NO_SHOW: N_("This ticket was marked as no-show."),
    S.CANCELLED: N_("This ticket was cancelled."),
}


def next_state(state: TicketState, action: Action) -> TicketState:
    """The state a ticket in `state` reaches by `action`, or IllegalTransition."""
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise IllegalTransition(REFUSED_IN_STATE[state]) from None
