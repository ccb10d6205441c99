"""The `dour close-day`, `dour purge`, `dour backup` and `dour restore` commands (docs/cli.md), added to the
parser by core/cli.py. Each works on the site's database directly, whether the server runs or not (restore
excepted: it refuses while another process holds the database open, unless `--force`)."""

from __future__ import annotations

import argparse
import getpass
import json
from pathlib import Path
from typing import Any

from core import config as site_config

# core/day_close.py's choices, repeated so that `dour serve`'s master process does not import the database
# layer through this module (tests/integration/test_day_close.py checks they agree).
LEFTOVER_CHOICES = ("no_show", "carry")


def _database(args: argparse.Namespace, config: site_config.SiteConfig) -> str:
    return str(args.database or config.server["database"])


def _site(args: argparse.Namespace) -> Any:
    from core.site import Site
    from core.store import Store

    config = site_config.load(args.config)
    return Site(config, Store(_database(args, config)))


def actor() -> str:
    """Who ran the command, as the journal names them."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def summary_lines(summary: dict[str, Any]) -> list[str]:
    tickets, waits, left = summary["tickets"], summary["waits"]["all"], summary["leftovers"]
    money = summary["payments"]["by_operation"].get("payment", {})
    return [
        f"day {summary['day']} closed at {summary['closed_at']} by {summary['closed_by']}",
        f"tickets: {tickets['issued']} issued, {tickets['served']} served, {tickets['no_show']} no-shows, "
        f"{tickets['cancelled']} cancelled, {tickets['carried']} carried",
        f"leftovers ({summary['leftover']}): {left['waiting']} waiting, {left['called']} called, "
        f"{left['serving']} serving",
        f"waits (min): p50 {waits['p50']}, p90 {waits['p90']}, max {waits['max']} "
        f"over {waits['count']} calls",
        "appointments: {total} booked, {checked_in} checked in, {missed} missed, {cancelled} cancelled"
        .format(**summary["appointments"]),
        "payments: " + (", ".join(f"{state} {row['count']} ({row['amount_minor']} {row['currency']} minor)"
                                  for state, row in sorted(money.items())) or "none"),
        f"open payment exceptions: {len(summary['payments']['open_exceptions'])}",
        f"counters closed: {', '.join(map(str, summary['counters_closed'])) or 'none'}",
    ]


def cmd_close_day(args: argparse.Namespace) -> int:
    from core.day_close import ConfirmationNeeded, close_day
    from core.retention import run

    site = _site(args)
    try:
        closing = close_day(site, day=args.day, leftover=args.leftover, actor=actor(), force=args.force)
    except ConfirmationNeeded as error:
        raise SystemExit(f"{error} (pass --force)") from None
    if args.json:
        print(json.dumps(closing.summary, indent=2, sort_keys=True))
    else:
        if closing.already_closed:
            print("already closed: nothing changed")
        print("\n".join(summary_lines(closing.summary)))
    _print_retention(run(site), quiet=args.json)
    return 0


def _print_retention(report: Any, quiet: bool = False) -> None:
    if quiet:
        return
    for label, days in (("closed", report.closed), ("pseudonymised", report.pseudonymised),
                        ("purged", report.purged)):
        if days:
            print(f"retention: {label} {len(days)} day(s), {days[0]} to {days[-1]}")
    if report.held:
        print(f"retention: {report.held} and later held until the central has acknowledged their events")


def cmd_purge(args: argparse.Namespace) -> int:
    from core.retention import run

    report = run(_site(args))
    _print_retention(report)
    if not (report.closed or report.pseudonymised or report.purged or report.held):
        print("retention: nothing due")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from core.backup import backup, default_folder

    config = site_config.load(args.config)
    database = _database(args, config)
    to = Path(args.to) if args.to else default_folder(database, str(config.server["backup_dir"]))
    info = backup(database, to, int(config.server["backup_keep"]))
    print(f"backup written: {info.path} (journal seq {info.journal_seq}, {info.tickets} tickets)")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from core import journal
    from core.backup import new_journal_epoch, restore
    from core.store import Store

    config = site_config.load(args.config)
    database = Path(_database(args, config))
    info, aside = restore(Path(args.path), database, force=args.force)
    store = Store(str(database))  # brings an older backup's schema up to date
    try:
        with store.write() as db:
            new_journal_epoch(db)
            journal.append(db, "backup.restored", actor(), {"backup": info.path.name,
                                                            "backup_seq": info.journal_seq,
                                                            "replaced": aside.name if aside else None})
    finally:
        store.close()
    print(f"restored {info.path} (journal seq {info.journal_seq}, {info.tickets} tickets) into {database}")
    if aside:
        print(f"the replaced database is kept as {aside}")
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    close = commands.add_parser("close-day", help="close a day: end leftovers, reconcile, keep its summary")
    close.add_argument("--day", help="YYYY-MM-DD (default: today in the site's time zone)")
    close.add_argument("--leftover", choices=LEFTOVER_CHOICES, default="no_show",
                       help="what becomes of tickets still open (default no_show)")
    close.add_argument("--force", action="store_true", help="close today even with tickets at a counter")
    close.add_argument("--json", action="store_true", help="print the summary as JSON")
    close.set_defaults(handler=cmd_close_day)
    commands.add_parser("purge", help="pseudonymise and purge visitors' data that is due (docs/privacy.md)"
                        ).set_defaults(handler=cmd_purge)
    backup = commands.add_parser("backup", help="back the database up with SQLite's online backup")
    backup.add_argument("--to", help="a folder (dated file, rotation) or a file (default server.backup_dir)")
    backup.set_defaults(handler=cmd_backup)
    restore = commands.add_parser("restore", help="replace the database by a verified backup")
    restore.add_argument("path", help="the backup file")
    restore.add_argument("--force", action="store_true",
                         help="even if another process (server, sync worker) holds the database open")
    restore.set_defaults(handler=cmd_restore)
