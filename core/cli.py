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
from core.errors import DourError

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
    """Keep python-escpos's parsed printer database next to the site database.

    At import, escpos parses its capabilities file with the pure-Python YAML loader (about 0.27 s of a 1 s
    start) unless it finds the pickle of an earlier run, and by default it looks in a new temporary directory
    every time: never found, and one directory left behind per start. Measured by bench_memory_start.py.
    """
    if "ESCPOS_CAPABILITIES_PICKLE_DIR" in os.environ or database == ":memory:":
        return
    cache = Path(database).resolve().parent / "cache"
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError:
        return  # not writable: escpos keeps its default
    os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"] = str(cache)


def cmd_serve(args: argparse.Namespace) -> int:
    config = _config(args)
    _escpos_cache(args.database or str(config.server["database"]))
    worker = str(config.server["worker"])
    _patch_for(worker)
    from core.serve import serve

    config.listen_on(args.host, args.port)
    serve(lambda: _create_app(config, args.database), str(config.server["host"]), int(config.server["port"]),
          worker, int(config.server["threads"]))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    config = _config(args)
    _escpos_cache(args.database or "var/demo.db")
    _patch_for(str(config.server["worker"]))
    from core.demo import run_demo

    config.listen_on(args.host, args.port)
    return run_demo(config, args.database, seed=not args.no_seed)


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
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise SystemExit("The two passwords differ.")
    return first


def cmd_user_add(args: argparse.Namespace) -> int:
    from core import users

    password = _password(args)
    with _store(args).write() as db:
        user_id = users.add_user(db, args.username, args.name or args.username, args.role, password)
    print(f"user {args.username} created (id {user_id}, role {args.role})")
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
