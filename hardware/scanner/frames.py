"""Cutting a scanner's byte stream into codes: each ends with CR, LF or CRLF (the scanner's suffix)."""

from __future__ import annotations

import re

TERMINATOR = re.compile(rb"[\r\n]")


class FrameSplitter:
    """Feed bytes as they arrive, get complete frames back. A frame longer than `max_length` without a
    terminator is garbage (a scanner in the wrong mode, line noise): it is dropped up to the next terminator
    and counted in `dropped`, and never delivered in pieces."""

    def __init__(self, max_length: int) -> None:
        self.max_length = max_length
        self.dropped = 0
        self._pending = b""
        self._discarding = False

    def feed(self, data: bytes) -> list[bytes]:
        """The frames completed by `data`, without their terminators; empty frames are skipped."""
        *complete, self._pending = TERMINATOR.split(self._pending + data)
        frames = [frame for frame in complete if self._keep(frame)]
        if len(self._pending) > self.max_length:
            self._drop()
            self._pending = b""
        return frames

    def _keep(self, frame: bytes) -> bool:
        """False for the empty frame between CR and LF, and for the tail of an oversize frame."""
        if self._discarding:
            self._discarding = False
            return False
        if len(frame) > self.max_length:
            self.dropped += 1
            return False
        return bool(frame)

    def _drop(self) -> None:
        if not self._discarding:
            self.dropped += 1
        self._discarding = True
