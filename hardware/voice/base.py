"""The voice interface: what a sentence piece is, what a voice does, and the errors it raises."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Protocol

from hardware.errors import HardwareError

WORDS, LETTER, NUMBER = "words", "letter", "number"


class VoiceError(HardwareError):
    """A voice could not say a sentence."""


class VoiceUnavailable(VoiceError):
    """The speech engine is missing, failed or timed out (e.g. espeak-ng not installed)."""


class Piece(Protocol):
    """One piece of a sentence: `kind` is words, letter or number; `text` is what is said ("guichet", "A",
    "42"); `clip` names the recording that says it (`counter`, `letter_a`, `number_42`), empty when the piece
    needs none (punctuation only)."""

    @property
    def kind(self) -> str: ...

    @property
    def text(self) -> str: ...

    @property
    def clip(self) -> str: ...


def joined(pieces: Sequence[Piece], say: Callable[[Piece], str] = lambda piece: piece.text) -> str:
    """The sentence as one line: the words as the template has them, a space before each letter and number
    ("Ticket A 42, guichet 5"); `say` may mark a piece up (SSML)."""
    out = ""
    for piece in pieces:
        if piece.kind != WORDS and out and not out[-1].isspace():
            out += " "
        out += say(piece)
    return " ".join(out.split())


class Voice(ABC):
    """Turns a sentence in a language into a WAV file's bytes."""

    @abstractmethod
    def identity(self, lang: str, pieces: Sequence[Piece]) -> str:
        """Everything the audio depends on (engine and its version, settings, the sentence, the recordings
        used): the cache key. Two calls with the same identity must give the same sound."""

    @abstractmethod
    def render(self, lang: str, pieces: Sequence[Piece]) -> bytes:
        """The sentence as a WAV (PCM); VoiceError when it cannot be said."""
