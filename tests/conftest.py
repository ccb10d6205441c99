"""Shared fixtures: a real configuration, store, site and app on a temporary database; the real server as a
subprocess for system and browser tests.

Only the clock is replaced (through core.clock.set_clock, the seam core provides for it); everything else is
the real code (STYLE.md guideline 8).
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core import config as site_config
from core import devices, journal, users
from core.app import close_devices, create_app
from core.clock import set_clock
from core.site import Site
from core.store import Store
from hardware.payment import CaisseApSimulator

PASSWORD = "correct horse battery"
TEST_ORIGIN = "http://localhost"  # the origin of the Flask test client's requests


class SameOriginClient(FlaskClient):
    """The Flask test client as a browser on the site's own pages: every request says where it comes from
    (`Origin`), as browsers do for a POST. The server refuses state changes from other origins
    (core/web_security.py); a test of that passes its own `Origin` header, or removes this one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.environ_base["HTTP_ORIGIN"] = TEST_ORIGIN


Flask.test_client_class = SameOriginClient


class FakeClock:
    """A controllable clock: `set(moment)` then every reading advances by `step` (keeps arrivals ordered)."""

    def __init__(self) -> None:
        self.moment: datetime | None = None
        self.step = timedelta(0)
        self._lock = threading.Lock()

    def set(self, moment: datetime, step: timedelta = timedelta(milliseconds=1)) -> None:
        with self._lock:
            self.moment, self.step = moment, step
        set_clock(self)

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            assert self.moment is not None
            self.moment += delta

    def __call__(self) -> datetime:
        with self._lock:
            assert self.moment is not None
            moment = self.moment
            self.moment += self.step
            return moment


@pytest.fixture
def clock() -> Iterator[FakeClock]:
    fake = FakeClock()
    try:
        yield fake
    finally:
        set_clock(None)


@pytest.fixture
def config() -> site_config.SiteConfig:
    return site_config.load(env={})


@pytest.fixture
def store(tmp_path: Any) -> Iterator[Store]:
    opened = Store(str(tmp_path / "site.db"))
    yield opened
    opened.close()


@pytest.fixture
def site(config: site_config.SiteConfig, store: Store) -> Site:
    return Site(config, store)


@pytest.fixture
def make_site(tmp_path: Any) -> Iterator[Callable[..., Site]]:
    """A site whose configuration has environment overrides: make_site(DOUR_POLICY_PRIORITY_SHARE="0")."""
    stores: list[Store] = []

    def make(**env: str) -> Site:
        store = Store(str(tmp_path / f"site{len(stores)}.db"))
        stores.append(store)
        return Site(site_config.load(env=env), store)

    yield make
    for opened in stores:
        opened.close()


@pytest.fixture
def add_agent() -> Callable[..., dict[str, Any]]:
    """Create an account on a site's store and return it as the site layer sees users (id, role, ...)."""
    def add(
        site: Site, username: str = "agent1", role: str = "agent", password: str = PASSWORD
    ) -> dict[str, Any]:
        with site.store.write() as db:
            user_id = users.add_user(db, username, username.title(), role, password)
        user = users.get_user(site.store.read(), user_id)
        assert user is not None
        return user
    return add


@pytest.fixture
def enrol() -> Callable[[Site, str, str], str]:
    """Enrol a kiosk or display on a site and return its token."""
    def add(site: Site, kind: str, name: str | None = None) -> str:
        with site.store.write() as db:
            return devices.add_device(db, name or f"{kind}-1", kind)
    return add


@pytest.fixture
def app(config: site_config.SiteConfig, tmp_path: Any) -> Any:
    return create_app(config, str(tmp_path / "t.db"), start_devices=False)


@pytest.fixture
def device_app(tmp_path: Any) -> Iterator[Callable[..., Any]]:
    """An app with its devices started: device_app(DOUR_DEVICES_PRINTER="sim://"); printer and terminal are
    off unless asked for; everything the app opened is closed after the test."""
    apps: list[Any] = []

    def make(**env: str) -> Any:
        config = site_config.load(env={"DOUR_DEVICES_PRINTER": "", "DOUR_DEVICES_PAYMENT": "", **env})
        apps.append(create_app(config, str(tmp_path / f"devices{len(apps)}.db")))
        return apps[-1]

    yield make
    for opened in apps:
        close_devices(opened)


@pytest.fixture
def kiosk_client() -> Callable[..., Any]:
    """A test client of `app` enrolled as the named kiosk."""
    def make(app: Any, name: str = "hall-1") -> Any:
        with app.extensions["dour.site"].store.write() as db:
            token = devices.add_device(db, name, "kiosk")
        client = app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        return client
    return make


@pytest.fixture
def supervisor_client(add_agent: Callable[..., Any], login: Callable[..., Any]) -> Callable[[Any], Any]:
    """A test client of `app` logged in as a new supervisor."""
    def make(app: Any, username: str = "chief") -> Any:
        add_agent(app.extensions["dour.site"], username, role="supervisor")
        client = app.test_client()
        assert login(client, username).status_code == 200
        return client
    return make


@pytest.fixture
def app_site(app: Any) -> Site:
    return app.extensions["dour.site"]


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def kiosk_token(app_site: Site, enrol: Callable[[Site, str, str], str]) -> str:
    return enrol(app_site, "kiosk", "kiosk-1")


@pytest.fixture
def display_token(app_site: Site, enrol: Callable[[Site, str, str], str]) -> str:
    return enrol(app_site, "display", "display-1")


@pytest.fixture
def login() -> Callable[..., Any]:
    def log_in(client: Any, username: str, password: str = PASSWORD) -> Any:
        return client.post("/api/auth/login", json={"username": username, "password": password})
    return log_in


@pytest.fixture
def site_state() -> Callable[[Site], tuple[int, int]]:
    """(number of tickets, last journal seq): what "nothing changed" compares."""
    def state(site: Site) -> tuple[int, int]:
        db = site.store.read()
        return db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0], journal.last_seq(db)
    return state


# --- the real server as a subprocess (system and browser tests) ---------------------------------------------
# The harness lives in bench/_server.py so the tests and the benchmarks start the server the same way.
HARNESS_PATH = Path(__file__).resolve().parents[1] / "bench" / "_server.py"


def _load_harness() -> ModuleType:
    name = "dour_bench_server"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, HARNESS_PATH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


harness = _load_harness()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[harness.Server]:  # type: ignore[name-defined]
    """A running server. `server.kill()` is kill -9; `server.restart()` kills and starts on the same DB."""
    srv = harness.Server(tmp_path).provision()
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def terminal() -> Iterator[CaisseApSimulator]:
    """A Concert V3 card terminal simulator on loopback, for the test to script and to read the ledger of."""
    with CaisseApSimulator(slow_seconds=0.5) as simulator:
        yield simulator


@pytest.fixture
def paying_server(tmp_path: Path, terminal: CaisseApSimulator) -> Iterator[harness.Server]:  # type: ignore[name-defined]
    """A running server whose kiosks pay on `terminal` (provisioned: kiosk1, display1, agent1)."""
    srv = harness.Server(tmp_path, env={"DOUR_DEVICES_PAYMENT": terminal.uri}).provision()
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def dour() -> ModuleType:
    """The harness module: Display, agent_session, kiosk_session, health_seq."""
    return harness


@pytest.fixture
def displays(server: harness.Server) -> Iterator[Callable[..., harness.Display]]:  # type: ignore[name-defined]
    """`displays(last_seq=0)` connects one more display client; all are disconnected at teardown."""
    opened: list[harness.Display] = []  # type: ignore[name-defined]

    def connect(last_seq: int = 0) -> harness.Display:  # type: ignore[name-defined]
        display = harness.Display(server).connect(last_seq)
        opened.append(display)
        return display

    yield connect
    for display in opened:
        display.close()
