"""ConcertV2Simulator: a Concert V2 terminal at the end of a pty, speaking the real serial link.

The driver opens the slave path (/dev/pts/N) with pyserial, as it would /dev/ttyACM0. The simulator
runs the same Link class from the other end, with two fault hooks: corrupt the LRC of its first answer
frames, and NAK our first request frames, so retransmission is exercised in both directions.
"""

from __future__ import annotations

import math
import os
import select
import threading
import tty
from collections.abc import Callable
from dataclasses import asdict
from typing import Any, Self

from ..errors import PaymentError
from ..money import CURRENCY_ALPHA
from ..simulation import Operation, Outcome, TerminalSimulator, Transaction, Verdict
from . import frames
from .frames import V2Answer, V2Request
from .link import Link

KINDS = {frames.DEBIT: Operation.DEBIT, frames.CREDIT: Operation.REFUND, frames.CANCEL: Operation.VOID}
STATUSES = {Verdict.APPROVED: frames.APPROVED, Verdict.REFUSED: frames.REFUSED,
            Verdict.FORBIDDEN: frames.REFUSED, Verdict.ABANDONED: frames.NOT_DONE,
            Verdict.TIMED_OUT: frames.NOT_DONE}
GARBAGE = b"01?0000X"  # a frame with a correct LRC whose content is no V2 answer
POLL = 0.05


class PtyMaster:
    """The simulator's end of the pty as a BytePort."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def read(self, size: int = 1) -> bytes:
        ready, _, _ = select.select([self.fd], [], [], POLL)
        return os.read(self.fd, size) if ready else b""

    def write(self, data: bytes, /) -> int:
        return os.write(self.fd, data)


class FaultyLink(Link):
    """The simulator's link: corrupts the LRC of the first `corrupt` answer frames, and NAKs the first frames
    of a request as its scripted outcome says. The outcome is taken from the script when the request's first
    good frame arrives (so a script set just before pay() counts) and belongs to that request only, whatever
    happens next: a client that gives up after a NAK, or goes silent, does not leave it for the next one."""

    corrupt = 0

    def __init__(self, port: PtyMaster, take: Callable[[], Outcome], **options: Any) -> None:
        super().__init__(port, **options)
        self.take = take
        self.outcome: Outcome | None = None  # the outcome of the request being received, once a frame came

    def receive(self, deadline: float = math.inf) -> bytes:
        self.outcome = None
        return super().receive(deadline)

    def frame_bytes(self, message: bytes, attempt: int) -> bytes:
        good = super().frame_bytes(message, attempt)
        return good[:-1] + bytes([good[-1] ^ 0x01]) if attempt < self.corrupt else good

    def accept(self, message: bytes, attempt: int) -> bool:
        if self.outcome is None:
            self.outcome = self.take()
        rejections = {Outcome.NAK_REQUEST: 1, Outcome.NAK_REQUEST_ALWAYS: self.tries}.get(self.outcome, 0)
        return attempt >= rejections


class ConcertV2Simulator(TerminalSimulator):
    """A Concert V2 terminal on a pty; set full_answers to send the 83-byte answer with card_number in REP."""

    def __init__(self, slow_seconds: float = 1.0, link_timeout: float = 0.5, tries: int = 3) -> None:
        super().__init__(frozenset(Outcome), slow_seconds)
        self.link_timeout, self.tries = link_timeout, tries
        self.full_answers = False
        self.path = ""
        self._fds: tuple[int, int] | None = None
        self._thread: threading.Thread | None = None
        self._link: FaultyLink | None = None

    @property
    def uri(self) -> str:
        return f"concert2+serial://{self.path}?pos=01"

    def start(self) -> Self:
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo or line editing before the driver's pyserial configures the line
        self._fds, self.path = (master, slave), os.ttyname(slave)
        self._stopping.clear()
        self._link = FaultyLink(PtyMaster(master), self.terminal.next_outcome, ack_timeout=self.link_timeout,
                                tries=self.tries, stopping=self._stopping)
        self._thread = threading.Thread(target=self._serve, args=(self._link,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is None or self._fds is None:
            return
        self._stopping.set()
        self._thread.join()
        for fd in self._fds:
            os.close(fd)
        self._thread = self._fds = self._link = None

    def _serve(self, link: FaultyLink) -> None:
        while not self._stopping.is_set():
            try:
                message = link.receive()
            except PaymentError:  # a health probe (ENQ, EOT), frames NAKed away, a client gone, or stopping
                continue
            if link.outcome is not None:  # always: a frame was accepted, so its outcome was taken
                self._handle(link, message, link.outcome)

    def _handle(self, link: FaultyLink, message: bytes, outcome: Outcome) -> None:
        try:
            request = V2Request.decode(message)
        except PaymentError:
            return
        self.terminal.record_request(asdict(request))
        operation = KINDS.get(request.kind)
        if operation is None or request.currency not in CURRENCY_ALPHA:
            return
        currency = CURRENCY_ALPHA[request.currency]
        done = self.perform(operation, request.priv.rstrip(), int(request.amount), currency, outcome,
                            lambda: None)
        if done is not None:
            self._answer(link, outcome, self._answer_bytes(request, done, outcome))

    def _answer_bytes(self, request: V2Request, done: Transaction, outcome: Outcome) -> bytes:
        if outcome is Outcome.GARBAGE:
            return GARBAGE
        answer = V2Answer(request.pos, STATUSES[done.verdict], request.amount, request.mode, request.currency,
                          request.priv)
        full = self.full_answers or request.ind == frames.FULL
        return answer.encode(rep=(done.card_number or "") if full else None)

    def _answer(self, link: FaultyLink, outcome: Outcome, data: bytes) -> None:
        corruptions = {Outcome.CORRUPT_CHECKSUM: 1, Outcome.CORRUPT_CHECKSUM_ALWAYS: self.tries}
        link.corrupt = corruptions.get(outcome, 0)
        try:
            link.send(data)
        except PaymentError:  # the driver went away; what the terminal decided stays in the ledger
            pass
