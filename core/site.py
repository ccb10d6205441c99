"""The site's use cases: each is one write transaction with its journal rows, then publication.

This is what the surfaces (kiosk, counter, display, CLI) call. It imports no Flask.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from core import device_health, journal, no_show, payments, policy, print_jobs, reports, tickets, waits
from core import floor_control as floor_rules
from core.bus import Bus
from core.clock import now, utc_iso
from core.config import SiteConfig
from core.errors import N_, Conflict, Forbidden, InvalidInput
from core.forecast import Estimate
from core.forecasts import Forecasts
from core.states import Action
from core.store import Store
from core.tickets import Ticket
from core.zones import EVERYWHERE, Zone

COUNTER_ACTIONS = (Action.RECALL, Action.START, Action.FINISH, Action.NO_SHOW)


@dataclass(frozen=True)
class IssuedTicket:
    ticket: Ticket
    people_ahead: int
    wait_minutes: int
    replayed: bool = False
    estimate: Estimate | None = None  # the waiting-time range (core/forecasts.py); None until forecast


class Site:
    def __init__(self, config: SiteConfig, store: Store, bus: Bus | None = None) -> None:
        self.config = config
        self.store = store
        self.bus = bus or Bus()
        self.forecasts = Forecasts(config, store)  # filled in the background (core/app.py)
        # What came before is history: screens catch up on it by seq.
        self._published = journal.last_seq(store.read())

    @contextmanager
    def _change(self) -> Iterator[tuple[sqlite_utils.Database, list[journal.Event]]]:
        """One write transaction; the journal events it collects are published after the commit, still under
        the writer lock, so screens get events in seq order (two requests can never publish crosswise)."""
        events: list[journal.Event] = []
        with self.store.serialized():
            with self.store.write() as db:
                yield db, events
            if events:
                self._publish(events)

    # Told the last seq after each commit of this process (not of others): with several server processes,
    # the journal publisher's nudge (core/publisher.py).
    on_commit: Callable[[int], None] | None = None

    def _publish(self, events: list[journal.Event]) -> None:
        """Publish, in seq order and once each, everything committed since the last publication: this
        process's `events`, and before them any that another process (the sync worker, the CLI) wrote
        meanwhile, read back from the journal. Call under the writer lock."""
        if events and self.on_commit is not None:
            self.on_commit(events[-1].seq)
        expected = list(range(self._published + 1, self._published + 1 + len(events)))
        if not events or [event.seq for event in events] != expected:
            events = journal.since(self.store.read(), self._published, limit=1_000_000)
        if events:
            self._published = events[-1].seq
            self.bus.publish(events)

    def follow_journal(self) -> int:
        """Publish what other processes wrote since the last publication (called every half second by the
        server); how many events that was."""
        with self.store.serialized():
            before = self._published
            if journal.last_seq(self.store.read()) > before:
                self._publish([])
            return self._published - before

    @contextmanager
    def change(self) -> Iterator[tuple[sqlite_utils.Database, list[journal.Event]]]:
        """For use cases composed outside this class (payments): the same transaction-then-publish rule."""
        with self._change() as pair:
            yield pair

    def today(self) -> str:
        return self.config.local_day(now())

    # --- kiosk -------------------------------------------------------------------------------------------
    def issue_ticket(
        self, *, service: str, kind: str, lang: str, actor: str, priority: bool = False,
        request_key: str | None = None, slot_at: str | None = None, appointment_ref: str | None = None,
    ) -> IssuedTicket:
        """Issue a ticket; the same `request_key` (a kiosk's double tap, a retry) returns the same ticket."""
        if lang not in self.config.site["languages"]:
            raise InvalidInput(N_("Unknown language: %(lang)s."), lang=lang)
        with self._change() as (db, events):
            existing = tickets.by_request_key(db, request_key) if request_key else None
            if existing:
                return self.issued(db, existing, replayed=True)
            floor_rules.check_issue(db, self.config, service, kind, now())
            ticket, event = tickets.issue(
                db, self.config, service=service, kind=kind, lang=lang, actor=actor, priority=priority,
                request_key=request_key, slot_at=slot_at, appointment_ref=appointment_ref,
            )
            events.append(event)
            return self.issued(db, ticket)

    def issued(self, db: Any, ticket: Ticket, replayed: bool = False) -> IssuedTicket:
        ahead = waits.people_ahead(db, ticket)
        return IssuedTicket(ticket, ahead, waits.estimate_minutes(db, self.config, ticket, ahead), replayed,
                            self.forecasts.for_ticket(ticket))

    def check_issue(self, service: str, kind: str) -> None:
        """Refuse now what issue_ticket would refuse (a paused service, walk-ins stopped): before payment."""
        with self.store.reading() as db:
            floor_rules.check_issue(db, self.config, service, kind, now())

    # --- floor control (a supervisor's actions: core/floor_rules.py) -----------------------------------
    def control_floor(self, action: Callable[..., list[journal.Event]], **kwargs: Any) -> None:
        """Run one of core/floor_rules.py's actions in a write transaction; publish its events."""
        with self._change() as (db, events):
            events.extend(action(db, self.config, moment=now(), **kwargs))

    def floor(self) -> dict[str, Any]:
        with self.store.reading() as db:
            return floor_rules.view(db, self.config, now())

    # --- devices -----------------------------------------------------------------------------------------
    def report_device_health(
        self, device: str, kind: str, state: str, reason: str = "", detail: str = ""
    ) -> bool:
        """Record what a device says about itself; True when that was a change (journaled and published)."""
        with self.store.reading() as db:
            if not device_health.changed(db, device, state, reason):
                return False
        with self._change() as (db, events):
            event = device_health.record(db, device=device, kind=kind, state=state, reason=reason,
                                         detail=detail, actor=f"device:{device}")
            events.extend([event] if event else [])
            return event is not None

    def device_states(self) -> list[device_health.DeviceHealth]:
        with self.store.reading() as db:
            return device_health.all_devices(db)

    def record_print(
        self, ticket_id: str, *, printer: str, state: str, reason: str = "", actor: str, started_at: str
    ) -> None:
        """Keep a print job's outcome; a failure is journaled and published for the staff's reprint list."""
        with self._change() as (db, events):
            event = print_jobs.record(db, tickets.get(db, ticket_id), printer=printer, state=state,
                                      reason=reason, actor=actor, started_at=started_at)
            events.extend([event] if event else [])

    def last_printer(self, ticket_id: str) -> str | None:
        with self.store.reading() as db:
            return print_jobs.last_printer(db, ticket_id)

    def print_problems(self) -> list[print_jobs.PrintProblem]:
        with self.store.reading() as db:
            return print_jobs.problems(db, self.today())

    # --- payments (the terminal side is in kiosk/payments.py) ---------------------------------------------
    def ticket_payment(self, ticket_id: str) -> payments.Payment | None:
        with self.store.reading() as db:
            return payments.for_ticket(db, ticket_id)

    def etimbre_pending(self) -> list[payments.Payment]:
        with self.store.reading() as db:
            return payments.etimbre_pending(db)

    def set_etimbre(self, reference: str, number: str) -> None:
        """Record the central's eTimbre number for a payment (the same number twice changes nothing)."""
        with self._change() as (db, events):
            event = payments.set_etimbre(db, reference, number, actor="central")
            events.extend([event] if event else [])

    def ticket_url(self, ticket_id: str) -> str:
        """The visitor's link to the live ticket page, as printed and shown in the QR code."""
        return f"{self.config.public_url}/t/{ticket_id}"

    def ticket_view(self, ticket_id: str) -> IssuedTicket:
        db = self.store.read()
        return self.issued(db, tickets.get(db, ticket_id))

    # --- counters ----------------------------------------------------------------------------------------
    def open_counter(self, counter: int, user: dict[str, Any]) -> None:
        """Open `counter` for `user` (closing the one they had). A supervisor may take over a counter left
        open by another agent (a browser closed without logging out); an agent may not."""
        self.config.counter(counter)
        with self._change() as (db, events):
            row = db.execute("SELECT user_id FROM counter_sessions WHERE counter = ?", [counter]).fetchone()
            if row and row[0] != user["id"]:
                if user.get("role") != "supervisor":
                    raise Conflict(N_("Counter %(counter)s is already open by another agent."),
                                   counter=counter)
                db.execute("DELETE FROM counter_sessions WHERE counter = ?", [counter])
                events.append(journal.append(db, "counter.closed", _agent(user),
                                             {"counter": counter, "taken_over_from": f"user:{row[0]}"}))
            db.execute("DELETE FROM counter_sessions WHERE user_id = ?", [user["id"]])
            db.execute("INSERT INTO counter_sessions VALUES (?, ?, ?)", [counter, user["id"], utc_iso()])
            events.append(journal.append(db, "counter.opened", _agent(user), {"counter": counter}))

    def close_counter(self, counter: int, user: dict[str, Any]) -> None:
        with self._change() as (db, events):
            cursor = db.execute("DELETE FROM counter_sessions WHERE counter = ? AND user_id = ?",
                                [counter, user["id"]])
            if cursor.rowcount:
                events.append(journal.append(db, "counter.closed", _agent(user), {"counter": counter}))

    def open_counters(self) -> dict[int, int]:
        rows = self.store.read().execute("SELECT counter, user_id FROM counter_sessions").fetchall()
        return {int(counter): int(user_id) for counter, user_id in rows}

    def call_next(self, counter: int, user: dict[str, Any]) -> Ticket | None:
        """Claim the next ticket for `counter` atomically; None when nobody waits for it."""
        with self._change() as (db, events):
            self._require_counter(db, counter, user)
            active = db.execute(
                "SELECT number FROM tickets WHERE counter = ? AND state IN ('called', 'serving')", [counter]
            ).fetchone()
            if active:
                raise Conflict(N_("Finish ticket %(number)s before calling the next one."), number=active[0])
            ticket_id = policy.choose_next(db, self.config, counter)
            if ticket_id is None:
                return None
            ticket, event = tickets.apply(
                db, tickets.get(db, ticket_id), Action.CALL, actor=_agent(user),
                changes={"counter": counter, "agent_id": user["id"], "target_counter": None},
            )
            events.append(event)
        return ticket

    def act(self, ticket_id: str, action: Action, counter: int, user: dict[str, Any]) -> Ticket:
        """Recall, start, finish or mark no-show the ticket this counter holds."""
        if action not in COUNTER_ACTIONS:
            raise InvalidInput(N_("Unknown action."))
        with self._change() as (db, events):
            ticket, event = tickets.apply(db, self._held_ticket(db, ticket_id, counter, user), action,
                                          actor=_agent(user))
            events.append(event)
        return ticket

    def undo_no_show(self, ticket_id: str, counter: int, user: dict[str, Any]) -> Ticket:
        """Call again at `counter` the ticket its agent just marked as no-show (rules: core/no_show.py)."""
        with self._change() as (db, events):
            self._require_counter(db, counter, user)
            ticket = tickets.get(db, ticket_id)
            marked = no_show.no_show_to_undo(db, self.config, ticket, counter=counter, actor=_agent(user),
                                             moment=now())
            ticket, event = tickets.apply(db, ticket, Action.UNDO_NO_SHOW, actor=_agent(user),
                                          changes={"finished_at": None}, extra={"undoes": marked.seq})
            events.append(event)
        return ticket

    def transfer(
        self, ticket_id: str, counter: int, user: dict[str, Any], *,
        to_service: str | None = None, to_counter: int | None = None,
    ) -> Ticket:
        """Send the ticket back to waiting for another service or counter; it keeps its arrival time."""
        if (to_service is None) == (to_counter is None):
            raise InvalidInput(N_("Choose either a service or a counter to transfer to."))
        service = self.config.service(to_service).code if to_service else None
        target = self.config.counter(to_counter).number if to_counter is not None else None
        with self._change() as (db, events):
            ticket = self._held_ticket(db, ticket_id, counter, user)
            changes: dict[str, Any] = {"counter": None, "agent_id": None, "target_counter": target}
            if service:
                changes["service"] = service
            extra = {"from_counter": counter, "to_service": service, "to_counter": target}
            ticket, event = tickets.apply(db, ticket, Action.TRANSFER, actor=_agent(user),
                                          changes=changes, extra=extra)
            events.append(event)
        return ticket

    def cancel(self, ticket_id: str, actor: str) -> Ticket:
        with self._change() as (db, events):
            ticket, event = tickets.apply(db, tickets.get(db, ticket_id), Action.CANCEL, actor=actor)
            events.append(event)
        return ticket

    def _require_counter(self, db: Any, counter: int, user: dict[str, Any]) -> None:
        self.config.counter(counter)
        row = db.execute("SELECT user_id FROM counter_sessions WHERE counter = ?", [counter]).fetchone()
        if not row or row[0] != user["id"]:
            raise Forbidden(N_("Open counter %(counter)s first."), counter=counter)

    def _held_ticket(self, db: Any, ticket_id: str, counter: int, user: dict[str, Any]) -> Ticket:
        self._require_counter(db, counter, user)
        ticket = tickets.get(db, ticket_id)
        if ticket.counter != counter:
            raise Forbidden(N_("Ticket %(number)s is not at your counter."), number=ticket.number)
        return ticket

    # --- views -------------------------------------------------------------------------------------------
    def waiting_counts(self) -> dict[str, int]:
        return waits.waiting_counts(self.store.read(), self.config, self.today())

    def waiting_list(self, counter: int) -> list[dict[str, Any]]:
        """Waiting tickets this counter may call, in the order the policy would call them first-come."""
        services = floor_rules.effective_counter(self.store.read(), self.config, counter, now()).services
        marks = ", ".join("?" for _ in services)
        rows = self.store.read().query(
            f"""SELECT id, number, service, kind, priority, arrived_at, slot_at, target_counter FROM tickets
                WHERE day = ? AND state = 'waiting'
                  AND (target_counter = ? OR (target_counter IS NULL AND service IN ({marks})))
                ORDER BY arrived_at""",
            [self.today(), counter, *services],
        )
        return list(rows)

    def current_ticket(self, counter: int) -> Ticket | None:
        rows = list(self.store.read().query(
            "SELECT * FROM tickets WHERE counter = ? AND state IN ('called', 'serving')", [counter]
        ))
        return Ticket(**rows[0]) if rows else None

    def recent_calls(self, limit: int = 8, zone: Zone = EVERYWHERE) -> list[dict[str, Any]]:
        """Today's last calls, newest first; of a display's zone only (core/zones.py) when given one."""
        in_zone, values = zone.sql()
        rows = self.store.read().query(
            f"""SELECT number, service, counter, called_at, state FROM tickets
               WHERE day = ? AND called_at IS NOT NULL AND counter IS NOT NULL{in_zone}
               ORDER BY called_at DESC LIMIT ?""",
            [self.today(), *values, limit],
        )
        return list(rows)

    def screen_snapshot(self, zone: Zone = EVERYWHERE) -> dict[str, Any]:
        """What a screen shows, as of one journal seq (one read transaction, so they agree); a zoned display
        gets its zone's calls and waiting counts."""
        with self.store.reading() as db:
            waiting = self.waiting_counts()
            return {"seq": self.last_seq(), "recent": self.recent_calls(zone=zone),
                    "waiting": {code: waiting[code] for code in zone.panel(list(waiting))},
                    "ticker": floor_rules.ticker(db, self.config, now())}

    def overview(self) -> dict[str, Any]:
        """The supervisor's view of today, as of one journal seq."""
        with self.store.reading() as db:
            floor = floor_rules.view(db, self.config, now())
            counters = [{**counter, "configured": counter["services"],
                         "services": floor["counters"].get(str(counter["number"]), counter)["services"]}
                        for counter in reports.counter_overview(db, self.config)]
            return {
                "seq": self.last_seq(), "day": self.today(),
                "services": reports.service_overview(db, self.config, self.today(), now()),
                "counters": counters, "floor": floor,
            }

    def last_seq(self) -> int:
        return journal.last_seq(self.store.read())

    def events_since(self, seq: int, limit: int) -> list[journal.Event]:
        return journal.since(self.store.read(), seq, limit)


def _agent(user: dict[str, Any]) -> str:
    return f"user:{user['id']}"
