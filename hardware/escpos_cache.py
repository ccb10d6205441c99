"""python-escpos's capabilities cache, made sound before escpos is imported.

At import, escpos loads `<dir>/<python version>.capabilities.pickle` when it is at least as new as its
capabilities file; otherwise it parses that file (about 0.3 s) and writes the pickle in place, non-atomically.
A power cut during that write leaves a zero-byte or truncated pickle, and from then on every import of escpos
fails: the server's worker never boots. So, before escpos is imported, `prepare()`:

- loads the pickle; an unreadable one (empty, truncated, not a pickle, not capabilities) is deleted;
- builds a missing or stale one here and writes it atomically (a temporary file in the same directory, flushed
  to disk, then `os.replace`), so escpos finds a current pickle and only ever reads it;
- when the directory cannot hold a sound pickle (read-only, full), leaves escpos its default: a fresh
  temporary directory of its own, which costs the 0.3 s at each start but always starts.

This module imports neither escpos nor anything of Dour's.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import platform
import tempfile
import time
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

log = logging.getLogger(__name__)

DIR_VARIABLE = "ESCPOS_CAPABILITIES_PICKLE_DIR"  # where escpos looks for its pickle (read at its import)
FILE_VARIABLE = "ESCPOS_CAPABILITIES_FILE"  # escpos's capabilities file, when not its bundled one
TEMP_PREFIX = ".capabilities-"
STALE_TEMP_SECONDS = 600.0  # a temporary file this old was left by a build that died


def pickle_path(directory: Path) -> Path:
    """The file escpos reads in `directory` (escpos/capabilities.py names it after the Python version)."""
    return directory / f"{platform.python_version()}.capabilities.pickle"


def capabilities_file() -> Path:
    override = os.environ.get(FILE_VARIABLE)
    return Path(override) if override else Path(str(resources.files("escpos") / "capabilities.json"))


def use(directory: Path) -> bool:
    """Point escpos at `directory` (or at $ESCPOS_CAPABILITIES_PICKLE_DIR when set) once it holds a sound,
    current pickle; else unset the variable so that escpos uses a temporary directory. True when cached."""
    chosen = Path(os.environ.get(DIR_VARIABLE) or directory)
    if prepare(chosen):
        os.environ[DIR_VARIABLE] = str(chosen)
        return True
    log.warning("escpos capabilities cache unusable in %s: escpos rebuilds it at each start", chosen)
    os.environ.pop(DIR_VARIABLE, None)
    return False


def prepare(directory: Path) -> bool:
    """Make `directory` hold a readable pickle at least as new as the capabilities file; False if it can't."""
    target = pickle_path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        _drop_stale_temporaries(directory)
        source = capabilities_file()
        newest = source.stat().st_mtime
        if _sound(target) and target.stat().st_mtime >= newest:
            return True
        target.unlink(missing_ok=True)
        _write_atomically(target, _parse(source), max(newest, time.time()))
    except (OSError, ValueError, yaml.YAMLError, pickle.PicklingError) as error:
        log.warning("escpos capabilities cache %s not rebuilt: %s", target, error)
        try:
            target.unlink(missing_ok=True)  # whatever is there must not be read by escpos
        except OSError:
            pass
        return False
    return _sound(target)


def _sound(path: Path) -> bool:
    """Whether escpos can load the pickle: any error at all (empty, truncated, garbage) means no."""
    try:
        with path.open("rb") as handle:
            data = pickle.load(handle)
    except FileNotFoundError:
        return False
    except Exception as error:  # noqa: BLE001 - an unpickler raises many kinds of errors on bad bytes
        log.warning("escpos capabilities cache %s is unreadable (%s): rebuilt", path, type(error).__name__)
        return False
    return isinstance(data, dict) and "profiles" in data and "encodings" in data


def _parse(source: Path) -> Any:
    """The capabilities database. escpos parses it with PyYAML's pure-Python loader; the bundled file is
    JSON, which gives the same data 200 times faster (tested); an operator's YAML file still works."""
    text = source.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except ValueError:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - safe loaders
    if not isinstance(data, dict) or "profiles" not in data or "encodings" not in data:
        raise ValueError(f"{source} holds no printer capabilities")
    return data


def _write_atomically(target: Path, data: Any, mtime: float) -> None:
    """Write the pickle beside its final name, flush it to disk, then rename it over: a reader sees the old
    file or the whole new one, never a part (protocol 2, as escpos writes it). Its time is never older than
    the capabilities file's (a clock set back, a file dated in the future), or escpos would rewrite it."""
    descriptor, temporary = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            pickle.dump(data, handle, protocol=2)
            handle.flush()
            os.fsync(handle.fileno())
        os.utime(temporary, (mtime, mtime))
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _sync_directory(target.parent)


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); harmless where directories cannot be opened."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _drop_stale_temporaries(directory: Path) -> None:
    """Temporary files of a build that died (a power cut mid-write); a fresh one may be another process's."""
    limit = time.time() - STALE_TEMP_SECONDS
    for leftover in directory.glob(f"{TEMP_PREFIX}*.tmp"):
        try:
            if leftover.stat().st_mtime < limit:
                leftover.unlink()
        except OSError:
            pass
