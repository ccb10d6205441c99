"""The discrete-event loop: arrivals, calls, services, transfers and breaks, through the real `Site`.

Time is virtual (minutes since local midnight of the profile's day), handed to the site through
`core.clock.set_clock`, so every timestamp in the tickets and the journal is the simulated one. Each counter
has one agent; a free counter presses "next" at once, an idle one is woken by the next arrival it could serve.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from core import appointments, checkin, clock
from core.config import SiteConfig
from core.journal import Event
from core.site import Site
from core.states import Action
from core.tickets import Ticket
from sim.profile import CounterPlan, Profile
from sim.visitors import Visitor

LEFT_AFTER_MINUTES = 2.0  # an agent waits this long for a visitor who left before marking the no-show


@dataclass
class Desk:
    """One counter and its agent through the day."""

    plan: CounterPlan
    agent: dict[str, Any]
    ticket: Ticket | None = None
    open: bool = False
    idle_since: float | None = None
    break_owed: float = 0.0  # minutes of break to take once the current visitor is done
    busy_minutes: float = 0.0
    breaks: list[tuple[float, float]] = field(default_factory=list)  # (from, to) closed for a break
    idle: list[tuple[float, float]] = field(default_factory=list)  # (from, to) while open and free


@dataclass
class Leg:
    """One wait of a ticket: from issue (or transfer) to its call. An appointment waits from its slot."""

    ticket_id: str
    visitor: str
    kind: str
    priority: bool
    service: str
    queued: float  # when it entered the waiting queue
    since: float  # when its wait counts from
    called: float | None = None
    counter: int | None = None
    call_order: int | None = None  # calls are numbered across the site in the order they happened


@dataclass
class DayRecord:
    legs: list[Leg]
    desks: list[Desk]
    events: list[Event]
    opens: float
    ends: float
    refused_late: int = 0


class Simulation:
    def __init__(self, site: Site, profile: Profile, visitors: list[Visitor]) -> None:
        self.site, self.profile, self.visitors = site, profile, visitors
        self.now = 0.0
        self._queue: list[tuple[float, int, Callable[..., None], tuple[Any, ...]]] = []
        self._order = 0
        local = datetime.fromisoformat(profile.date).replace(tzinfo=site.config.tz)
        self._midnight = local
        self.desks = {plan.number: Desk(plan, self._agent(plan.number)) for plan in profile.counters}
        self.legs: list[Leg] = []
        self._open_legs: dict[str, Leg] = {}
        self._visitor_of: dict[str, Visitor] = {}
        self.events: list[Event] = []
        self.refused_late = 0
        self._calls = 0
        self.last_activity = profile.closes
        site.bus.subscribe(self.events.append)

    # --- the clock and the event queue -----------------------------------------------------------------
    def moment(self) -> datetime:
        return self._midnight + timedelta(minutes=self.now)

    def at(self, when: float, action: Callable[..., None], *args: Any) -> None:
        self._order += 1
        heapq.heappush(self._queue, (when, self._order, action, args))

    def run(self) -> DayRecord:
        with self._virtual_clock():
            self._book_appointments()
            for desk in self.desks.values():
                self.at(self.profile.opens, self._open, desk)
                for start, length in desk.plan.breaks:
                    if start < self.profile.closes:
                        self.at(start, self._break_due, desk, length)
            for visitor in self.visitors:
                if visitor.comes:
                    self.at(visitor.arrives, self._arrive, visitor)
            while self._queue:
                when, _order, action, args = heapq.heappop(self._queue)
                self.now = when
                action(*args)
            ends = self.now = max(self.last_activity, self.profile.closes)
            for desk in self.desks.values():
                if desk.idle_since is not None and desk.idle_since < ends:
                    desk.idle.append((desk.idle_since, ends))
        return DayRecord(self.legs, list(self.desks.values()), self.events, self.profile.opens, ends,
                         self.refused_late)

    @contextmanager
    def _virtual_clock(self) -> Iterator[None]:
        clock.set_clock(self.moment)
        try:
            yield
        finally:
            clock.set_clock(None)

    # --- set-up --------------------------------------------------------------------------------------------
    def _agent(self, number: int) -> dict[str, Any]:
        """An agent account written directly: simulated agents never log in, and hashing a password for each
        of 40 agents (scrypt) would cost more than the whole day."""
        with self.site.store.write() as db:
            cursor = db.execute(
                "INSERT INTO users (username, display_name, role, password_hash, created_at) "
                "VALUES (?, ?, 'agent', '!', ?)", [f"sim-agent-{number}", f"Agent {number}", clock.utc_iso()])
        return {"id": int(cursor.lastrowid or 0), "role": "agent"}

    def _book_appointments(self) -> None:
        """The day's book as the central publishes it, kept and not kept alike (the real sync path)."""
        config = self.site.config
        slot = timedelta(minutes=self.profile.appointments.slot_minutes)
        with self.site.store.write() as db:
            for visitor in self.visitors:
                if visitor.slot is None:
                    continue
                start = self._midnight + timedelta(minutes=visitor.slot)
                item = {"id": visitor.key, "reference": f"RDV-{visitor.key}", "site": config.site_id,
                        "services": [visitor.service], "slot_start": clock.utc_iso(start),
                        "slot_end": clock.utc_iso(start + slot), "persons": visitor.persons, "lang": "fr",
                        "status": "booked", "version": 1}
                appointments.store_from_central(db, appointments.validated(item, config), "sim")

    # --- visitors ------------------------------------------------------------------------------------------
    def _arrive(self, visitor: Visitor) -> None:
        if visitor.kind == "appointment":
            ticket = self._check_in(visitor)
            if ticket is None:
                return
        else:
            ticket = self.site.issue_ticket(service=visitor.service, kind=visitor.kind, lang="fr",
                                            actor="kiosk:sim", priority=visitor.priority).ticket
        self._visitor_of[ticket.id] = visitor
        self._queue_leg(ticket)

    def _check_in(self, visitor: Visitor) -> Ticket | None:
        """The kiosk's check-in by booking reference: too early, come back when it opens; too late, a walk-in
        ticket for the same service (what the kiosk offers)."""
        try:
            result = checkin.check_in_reference(self.site, f"RDV-{visitor.key}")
        except checkin.AppointmentRefused as refused:
            if refused.code == "appointment_too_early":
                early = int(self.site.config.policy["checkin_early_minutes"])
                self.at(float(visitor.slot or 0) - early + 1, self._arrive, visitor)
                return None
            if refused.code != "appointment_too_late":
                raise
            self.refused_late += 1
            return self.site.issue_ticket(service=visitor.service, kind="walk_in", lang="fr",
                                          actor="kiosk:sim").ticket
        assert result.ticket is not None
        return result.ticket.ticket

    def _queue_leg(self, ticket: Ticket) -> None:
        since = self.now
        if ticket.kind == "appointment" and not ticket.transfers and ticket.slot_at:
            slot = (appointments.parse_utc(ticket.slot_at) - self._midnight).total_seconds() / 60
            since = max(since, slot)
        leg = Leg(ticket.id, self._visitor_of[ticket.id].key, ticket.kind, bool(ticket.priority),
                  ticket.service, self.now, since)
        self.legs.append(leg)
        self._open_legs[ticket.id] = leg
        self._wake(ticket.service)

    def _wake(self, service: str) -> None:
        """The idle counter that waited longest and serves `service` calls (one new ticket, one call)."""
        idle = [d for d in self.desks.values() if d.open and d.ticket is None and service in d.plan.services]
        for desk in sorted(idle, key=lambda d: (d.idle_since or 0.0, d.plan.number)):
            if self._call(desk):
                return

    # --- counters ------------------------------------------------------------------------------------------
    def _open(self, desk: Desk) -> None:
        self.site.open_counter(desk.plan.number, desk.agent)
        desk.open = True
        self._free(desk)

    def _free(self, desk: Desk) -> None:
        """The agent is free: a break they owe first, else "next"."""
        desk.ticket = None
        if desk.break_owed:
            self._take_break(desk, desk.break_owed)
            return
        if not self._call(desk) and desk.idle_since is None:
            desk.idle_since = self.now

    def _call(self, desk: Desk) -> bool:
        ticket = self.site.call_next(desk.plan.number, desk.agent)
        if ticket is None:
            return False
        self._stop_idle(desk)
        desk.ticket = ticket
        leg = self._open_legs.pop(ticket.id)
        leg.called, leg.counter, leg.call_order = self.now, desk.plan.number, self._calls
        self._calls += 1
        visitor = self._visitor_of[ticket.id]
        if visitor.leaves:
            self.at(self.now + LEFT_AFTER_MINUTES, self._act_then_free, desk, Action.NO_SHOW)
        else:
            self.at(self.now + self.profile.walk_minutes, self._start, desk)
        return True

    def _stop_idle(self, desk: Desk) -> None:
        if desk.idle_since is not None:
            desk.idle.append((desk.idle_since, self.now))
            desk.idle_since = None

    def _start(self, desk: Desk) -> None:
        assert desk.ticket is not None
        ticket = self.site.act(desk.ticket.id, Action.START, desk.plan.number, desk.agent)
        visitor = self._visitor_of[ticket.id]
        minutes = visitor.transfer_minutes if ticket.transfers else visitor.service_minutes
        desk.busy_minutes += minutes + self.profile.walk_minutes
        self.at(self.now + minutes, self._end, desk)

    def _end(self, desk: Desk) -> None:
        assert desk.ticket is not None
        ticket = desk.ticket
        visitor = self._visitor_of[ticket.id]
        if visitor.transfer_to and not ticket.transfers:
            moved = self.site.transfer(ticket.id, desk.plan.number, desk.agent,
                                       to_service=visitor.transfer_to)
            self.last_activity = self.now
            self._queue_leg(moved)
            self._free(desk)
            return
        self._act_then_free(desk, Action.FINISH)

    def _act_then_free(self, desk: Desk, action: Action) -> None:
        assert desk.ticket is not None
        self.site.act(desk.ticket.id, action, desk.plan.number, desk.agent)
        self.last_activity = self.now
        if action is Action.NO_SHOW:
            desk.busy_minutes += LEFT_AFTER_MINUTES
        self._free(desk)

    # --- breaks --------------------------------------------------------------------------------------------
    def _break_due(self, desk: Desk, minutes: float) -> None:
        if desk.ticket is None and desk.open:
            self._take_break(desk, minutes)
        else:
            desk.break_owed += minutes

    def _take_break(self, desk: Desk, minutes: float) -> None:
        self._stop_idle(desk)
        self.site.close_counter(desk.plan.number, desk.agent)
        desk.open, desk.break_owed = False, 0.0
        desk.breaks.append((self.now, self.now + minutes))
        self.at(self.now + minutes, self._open, desk)


def simulate(config: SiteConfig, profile: Profile, visitors: list[Visitor], site: Site) -> DayRecord:
    """Run the day on `site` (whose configuration must be `config` with the profile's counters)."""
    assert site.config is config
    return Simulation(site, profile, visitors).run()
