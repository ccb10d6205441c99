"""Opening a voice from its configuration URI (`devices.voice`, `devices.displays."<name>".voice`).

    espeak://                                  espeak-ng; `?rate=150` sets the words per minute
    clips:///srv/dour/voice                    recorded clips, espeak-ng for a sentence they cannot say
    clips:///srv/dour/voice?fallback=none      recorded clips only: such a sentence is not said

A malformed URI, an unknown option or a clip folder that does not exist is a ValueError that says what is
expected: a typo in the configuration is found at start, not at the first call.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from .base import Voice
from .clips import ClipVoice
from .espeak import EspeakVoice

SUPPORTED = "espeak://, espeak://?rate=150, clips:///path/to/folder?fallback=espeak|none"
OPTIONS = {"espeak": {"rate"}, "clips": {"fallback", "rate"}}


def open_voice(uri: str) -> Voice:
    parts = urlsplit(uri)
    if parts.scheme not in OPTIONS or not uri.startswith(f"{parts.scheme}://") or parts.netloc:
        raise ValueError(f"unsupported voice URI {uri!r}: expected one of {SUPPORTED}")
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    options = dict(pairs)
    unknown = sorted(set(options) - OPTIONS[parts.scheme])
    if unknown or len(options) != len(pairs):
        raise ValueError(f"voice URI {uri!r} has an unknown or repeated option {unknown or ''}: expected at "
                         f"most one each of {', '.join(sorted(OPTIONS[parts.scheme]))}")
    espeak = EspeakVoice(_rate(uri, options.get("rate")))
    if parts.scheme == "espeak":
        if parts.path not in ("", "/"):
            raise ValueError(f"voice URI {uri!r}: espeak:// takes no path")
        return espeak
    return ClipVoice(_folder(uri, parts.path), _fallback(uri, options.get("fallback", "espeak"), espeak))


def _rate(uri: str, raw: str | None) -> int | None:
    if raw is None:
        return None
    if not raw.isdigit():
        raise ValueError(f"voice URI {uri!r}: rate must be a number of words a minute, not {raw!r}")
    return int(raw)


def _folder(uri: str, path: str) -> Path:
    folder = Path(path)
    if not folder.is_absolute() or not folder.is_dir():
        raise ValueError(f"voice URI {uri!r}: {path!r} is not an existing folder (clips:///absolute/path)")
    return folder


def _fallback(uri: str, name: str, espeak: Voice) -> Voice | None:
    if name not in ("espeak", "none"):
        raise ValueError(f"voice URI {uri!r}: fallback must be espeak or none, not {name!r}")
    return espeak if name == "espeak" else None
