"""WAV in memory, with the standard library's `wave` module only: read (also espeak-ng's streamed header,
which announces a length it does not have), write, trim the silence around speech, join same-format clips."""

from __future__ import annotations

import io
import sys
import wave
from array import array
from typing import NamedTuple

from .base import VoiceError

SILENCE_LEVEL = 300  # of 32767: below this a 16-bit sample is silence (espeak-ng's noise floor is ~0)
KEEP_SILENCE_S = 0.03  # kept before and after the speech, so that it neither starts nor stops on a click
MAX_FRAMES = 2**31 - 1


class AudioFormat(NamedTuple):
    channels: int
    sample_width: int  # bytes per sample
    rate: int  # frames per second

    def seconds(self, frames: bytes) -> float:
        return len(frames) / (self.channels * self.sample_width * self.rate)


def read_wav(data: bytes) -> tuple[AudioFormat, bytes]:
    """The format and PCM frames of a WAV; VoiceError when it is not an uncompressed PCM WAV."""
    try:
        with wave.open(io.BytesIO(data), "rb") as reader:
            fmt = AudioFormat(reader.getnchannels(), reader.getsampwidth(), reader.getframerate())
            frames = reader.readframes(MAX_FRAMES)  # a streamed header's length is a placeholder
    except (wave.Error, EOFError) as error:
        raise VoiceError(f"not a PCM WAV: {error}") from error
    width = fmt.channels * fmt.sample_width
    return fmt, frames[: len(frames) - len(frames) % width]


def wav_bytes(fmt: AudioFormat, frames: bytes) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(fmt.channels)
        writer.setsampwidth(fmt.sample_width)
        writer.setframerate(fmt.rate)
        writer.writeframes(frames)
    return out.getvalue()


def trim_silence(fmt: AudioFormat, frames: bytes) -> bytes:
    """16-bit audio without the silence before and after the speech (espeak-ng ends each sentence with about
    0.35 s of it), keeping KEEP_SILENCE_S on each side. Other formats are returned as they are."""
    if fmt.sample_width != 2:
        return frames
    samples = array("h", frames)
    if sys.byteorder == "big":
        samples.byteswap()  # WAV is little-endian
    edges = _edges(samples)
    if not edges:
        return frames
    keep = int(KEEP_SILENCE_S * fmt.rate) * fmt.channels
    start = max(0, edges[0] - keep) // fmt.channels * fmt.channels
    end = min(len(samples), edges[1] + 1 + keep)
    end = min(len(samples), end + (-end) % fmt.channels)
    width = fmt.sample_width
    return frames[start * width:end * width]


def _edges(samples: array) -> tuple[int, ...]:
    """Index of the first and of the last loud sample; () for silence only."""
    first = next((i for i, value in enumerate(samples) if abs(value) > SILENCE_LEVEL), None)
    if first is None:
        return ()
    last = next(i for i in range(len(samples) - 1, first - 1, -1) if abs(samples[i]) > SILENCE_LEVEL)
    return first, last


def concatenate(clips: list[bytes]) -> bytes:
    """One WAV of `clips` one after the other; VoiceError unless they all share one sample format (channels,
    sample width, rate): joining a 16 kHz clip to a 44.1 kHz one would play it at the wrong speed."""
    if not clips:
        raise VoiceError("no clips to join")
    decoded = [read_wav(clip) for clip in clips]
    formats = {fmt for fmt, _frames in decoded}
    if len(formats) != 1:
        described = ", ".join(f"{f.channels} ch {8 * f.sample_width} bit {f.rate} Hz"
                              for f in sorted(formats))
        raise VoiceError(f"clips in different formats ({described}): record them all in one format")
    return wav_bytes(decoded[0][0], b"".join(frames for _fmt, frames in decoded))
