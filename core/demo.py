"""`dour demo`: a fresh demo database with a seeded morning, demo accounts and devices, then serve.

The demo database is recreated at every start (it is not a site's data). Passwords and device tokens are
random for each run and printed once: no default password exists anywhere.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from core import badges, clock, devices, tickets, users
from core.config import SiteConfig
from core.site import Site
from core.states import Action
from core.store import Store
from core.tickets import Ticket

DEMO_USERS = (("agent1", "Agent 1", "agent"), ("agent2", "Agent 2", "agent"),
              ("supervisor", "Supervisor", "supervisor"))
DEMO_DEVICES = (("kiosk-1", "kiosk"), ("display-1", "display"))
WALK_IN_MIX = (("passport", 9), ("cnie", 8), ("civil_status", 4), ("registration", 3),
               ("legalisation", 4), ("driving_licence", 2), ("pickup", 6))


def _fixed(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def fresh_database(path: str) -> Store:
    for suffix in ("", "-wal", "-shm"):
        Path(path + suffix).unlink(missing_ok=True)
    return Store(path)


def create_accounts(store: Store) -> dict[str, str]:
    passwords = {}
    with store.write() as db:
        for username, name, role in DEMO_USERS:
            passwords[username] = secrets.token_urlsafe(9)
            users.add_user(db, username, name, role, passwords[username])
    return passwords


def enrol_badges(store: Store) -> dict[str, tuple[str, str]]:
    """A badge for each demo agent (id, random PIN), to insert from the device-control page."""
    enrolled = {}
    with store.write() as db:
        for index, (username, _name, _role) in enumerate(DEMO_USERS, start=1):
            badge_id, pin = f"AGENT-{index:04d}", f"{secrets.randbelow(10**6):06d}"
            badges.enrol(db, username, badge_id, pin)
            enrolled[username] = (badge_id, pin)
    return enrolled


def enrol_devices(store: Store) -> dict[str, str]:
    with store.write() as db:
        return {name: devices.add_device(db, name, kind) for name, kind in DEMO_DEVICES}


def seed_morning(site: Site, rng: random.Random) -> int:
    """About 36 visitors over the last hour: some served, some at counters, most waiting."""
    start = clock.now() - timedelta(minutes=60)
    plan = [service for service, count in WALK_IN_MIX for _ in range(count)]
    rng.shuffle(plan)
    issued = []
    try:
        for index, service in enumerate(plan):
            moment = start + timedelta(minutes=index * 60 / len(plan))
            clock.set_clock(_fixed(moment))
            kind = "pickup" if service == "pickup" else "walk_in"
            issued.append(site.issue_ticket(service=service, kind=kind, lang=rng.choice(["fr", "ar", "en"]),
                                            actor="demo", priority=rng.random() < 0.1).ticket)
        clock.set_clock(None)
        _serve_some(site, issued[: len(issued) // 3])
    finally:
        clock.set_clock(None)
    return len(issued)


def _serve_some(site: Site, served: list[Ticket]) -> None:
    """Walk the first tickets through call → start → finish at counter 1, as a morning's history."""
    with site.store.write() as db:
        for ticket in served:
            for action in (Action.CALL, Action.START, Action.FINISH):
                changes = {"counter": 1} if action is Action.CALL else None
                tickets.apply(db, tickets.get(db, ticket.id), action, actor="demo", changes=changes)


def run_demo(config: SiteConfig, database: str | None, seed: bool = True, config_path: str | None = None,
             central: bool = True) -> int:
    from core import demo_link
    from core.app import create_app
    from core.serve import serve

    path = database or "var/demo.db"
    store = fresh_database(path)
    passwords = create_accounts(store)
    tokens = enrol_devices(store)
    badge_pins = enrol_badges(store)
    count = seed_morning(Site(config, store), random.Random(7)) if seed else 0
    store.close()
    link = demo_link.start(config, config_path, path) if central else None
    host, port = str(config.server["host"]), int(config.server["port"])
    base = f"http://{host}:{port}"
    print(f"Dour demo: {config.site['name']} ({count} tickets seeded)")
    print(f"  kiosk:   {base}/enrol?token={tokens['kiosk-1']}&next=/kiosk")
    print(f"  display: {base}/enrol?token={tokens['display-1']}&next=/display")
    print(f"  counter: {base}/login")
    print(f"  supervision: {base}/supervisor (log in as supervisor)")
    print(f"  payments: {base}/supervisor/payments (supervisor)")
    print(f"  devices: {base}/devices/control (supervisor: scan a QR, today's appointment codes, printer "
          "faults, badges, card terminal, cut the link with the central)")
    if link is not None:
        print(f"  central: {link.central_url} (reference eConsulat, seeded; the sync worker runs beside it)")
    if not config.server.get("public_url"):
        print("  phones: the QR links on tickets point at this machine's loopback address; to follow a "
              "ticket from a phone, run with --host 0.0.0.0 and DOUR_SERVER_PUBLIC_URL=http://<this PC's "
              "LAN address>:<port>")
    for username, password in passwords.items():
        badge_id, pin = badge_pins[username]
        print(f"  login:   {username} / {password}   (badge {badge_id}, PIN {pin})")
    print(flush=True)
    serve(lambda: create_app(config, path), host, port, str(config.server["worker"]),
          int(config.server["threads"]))
    return 0
