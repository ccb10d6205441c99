"""The voices: espeak-ng says a call aloud in each of the seven languages (read back with `wave`: not silent,
a plausible length), recorded clips are joined end to end, and a sentence the clips cannot say is said whole
by espeak-ng, with a warning. The cache writes atomically and makes an unreadable file again."""

from __future__ import annotations

import io
import logging
import math
import os
import struct
import subprocess
import sys
import time
import wave
from dataclasses import dataclass
from pathlib import Path

import pytest

from hardware.voice import (
    ClipVoice,
    EspeakVoice,
    SpeechCache,
    VoiceError,
    VoiceUnavailable,
    joined,
    open_voice,
    read_wav,
    spawn,
)

LANGUAGES = ("ar", "fr", "en", "es", "it", "de", "nl")
# As core/defaults.toml says them: the voice layer takes any wording.
SENTENCES = {
    "ar": ("التذكرة رقم ", "، الشباك رقم "),
    "fr": ("Ticket ", ", guichet "),
    "en": ("Ticket ", ", counter "),
    "es": ("Turno ", ", ventanilla "),
    "it": ("Numero ", ", sportello "),
    "de": ("Nummer ", ", Schalter "),
    "nl": ("Nummer ", ", loket "),
}


@dataclass(frozen=True)
class Piece:
    kind: str
    text: str
    clip: str


def call(lang: str, letter: str = "A", number: int = 42, counter: int = 5) -> tuple[Piece, ...]:
    ticket_words, counter_words = SENTENCES[lang]
    return (Piece("words", ticket_words, "ticket"), Piece("letter", letter, f"letter_{letter.lower()}"),
            Piece("number", str(number), f"number_{number}"), Piece("words", counter_words, "counter"),
            Piece("number", str(counter), f"number_{counter}"))


def loudness(data: bytes) -> tuple[float, float, int]:
    """(duration in seconds, RMS, peak) of a 16-bit PCM WAV, read with the standard library only."""
    with wave.open(io.BytesIO(data), "rb") as reader:
        assert reader.getsampwidth() == 2 and reader.getcomptype() == "NONE"
        frames = reader.readframes(reader.getnframes())
        duration = reader.getnframes() / reader.getframerate()
    samples = struct.unpack(f"<{len(frames) // 2}h", frames)
    rms = math.sqrt(sum(sample * sample for sample in samples) / len(samples))
    return duration, rms, max(abs(sample) for sample in samples)


def tone(path: Path, hertz: float, seconds: float, rate: int = 16000, channels: int = 1) -> bytes:
    """A small WAV clip: a sine tone, so that each clip is recognisable in the joined sentence."""
    count = int(seconds * rate)
    samples = [int(8000 * math.sin(2 * math.pi * hertz * i / rate))
               for i in range(count) for _ in range(channels)]
    frames = struct.pack(f"<{len(samples)}h", *samples)
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(frames)
    return frames


@pytest.fixture(scope="module")
def espeak() -> EspeakVoice:
    return EspeakVoice()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_espeak_says_a_call_aloud_in_each_language(espeak: EspeakVoice, lang: str) -> None:
    duration, rms, peak = loudness(espeak.render(lang, call(lang)))
    assert 1.0 <= duration <= 6.0, duration
    assert rms > 1000 and peak > 8000, (rms, peak)  # speech, not silence or a click
    assert peak < 32767  # not clipped


def test_the_silence_after_the_sentence_is_trimmed(espeak: EspeakVoice) -> None:
    with wave.open(io.BytesIO(espeak.render("fr", call("fr"))), "rb") as reader:
        frames = reader.readframes(reader.getnframes())
        rate = reader.getframerate()
    tail = struct.unpack(f"<{len(frames) // 2}h", frames)[-int(0.1 * rate):]
    assert max(abs(sample) for sample in tail) > 300  # espeak-ng's own 0.35 s of silence is gone


def test_arabic_reads_the_latin_letter_with_the_french_voice(espeak: EspeakVoice) -> None:
    markup = espeak.ssml("ar", call("ar"))
    assert '<voice xml:lang="fr"><say-as interpret-as="characters">A</say-as></voice> 42' in markup
    assert '<voice' not in espeak.ssml("en", call("en"))
    assert '<say-as interpret-as="characters">A</say-as>' in espeak.ssml("en", call("en"))


def test_the_text_is_escaped_for_ssml(espeak: EspeakVoice) -> None:
    pieces = (Piece("words", "Ticket <b> & ", "ticket"), *call("fr")[1:])
    assert "Ticket &lt;b&gt; &amp;" in espeak.ssml("fr", pieces)
    assert loudness(espeak.render("fr", pieces))[1] > 1000


def test_espeak_identity_names_engine_version_and_sentence(espeak: EspeakVoice) -> None:
    identity = espeak.identity("fr", call("fr"))
    assert identity.startswith("espeak-ng 1.") and "guichet" in identity
    assert identity != espeak.identity("fr", call("fr", number=43))
    assert identity != EspeakVoice(rate=140).identity("fr", call("fr"))


def test_a_missing_espeak_is_a_voice_error() -> None:
    with pytest.raises(VoiceUnavailable, match="not installed"):
        EspeakVoice(binary="/nonexistent/espeak-ng").render("fr", call("fr"))


def test_a_hung_program_is_killed_after_its_timeout() -> None:
    began = time.monotonic()
    with pytest.raises(TimeoutError):
        spawn.run(["sleep", "30"], timeout=0.3)
    assert time.monotonic() - began < 5


GEVENT_THREAD_POOL = """
from gevent import monkey
monkey.patch_all()
from collections import namedtuple
from gevent import get_hub
from hardware.voice import EspeakVoice, read_wav

Piece = namedtuple("Piece", "kind text clip")
pieces = [Piece("words", "Ticket ", "ticket"), Piece("letter", "A", "letter_a"), Piece("number", "42", "")]
voice = EspeakVoice()
voice.version()  # in the main greenlet, as the server asks at start
fmt, frames = read_wav(get_hub().threadpool.apply(voice.render, ("fr", pieces)))
print(fmt.seconds(frames))
"""


def test_espeak_runs_in_gevents_thread_pool() -> None:
    """Where the server runs a synthesis under gunicorn's gevent worker (gevent's own subprocess cannot)."""
    done = subprocess.run([sys.executable, "-c", GEVENT_THREAD_POOL], capture_output=True, text=True,
                          timeout=60, cwd=Path(__file__).resolve().parents[2], check=False)
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) > 0.5


def test_joined_text() -> None:
    assert joined(call("fr")) == "Ticket A 42, guichet 5"
    assert joined(call("ar", "B", 117, 12)) == "التذكرة رقم B 117، الشباك رقم 12"


# --- recorded clips -------------------------------------------------------------------------------------
CLIP_TONES = {"ticket": (440, 0.3), "letter_a": (550, 0.1), "number_42": (660, 0.2), "counter": (770, 0.25),
              "number_5": (880, 0.15)}


@pytest.fixture
def clip_set(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    """A French clip set for "Ticket A 42, guichet 5": one tone per clip."""
    frames = {name: tone(tmp_path / "voice" / "fr" / f"{name}.wav", hertz, seconds)
              for name, (hertz, seconds) in CLIP_TONES.items()}
    return tmp_path / "voice", frames


def test_clips_are_joined_in_the_sentence_order(clip_set: tuple[Path, dict[str, bytes]]) -> None:
    folder, frames = clip_set
    fmt, joined_frames = read_wav(ClipVoice(folder, EspeakVoice()).render("fr", call("fr")))
    assert fmt == (1, 2, 16000)
    assert joined_frames == b"".join(frames[name] for name in ("ticket", "letter_a", "number_42", "counter",
                                                                "number_5"))


def test_a_missing_clip_makes_espeak_say_the_whole_sentence(
    clip_set: tuple[Path, dict[str, bytes]], espeak: EspeakVoice, caplog: pytest.LogCaptureFixture,
) -> None:
    folder, _frames = clip_set
    (folder / "fr" / "number_42.wav").unlink()
    with caplog.at_level(logging.WARNING, logger="hardware.voice.clips"):
        data = ClipVoice(folder, espeak).render("fr", call("fr"))
    assert data == espeak.render("fr", call("fr"))  # the whole sentence, never half clips, half espeak
    assert "number_42.wav" in caplog.text and "Ticket A 42, guichet 5" in caplog.text


def test_clips_of_different_formats_are_not_joined(
    clip_set: tuple[Path, dict[str, bytes]], espeak: EspeakVoice, caplog: pytest.LogCaptureFixture,
) -> None:
    folder, _frames = clip_set
    tone(folder / "fr" / "counter.wav", 770, 0.25, rate=44100)
    with caplog.at_level(logging.WARNING, logger="hardware.voice.clips"):
        data = ClipVoice(folder, espeak).render("fr", call("fr"))
    assert data == espeak.render("fr", call("fr"))
    assert "different formats" in caplog.text and "44100 Hz" in caplog.text


def test_without_fallback_a_missing_clip_is_an_error(clip_set: tuple[Path, dict[str, bytes]]) -> None:
    folder, _frames = clip_set
    with pytest.raises(VoiceError, match="letter_b.wav"):
        ClipVoice(folder, None).render("fr", call("fr", letter="B"))


def test_adding_the_missing_clip_changes_the_identity(clip_set: tuple[Path, dict[str, bytes]]) -> None:
    folder, _frames = clip_set
    voice = ClipVoice(folder, EspeakVoice())
    before = voice.identity("fr", call("fr", letter="B"))
    assert before.startswith("espeak-ng") and "letter_b.wav" in before
    tone(folder / "fr" / "letter_b.wav", 500, 0.1)
    after = voice.identity("fr", call("fr", letter="B"))
    assert after.startswith("clips") and after != before
    os.utime(folder / "fr" / "letter_b.wav", ns=(1, 1))  # a clip re-recorded: another identity again
    assert voice.identity("fr", call("fr", letter="B")) != after


# --- URIs -----------------------------------------------------------------------------------------------
def test_voice_uris(tmp_path: Path) -> None:
    assert isinstance(open_voice("espeak://"), EspeakVoice)
    assert open_voice("espeak://?rate=150").rate == 150  # type: ignore[attr-defined]
    clips = open_voice(f"clips://{tmp_path}")
    assert isinstance(clips, ClipVoice) and isinstance(clips.fallback, EspeakVoice)
    assert ClipVoice is type(open_voice(f"clips://{tmp_path}?fallback=none"))
    assert open_voice(f"clips://{tmp_path}?fallback=none").fallback is None  # type: ignore[attr-defined]


@pytest.mark.parametrize("uri", ["", "espeak", "gtts://", "espeak://?speed=3", "espeak://?rate=fast",
                                 "espeak://?rate=5000", "espeak://host", "clips://relative/path",
                                 "clips:///nonexistent/folder", "clips:///tmp?fallback=google",
                                 "espeak://?rate=150&rate=160"])
def test_bad_voice_uris_are_refused_with_a_reason(uri: str) -> None:
    with pytest.raises(ValueError, match="voice URI|rate"):
        open_voice(uri)


# --- the cache ------------------------------------------------------------------------------------------
def test_the_cache_makes_each_sentence_once(tmp_path: Path, espeak: EspeakVoice) -> None:
    cache = SpeechCache(tmp_path / "cache" / "speech")
    made: list[str] = []

    def make() -> bytes:
        made.append("fr")
        return espeak.render("fr", call("fr"))

    identity = espeak.identity("fr", call("fr"))
    first = cache.get(identity, make)
    assert cache.get(identity, make) == first and made == ["fr"]
    assert first.name == f"{SpeechCache.digest(identity)}.wav" and len(first.stem) == 64
    assert [path.name for path in first.parent.iterdir()] == [first.name]  # no temporary file left


@pytest.mark.parametrize("damage", ["truncated", "empty", "garbage"])
def test_an_unreadable_cache_file_is_made_again(tmp_path: Path, espeak: EspeakVoice, damage: str) -> None:
    cache = SpeechCache(tmp_path)
    data = espeak.render("fr", call("fr"))
    path = cache.get("x", lambda: data)
    damaged = {"truncated": data[:len(data) // 2], "empty": b"", "garbage": b"RIFF" + b"\0" * 60}
    path.write_bytes(damaged[damage])
    assert cache.get("x", lambda: data).read_bytes() == data


def test_a_failed_synthesis_leaves_nothing_in_the_cache(tmp_path: Path) -> None:
    cache = SpeechCache(tmp_path)

    def fail() -> bytes:
        raise VoiceUnavailable("espeak-ng failed")

    with pytest.raises(VoiceUnavailable):
        cache.get("x", fail)
    assert list(tmp_path.iterdir()) == []


def test_old_cache_files_are_pruned(tmp_path: Path) -> None:
    tone(tmp_path / "clip.wav", 440, 0.1)
    data = (tmp_path / "clip.wav").read_bytes()
    cache = SpeechCache(tmp_path / "cache", keep_days=2)
    old, new = cache.get("old", lambda: data), cache.get("new", lambda: data)
    three_days_ago = old.stat().st_mtime - 3 * 86400
    os.utime(old, (three_days_ago, three_days_ago))
    assert cache.prune(force=True) == 1
    assert not old.exists() and new.exists()
