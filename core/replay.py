"""The site's calling order over an in-memory queue, fast enough to replay a day's queue many times.

`core.policy` chooses with SQL over the database; a forecast (core/forecast.py) asks the same question tens
of thousands of times a refresh, so the queue is sorted once per refresh (`Plan`) and each run walks those
lists with a pointer past the tickets already called (`Run.choose`): amortised O(1) per call for `current`
, `fifo` and `deadline` (whose tiers `core.policy.rank_deadline` states). tests/unit/test_replay.py
checks, on random queues, that the choice is the one `core.policy.choose_next` makes on the same queue.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from core.policy import APPOINTMENT_EARLY_MINUTES

HISTORY_SCAN = 200  # how far back the priority share looks for the last calls of a counter's services


@dataclass(frozen=True)
class QueuedTicket:
    """A waiting ticket, times in minutes from the forecast's moment."""

    id: str
    service: str
    kind: str
    priority: bool
    arrived: float
    slot: float | None
    target: int | None  # transferred to this counter
    persons: int = 1
    ghost: bool = False  # a visitor who might take a ticket now (core/forecast.py)
    expected: bool = False  # a booked appointment not checked in yet: callable from its slot less 15 min


@dataclass(frozen=True)
class Rules:
    order: str
    priority_share: int
    starvation_minutes: float
    targets: dict[str, float]
    quick: frozenset[str] = frozenset()  # core.policy.quick_services
    urgent_minutes: float = 5.0  # `policy.quick_urgent_minutes`


class Plan:
    """The queue sorted once: per counter, its transferred tickets; per set of services, the appointments by
    slot, the priority visitors, everyone else and everybody by arrival."""

    def __init__(self, tickets: Sequence[QueuedTicket], desks: Sequence[tuple[int, frozenset[str]]],
                 rules: Rules) -> None:
        self.tickets, self.rules = list(tickets), rules
        self.desks = [services for _number, services in desks]
        self.needed = self._callable(desks)
        self.lists: list[list[int]] = []
        by_arrival = sorted(range(len(self.tickets)),
                            key=lambda i: (self.tickets[i].arrived, self.tickets[i].id))
        self.targeted = [self._list([i for i in by_arrival if self.tickets[i].target == number])
                         for number, _services in desks]
        groups: dict[frozenset[str], dict[str, int]] = {}
        for services in self.desks:
            if services not in groups:
                groups[services] = self._group(by_arrival, services)
        self.groups = [groups[services] for services in self.desks]
        self.expected_lists = [group["expected"] for group in groups.values()]
        self.numbers = [number for number, _services in desks]

    def _callable(self, desks: Sequence[tuple[int, frozenset[str]]]) -> int:
        """The tickets a run must call before it can end: all but the expected appointments, and but those no
        counter could call (the run would wait for them in vain)."""
        taken = frozenset().union(*self.desks)
        numbers = {number for number, _services in desks}
        return sum(1 for ticket in self.tickets if not ticket.expected
                   and (ticket.service in taken if ticket.target is None else ticket.target in numbers))

    def _list(self, indices: list[int]) -> int:
        self.lists.append(indices)
        return len(self.lists) - 1

    def _group(self, by_arrival: list[int], services: frozenset[str]) -> dict[str, int]:
        """The lists (their ids) a counter taking `services` looks at, sorted as its order ranks them."""
        tickets = self.tickets
        mine = [i for i in by_arrival if tickets[i].target is None and tickets[i].service in services]
        expected = sorted((i for i in mine if tickets[i].expected), key=lambda i: _slot(tickets[i]))
        mine = [i for i in mine if not tickets[i].expected]
        booked = [i for i in mine if tickets[i].kind == "appointment"]
        others = [i for i in mine if tickets[i].kind != "appointment"]
        if self.rules.order == "deadline":
            targets = self.rules.targets

            def by_deadline(i: int) -> tuple[float, float, str]:
                ticket = tickets[i]
                return ticket.arrived + targets.get(ticket.service, 30.0), ticket.arrived, ticket.id

            def by_since(i: int) -> tuple[float, float, str]:
                return _since(tickets[i]), tickets[i].arrived, tickets[i].id

            return {"expected": self._list(expected), "everybody": self._list(sorted(mine, key=by_since)),
                    "booked": self._list(sorted(booked, key=by_since)),
                    "priority": self._list(sorted((i for i in others if tickets[i].priority),
                                                  key=by_deadline)),
                    "quick": self._list(sorted((i for i in others if tickets[i].service in self.rules.quick),
                                               key=by_deadline)),
                    "others": self._list(sorted(others, key=by_deadline))}
        booked.sort(key=lambda i: (_slot(tickets[i]), tickets[i].arrived))
        return {"expected": self._list(expected), "booked": self._list(booked),
                "priority": self._list([i for i in others if tickets[i].priority]),
                "others": self._list(others), "everybody": self._list(mine)}

    def start(self, recent_calls: Sequence[tuple[str, bool]], absent: Sequence[int] = (),
              arrivals: Mapping[int, float] | None = None) -> Run:
        """A run in which the expected appointments `absent` do not come, and those in `arrivals` come at
        that minute (the others are there as soon as their slot can be called)."""
        run = Run(self, recent_calls, arrivals or {})
        for index in absent:
            run.taken[index] = 1
            run.left -= 1
        return run


def _slot(ticket: QueuedTicket) -> float:
    return ticket.slot if ticket.slot is not None else ticket.arrived


def _since(ticket: QueuedTicket) -> float:
    """core.policy.waiting_since: an appointment waits from its slot when its visitor came early."""
    if ticket.kind == "appointment" and ticket.slot is not None:
        return max(ticket.arrived, ticket.slot)
    return ticket.arrived


class Run:
    """One replay's state: who has been called, and the walk-in calls for the priority share."""

    def __init__(self, plan: Plan, recent_calls: Sequence[tuple[str, bool]],
                 arrivals: Mapping[int, float]) -> None:
        self.plan = plan
        # Expected appointments: the minute each can be called, its visitor there; their lists in that order.
        self.lists, self.ready = plan.lists, self._ready(arrivals)
        if any(index in arrivals for index in self.ready):
            self.lists = list(plan.lists)
            for list_id in plan.expected_lists:
                self.lists[list_id] = sorted(plan.lists[list_id], key=self.ready.__getitem__)
        self.taken = bytearray(len(plan.tickets))
        self.pointers = [0] * len(plan.lists)
        self.history = list(recent_calls)
        self.left = len(plan.tickets)
        self.needed = plan.needed  # tickets still to call other than expected appointments

    def first(self, list_id: int) -> int | None:
        items, at, taken = self.lists[list_id], self.pointers[list_id], self.taken
        end = len(items)
        while at < end and taken[items[at]]:
            at += 1
        self.pointers[list_id] = at
        return items[at] if at < end else None

    def choose(self, desk: int, moment: float) -> int | None:
        """The ticket counter `desk` calls at `moment` (minutes), marked as called; None if nobody waits."""
        order = self.plan.rules.order
        chosen = (self._fifo(desk) if order == "fifo" else self._deadline(desk, moment) if order == "deadline"
                  else self._current(desk, moment))
        if chosen is not None:
            self.taken[chosen] = 1
            self.left -= 1
            ticket = self.plan.tickets[chosen]
            if not ticket.expected:
                self.needed -= 1
            if ticket.kind != "appointment" and not ticket.ghost:
                self.history.append((ticket.service, ticket.priority))
        return chosen

    def priority_turn(self, services: frozenset[str]) -> bool:
        """core.policy._priority_turn: none of the last `share` walk-in calls of these services was a
        priority visitor."""
        share = self.plan.rules.priority_share
        if share == 0:
            return True
        seen = 0
        for service, priority in reversed(self.history[-HISTORY_SCAN:]):
            if service in services:
                if priority:
                    return False
                seen += 1
                if seen == share:
                    return True
        return True

    def _current(self, desk: int, moment: float) -> int | None:
        lists = self.plan.groups[desk]
        booked, priority, others = lists["booked"], lists["priority"], lists["others"]
        targeted = self.first(self.plan.targeted[desk])
        if targeted is not None:
            return targeted
        appointment = self.first(booked)
        due = self._due(appointment, lists["expected"], moment + APPOINTMENT_EARLY_MINUTES, moment, _slot)
        if due is not None:
            return due
        found = self.first(priority)
        if found is not None and self.priority_turn(self.plan.desks[desk]):
            return found
        found = self.first(others)
        return found if found is not None else appointment

    def next_due(self, desk: int) -> float | None:
        """When the next expected appointment this counter could call falls due, its visitor there (None:
        nobody expected)."""
        head = self.first(self.plan.groups[desk]["expected"])
        if head is None or self.plan.rules.order == "fifo":
            return None
        return self.ready[head]

    def _ready(self, arrivals: Mapping[int, float]) -> dict[int, float]:
        """Each expected appointment's minute to be called, its visitor there: from 15 minutes before the slot
        (`current`) or the slot (`deadline`), and not before the minute drawn for their coming."""
        early = APPOINTMENT_EARLY_MINUTES if self.plan.rules.order == "current" else 0.0
        tickets, ready = self.plan.tickets, {}
        for list_id in self.plan.expected_lists:
            for index in self.plan.lists[list_id]:
                opens = _slot(tickets[index]) - early
                ready[index] = max(opens, arrivals.get(index, opens))
        return ready

    def _arrived(self, expected: int, moment: float) -> int | None:
        """The expected appointment to be called first (each run's list is in that order), if by `moment`."""
        head = self.first(expected)
        return head if head is not None and self.ready[head] <= moment else None

    def _due(self, appointment: int | None, expected: int, limit: float, moment: float,
             when: Callable[[QueuedTicket], float]) -> int | None:
        """The checked-in appointment or the expected one there (sooner) whose time `when` is at most
        `limit`."""
        tickets = self.plan.tickets
        due = [i for i in (appointment, self._arrived(expected, moment))
               if i is not None and when(tickets[i]) <= limit]
        return min(due, key=lambda i: (when(tickets[i]), tickets[i].arrived)) if due else None

    def _fifo(self, desk: int) -> int | None:
        heads = (self.first(self.plan.targeted[desk]), self.first(self.plan.groups[desk]["everybody"]))
        found = [i for i in heads
                 if i is not None]
        return min(found, key=lambda i: self.plan.tickets[i].arrived) if found else None

    def _deadline(self, desk: int, moment: float) -> int | None:
        """core.policy.rank_deadline's tiers, each the head of a sorted list: transferred here; waited past
        the starvation bound; appointments whose slot came; priority on their turn; a quick service close to
        its deadline; walk-ins and pickups by deadline; appointments not yet due."""
        lists, tickets = self.plan.groups[desk], self.plan.tickets
        targeted = self.first(self.plan.targeted[desk])
        if targeted is not None:
            return targeted
        longest = self.first(lists["everybody"])
        if longest is not None and moment - _since(tickets[longest]) >= self.plan.rules.starvation_minutes:
            return longest
        appointment = self.first(lists["booked"])
        due = self._due(appointment, lists["expected"], moment, moment, _since)
        if due is not None:
            return due
        priority = self.first(lists["priority"])
        if priority is not None and self.priority_turn(self.plan.desks[desk]):
            return priority
        quick = self.first(lists["quick"])
        rules = self.plan.rules
        if quick is not None and self._deadline_of(quick) - moment <= rules.urgent_minutes:
            return quick
        found = self.first(lists["others"])
        return found if found is not None else appointment

    def _deadline_of(self, index: int) -> float:
        ticket = self.plan.tickets[index]
        return ticket.arrived + self.plan.rules.targets.get(ticket.service, 30.0)
