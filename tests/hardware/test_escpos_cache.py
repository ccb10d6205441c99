"""python-escpos's capabilities cache is checked and written by us, atomically, before escpos is imported."""

from __future__ import annotations

import os
import pickle
import time
from pathlib import Path

import pytest
import yaml

from hardware import escpos_cache


def load(path: Path) -> object:
    with path.open("rb") as handle:
        return pickle.load(handle)


def test_the_json_shortcut_gives_what_escpos_itself_parses() -> None:
    source = escpos_cache.capabilities_file()
    with source.open() as handle:
        assert escpos_cache._parse(source) == yaml.safe_load(handle)  # escpos's own way


@pytest.mark.parametrize("content", [b"", b"\x80\x02}q\x00(X", b"not a pickle", pickle.dumps([1, 2])])
def test_an_unreadable_pickle_is_replaced_by_a_whole_one(tmp_path: Path, content: bytes) -> None:
    target = escpos_cache.pickle_path(tmp_path)
    target.write_bytes(content)
    assert escpos_cache.prepare(tmp_path)
    data = load(target)
    assert isinstance(data, dict) and "profiles" in data
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no temporary file left behind


def test_a_sound_current_pickle_is_left_alone(tmp_path: Path) -> None:
    assert escpos_cache.prepare(tmp_path)
    target = escpos_cache.pickle_path(tmp_path)
    written = target.stat().st_mtime_ns
    assert escpos_cache.prepare(tmp_path) and target.stat().st_mtime_ns == written


def test_the_pickle_is_never_older_than_the_capabilities_file(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Else escpos would parse the file again at its import and rewrite the pickle itself, non-atomically."""
    source = tmp_path / "capabilities.json"
    source.write_bytes(escpos_cache.capabilities_file().read_bytes())
    future = time.time() + 86400
    os.utime(source, (future, future))
    monkeypatch.setenv(escpos_cache.FILE_VARIABLE, str(source))
    cache = tmp_path / "cache"
    assert escpos_cache.prepare(cache)
    assert escpos_cache.pickle_path(cache).stat().st_mtime >= future


def test_a_directory_that_cannot_hold_the_cache_leaves_escpos_its_default(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "cache"
    blocked.write_bytes(b"")  # a file where the directory should be
    monkeypatch.setenv(escpos_cache.DIR_VARIABLE, str(blocked))
    assert escpos_cache.use(tmp_path / "unused") is False
    assert escpos_cache.DIR_VARIABLE not in os.environ  # escpos then uses a temporary directory


def test_use_points_escpos_at_the_prepared_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(escpos_cache.DIR_VARIABLE, raising=False)
    escpos_cache.pickle_path(tmp_path).write_bytes(b"")
    assert escpos_cache.use(tmp_path)
    assert os.environ[escpos_cache.DIR_VARIABLE] == str(tmp_path)
    assert isinstance(load(escpos_cache.pickle_path(tmp_path)), dict)


def test_a_stale_temporary_file_is_removed_and_a_fresh_one_kept(tmp_path: Path) -> None:
    stale, fresh = tmp_path / ".capabilities-old.tmp", tmp_path / ".capabilities-new.tmp"
    stale.write_bytes(b"x")
    fresh.write_bytes(b"x")  # another process may be writing it right now
    old = time.time() - 3600
    os.utime(stale, (old, old))
    assert escpos_cache.prepare(tmp_path)
    assert not stale.exists() and fresh.exists()
