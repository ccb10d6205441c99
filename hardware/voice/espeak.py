"""espeak-ng (Debian package `espeak-ng`), offline, in all seven languages: numbers in each language's grammar
(de "zweiundvierzig", nl compound numbers), letters read as letters through SSML `say-as`.

In Arabic the Latin letter of a ticket is read by the French voice inside the Arabic sentence (Moroccans say
ticket letters the French way); "رقم" ("number") before each number in the Arabic template avoids the gender
agreement of the number with its noun.

espeak-ng runs as a child process (15-25 ms a sentence) started by `spawn.run`, which also works in gevent's
thread pool, where the server runs each synthesis (display/routes.py) so that it holds no other request.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from xml.sax.saxutils import escape

from . import spawn
from .base import LETTER, Piece, Voice, VoiceError, VoiceUnavailable, joined
from .wav import read_wav, trim_silence, wav_bytes

BINARY = "espeak-ng"
LETTER_VOICES = {"ar": "fr"}  # language → the voice that reads a ticket's Latin letter within it
LANGUAGE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{1,8})?")
TIMEOUT_S = 10.0
MIN_RATE, MAX_RATE = 80, 450  # espeak-ng's words per minute


class EspeakVoice(Voice):
    def __init__(self, rate: int | None = None, binary: str = BINARY, timeout: float = TIMEOUT_S) -> None:
        if rate is not None and not MIN_RATE <= rate <= MAX_RATE:
            raise ValueError(f"espeak rate must be {MIN_RATE} to {MAX_RATE} words a minute, not {rate}")
        self.rate, self.binary, self.timeout = rate, binary, timeout

    def version(self) -> str:
        """espeak-ng's version ("1.51"): an upgrade changes the sound, so it is part of the identity. Asked
        once per program (the server asks at start); VoiceUnavailable when espeak-ng cannot run."""
        return _version(self.binary, self.timeout)

    def ssml(self, lang: str, pieces: Sequence[Piece]) -> str:
        def say(piece: Piece) -> str:
            text = escape(piece.text)
            if piece.kind != LETTER:
                return text
            letter = f'<say-as interpret-as="characters">{text}</say-as>'
            other = LETTER_VOICES.get(lang)
            return f'<voice xml:lang="{other}">{letter}</voice>' if other else letter

        return f"<speak>{joined(pieces, say)}</speak>"

    def identity(self, lang: str, pieces: Sequence[Piece]) -> str:
        return f"espeak-ng {self.version()} rate={self.rate or ''} voice={lang} {self.ssml(lang, pieces)}"

    def render(self, lang: str, pieces: Sequence[Piece]) -> bytes:
        if not LANGUAGE.fullmatch(lang):
            raise VoiceError(f"not a language code: {lang!r}")
        command = [self.binary, "-v", lang, "-m", "--stdout"]
        if self.rate:
            command += ["-s", str(self.rate)]
        fmt, frames = read_wav(self._run([*command, self.ssml(lang, pieces)]))
        if not frames:
            raise VoiceUnavailable(f"espeak-ng said nothing in {lang!r}")
        return wav_bytes(fmt, trim_silence(fmt, frames))

    def _run(self, command: list[str]) -> bytes:
        return _run(command, self.timeout)


def _run(command: list[str], timeout: float) -> bytes:
    try:
        done = spawn.run(command, timeout)
    except FileNotFoundError as error:
        raise VoiceUnavailable(f"{command[0]} is not installed (Debian package espeak-ng)") from error
    except TimeoutError as error:
        raise VoiceUnavailable(f"{command[0]} took more than {timeout} s") from error
    if done.status not in (0, None):
        stderr = done.stderr.decode(errors="replace").strip()[:200]
        raise VoiceUnavailable(f"{command[0]} failed ({done.status}): {stderr}")
    return done.stdout


@cache
def _version(binary: str, timeout: float) -> str:
    output = _run([binary, "--version"], timeout).decode(errors="replace")
    found = re.search(r"(\d+\.\d+[\w.-]*)", output)
    return found.group(1) if found else output.strip()[:40]
