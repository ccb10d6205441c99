"""The speech cache: one WAV per sentence and voice, `<folder>/<sha256 of the voice's identity>.wav`.

Written atomically (a temporary file in the same folder, then os.replace), so a reader never sees half a
file; a file that cannot be read back as a whole WAV (a power cut before the data reached the disk, a
truncated copy) is made again. Files older than `keep_days` are removed, at most once an hour; `trim` keeps a
cache under a size.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
import time
import wave
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)
KEEP_DAYS = 2.0  # a day's calls and their recalls; tomorrow's first calls say the same sentences again
PRUNE_EVERY_S = 3600.0
LOCK_STRIPES = 64


class SpeechCache:
    def __init__(self, folder: Path, keep_days: float = KEEP_DAYS) -> None:
        self.folder, self.keep_days = folder, keep_days
        self._locks = [threading.Lock() for _ in range(LOCK_STRIPES)]
        self._pruned_at = 0.0

    @staticmethod
    def digest(identity: str) -> str:
        return hashlib.sha256(identity.encode("utf-8")).hexdigest()

    def get(self, identity: str, make: Callable[[], bytes]) -> Path:
        """The cached file for `identity`, made with `make()` if missing or unreadable. Twenty screens asking
        for the same new sentence at once wait for one synthesis."""
        digest = self.digest(identity)
        path = self.folder / f"{digest}.wav"
        with self._locks[int(digest[:8], 16) % LOCK_STRIPES]:
            if readable(path):
                return path
            self._write(path, make())
        self.prune()
        return path

    def _write(self, path: Path, data: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        handle = tempfile.NamedTemporaryFile(dir=self.folder, prefix=".", suffix=".tmp", delete=False)
        try:
            with handle:
                handle.write(data)
            os.replace(handle.name, path)
        except BaseException:
            Path(handle.name).unlink(missing_ok=True)
            raise

    def prune(self, now: float | None = None, force: bool = False) -> int:
        """Remove files older than keep_days (and temporary files left by a crash); the number removed."""
        now = time.time() if now is None else now
        if not force and now - self._pruned_at < PRUNE_EVERY_S:
            return 0
        self._pruned_at = now
        removed = 0
        for path in self.folder.glob("*"):
            try:
                age = now - path.stat().st_mtime
                stale = age > self.keep_days * 86400 if path.suffix == ".wav" else age > PRUNE_EVERY_S
                if stale and path.name.endswith((".wav", ".tmp")):
                    path.unlink()
                    removed += 1
            except OSError:
                continue  # removed by another process meanwhile
        return removed


    def trim(self, max_bytes: int) -> int:
        """Remove the oldest sentences until the folder holds at most `max_bytes` of them; the bytes left.
        For a cache that visitors' screens fill (the kiosks' audio guide), not only the day's calls."""
        files = []
        for path in self.folder.glob("*.wav"):
            try:
                stat = path.stat()
            except OSError:
                continue  # removed by another process meanwhile
            files.append((stat.st_mtime, stat.st_size, path))
        total = sum(size for _mtime, size, _path in files)
        for _mtime, size, path in sorted(files):
            if total <= max_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size
        return total


def readable(path: Path) -> bool:
    """The file is a whole PCM WAV: its header parses and its data is as long as the header says."""
    try:
        with path.open("rb") as handle, wave.open(handle, "rb") as reader:
            size = reader.getnframes() * reader.getnchannels() * reader.getsampwidth()
            return size > 0 and handle.tell() + size <= path.stat().st_size
    except FileNotFoundError:
        return False
    except (OSError, wave.Error, EOFError) as error:
        log.warning("speech cache: %s is unreadable (%s): made again", path.name, error)
        return False
