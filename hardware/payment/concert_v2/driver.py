"""ConcertV2Terminal: Concert V2 over a serial line (RS-232 7E1 or USB-CDC /dev/ttyACM0) with pyserial.

The port stays open between operations and is reopened after a line error. Our reference travels in
PRIV, so it is at most 10 characters. V2 has no duplicata: query() answers UNREADABLE and capabilities say so;
an unknown V2 payment is settled by a person from the terminal's journal or ticket.
"""

from __future__ import annotations

import termios
import time

import serial

from ...health import Health, HealthState
from ..base import (
    REFUND,
    VOID,
    LastTransaction,
    OneAtATime,
    PaymentProgress,
    PaymentRequest,
    PaymentResult,
    PaymentState,
    PaymentTerminal,
    ProgressCallback,
    report,
)
from ..errors import PaymentError, TerminalBusy, TerminalUnreachable
from ..money import currency_numeric
from .frames import CANCEL, CREDIT, DEBIT, V2Answer, V2Request
from .link import LineBroken, LineNotReady, Link, NotSent

BAUDRATE = 9600
LINK_TIMEOUT = 2.0  # per control byte or frame; the AP timer values are not public (hardware.md §8)
TRANSACTION_TIMEOUT = 200.0  # longer than the terminal's own cardholder timeout (see caisse_ap.driver)
POLL = 0.05  # pyserial read timeout: how often a wait checks its deadline
NOT_SUPPORTED = "not_supported"


class ConcertV2Terminal(PaymentTerminal):
    """A Concert V2 terminal on a serial device path."""

    capabilities = frozenset({VOID, REFUND})

    def __init__(self, path: str, *, baudrate: int = BAUDRATE, pos: str = "01",
                 link_timeout: float = LINK_TIMEOUT, tries: int = 3,
                 transaction_timeout: float = TRANSACTION_TIMEOUT) -> None:
        if not (len(pos) == 2 and pos.isdigit()):
            raise ValueError(f"POS number {pos!r} must be two digits, e.g. 01")
        self.path, self.baudrate, self.pos = path, baudrate, pos
        self.link_timeout, self.tries = link_timeout, tries
        self.transaction_timeout = transaction_timeout
        self._serial: serial.Serial | None = None
        self._one = OneAtATime(probe_wait=tries * link_timeout)

    def pay(self, request: PaymentRequest, on_progress: ProgressCallback | None = None,
            timeout: float | None = None) -> PaymentResult:
        """Debit (type 0) with our reference in PRIV; waits for the terminal's answer (A010)."""
        return self._operate(DEBIT, request, on_progress, timeout)

    def cancel(self, original: PaymentRequest) -> PaymentResult:
        """Cancellation (type 2) of the original payment: same reference and amount."""
        return self._operate(CANCEL, original, None, None)

    def refund(self, request: PaymentRequest) -> PaymentResult:
        """Credit (type 1) to the card presented; request carries a new reference."""
        return self._operate(CREDIT, request, None, None)

    def query(self, request: PaymentRequest) -> LastTransaction:
        """Always UNREADABLE ("not_supported"): Concert V2 has no duplicata or status message."""
        return LastTransaction.unreadable(NOT_SUPPORTED)

    def health(self) -> Health:
        """ENQ → ACK → EOT, as pyTeliumManager's is_ok(); "in_use" while an operation runs."""
        try:
            with self._one.hold("the health probe", probe=True):
                answered = self._link().probe()
        except TerminalBusy:
            return Health(HealthState.OK, "in_use")
        except TerminalUnreachable as exc:
            return Health(HealthState.OFFLINE, exc.reason, str(exc))
        except PaymentError as exc:
            self._recover_line(exc)
            return Health(HealthState.UNKNOWN, exc.reason, str(exc))
        return Health.ok() if answered else Health(HealthState.UNKNOWN, "no_answer", "no ACK to ENQ")

    def close(self) -> None:
        if self._serial is not None:
            self._serial.close()
            self._serial = None

    def _operate(self, kind: str, request: PaymentRequest, on_progress: ProgressCallback | None,
                 timeout: float | None) -> PaymentResult:
        message = V2Request.of(self.pos, kind, request, currency_numeric(request.currency)).encode()
        with self._one.hold(f"the operation for {request.reference}"):
            try:
                received = self._exchange(message, timeout or self.transaction_timeout, on_progress)
                answer = V2Answer.decode(received)
            except (TerminalUnreachable, NotSent) as exc:
                return PaymentResult.without_answer(request, PaymentState.FAILED, exc.reason)
            except PaymentError as exc:
                return PaymentResult.without_answer(request, PaymentState.UNKNOWN, exc.reason)
        return answer.result(request)

    def _exchange(self, message: bytes, timeout: float, on_progress: ProgressCallback | None) -> bytes:
        """Send one message, wait for the answer frame; NotSent / TerminalUnreachable: nothing left."""
        deadline = time.monotonic() + timeout
        link = self._link()
        report(on_progress, PaymentProgress.CONNECTING)
        try:
            link.send(message)
            report(on_progress, PaymentProgress.SENT)
            answer = link.receive(deadline)
        except PaymentError as exc:
            self._recover_line(exc)
            raise
        report(on_progress, PaymentProgress.ANSWERED)
        return answer

    def _recover_line(self, error: PaymentError) -> None:
        """After a broken or silent line, reopen the port next time (a USB terminal may have been replugged);
        after a protocol error, only drop the half frame left in the input buffer."""
        if isinstance(error, (LineBroken, LineNotReady)) or self._serial is None:
            self.close()
            return
        try:
            self._serial.reset_input_buffer()
        except (serial.SerialException, OSError, termios.error):
            self.close()

    def _link(self) -> Link:
        return Link(self._port(), ack_timeout=self.link_timeout, tries=self.tries)

    def _port(self) -> serial.Serial:
        if self._serial is None:
            try:
                self._serial = serial.Serial(self.path, self.baudrate, bytesize=serial.SEVENBITS,
                                             parity=serial.PARITY_EVEN, stopbits=serial.STOPBITS_ONE,
                                             timeout=POLL, exclusive=True)
            except (serial.SerialException, OSError, termios.error) as exc:  # pyserial lets termios.error out
                raise TerminalUnreachable(f"cannot open the serial port {self.path}: {exc}") from exc
        return self._serial
