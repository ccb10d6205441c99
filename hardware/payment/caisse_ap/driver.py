"""CaisseApTerminal: Caisse-AP / Concert V3 over raw TCP, one connection per operation.

The request goes out in one send; the answer is read from the stream until it is a complete TLV message
(tlv.read_message), never with a single recv(). Only a refused or timed-out connection, before any byte
left, gives FAILED; anything that goes wrong after the first byte gives UNKNOWN, settled with query().
"""

from __future__ import annotations

import socket
import time

from ...health import Health, HealthState
from ..base import (
    QUERY,
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
from ..errors import PaymentError, SendInterrupted, TerminalBusy, TerminalUnreachable
from . import messages
from .messages import Station
from .tlv import encode, read_message

CONNECT_TIMEOUT = 5.0
# Longer than the terminal's own cardholder timeout (pyTeliumManager 120 s, akretion 180 s, Adyen 120 s),
# so that the terminal's own "timeout" answer (AE=01 AF=08) reaches us rather than our giving up first.
TRANSACTION_TIMEOUT = 200.0
QUERY_TIMEOUT = 15.0
SETTLE = 0.05  # quiet time after a complete answer, for trailing tags
ANSWER_END = frozenset({"AE"})


class CaisseApTerminal(PaymentTerminal):
    """A Concert V3 terminal at host:port (the port is set on the terminal; there is no standard one)."""

    capabilities = frozenset({QUERY, VOID, REFUND})

    def __init__(self, host: str, port: int, *, station: Station | None = None,
                 connect_timeout: float = CONNECT_TIMEOUT, transaction_timeout: float = TRANSACTION_TIMEOUT,
                 query_timeout: float = QUERY_TIMEOUT, settle: float = SETTLE) -> None:
        self.host, self.port = host, port
        self.station = station or Station()
        self.connect_timeout = connect_timeout
        self.transaction_timeout = transaction_timeout
        self.query_timeout = query_timeout
        self.settle = settle
        self._one = OneAtATime(probe_wait=connect_timeout)

    def pay(self, request: PaymentRequest, on_progress: ProgressCallback | None = None,
            timeout: float | None = None) -> PaymentResult:
        """Debit (CD=0) with our reference in CF; waits for the final answer (BA=0)."""
        return self._operate(messages.DEBIT, request, on_progress, timeout)

    def cancel(self, original: PaymentRequest) -> PaymentResult:
        """Cancellation (CD=2) of the original payment: same reference and amount."""
        return self._operate(messages.VOID, original, None, None)

    def refund(self, request: PaymentRequest) -> PaymentResult:
        """Credit (CD=1) to the card presented; request carries a new reference."""
        return self._operate(messages.REFUND, request, None, None)

    def query(self, request: PaymentRequest) -> LastTransaction:
        """Duplicata (CD=3) of the last transaction, matched on CF; raises when the terminal cannot answer."""
        fields = messages.duplicata_fields(self.station, request)
        with self._one.hold("the status query"):
            answer = self._exchange(fields, self.query_timeout, None)
        return messages.duplicata_result(answer, request)

    def health(self) -> Health:
        """OK when a TCP connection opens (closed at once, no message sent); "in_use" during an operation."""
        try:
            with self._one.hold("the health probe", probe=True):
                self._connect().close()
        except TerminalBusy:
            return Health(HealthState.OK, "in_use")
        except TerminalUnreachable as exc:
            return Health(HealthState.OFFLINE, exc.reason, str(exc))
        return Health.ok()

    def close(self) -> None:
        """Nothing to release: no connection is kept open between operations."""

    def _operate(self, operation: str, request: PaymentRequest, on_progress: ProgressCallback | None,
                 timeout: float | None) -> PaymentResult:
        fields = messages.operation_fields(self.station, operation, request)
        with self._one.hold(f"the operation for {request.reference}"):
            try:
                answer = self._exchange(fields, timeout or self.transaction_timeout, on_progress)
            except TerminalUnreachable as exc:
                return PaymentResult.without_answer(request, PaymentState.FAILED, exc.reason)
            except PaymentError as exc:
                return PaymentResult.without_answer(request, PaymentState.UNKNOWN, exc.reason)
        return messages.result_of(answer, request)

    def _exchange(self, fields: dict[str, str], timeout: float,
                  on_progress: ProgressCallback | None) -> dict[str, str]:
        """Send one message and read the answer. Only TerminalUnreachable means nothing was sent."""
        deadline = time.monotonic() + timeout
        report(on_progress, PaymentProgress.CONNECTING)
        with self._connect() as sock:
            try:
                sock.sendall(encode(fields))
            except OSError as exc:
                raise SendInterrupted(f"sending to the terminal at {self._address} failed: {exc}") from exc
            report(on_progress, PaymentProgress.SENT)
            answer = read_message(sock, ANSWER_END, deadline, self.settle)
        report(on_progress, PaymentProgress.ANSWERED)
        return answer

    def _connect(self) -> socket.socket:
        try:
            return socket.create_connection((self.host, self.port), self.connect_timeout)
        except OSError as exc:
            raise TerminalUnreachable(f"cannot connect to the terminal at {self._address}: {exc}") from exc

    @property
    def _address(self) -> str:
        return f"{self.host}:{self.port}"
