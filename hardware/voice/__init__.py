"""Speech for the waiting-room announcements: a voice (espeak-ng, or a site's recorded clips) turns a sentence
made of pieces (words, letters, numbers) into a WAV, and a file cache keeps what was already said.

    espeak://                                 espeak-ng for every language (the default; `?rate=` words/min)
    clips:///srv/dour/voice?fallback=espeak   <folder>/<lang>/<clip>.wav concatenated; a missing clip: the
                                              whole sentence by the fallback voice (espeak, or none)

Imports no Flask, no `core` and no database: the sentence's wording is the caller's (core/announcements.py).
"""

from . import spawn
from .base import Piece, Voice, VoiceError, VoiceUnavailable, joined
from .cache import SpeechCache
from .clips import ClipVoice
from .espeak import EspeakVoice
from .uri import open_voice
from .wav import AudioFormat, read_wav, wav_bytes

__all__ = [
    "AudioFormat",
    "ClipVoice",
    "EspeakVoice",
    "Piece",
    "SpeechCache",
    "Voice",
    "VoiceError",
    "VoiceUnavailable",
    "joined",
    "open_voice",
    "read_wav",
    "spawn",
    "wav_bytes",
]
