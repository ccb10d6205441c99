"""The sync tests' harness: the reference central and the sync worker as real processes, from
bench/bench_sync.py (the benchmarks start them the same way), loaded by path like tests/conftest.py's."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def _harness() -> None:
    path = Path(__file__).resolve().parents[2] / "bench" / "bench_sync.py"
    spec = importlib.util.spec_from_file_location("dour_bench_sync", path)
    assert spec and spec.loader
    module = sys.modules.setdefault("dour_bench_sync", importlib.util.module_from_spec(spec))
    if not hasattr(module, "Central"):
        spec.loader.exec_module(module)


_harness()


@pytest.fixture
def central(tmp_path: Path) -> Iterator[Any]:
    """A running reference central with its own database; stopped after the test."""
    running = sys.modules["dour_bench_sync"].Central(tmp_path / "central")
    try:
        yield running.ready()
    finally:
        running.stop()
