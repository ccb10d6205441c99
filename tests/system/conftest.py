"""System-test fixtures: the real server as a subprocess (gunicorn, as `dour serve` runs it) on a temporary
database, with a kiosk, a display and an agent enrolled through the CLI beforehand.

The harness lives in bench/_server.py so the tests and the benchmarks start the server the same way.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

HARNESS_PATH = Path(__file__).resolve().parents[2] / "bench" / "_server.py"


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
