"""A site's own recordings: `<folder>/<lang>/<clip>.wav`, one clip per piece of the sentence (`ticket.wav`,
`letter_a.wav`, `number_42.wav`, `counter.wav`, `number_5.wav`), joined end to end.

All clips of a sentence must share one sample format. A missing clip, or clips that do not match, make the
whole sentence fall back to the fallback voice (never a mix of voices within a sentence), with a warning in
the log that names what is missing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path

from .base import Piece, Voice, VoiceError, joined
from .wav import concatenate

log = logging.getLogger(__name__)
CLIP_NAME = re.compile(r"[a-z0-9_]+")
LANGUAGE = re.compile(r"[a-z]{2,3}")


class ClipVoice(Voice):
    def __init__(self, folder: Path, fallback: Voice | None) -> None:
        self.folder, self.fallback = folder, fallback

    def clip_paths(self, lang: str, pieces: Sequence[Piece]) -> list[Path]:
        """The recordings the sentence needs, in order (pieces of punctuation only need none)."""
        if not LANGUAGE.fullmatch(lang):
            raise VoiceError(f"not a language code: {lang!r}")
        names = [piece.clip for piece in pieces if piece.clip]
        bad = [name for name in names if not CLIP_NAME.fullmatch(name)]
        if bad:
            raise VoiceError(f"not a clip name: {bad[0]!r}")
        return [self.folder / lang / f"{name}.wav" for name in names]

    def missing(self, lang: str, pieces: Sequence[Piece]) -> list[str]:
        return [path.name for path in self.clip_paths(lang, pieces) if not path.is_file()]

    def identity(self, lang: str, pieces: Sequence[Piece]) -> str:
        missing = self.missing(lang, pieces)
        if missing and self.fallback is not None:  # adding the clip later changes the identity
            return f"{self.fallback.identity(lang, pieces)} (clips missing: {' '.join(missing)})"
        stamps = []
        for path in self.clip_paths(lang, pieces):
            try:
                stat = path.stat()
                stamps.append(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}")
            except OSError:
                stamps.append(f"{path.name}:missing")
        return f"clips {self.folder} {lang} {joined(pieces)} [{' '.join(stamps)}]"

    def render(self, lang: str, pieces: Sequence[Piece]) -> bytes:
        where = self.folder / lang
        missing = self.missing(lang, pieces)
        if missing:
            return self._fall_back(lang, pieces, f"{where} lacks {', '.join(missing)}")
        try:
            return concatenate([path.read_bytes() for path in self.clip_paths(lang, pieces)])
        except (OSError, VoiceError) as error:
            return self._fall_back(lang, pieces, f"{where}: {error}")

    def _fall_back(self, lang: str, pieces: Sequence[Piece], why: str) -> bytes:
        if self.fallback is None:
            raise VoiceError(f"recorded voice: {why}")
        log.warning("recorded voice: %s; the sentence %r is said by the fallback voice", why, joined(pieces))
        return self.fallback.render(lang, pieces)
