"""A site that always starts: whatever the files the server keeps besides its database hold after a power cut
(python-escpos's capabilities pickle in `cache/`, zero bytes, cut short, garbage, or a leftover of an
interrupted write), `dour serve` starts, and the cache is sound again afterwards."""

from __future__ import annotations

import os
import pickle
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.system


def sound(path: Path) -> bool:
    with path.open("rb") as handle:
        data = pickle.load(handle)
    return isinstance(data, dict) and "profiles" in data


def zero_bytes(path: Path, good: bytes) -> None:
    path.write_bytes(b"")


def truncated(path: Path, good: bytes) -> None:
    path.write_bytes(good[: len(good) // 2])  # what a power cut in the middle of escpos's write leaves


def garbage(path: Path, good: bytes) -> None:
    path.write_bytes(b"\x00" * 4096)


def not_capabilities(path: Path, good: bytes) -> None:
    path.write_bytes(pickle.dumps(["a", "pickle", "of", "something", "else"]))


def leftover_of_a_write(path: Path, good: bytes) -> None:
    """An atomic write cut short leaves its temporary file beside a missing pickle."""
    leftover = path.parent / ".capabilities-x1y2z3.tmp"
    leftover.write_bytes(good[:100])
    old = time.time() - 3600
    os.utime(leftover, (old, old))
    path.unlink()


def cache_is_a_file(path: Path, good: bytes) -> None:
    shutil.rmtree(path.parent)
    path.parent.write_bytes(b"")


DAMAGES: list[Callable[[Path, bytes], None]] = [zero_bytes, truncated, garbage, not_capabilities,
                                                 leftover_of_a_write, cache_is_a_file]


def test_the_server_starts_whatever_its_cache_holds(tmp_path: Path, dour: Any) -> None:
    server = dour.Server(tmp_path).provision()
    server.start()
    server.kill()
    cache = tmp_path / "cache"
    pickles = list(cache.glob("*.capabilities.pickle"))
    assert len(pickles) == 1 and sound(pickles[0])  # written by the first start
    target, good = pickles[0], pickles[0].read_bytes()
    for damage in DAMAGES:
        damage(target, good)
        try:
            server.start()
        except RuntimeError as error:  # the server exited: say which damage it did not survive
            pytest.fail(f"the server did not start after {damage.__name__}: {error}")
        health = dour.kiosk_session(server).get(f"{server.url}/api/health", timeout=5)
        assert health.status_code == 200, damage.__name__
        server.kill()
        if cache.is_dir():
            assert sound(target), damage.__name__  # rebuilt, whole
            assert not list(cache.glob(".capabilities-*.tmp")), damage.__name__
        else:  # the cache cannot live there: escpos used a temporary directory of its own
            assert damage is cache_is_a_file
            cache.unlink()
            server.start()  # and the next start puts the cache back
            server.kill()
            assert sound(target)
        assert "Worker failed to boot" not in server.log_tail(400)
