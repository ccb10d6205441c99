"""Caisse-AP / Concert V3 TLV codec: tag (2 ASCII) + length (3 decimal digits) + value, CZ first.

Over TCP nothing delimits a message, so TlvReader accumulates bytes and says when they form whole
elements holding the tags that end a message; the stream reader then waits a short settle time for any
trailing element (tag order is not significant, so a terminal may send AE before AC).
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterable, Mapping

from ..errors import ProtocolError, TerminalNoAnswer

VERSION_TAG = "CZ"
MAX_VALUE = 999
MAX_MESSAGE = 8192  # far more than any Concert message; beyond it the stream is garbage
_TAG = re.compile(rb"[A-Z0-9]{2}")
_LENGTH = re.compile(rb"[0-9]{3}")
_POLL = 0.1  # how often a blocked reader checks its deadline and the stop flag


class TlvError(ProtocolError):
    """Malformed TLV: bad tag, bad length, non-ASCII value, CZ not first, repeated tag or trailing bytes."""


class ConnectionClosed(TerminalNoAnswer):
    """The peer closed the connection before a complete message arrived."""

    reason = "connection_closed"


def encode(fields: Mapping[str, str]) -> bytes:
    """The message bytes, CZ first then the other tags in the mapping's order."""
    if VERSION_TAG not in fields:
        raise ValueError("a Concert V3 message starts with CZ (the protocol version)")
    ordered = [(VERSION_TAG, fields[VERSION_TAG])] + [(t, v) for t, v in fields.items() if t != VERSION_TAG]
    return b"".join(encode_element(tag, value) for tag, value in ordered)


def encode_element(tag: str, value: str) -> bytes:
    data = value.encode("ascii")
    if not _TAG.fullmatch(tag.encode("ascii")):
        raise ValueError(f"TLV tag {tag!r} must be two characters A-Z or 0-9")
    if not 1 <= len(data) <= MAX_VALUE:
        raise ValueError(f"TLV value of {tag} must be 1 to {MAX_VALUE} characters, not {len(data)}")
    return tag.encode("ascii") + b"%03d" % len(data) + data


def parse(data: bytes) -> tuple[dict[str, str], int]:
    """The whole elements at the start of data and how many bytes they use; TlvError when malformed."""
    fields: dict[str, str] = {}
    offset = 0
    while len(data) - offset >= 5:
        tag, length = data[offset:offset + 2], data[offset + 2:offset + 5]
        if not _TAG.fullmatch(tag) or not _LENGTH.fullmatch(length):
            raise TlvError(f"malformed TLV element at byte {offset}")
        end = offset + 5 + int(length)
        if end > len(data):
            break
        _add(fields, tag.decode("ascii"), data[offset + 5:end], offset)
        offset = end
    return fields, offset


def _add(fields: dict[str, str], tag: str, value: bytes, offset: int) -> None:
    if not fields and tag != VERSION_TAG:
        raise TlvError(f"a Concert V3 message must start with CZ, not {tag}")
    if tag in fields:
        raise TlvError(f"tag {tag} appears twice (byte {offset})")
    if not value or not value.isascii():
        raise TlvError(f"the value of {tag} at byte {offset} is empty or not ASCII")
    fields[tag] = value.decode("ascii")


def decode(data: bytes) -> dict[str, str]:
    """The fields of one complete message; TlvError when malformed, truncated or followed by extra bytes."""
    fields, used = parse(data)
    if used != len(data) or not fields:
        raise TlvError(f"incomplete TLV message: {len(data) - used} bytes left over")
    return fields


class TlvReader:
    """Accumulates stream bytes until they form a complete message: whole elements with the ending tags."""

    def __init__(self, ending_tags: Iterable[str]) -> None:
        self.ending_tags = frozenset(ending_tags)
        self.buffer = b""

    def feed(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > MAX_MESSAGE:
            raise TlvError(f"no complete message within {MAX_MESSAGE} bytes")

    @property
    def complete(self) -> bool:
        fields, used = parse(self.buffer)
        return 0 < used == len(self.buffer) and self.ending_tags <= fields.keys()

    def fields(self) -> dict[str, str]:
        return decode(self.buffer)


def read_message(sock: socket.socket, ending_tags: Iterable[str], deadline: float, settle: float,
                 stopping: threading.Event | None = None) -> dict[str, str]:
    """Read one message from the stream: many recv() calls, not one, until complete and quiet for settle s.

    Raises TerminalNoAnswer at the deadline, ConnectionClosed on EOF, TlvError on malformed bytes.
    """
    reader = TlvReader(ending_tags)
    while True:
        complete = reader.complete
        wait = settle if complete else min(_POLL, deadline - time.monotonic())
        if not complete and (wait <= 0 or (stopping is not None and stopping.is_set())):
            raise TerminalNoAnswer(f"no complete answer in time ({len(reader.buffer)} bytes received)")
        chunk = _receive(sock, wait)
        if complete and not chunk:
            return reader.fields()
        if chunk == b"":
            raise ConnectionClosed(f"connection closed after {len(reader.buffer)} bytes of a partial message")
        reader.feed(chunk or b"")


def _receive(sock: socket.socket, wait: float) -> bytes | None:
    """Up to 4 KiB, b"" at end of stream, None when nothing came within wait seconds."""
    sock.settimeout(max(wait, 0.001))
    try:
        return sock.recv(4096)
    except TimeoutError:
        return None
    except OSError:  # reset by the peer: the same as a close for the reader
        return b""
