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

# Words for messages; the web layer translates them with the sentence.
STATE_LABELS = {
    S.WAITING: N_("waiting"), S.CALLED: N_("called"), S.SERVING: N_("being served"), S.DONE: N_("done"),
    S.NO_SHOW: N_("marked as no-show"), S.CANCELLED: N_("cancelled"),
}
ACTION_LABELS = {
    A.CALL: N_("call"), A.RECALL: N_("recall"), A.START: N_("start serving"), A.FINISH: N_("finish"),
    A.NO_SHOW: N_("mark as no-show"), A.TRANSFER: N_("transfer"), A.CANCEL: N_("cancel"),
    A.UNDO_NO_SHOW: N_("undo the no-show of"),
}


def next_state(state: TicketState, action: Action) -> TicketState:
    """The state a ticket in `state` reaches by `action`, or IllegalTransition."""
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise IllegalTransition(
            N_("You cannot %(action)s a ticket that is %(state)s."),
            state=STATE_LABELS[state],
            action=ACTION_LABELS[action],
        ) from None
