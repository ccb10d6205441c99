"""The `dour` command: serve, demo, user and device management, migrations. Documented in docs/cli.md."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from core import config as site_config
from core.day_cli import add_commands as add_day_commands
from core.errors import DourError
from sync.central.cli import add_commands as add_central_commands

if TYPE_CHECKING:
    from core.store import Store

# Imports of the web stack and the database stay inside the commands: `dour serve` keeps gunicorn's master
# process small, and the worker builds the app after the fork.
ROLES = ("agent", "supervisor")
DEVICE_KINDS = ("kiosk", "display")

Handler = Callable[[argparse.Namespace], int]


def _config(args: argparse.Namespace) -> site_config.SiteConfig:
    return site_config.load(args.config)


def _store(args: argparse.Namespace) -> Store:
    from core.store import Store

    config = _config(args)
    return Store(args.database or str(config.server["database"]))


def _create_app(config: site_config.SiteConfig, database: str | None):  # type: ignore[no-untyped-def]
    from core.app import create_app

    return create_app(config, database)


def _patch_for(worker: str) -> None:
    """gevent must patch the standard library before anything imports ssl or threading."""
    if worker == "gevent":
        from gevent import monkey

        monkey.patch_all()


def _escpos_cache(database: str) -> None:
    """Keep python-escpos's parsed printer database, sound, next to the site database (before its import).

    At import, escpos parses its capabilities file with the pure-Python YAML loader (about 0.27 s of a 1 s
    start) unless it finds the pickle of an earlier run, and by default it looks in a new temporary directory
    every time: never found, and one directory left behind per start. Measured by bench_memory_start.py.
    escpos writes that pickle non-atomically, and a truncated one would stop every later start:
    hardware/escpos_cache.py deletes an unreadable pickle and writes a new one atomically itself.
    """
    from hardware import escpos_cache

    if database != ":memory:" or escpos_cache.DIR_VARIABLE in os.environ:
        escpos_cache.use(Path(database).resolve().parent / "cache")


def cmd_serve(args: argparse.Namespace) -> int:
    config = _config(args)
    database = args.database or str(config.server["database"])
    _escpos_cache(database)
    worker = str(config.server["worker"])
    _patch_for(worker)
    from core import shared_metrics
    from core.serve import check_workers, serve

    config.listen_on(args.host, args.port)
    workers, port = int(config.server["workers"]), int(config.server["port"])
    check_workers(workers, str(config.server["message_queue"]))
    # Several workers add up their in-process metrics in files (core/shared_metrics.py); one keeps them.
    metrics_dir = shared_metrics.directory(database, port) if workers > 1 else None
    serve(lambda: _create_app(config, args.database), str(config.server["host"]), port,
          worker, int(config.server["threads"]), log_format=str(config.server["log_format"]), workers=workers,
          metrics_dir=metrics_dir)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    config = _config(args)
    _escpos_cache(args.database or "var/demo.db")
    _patch_for(str(config.server["worker"]))
    from core.demo import run_demo

    config.listen_on(args.host, args.port)
    return run_demo(config, args.database, seed=not args.no_seed, config_path=args.config,
                    central=not args.no_central)


def cmd_migrate(args: argparse.Namespace) -> int:
    from core.store import migrate

    store = _store(args)
    applied = migrate(store._writer)
    print("applied: " + (", ".join(applied) if applied else "nothing (up to date)"))
    return 0


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if "DOUR_NEW_PASSWORD" in os.environ:
        return os.environ["DOUR_NEW_PASSWORD"]
    return _ask_twice("Password", "The two passwords differ.")


def _ask_twice(prompt: str, mismatch: str) -> str:
    first = getpass.getpass(f"{prompt}: ")
    if first != getpass.getpass("Again: "):
        raise SystemExit(mismatch)
    return first


def cmd_user_add(args: argparse.Namespace) -> int:
    from core import users

    password = _password(args)
    with _store(args).write() as db:
        user_id = users.add_user(db, args.username, args.name or args.username, args.role, password)
    print(f"user {args.username} created (id {user_id}, role {args.role})")
    return 0


def cmd_user_disable(args: argparse.Namespace) -> int:
    """An agent leaves, or an account is compromised: no more logins, and its sessions end now (the
    running server closes their live connections within a second)."""
    from core import users

    with _store(args).write() as db:
        ended = users.disable_user(db, args.username)
    print(f"user {args.username} disabled; {ended} session(s) ended")
    return 0


def cmd_user_enable(args: argparse.Namespace) -> int:
    """An agent back from leave: the account may log in again; the sessions it had stay ended."""
    from core import users

    with _store(args).write() as db:
        users.enable_user(db, args.username)
    print(f"user {args.username} enabled")
    return 0


def cmd_user_passwd(args: argparse.Namespace) -> int:
    from core import users

    password = _password(args)
    with _store(args).write() as db:
        ended = users.set_password(db, args.username, password)
    print(f"password of {args.username} changed; {ended} session(s) ended")
    return 0


def cmd_device_add(args: argparse.Namespace) -> int:
    from core import devices

    config = _config(args)
    with _store(args).write() as db:
        token = devices.add_device(db, args.name, args.kind)
    base = config.public_url
    print(f"device {args.name} ({args.kind}) enrolled; token shown once:\n{token}")
    print(f"enrolment URL: {base}/enrol?token={token}")
    return 0


def cmd_device_list(args: argparse.Namespace) -> int:
    from core import devices

    for device in devices.list_devices(_store(args).read()):
        state = "revoked" if device["revoked_at"] else "active"
        print(f"{device['id']}\t{device['name']}\t{device['kind']}\t{state}")
    return 0


def cmd_device_revoke(args: argparse.Namespace) -> int:
    from core import devices

    with _store(args).write() as db:
        done = devices.revoke_device(db, args.name)
    print(f"device {args.name} revoked" if done else f"no active device named {args.name}")
    return 0 if done else 1


def _pin(args: argparse.Namespace) -> str:
    """A badge's PIN: standard input with --pin-stdin, else asked twice. Never an argument (shell history)."""
    if args.pin_stdin:
        return sys.stdin.readline().rstrip("\n")
    return _ask_twice("PIN", "The two PINs differ.")


def cmd_badge_add(args: argparse.Namespace) -> int:
    from core import badges

    pin = _pin(args)
    with _store(args).write() as db:
        badges.enrol(db, args.username, args.badge_id, pin)
    print(f"badge {badges.fingerprint(args.badge_id)} enrolled for {args.username}")
    return 0


def cmd_badge_revoke(args: argparse.Namespace) -> int:
    from core import badges

    if (args.badge_id is None) == (args.user is None):
        raise SystemExit("Name either a badge id or --user USERNAME.")
    with _store(args).write() as db:
        count = badges.revoke_user(db, args.user) if args.user else int(badges.revoke(db, args.badge_id))
    print(f"{count} badge(s) revoked")
    return 0 if count else 1


def cmd_badge_list(args: argparse.Namespace) -> int:
    from core import badges

    for badge in badges.list_badges(_store(args).read()):
        state = f"revoked {badge['revoked_at']}" if badge["revoked_at"] else "active"
        print(f"{badge['id']}\t{badge['fingerprint']}\t{badge['username']}\t{badge['created_at']}\t{state}")
    return 0


def _sync_token(config: site_config.SiteConfig) -> str:
    """The site's bearer token for the central: $DOUR_SYNC_TOKEN, else the file `sync.token_file`."""
    token = os.environ.get("DOUR_SYNC_TOKEN", "").strip()
    path = str(config.sync["token_file"])
    if not token and path:
        try:
            token = Path(path).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise SystemExit(f"cannot read sync.token_file {path}: {error.strerror}") from None
    if not token:
        raise SystemExit("no site token for the central: set DOUR_SYNC_TOKEN or sync.token_file")
    return token


NOT_CONFIGURED = 78  # EX_CONFIG: the sync unit does not restart a worker that has no central to talk to


def cmd_sync(args: argparse.Namespace) -> int:
    """The sync worker, its own process: no Flask app, the site's store and the central over HTTPS."""
    from core import logs
    from core.site import Site
    from core.store import Store
    from sync.http_client import HttpCentral
    from sync.worker import SyncWorker, stop_on_signals

    config = _config(args)
    url = str(config.sync["central_url"]).strip()
    if not url:
        print("sync.central_url is empty: set it (or DOUR_SYNC_CENTRAL_URL) to the central's URL",
              file=sys.stderr)
        return NOT_CONFIGURED
    try:
        client = HttpCentral(url, _sync_token(config), ca_file=str(config.sync["ca_file"]) or None,
                             timeout=float(config.sync["timeout_seconds"]))
    except ValueError as error:
        raise SystemExit(str(error)) from None
    logs.configure(str(config.server["log_format"]))
    worker = SyncWorker(Site(config, Store(args.database or str(config.server["database"]))), client)
    if args.once:
        return 0 if worker.run_once().ok else 1
    stop_on_signals(worker)
    worker.run()
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    """A seeded day (or the median of several) through the real site code on a virtual clock."""
    from sim.cli import simulate

    return simulate(_config(args), args)


def _badge_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    badge = commands.add_parser("badge", help="enrol and revoke agents' badges").add_subparsers(
        dest="action", required=True)
    add = badge.add_parser("add", help="bind a badge to an account, with a PIN")
    add.add_argument("username")
    add.add_argument("badge_id", help="the id the badge reader reads (AGENT-0042, uid:04A1B2C3D4E5F6)")
    add.add_argument("--pin-stdin", action="store_true", help="read the PIN from standard input")
    add.set_defaults(handler=cmd_badge_add)
    revoke = badge.add_parser("revoke", help="revoke a badge, or every badge of --user")
    revoke.add_argument("badge_id", nargs="?")
    revoke.add_argument("--user", help="revoke every badge of this account (a badge lost, id unknown)")
    revoke.set_defaults(handler=cmd_badge_revoke)
    badge.add_parser("list", help="list badges (fingerprints, not ids)").set_defaults(handler=cmd_badge_list)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dour", description="Dour: consulate kiosk and queue system")
    parser.add_argument("--config", help="site configuration TOML file (default: $DOUR_CONFIG or built-in)")
    parser.add_argument("--database", help="SQLite database path (default: server.database)")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the site server (gunicorn, production)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(handler=cmd_serve)

    demo = commands.add_parser("demo", help="seed a demo day, enrol demo devices and users, and serve")
    demo.add_argument("--host")
    demo.add_argument("--port", type=int)
    demo.add_argument("--no-seed", action="store_true", help="do not seed tickets")
    demo.add_argument("--no-central", action="store_true",
                      help="no reference central and no sync worker (the site alone)")
    demo.set_defaults(handler=cmd_demo)

    commands.add_parser("migrate", help="apply pending database migrations").set_defaults(handler=cmd_migrate)

    user = commands.add_parser("user", help="manage agent accounts").add_subparsers(
        dest="action", required=True)
    add = user.add_parser("add", help="create an agent or supervisor account")
    add.add_argument("username")
    add.add_argument("--name", help="display name")
    add.add_argument("--role", choices=ROLES, default="agent")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(handler=cmd_user_add)
    disable = user.add_parser("disable", help="disable an account and end its sessions")
    disable.add_argument("username")
    disable.set_defaults(handler=cmd_user_disable)
    enable = user.add_parser("enable", help="let a disabled account log in again")
    enable.add_argument("username")
    enable.set_defaults(handler=cmd_user_enable)
    passwd = user.add_parser("passwd", help="set an account's password and end its sessions")
    passwd.add_argument("username")
    passwd.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    passwd.set_defaults(handler=cmd_user_passwd)

    device = commands.add_parser("device", help="enrol kiosks and displays").add_subparsers(
        dest="action", required=True)
    dev_add = device.add_parser("add", help="enrol a device and print its token")
    dev_add.add_argument("name")
    dev_add.add_argument("--kind", choices=DEVICE_KINDS, required=True)
    dev_add.set_defaults(handler=cmd_device_add)
    device.add_parser("list", help="list enrolled devices").set_defaults(handler=cmd_device_list)
    revoke = device.add_parser("revoke", help="revoke a device's token")
    revoke.add_argument("name")
    revoke.set_defaults(handler=cmd_device_revoke)
    _badge_commands(commands)
    simulate = commands.add_parser("simulate", help="simulate a day of the queue (docs/queue-policy.md)")
    simulate.add_argument("--profile", default="mid", help="mid, large, marhaba or a profile TOML file")
    simulate.add_argument("--seed", type=int, default=1, help="the first seed (default 1)")
    simulate.add_argument("--seeds", type=int, default=1, help="days to run; figures are their medians")
    simulate.add_argument("--policy", default="current",
                          help="current, fifo, deadline, or several, comma-separated")
    simulate.add_argument("--json", action="store_true", help="print JSON instead of the table")
    simulate.add_argument("--plots", metavar="DIR", help="write SVG plots of the first seed's day into DIR")
    simulate.set_defaults(handler=cmd_simulate)
    sync = commands.add_parser("sync", help="run the sync worker with the central (its own process)")
    sync.add_argument("--once", action="store_true", help="one round (pull, eTimbres, push), then exit")
    sync.set_defaults(handler=cmd_sync)
    add_day_commands(commands)  # close-day, purge, backup, restore
    add_central_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except DourError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
