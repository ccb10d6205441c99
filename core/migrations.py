"""Named schema migrations, applied once each and in order. Never edit one that has shipped: add a new one."""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

Migration = tuple[str, Callable[[sqlite_utils.Database], None]]


def m001_tickets(db: sqlite_utils.Database) -> None:
    for sql in (
        """CREATE TABLE tickets (
            id TEXT PRIMARY KEY,
            day TEXT NOT NULL,
            prefix TEXT NOT NULL,
            seq_no INTEGER NOT NULL,
            number TEXT NOT NULL,
            service TEXT NOT NULL,
            kind TEXT NOT NULL,
            priority INTEGER NOT NULL DEFAULT 0,
            state TEXT NOT NULL,
            lang TEXT NOT NULL,
            arrived_at TEXT NOT NULL,
            slot_at TEXT,
            appointment_ref TEXT,
            counter INTEGER,
            target_counter INTEGER,
            agent_id INTEGER,
            called_at TEXT,
            started_at TEXT,
            finished_at TEXT,
            recalls INTEGER NOT NULL DEFAULT 0,
            transfers INTEGER NOT NULL DEFAULT 0,
            issued_by TEXT,
            request_key TEXT UNIQUE,
            UNIQUE (day, prefix, seq_no)
        )""",
        "CREATE INDEX tickets_queue ON tickets (day, state, service)",
        "CREATE INDEX tickets_counter ON tickets (counter, state)",
        """CREATE TABLE number_sequences (
            day TEXT NOT NULL, prefix TEXT NOT NULL, last INTEGER NOT NULL, PRIMARY KEY (day, prefix)
        )""",
        """CREATE TABLE journal (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            type TEXT NOT NULL,
            ticket_id TEXT,
            actor TEXT NOT NULL,
            data TEXT NOT NULL
        )""",
        "CREATE INDEX journal_ticket ON journal (ticket_id)",
    ):
        db.execute(sql)


def m002_people(db: sqlite_utils.Database) -> None:
    for sql in (
        """CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE,
            display_name TEXT NOT NULL,
            role TEXT NOT NULL,
            password_hash TEXT NOT NULL,
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL
        )""",
        """CREATE TABLE devices (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            token_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            revoked_at TEXT
        )""",
        """CREATE TABLE counter_sessions (
            counter INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            opened_at TEXT NOT NULL
        )""",
        "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ):
        db.execute(sql)


def m003_device_health_prints(db: sqlite_utils.Database) -> None:
    for sql in (
        """CREATE TABLE device_health (
            device TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            state TEXT NOT NULL,
            reason TEXT NOT NULL,
            detail TEXT NOT NULL,
            since TEXT NOT NULL,
            checked_at TEXT NOT NULL
        )""",
        """CREATE TABLE print_jobs (
            id INTEGER PRIMARY KEY,
            ticket_id TEXT NOT NULL REFERENCES tickets(id),
            printer TEXT NOT NULL,
            state TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            actor TEXT NOT NULL,
            created_at TEXT NOT NULL,
            finished_at TEXT
        )""",
        "CREATE INDEX print_jobs_ticket ON print_jobs (ticket_id)",
        "CREATE INDEX print_jobs_state ON print_jobs (state)",
    ):
        db.execute(sql)


def m004_badges(db: sqlite_utils.Database) -> None:
    """Agent badges: the badge id's SHA-256, the account, the PIN's scrypt hash; one active row per badge."""
    for sql in (
        """CREATE TABLE badges (
            id INTEGER PRIMARY KEY,
            badge_hash TEXT NOT NULL,
            user_id INTEGER NOT NULL REFERENCES users(id),
            pin_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            revoked_at TEXT
        )""",
        "CREATE UNIQUE INDEX badges_active ON badges (badge_hash) WHERE revoked_at IS NULL",
    ):
        db.execute(sql)


def m005_payments(db: sqlite_utils.Database) -> None:
    for sql in (
        """CREATE TABLE payments (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            reference TEXT NOT NULL UNIQUE,
            operation TEXT NOT NULL,
            original_reference TEXT,
            kiosk TEXT,
            terminal TEXT NOT NULL,
            service TEXT,
            items TEXT NOT NULL,
            amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
            currency TEXT NOT NULL,
            lang TEXT NOT NULL,
            priority INTEGER NOT NULL DEFAULT 0,
            state TEXT NOT NULL,
            auth_code TEXT,
            card_last4 TEXT CHECK (card_last4 IS NULL OR length(card_last4) = 4),
            terminal_code TEXT,
            ticket_id TEXT REFERENCES tickets(id),
            request_key TEXT UNIQUE,
            etimbre TEXT UNIQUE,
            etimbre_state TEXT NOT NULL,
            resolved_by TEXT,
            note TEXT,
            day TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        "CREATE INDEX payments_state ON payments (state, terminal)",
        "CREATE INDEX payments_day ON payments (day)",
        """CREATE TABLE payment_exceptions (
            id INTEGER PRIMARY KEY,
            day TEXT NOT NULL,
            terminal TEXT NOT NULL,
            kind TEXT NOT NULL,
            reference TEXT,
            amount_minor INTEGER NOT NULL,
            detail TEXT NOT NULL,
            found_at TEXT NOT NULL,
            resolved_by TEXT,
            resolved_at TEXT,
            note TEXT,
            UNIQUE (day, terminal, kind, reference)
        )""",
    ):
        db.execute(sql)


def m006_appointments_sync(db: sqlite_utils.Database) -> None:
    """Appointments as the central publishes them (or as a verified QR token told us), the QR signing keys,
    the sync worker's state, and one ticket per appointment at most."""
    for sql in (
        """CREATE TABLE appointments (
            id TEXT PRIMARY KEY,
            reference TEXT NOT NULL UNIQUE,
            site TEXT NOT NULL,
            services TEXT NOT NULL,
            slot_start TEXT NOT NULL,
            slot_end TEXT NOT NULL,
            day TEXT NOT NULL,
            persons INTEGER NOT NULL,
            lang TEXT,
            applicant TEXT,
            documents TEXT NOT NULL,
            status TEXT NOT NULL,
            version INTEGER NOT NULL,
            source TEXT NOT NULL,
            ticket_id TEXT REFERENCES tickets(id),
            checked_in_at TEXT,
            no_show_at TEXT,
            updated_at TEXT NOT NULL
        )""",
        "CREATE INDEX appointments_day ON appointments (day, status)",
        "CREATE UNIQUE INDEX tickets_one_per_appointment ON tickets (appointment_ref) "
        "WHERE appointment_ref IS NOT NULL",
        """CREATE TABLE signing_keys (
            kid TEXT PRIMARY KEY,
            public_key BLOB NOT NULL,
            valid_from TEXT NOT NULL,
            valid_until TEXT NOT NULL,
            fetched_at TEXT NOT NULL
        )""",
        "CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ):
        db.execute(sql)


def m007_sessions(db: sqlite_utils.Database) -> None:
    """Agents' sessions on the server (core/sessions.py): only the SHA-256 of each session id is kept."""
    for sql in (
        """CREATE TABLE sessions (
            id_hash TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            via TEXT NOT NULL,
            created_at TEXT NOT NULL,
            ended_at TEXT,
            ended_why TEXT
        )""",
        "CREATE INDEX sessions_live_by_user ON sessions (user_id) WHERE ended_at IS NULL",
    ):
        db.execute(sql)


def m008_day_close_retention(db: sqlite_utils.Database) -> None:
    """Closing the day (core/day_close.py): one summary per closed day (counts and durations only, kept for
    reports), the tickets carried to the next day, and what the retention (core/retention.py) has done."""
    for sql in (
        """CREATE TABLE day_summaries (
            day TEXT PRIMARY KEY,
            closed_at TEXT NOT NULL,
            closed_by TEXT NOT NULL,
            leftover TEXT NOT NULL,
            summary TEXT NOT NULL
        )""",
        """CREATE TABLE carried_tickets (
            id INTEGER PRIMARY KEY,
            from_day TEXT NOT NULL,
            ticket_id TEXT NOT NULL REFERENCES tickets(id),
            number TEXT NOT NULL,
            service TEXT NOT NULL,
            kind TEXT NOT NULL,
            priority INTEGER NOT NULL,
            state_at_close TEXT NOT NULL,
            arrived_at TEXT NOT NULL,
            carried_at TEXT NOT NULL,
            carried_by TEXT NOT NULL
        )""",
        "CREATE INDEX carried_from_day ON carried_tickets (from_day)",
        """CREATE TABLE retention_days (
            day TEXT PRIMARY KEY,
            pseudonymised_at TEXT,
            purged_at TEXT
        )""",
    ):
        db.execute(sql)


def m009_appointment_ticket_index(db: sqlite_utils.Database) -> None:
    """The wait estimate joins waiting tickets to their appointment by `ticket_id`: without an index that
    costs about 9 ms per ticket issued with 1,000 people waiting (a summer day, per `dour simulate`)."""
    db.execute("CREATE INDEX appointments_ticket ON appointments (ticket_id)")


def m010_floor_controls(db: sqlite_utils.Database) -> None:
    """What a supervisor set on the floor (core/floor_control.py): a service paused at the kiosks, walk-ins
    stopped, a counter's services, for one site day (`day`); the displays' message (day '', until its end)."""
    db.execute(
        """CREATE TABLE floor_controls (
            day TEXT NOT NULL,
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            set_by TEXT NOT NULL,
            set_at TEXT NOT NULL,
            PRIMARY KEY (day, kind, key)
        )""")


def m011_journal_floor_events(db: sqlite_utils.Database) -> None:
    """The reports (core/report_series.py) read the few counter, device and print-failure events of a period
    among a month's ~200,000 journal rows: a partial index holds only those, so a ticket's own events cost
    the writer nothing more than checking the condition."""
    db.execute("CREATE INDEX journal_floor_events ON journal (at) WHERE type IN "
               "('counter.opened', 'counter.closed', 'device.health', 'ticket.print_failed')")


def m012_display_zones(db: sqlite_utils.Database) -> None:
    """The services and counters a display is limited to (core/zones.py): one row per zoned display, by its
    enrolled name; no row is the whole site. Kept until a supervisor changes it, unlike the day's floor
    controls."""
    db.execute(
        """CREATE TABLE display_zones (
            display TEXT PRIMARY KEY,
            services TEXT NOT NULL,
            counters TEXT NOT NULL,
            set_by TEXT NOT NULL,
            set_at TEXT NOT NULL
        )""")


_ONE_MORE_WAITING = """INSERT INTO waiting_counts VALUES (new.day, new.service, 1)
    ON CONFLICT (day, service) DO UPDATE SET waiting = waiting + 1"""
_ONE_LESS_WAITING = """UPDATE waiting_counts SET waiting = waiting - 1
    WHERE day = old.day AND service = old.service"""


def m013_waiting_line(db: sqlite_utils.Database) -> None:
    """What every issue and every published event asks of the waiting line, kept cheap as it grows
    (docs/serving.md, "Cost per ticket"):
    - people ahead of a ticket (core/waits.py): a range of an index, counted without reading the rows (since
      014, only the range from the ticket to the end of the line, the rest from `waiting_counts`);
    - the waiting tickets per day and service (in every screen message): kept in `waiting_counts` by
      triggers, in the transaction of every change of a ticket whoever writes it, instead of counting the
      waiting tickets each time."""
    for sql in (
        "CREATE INDEX tickets_waiting_line ON tickets (day, service, state, arrived_at, id)",
        """CREATE TABLE waiting_counts (
            day TEXT NOT NULL, service TEXT NOT NULL, waiting INTEGER NOT NULL, PRIMARY KEY (day, service)
        ) WITHOUT ROWID""",
        """INSERT INTO waiting_counts
           SELECT day, service, COUNT(*) FROM tickets WHERE state = 'waiting' GROUP BY day, service""",
        f"""CREATE TRIGGER waiting_counts_insert AFTER INSERT ON tickets WHEN new.state = 'waiting'
            BEGIN {_ONE_MORE_WAITING}; END""",
        f"""CREATE TRIGGER waiting_counts_enter AFTER UPDATE OF day, service, state ON tickets
            WHEN new.state = 'waiting' BEGIN {_ONE_MORE_WAITING}; END""",
        f"""CREATE TRIGGER waiting_counts_leave AFTER UPDATE OF day, service, state ON tickets
            WHEN old.state = 'waiting' BEGIN {_ONE_LESS_WAITING}; END""",
        f"""CREATE TRIGGER waiting_counts_delete AFTER DELETE ON tickets WHEN old.state = 'waiting'
            BEGIN {_ONE_LESS_WAITING}; END""",
    ):
        db.execute(sql)


def m014_family_appointments(db: sqlite_utils.Database) -> None:
    """The family appointments of a day (more than one person on one ticket), which every estimate counts
    among the people ahead (core/waits.py): a few rows a day, found without walking the waiting line."""
    db.execute("CREATE INDEX appointments_families ON appointments (day) WHERE persons > 1")


def m015_call_order(db: sqlite_utils.Database) -> None:
    """What "call next" asks (core/policy.py), each the start of an index range instead of a sort of the day's
    waiting tickets: the first ticket transferred to a counter, a service's first waiting appointment by
    slot, its first waiting priority visitor by arrival (each a partial index holding only those few rows),
    and the day's last calls, newest first (the priority share)."""
    for sql in (
        """CREATE INDEX tickets_waiting_targeted ON tickets (target_counter, arrived_at, id)
           WHERE state = 'waiting' AND target_counter IS NOT NULL""",
        """CREATE INDEX tickets_waiting_appointments ON tickets (day, service, slot_at, arrived_at, id)
           WHERE state = 'waiting' AND kind = 'appointment'""",
        """CREATE INDEX tickets_waiting_priority ON tickets (day, service, arrived_at, id)
           WHERE state = 'waiting' AND priority = 1""",
        "CREATE INDEX tickets_calls ON tickets (day, called_at) WHERE called_at IS NOT NULL",
    ):
        db.execute(sql)


MIGRATIONS: list[Migration] = [
    ("001_tickets_numbers_journal", m001_tickets),
    ("002_users_devices_sessions", m002_people),
    ("003_device_health_print_jobs", m003_device_health_prints),
    ("004_badges", m004_badges),
    ("005_payments", m005_payments),
    ("006_appointments_sync", m006_appointments_sync),
    ("007_sessions", m007_sessions),
    ("008_day_close_retention", m008_day_close_retention),
    ("009_appointment_ticket_index", m009_appointment_ticket_index),
    ("010_floor_controls", m010_floor_controls),
    ("011_journal_floor_events", m011_journal_floor_events),
    ("012_display_zones", m012_display_zones),
    ("013_waiting_line", m013_waiting_line),
    ("014_family_appointments", m014_family_appointments),
    ("015_call_order", m015_call_order),
]
