"""What a kiosk's audio guide may have said, and what saying it may cost (docs/accessibility.md).

The kiosk speaks its own screens: their sentences come from the catalogs, the site's configuration
(service, fee, site and language names) and the server's answers (ticket numbers, counts, minutes). So a
sentence is said only if every word of it is one of the site's own words in that language (or a number, or
a single character), in a language the site offers, within a few hundred characters: a kiosk, or whoever
holds its token, cannot make the server read out arbitrary text. What is said is cached by its content (the
voice's identity), in a folder of bounded size, and each kiosk may make only so many new sentences a minute:
cached ones are free.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core import announcements
from core.config import SiteConfig
from core.errors import N_, DourError, InvalidInput
from hardware.voice import ClipVoice, EspeakVoice, SpeechCache, Voice, open_voice

MAX_ITEMS = 16  # sentences in one utterance (a ticket screen with its receipt says about twelve)
MAX_ITEM_CHARS = 400  # the longest kiosk sentence is under 300 characters in every language
MAX_TOTAL_CHARS = 1600
MAX_CACHE_BYTES = 100 * 1024 * 1024  # ~40 minutes of speech at 22,050 Hz
BURST, PER_SECOND = 60, 2.0  # new sentences a kiosk may have made at once, and then each second
MAX_NUMBER_DIGITS = 9
WORD = re.compile(r"\w+")
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|\{[a-z_]+\}")


class TooMuchSpeech(DourError):
    status = 429
    code = "too_much_speech"


class SpeechUnavailable(DourError):
    status = 503
    code = "speech_unavailable"


def words_of(texts: Iterable[str]) -> frozenset[str]:
    """The words of `texts`, case-folded, without their placeholders (`%(num)s`, `{code}`)."""
    return frozenset(word for text in texts for word in WORD.findall(PLACEHOLDER.sub(" ", text).casefold()))


def unknown_words(text: str, known: frozenset[str]) -> list[str]:
    """The words of `text` that are neither the site's, nor a number, nor a single character."""
    return [word for word in WORD.findall(text.casefold())
            if word not in known and len(word) > 1
            and not (word.isdigit() and len(word) <= MAX_NUMBER_DIGITS)]


def configured_names(config: SiteConfig) -> list[str]:
    """The names a kiosk shows that come from the site's configuration, in every language."""
    names = [str(config.site["name"]), str(config.site.get("currency", ""))]
    names += [str(name) for name in (config.site.get("names") or {}).values()]
    for service in config.services.values():
        names += service.names.values()
        names += [name for item in service.fees for name in item.names.values()]
    return names


@dataclass(frozen=True)
class Said:
    """One sentence to say: its words (with `{code}` where `code` is said), in `lang`."""

    text: str
    lang: str
    code: str | None = None


def parse_items(data: Mapping[str, Any], offered: list[str]) -> list[Said]:
    """The request's sentences, bounded in number and length, each in one of the site's languages."""
    default = data.get("lang")
    items = data.get("say")
    if not isinstance(items, list) or not 0 < len(items) <= MAX_ITEMS:
        raise InvalidInput(N_("The field %(name)s is missing or has the wrong type."), name="say")
    said = [_item(item, default) for item in items]
    if sum(len(item.text) for item in said) > MAX_TOTAL_CHARS:
        raise InvalidInput(N_("The field %(name)s is missing or has the wrong type."), name="say")
    if any(item.lang not in offered for item in said):
        raise InvalidInput(N_("This kiosk does not speak that language."))
    return said


def _item(item: Any, default: Any) -> Said:
    item = item if isinstance(item, dict) else {}
    text, code, lang = item.get("text"), item.get("code"), item.get("lang", default)
    if not (isinstance(text, str) and 0 < len(text) <= MAX_ITEM_CHARS and text.strip()
            and isinstance(lang, str) and (code is None or isinstance(code, str))):
        raise InvalidInput(N_("The field %(name)s is missing or has the wrong type."), name="say")
    return Said(text, lang, code)


@dataclass
class SpeechBudget:
    """Each kiosk may make BURST new sentences at once, then PER_SECOND (a token bucket, in memory: one
    server process each; a restart refills it)."""

    burst: float = BURST
    per_second: float = PER_SECOND
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def spend(self, kiosk: str) -> None:
        """One new sentence for `kiosk`, or TooMuchSpeech when its budget is spent."""
        with self._lock:
            now = self.clock()
            tokens, since = self._buckets.get(kiosk, (self.burst, now))
            tokens = min(self.burst, tokens + (now - since) * self.per_second)
            if tokens < 1:
                raise TooMuchSpeech(N_("The kiosk is speaking too much: wait a moment, then press a key "
                                       "again."))
            self._buckets[kiosk] = (tokens - 1, now)


def kiosk_voice(uri: str) -> Voice:
    """espeak-ng, as `devices.voice` sets it (its rate); a site's recordings say calls only, so a kiosk with
    `clips://` speaks with their espeak-ng fallback, or the default espeak-ng."""
    voice = open_voice(uri)
    if isinstance(voice, ClipVoice):
        voice = voice.fallback or EspeakVoice()
    return voice if isinstance(voice, EspeakVoice) else EspeakVoice()


class KioskSpeech:
    """The kiosks' voice, the cache of what they said, the site's words and each kiosk's budget."""

    def __init__(self, voice: Voice, folder: Path, words: Callable[[str], frozenset[str]],
                 budget: SpeechBudget | None = None, max_bytes: int = MAX_CACHE_BYTES) -> None:
        self.voice, self.cache, self.max_bytes = voice, SpeechCache(folder), max_bytes
        self.budget = budget or SpeechBudget()
        self.words = words
        self._known: dict[str, frozenset[str]] = {}
        self._bytes: int | None = None  # the cache folder's size, once counted

    def known(self, lang: str) -> frozenset[str]:
        if lang not in self._known:
            self._known[lang] = self.words(lang)
        return self._known[lang]

    def sayable(self, item: Said) -> bool:
        text = item.text.replace(announcements.CODE_PLACEHOLDER, " ")
        return not unknown_words(text, self.known(item.lang))

    def clip(self, item: Said, kiosk: str, render: Callable[..., bytes]) -> Path:
        """The WAV of `item`, from the cache or made now by `render(voice.render, lang, parts)` (which may
        run it off the server's loop), at the cost of one of `kiosk`'s new sentences."""
        parts = announcements.spoken(item.text, item.lang, item.code).parts
        made = []

        def make() -> bytes:
            self.budget.spend(kiosk)
            made.append(True)
            return render(self.voice.render, item.lang, parts)

        path = self.cache.get(self.voice.identity(item.lang, parts), make)
        if made:
            self._keep_size(path)
        return path

    def _keep_size(self, made: Path) -> None:
        """The folder's size is counted once, then kept up to date; past the bound, the oldest sentences go
        until it is 10 % under it (a scan of the folder every ~90 new sentences, not after each)."""
        if self._bytes is None:
            self._bytes = self.cache.trim(self.max_bytes)
            return
        self._bytes += made.stat().st_size
        if self._bytes > self.max_bytes:
            self._bytes = self.cache.trim(self.max_bytes * 9 // 10)
