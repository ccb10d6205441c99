"""Splitting an ESC/POS byte stream into commands: jobs, cuts and real-time status queries.

Knows the lengths of the commands a ticket may contain, so that bytes inside a QR
code or an image are never taken for a DLE EOT status query.
"""

from __future__ import annotations

ESC, GS, DLE, EOT = 0x1B, 0x1D, 0x10, 0x04


def _by_command(codes_by_count: dict[int, bytes]) -> dict[int, int]:
    return {code: count for count, codes in codes_by_count.items() for code in codes}


# Argument counts of fixed-length commands, so that their arguments are never taken for
# DLE EOT. Unlisted ESC/GS commands are taken as having no argument.
_ESC_ARGS = _by_command({0: b"@2<", 1: b" !%-3=?EGJMRTUVadert{", 2: b"$\\c", 3: b"p"})
_GS_ARGS = _by_command({1: b"!/BHITabfhjrw", 2: b"$LPW\\"})


def _u16(head: bytes, at: int) -> int | None:
    return head[at] + 256 * head[at + 1] if len(head) >= at + 2 else None


def _variable_length(head: bytes) -> int | None:
    """Length of a length-prefixed command (GS ( , GS v 0, GS 8 L, ESC *, GS V); None if unknown yet."""
    prefix, cmd = head[0], head[1]
    if prefix == GS and cmd == ord("("):  # GS ( fn pL pH data: QR codes, graphics
        size = _u16(head, 3)
        return None if size is None else 5 + size
    if prefix == GS and cmd == ord("v"):  # GS v 0 m xL xH yL yH data: raster image
        width, height = _u16(head, 4), _u16(head, 6)
        return None if width is None or height is None else 8 + width * height
    if prefix == GS and cmd == ord("8"):  # GS 8 L p1 p2 p3 p4 data: large graphics
        return None if len(head) < 7 else 7 + int.from_bytes(head[3:7], "little")
    if prefix == ESC and cmd == ord("*"):  # ESC * m nL nH data: column image
        columns = _u16(head, 3)
        return None if columns is None else 5 + columns * (1 if head[2] < 32 else 3)
    # What is left is GS V m [n]: a cut, with a feed argument n when m >= 65.
    if len(head) < 3:
        return None
    return 3 if head[2] in (0, 1, 48, 49) else 4


def command_length(head: bytes) -> int | None:
    """Length of the command at the start of head (its first 8 bytes); None until knowable."""
    if head[0] not in (ESC, GS, DLE):
        return 1
    if len(head) < 2:
        return None
    prefix, cmd = head[0], head[1]
    if prefix == DLE:
        return 3 if cmd == EOT else 1
    if (prefix, cmd) in ((GS, ord("(")), (GS, ord("v")), (GS, ord("8")), (ESC, ord("*")), (GS, ord("V"))):
        return _variable_length(head)
    return 2 + (_ESC_ARGS if prefix == ESC else _GS_ARGS).get(cmd, 0)


def code_page_after(job: bytes, code_page: int = 0) -> int:
    """The code page a printer has selected once it has run job, starting on code_page: the last ESC t n,
    or 0 (CP437, the power-on default) after ESC @."""
    start = 0
    while start < len(job):
        length = command_length(job[start : start + 8])
        if length is None or start + length > len(job):
            break
        command, start = job[start : start + length], start + length
        if command[:2] == b"\x1bt" and length == 3:
            code_page = command[2]
        elif command == b"\x1b@":
            code_page = 0
    return code_page


class EscposStream:
    """Splits an ESC/POS byte stream, fed in chunks, into jobs and status queries."""

    def __init__(self) -> None:
        self._pending = b""
        self._job = bytearray()

    def feed(self, data: bytes) -> list[int | bytes]:
        """Status query numbers (int) and jobs (bytes), in stream order. A job ends at a cut, or at a
        status query that follows it (a printer without a cutter; our driver asks for the status after
        each job and never in the middle of one)."""
        buf, start = self._pending + data, 0
        events: list[int | bytes] = []
        while start < len(buf):
            length = command_length(buf[start : start + 8])
            if length is None or start + length > len(buf):
                break
            command, start = buf[start : start + length], start + length
            if command[0] == DLE and length == 3:
                events.extend([self._end_job(), command[2]] if self._job else [command[2]])
                continue
            self._job += command
            if command[:2] == bytes([GS, ord("V")]):
                events.append(self._end_job())
        self._pending = buf[start:]
        return events

    @property
    def in_job(self) -> bool:
        """True while job bytes have come that no cut or status query has ended yet."""
        return bool(self._job)

    def _end_job(self) -> bytes:
        job, self._job = bytes(self._job), bytearray()
        return job

    def finish(self) -> bytes:
        """The job received since the last cut, an incomplete last command included."""
        job, self._job, self._pending = bytes(self._job) + self._pending, bytearray(), b""
        return job
