"""The Concert serial link layer, both ways: ENQ/ACK, STX message ETX LRC, ACK or NAK, EOT.

The sender opens the line (ENQ, until ACK), sends the frame and resends it on NAK, up to `tries` times,
then releases the line (EOT). The receiver acknowledges the ENQ, checks each frame's LRC (XOR of the
bytes after STX up to and including ETX) and NAKs a bad one, so a line glitch costs a retransmission,
not a payment of unknown outcome. The driver and the simulator share this class.
"""

from __future__ import annotations

import math
import threading
import time
from functools import reduce
from operator import xor
from typing import Protocol

from ..errors import PaymentError, ProtocolError, TerminalNoAnswer

STX, ETX, EOT, ENQ, ACK, NAK = b"\x02", b"\x03", b"\x04", b"\x05", b"\x06", b"\x15"
MAX_FRAME = 256  # Concert V2 frames are 37 bytes at most going out and 83 coming back


class BytePort(Protocol):
    """The two calls the link needs: pyserial's Serial (with a short read timeout) or a pty master."""

    def read(self, size: int = 1) -> bytes:
        """Up to size bytes; b"" when nothing arrived within the port's short poll interval."""
        ...

    def write(self, data: bytes, /) -> int | None: ...


class LinkError(PaymentError):
    """The serial exchange failed."""

    reason = "line_error"


class LineBroken(LinkError):
    """Reading or writing the port failed (unplugged USB, closed pty): reopen it before the next try."""


class NotSent(LinkError):
    """The terminal provably does not have our message: the payment can safely be retried."""


class LineNotReady(NotSent):
    """The terminal did not acknowledge ENQ: no frame was sent."""

    reason = "no_ack_to_enq"


class FrameRejected(NotSent):
    """The terminal answered NAK to every try of our frame, so it discarded it."""

    reason = "frame_rejected"


class FrameNotAcknowledged(LinkError):
    """Our frame went out and neither ACK nor NAK came back: the terminal may have it."""

    reason = "no_ack"


class FrameCorrupt(ProtocolError):
    """Every try of the other side's frame had a bad LRC (or no ETX)."""

    reason = "corrupt_frame"


class LineReleased(LinkError):
    """The other side sent EOT instead of a frame (e.g. a health probe: ENQ, ACK, EOT)."""


def lrc(data: bytes) -> int:
    """XOR of the bytes; over a frame, of everything after STX up to and including ETX."""
    return reduce(xor, data, 0)


def frame(message: bytes) -> bytes:
    body = message + ETX
    return STX + body + bytes([lrc(body)])


class Link:
    """One end of the half-duplex line; ack_timeout bounds each wait for a control byte or a frame."""

    def __init__(self, port: BytePort, *, ack_timeout: float = 2.0, tries: int = 3,
                 stopping: threading.Event | None = None) -> None:
        self.port = port
        self.ack_timeout = ack_timeout
        self.tries = tries
        self.stopping = stopping

    def send(self, message: bytes) -> None:
        """Deliver one message; NotSent subclasses mean the terminal provably does not have it."""
        self._open_line()
        for attempt in range(self.tries):
            self._write(self.frame_bytes(message, attempt))
            reply = self._expect(ACK + NAK, self._deadline())
            if reply != NAK:
                self._write(EOT)
                if reply is None:
                    raise FrameNotAcknowledged("the terminal did not acknowledge our frame")
                return
        self._write(EOT)
        raise FrameRejected(f"the terminal rejected our frame {self.tries} times (NAK)")

    def probe(self) -> bool:
        """ENQ then EOT: True when the other side acknowledges (it is there and idle)."""
        try:
            self._open_line()
        except LineNotReady:
            return False
        self._write(EOT)
        return True

    def receive(self, deadline: float = math.inf) -> bytes:
        """Wait for the other side's ENQ until deadline, then take one frame, NAKing corrupted tries."""
        if self._expect(ENQ, deadline) is None:
            raise TerminalNoAnswer("the terminal did not start its answer in time")
        self._write(ACK)
        for attempt in range(self.tries):
            message = self._read_frame()
            if message is not None and self.accept(message, attempt):
                self._write(ACK)
                self._expect(EOT, self._deadline())
                return message
            self._write(NAK)
        raise FrameCorrupt(f"{self.tries} corrupted frames in a row")

    def frame_bytes(self, message: bytes, attempt: int) -> bytes:
        """The bytes of try number attempt (0-based); a simulator overrides this to corrupt some."""
        return frame(message)

    def accept(self, message: bytes, attempt: int) -> bool:
        """Whether a frame with a good LRC is accepted; a simulator overrides this to NAK some."""
        return True

    def _open_line(self) -> None:
        for _ in range(self.tries):
            try:
                self._write(ENQ)
            except LineBroken as exc:
                raise LineNotReady(str(exc)) from exc
            if self._expect(ACK + NAK, self._deadline()) == ACK:
                return
        raise LineNotReady(f"no ACK to {self.tries} ENQ")

    def _read_frame(self) -> bytes | None:
        """The message of the next frame, None when its LRC is bad or it is cut short."""
        deadline = self._deadline()
        start = self._expect(STX + EOT, deadline)
        if start == EOT:
            raise LineReleased("the line was released before a frame")
        if start is None:
            return None
        body = self._read_until_etx(deadline)
        check = self._read_byte(deadline)
        if body is None or check is None or lrc(body) != check[0]:
            return None
        return body[:-1]

    def _read_until_etx(self, deadline: float) -> bytes | None:
        """The bytes after STX through ETX; a new STX restarts the frame (the sender gave up on a cut one)."""
        body = b""
        while len(body) < MAX_FRAME:
            byte = self._read_byte(deadline)
            if byte is None:
                return None
            body = b"" if byte == STX else body + byte
            if byte == ETX:
                return body
        return None

    def _expect(self, wanted: bytes, deadline: float) -> bytes | None:
        """The first of the wanted control bytes to arrive before deadline; other bytes are skipped."""
        while (byte := self._read_byte(deadline)) is not None:
            if byte in wanted:
                return byte
        return None

    def _read_byte(self, deadline: float) -> bytes | None:
        while time.monotonic() < deadline and not (self.stopping and self.stopping.is_set()):
            try:
                byte = self.port.read(1)
            except OSError as exc:
                raise LineBroken(f"reading the serial line failed: {exc}") from exc
            if byte:
                return byte
        return None

    def _write(self, data: bytes) -> None:
        try:
            self.port.write(data)
        except OSError as exc:
            raise LineBroken(f"writing to the serial line failed: {exc}") from exc

    def _deadline(self) -> float:
        return time.monotonic() + self.ack_timeout
