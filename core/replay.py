"""The site's calling order over an in-memory queue, fast enough to replay a day's queue many times.

`core.policy` chooses with SQL over the database; a forecast (core/forecast.py) asks the same question tens
of thousands of times a refresh, so the queue is sorted once per refresh (`Plan`) and each run walks those
lists with a pointer past the tickets already called (`Run.choose`): amortised O(1) per call for `current`
, `fifo` and `deadline` (whose tiers `core.policy.rank_deadline` states). tests/unit/test_replay.py
checks, on random queues, that the choice is the one `core.policy.choose_next` makes on the same queue;
tests/unit/test_replay_recorded.py that random queues still give the forecasts recorded before the replay's
speed-ups (docs/queue-policy.md, "Cost of one refresh").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from core.policy import APPOINTMENT_EARLY_MINUTES

HISTORY_SCAN = 200  # how far back the priority share looks for the last calls of a counter's services
LIST_NAMES = ("booked", "expected", "priority", "others", "everybody", "quick")  # after `targeted`


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
    slot, the priority visitors, everyone else and everybody by arrival. Also once: what each run asks of a
    ticket again and again (its slot, its wait's start, when an expected visitor's slot can be called), in
    lists by the ticket's index, and each counter's lists (their ids, -1: empty) in a tuple."""

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
        self._precompute()

    def _precompute(self) -> None:
        tickets, targets = self.tickets, self.rules.targets
        self.slots = [_slot(ticket) for ticket in tickets]
        self.since = [_since(ticket) for ticket in tickets]
        self.arrived = [ticket.arrived for ticket in tickets]
        self.deadlines = [ticket.arrived + targets.get(ticket.service, 30.0) for ticket in tickets]
        self.expected = bytes(ticket.expected for ticket in tickets)
        self.calls = [(ticket.service, ticket.priority) if ticket.kind != "appointment" and not ticket.ghost
                      else None for ticket in tickets]  # what a call adds to the priority share's history
        early = APPOINTMENT_EARLY_MINUTES if self.rules.order == "current" else 0.0
        self.opens = [slot - early for slot in self.slots]  # an expected visitor there: callable from then

        empty = self._list([])  # `quick` outside the deadline order
        self.desk_lists = [(self.targeted[desk], *(group.get(name, empty) for name in LIST_NAMES))
                           for desk, group in enumerate(self.groups)]
        self.transferred = [bool(self.lists[self.targeted[desk]]) for desk in range(len(self.desks))]

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
        return Run(self, recent_calls, absent, arrivals or {})


def _slot(ticket: QueuedTicket) -> float:
    return ticket.slot if ticket.slot is not None else ticket.arrived


def _since(ticket: QueuedTicket) -> float:
    """core.policy.waiting_since: an appointment waits from its slot when its visitor came early."""
    if ticket.kind == "appointment" and ticket.slot is not None:
        return max(ticket.arrived, ticket.slot)
    return ticket.arrived


class Run:
    """One replay's state: who has been called, and the walk-in calls for the priority share. Asked tens of
    thousands of times a refresh: it reads the plan's lists by index, never a ticket's attributes."""

    def __init__(self, plan: Plan, recent_calls: Sequence[tuple[str, bool]], absent: Sequence[int],
                 arrivals: Mapping[int, float]) -> None:
        self.plan = plan
        self.taken = bytearray(len(plan.tickets))
        for index in absent:
            self.taken[index] = 1
        # Expected appointments: the minute each can be called, its visitor there; their lists in that order
        # (the plan's, by slot, when nobody's coming was drawn), without those who do not come.
        self.lists, self.ready = plan.lists, plan.opens
        if arrivals or absent:
            self.lists = list(plan.lists)
            if arrivals:
                self.ready = list(plan.opens)
                for index, minute in arrivals.items():
                    if minute > self.ready[index]:
                        self.ready[index] = minute
            taken, ready = self.taken, self.ready
            for list_id in plan.expected_lists:
                coming = [index for index in plan.lists[list_id] if not taken[index]]
                self.lists[list_id] = sorted(coming, key=ready.__getitem__) if arrivals else coming
        self.pointers = [0] * len(plan.lists)
        self.history = list(recent_calls)
        self.needed = plan.needed  # tickets still to call other than expected appointments
        self.expected, self.calls, self.desk_lists = plan.expected, plan.calls, plan.desk_lists
        rules = plan.rules
        self.choose_in = (self._fifo if rules.order == "fifo" else self._deadline if rules.order == "deadline"
                          else self._current)

    def first(self, list_id: int) -> int | None:
        items, at, taken = self.lists[list_id], self.pointers[list_id], self.taken
        end = len(items)
        while at < end and taken[items[at]]:
            at += 1
        self.pointers[list_id] = at
        return items[at] if at < end else None

    def choose(self, desk: int, moment: float) -> int | None:
        """The ticket counter `desk` calls at `moment` (minutes), marked as called; None if nobody waits."""
        chosen = self.choose_in(desk, moment)
        if chosen is not None:
            self.taken[chosen] = 1
            if not self.expected[chosen]:
                self.needed -= 1
            call = self.calls[chosen]
            if call is not None:
                self.history.append(call)
        return chosen

    def priority_turn(self, services: frozenset[str]) -> bool:
        """core.policy._priority_turn: none of the last `share` walk-in calls of these services was a
        priority visitor."""
        share = self.plan.rules.priority_share
        if share == 0:
            return True
        seen = 0
        history = self.history
        for at in range(len(history) - 1, max(-1, len(history) - 1 - HISTORY_SCAN), -1):
            service, priority = history[at]
            if service in services:
                if priority:
                    return False
                seen += 1
                if seen == share:
                    return True
        return True

    def _current(self, desk: int, moment: float) -> int | None:
        plan, first = self.plan, self.first
        targeted, booked, expected, priority, others, _everybody, _quick = self.desk_lists[desk]
        if plan.transferred[desk] and (found := first(targeted)) is not None:
            return found
        appointment = first(booked)
        due = self._due(appointment, expected, moment + APPOINTMENT_EARLY_MINUTES, moment, plan.slots)
        if due is not None:
            return due
        found = first(priority)
        if found is not None and self.priority_turn(plan.desks[desk]):
            return found
        found = first(others)
        return found if found is not None else appointment

    def next_due(self, desk: int) -> float | None:
        """When the next expected appointment this counter could call falls due, its visitor there (None:
        nobody expected)."""
        head = self.first(self.desk_lists[desk][2])
        if head is None or self.plan.rules.order == "fifo":
            return None
        return self.ready[head]

    def _due(self, appointment: int | None, expected: int, limit: float, moment: float,
             when: list[float]) -> int | None:
        """The checked-in appointment or the expected one there (sooner) whose time `when` is at most
        `limit` (the checked-in one on a tie)."""
        head = self.first(expected)  # each run's list is in the order its visitors can be called
        if head is not None and (self.ready[head] > moment or when[head] > limit):
            head = None
        if appointment is not None and when[appointment] > limit:
            appointment = None
        if head is None or appointment is None:
            return appointment if head is None else head
        arrived = self.plan.arrived
        sooner = (when[head], arrived[head]) < (when[appointment], arrived[appointment])
        return head if sooner else appointment

    def _fifo(self, desk: int, _moment: float) -> int | None:
        lists = self.desk_lists[desk]
        targeted, longest = self.first(lists[0]), self.first(lists[5])
        if targeted is None or longest is None:
            return longest if targeted is None else targeted
        arrived = self.plan.arrived
        return longest if arrived[longest] < arrived[targeted] else targeted

    def _deadline(self, desk: int, moment: float) -> int | None:
        """core.policy.rank_deadline's tiers, each the head of a sorted list: transferred here; waited past
        the starvation bound; appointments whose slot came; priority on their turn; a quick service close to
        its deadline; walk-ins and pickups by deadline; appointments not yet due."""
        plan, first = self.plan, self.first
        targeted, booked, expected, priority, others, everybody, quick = self.desk_lists[desk]
        if plan.transferred[desk] and (found := first(targeted)) is not None:
            return found
        longest = first(everybody)
        if longest is not None and moment - plan.since[longest] >= plan.rules.starvation_minutes:
            return longest
        appointment = first(booked)
        due = self._due(appointment, expected, moment, moment, plan.since)
        if due is not None:
            return due
        found = first(priority)
        if found is not None and self.priority_turn(plan.desks[desk]):
            return found
        found = first(quick)
        if found is not None and plan.deadlines[found] - moment <= plan.rules.urgent_minutes:
            return found
        found = first(others)
        return found if found is not None else appointment
