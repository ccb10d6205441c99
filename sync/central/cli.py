"""`dour central …`: serve the reference central and drive it from the shell (docs/cli.md, "The reference
central").

The commands other than `serve` work on the central's database file directly, like the site's own commands
do, so they need no admin token and work whether the central runs or not. Flask and gunicorn are imported only
by `serve`, inside the worker.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from core import config as site_config

if TYPE_CHECKING:  # the database layer is imported by the commands only: `dour serve`'s master stays small
    from sync.central.db import CentralStore

DEFAULT_DATABASE = "var/central.db"
ADMIN_TOKEN_ENV = "DOUR_CENTRAL_ADMIN_TOKEN"
ADMIN_TOKEN_FILE = "central-admin.token"
THREADS = 8


def _database(args: argparse.Namespace) -> str:
    return str(args.central_database or DEFAULT_DATABASE)


def _store(args: argparse.Namespace) -> CentralStore:
    from sync.central.db import CentralStore

    return CentralStore(_database(args))


def write_secret(path: Path, secret: str) -> None:
    """Write a secret readable by its owner only (mode 0600 from creation, never world-readable a moment)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(secret + "\n")
    os.chmod(path, 0o600)


def admin_token(token_file: str | None, database: str) -> str:
    """--admin-token-file, else $DOUR_CENTRAL_ADMIN_TOKEN, else the token file beside the database (created
    with a new random token the first time)."""
    if token_file:
        token = Path(token_file).read_text(encoding="utf-8").strip()
        if not token:
            raise SystemExit(f"{token_file} is empty: write the admin token in it")
        return token
    if os.environ.get(ADMIN_TOKEN_ENV):
        return os.environ[ADMIN_TOKEN_ENV]
    path = Path(database).resolve().parent / ADMIN_TOKEN_FILE
    if not path.exists():
        write_secret(path, secrets.token_urlsafe(32))
        print(f"admin token created in {path} (mode 0600)")
    else:
        print(f"admin token read from {path}")
    return path.read_text(encoding="utf-8").strip()


def cmd_serve(args: argparse.Namespace) -> int:
    from core.serve import serve

    database = _database(args)
    token = admin_token(args.admin_token_file, database)
    if bool(args.certfile) != bool(args.keyfile):
        raise SystemExit("--certfile and --keyfile go together")

    def factory():  # type: ignore[no-untyped-def]
        from sync.central.app import create_app

        return create_app(database, token)

    scheme = "https" if args.certfile else "http"
    # Flushed before gunicorn forks, or the worker would inherit the buffer and print it again.
    print(f"central on {scheme}://{args.host}:{args.port} (database {database})", flush=True)
    serve(factory, args.host, args.port, "gthread", args.threads, args.certfile, args.keyfile)
    return 0


def cmd_site_add(args: argparse.Namespace) -> int:
    from sync.central import sites

    with _store(args).write() as db:
        token = sites.add_site(db, args.site, args.name or args.site)
    print(f"site {args.site} added; token shown once:\n{token}")
    return 0


def _moment(text: str, args: argparse.Namespace) -> datetime:
    """--at: ISO 8601; without an offset it is the site's local time (site.timezone)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise SystemExit(f"--at {text!r} is not an ISO 8601 date and time (2026-12-02T09:30)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=site_config.load(args.config).tz)


def _print_appointment(appointment: dict[str, object]) -> None:
    print(json.dumps(appointment, ensure_ascii=False))


def cmd_appointment_add(args: argparse.Namespace) -> int:
    from sync.central import appointments

    start = _moment(args.at, args)
    with _store(args).write() as db:
        slot = (start, start + timedelta(minutes=args.minutes))
        booked = appointments.create(db, args.site, args.service, slot, args.persons, args.lang,
                                     documents=args.document)
    _print_appointment(booked)
    return 0


def cmd_appointment_move(args: argparse.Namespace) -> int:
    from sync.central import appointments
    from sync.central.validate import parse_moment

    start = _moment(args.at, args)
    with _store(args).write() as db:
        current = appointments.get(db, args.appointment_id)
        length = parse_moment(current["slot_end"], "slot_end") - parse_moment(current["slot_start"], "start")
        _print_appointment(appointments.move(db, args.appointment_id, (start, start + length)))
    return 0


def cmd_appointment_cancel(args: argparse.Namespace) -> int:
    from sync.central import appointments

    with _store(args).write() as db:
        _print_appointment(appointments.cancel(db, args.appointment_id))
    return 0


def cmd_key_rotate(args: argparse.Namespace) -> int:
    from sync.central import keys
    from sync.tokens import key_to_jwk

    with _store(args).write() as db:
        key = keys.rotate(db, args.days)
    jwk = key_to_jwk(key)
    print(f"key {key.kid} signs from now, valid {jwk['valid_from']} to {jwk['valid_until']}")
    return 0


def cmd_seed_demo(args: argparse.Namespace) -> int:
    from sync.central.seed import seed_demo

    config = site_config.load(args.config)
    site = args.site or config.site_id
    zone = ZoneInfo(args.timezone or str(config.site["timezone"]))
    day = _day(args.day, zone)
    token_file = Path(args.token_file) if args.token_file else None
    with _store(args).write() as db:
        reissue = token_file is not None and not token_file.exists()
        seeded = seed_demo(db, config, site, zone, day, new_token=reissue,
                           first_slot=_first_slot(args.first_slot))
    print(f"central seeded for {site} on {day}: {seeded.created} new appointments")
    if seeded.token and token_file:
        write_secret(token_file, seeded.token)
        print(f"site token written to {token_file} (mode 0600)")
    elif seeded.token:
        print(f"site token shown once:\n{seeded.token}")
    elif token_file:
        print(f"site {site} already registered; its token is in {token_file}")
    else:
        print(f"site {site} already registered: its token is not shown again "
              "(--token-file NEW_FILE reissues it)")
    return 0


def cmd_report_list(args: argparse.Namespace) -> int:
    from sync.central import daily_reports

    with _store(args).reading() as db:
        found = daily_reports.listing(db, args.site)
    for row in found:
        print(f"{row['site']} {row['day']} revision {row['revision']} of {row['revisions']}, "
              f"received {row['received_at']}, sha256 {row['sha256'][:16]}")
    if not found:
        print("no daily report received")
    return 0


def cmd_report_show(args: argparse.Namespace) -> int:
    from sync.central import daily_reports

    with _store(args).reading() as db:
        held = daily_reports.latest(db, args.site, daily_reports.check_day(args.day))
    print(json.dumps(held, ensure_ascii=False, indent=2, sort_keys=True))
    return 0


def _first_slot(text: str | None) -> time:
    """--first-slot HH:MM (default 09:00): the demo starts its day around the time it is run."""
    if not text:
        return time(9, 0)
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise SystemExit(f"--first-slot {text!r} is not a time (HH:MM)") from None


def _day(text: str | None, zone: ZoneInfo) -> date:
    if not text:
        return datetime.now(zone).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise SystemExit(f"--day {text!r} is not a date (YYYY-MM-DD)") from None


def _leaf(group: argparse._SubParsersAction, name: str, help_: str, handler: object,  # type: ignore[type-arg]
          ) -> argparse.ArgumentParser:
    """A central command: each takes --database (the central's file, never the site's)."""
    parser = group.add_parser(name, help=help_)
    parser.add_argument("--database", dest="central_database", metavar="PATH",
                        help=f"the central's SQLite file (default {DEFAULT_DATABASE})")
    parser.set_defaults(handler=handler)
    return parser


def _group(commands: argparse._SubParsersAction, name: str, help_: str) -> argparse._SubParsersAction:  # type: ignore[type-arg]
    return commands.add_parser(name, help=help_).add_subparsers(dest=f"{name}_command", required=True)


def _serve_command(central: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    serve = _leaf(central, "serve", "run the reference central (gunicorn, gthread)", cmd_serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8090)
    serve.add_argument("--threads", type=int, default=THREADS)
    serve.add_argument("--certfile", help="serve HTTPS with this certificate (PEM, chain included)")
    serve.add_argument("--keyfile", help="the certificate's private key (PEM)")
    serve.add_argument("--admin-token-file",
                       help=f"file holding the admin token (else ${ADMIN_TOKEN_ENV}, else {ADMIN_TOKEN_FILE} "
                       "beside the database)")


def _appointment_commands(central: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = _group(central, "appointment", "book, move and cancel appointments")
    add = _leaf(group, "add", "book an appointment", cmd_appointment_add)
    add.add_argument("--site", required=True)
    add.add_argument("--service", action="append", required=True, help="a service code (repeatable)")
    add.add_argument("--at", required=True, help="slot start, ISO 8601 (no offset: the site's local time)")
    add.add_argument("--minutes", type=int, default=15)
    add.add_argument("--persons", type=int, default=1)
    add.add_argument("--lang", default="fr")
    add.add_argument("--document", action="append", default=[], help="a document code to bring (repeatable)")
    move = _leaf(group, "move", "move an appointment to another slot (same length)", cmd_appointment_move)
    move.add_argument("appointment_id")
    move.add_argument("--at", required=True)
    _leaf(group, "cancel", "cancel an appointment", cmd_appointment_cancel).add_argument("appointment_id")


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `dour central …` to the site CLI's commands."""
    central = _group(commands, "central", "the reference central eConsulat (demo and tests)")
    _serve_command(central)
    site = _leaf(_group(central, "site", "register sites"), "add", "register a site, print its token once",
                 cmd_site_add)
    site.add_argument("site")
    site.add_argument("--name")
    rotate = _leaf(_group(central, "key", "QR signing keys"), "rotate", "add a signing key valid from now",
                   cmd_key_rotate)
    rotate.add_argument("--days", type=int, default=90)
    _appointment_commands(central)
    reports = _group(central, "report", "the daily reports sites sent")
    _leaf(reports, "list", "list the days reported, each with its latest revision",
          cmd_report_list).add_argument("--site", help="one site only")
    show = _leaf(reports, "show", "print a day's latest report as JSON", cmd_report_show)
    show.add_argument("site")
    show.add_argument("day", help="YYYY-MM-DD")
    seed = _leaf(central, "seed-demo", "seed a demo day of appointments, fees and a key", cmd_seed_demo)
    seed.add_argument("--site", help="default: site.id of the site configuration")
    seed.add_argument("--timezone", help="default: site.timezone")
    seed.add_argument("--day", help="YYYY-MM-DD (default: today there)")
    seed.add_argument("--first-slot", help="HH:MM of the first slot (default 09:00); 31 slots of 15 min")
    seed.add_argument("--token-file", help="write the site's token there (mode 0600) instead of printing it")
