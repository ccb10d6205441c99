"""CaisseApSimulator: a Concert V3 terminal on loopback TCP that speaks the real TLV bytes.

Each connection carries one request. The scripted outcome decides the answer (see simulation.Outcome);
debits, refunds and voids go through the shared ScriptedTerminal, so the ledger proves how many charges
were made, and a duplicata (CD=3) repeats the last transaction with its CF.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Self

from ...loopback import LoopbackServer
from ..errors import PaymentError
from ..money import CURRENCY_ALPHA, currency_numeric
from ..simulation import SERIAL_ONLY, Operation, Outcome, TerminalSimulator, Transaction, Verdict
from . import messages
from .tlv import TlvError, encode, read_message

VERDICT_CODES = {Verdict.APPROVED: {"AE": messages.DONE}, Verdict.REFUSED: {"AE": "01", "AF": "04"},
                 Verdict.FORBIDDEN: {"AE": "01", "AF": "05"}, Verdict.TIMED_OUT: {"AE": "01", "AF": "08"},
                 Verdict.ABANDONED: {"AE": "01", "AF": "11"}}
OPERATIONS = {messages.DEBIT: Operation.DEBIT, messages.REFUND: Operation.REFUND,
              messages.VOID: Operation.VOID}
OPERATION_CODES = {operation: code for code, operation in OPERATIONS.items()}
FORMAT_ERROR = {"AE": "01", "AF": "09"}
GARBAGE = b"CZ0040320AE0?10AC\xff\xfe"  # a length that is not three digits, then non-ASCII bytes
REQUEST_WAIT = 30.0


class CaisseApSimulator(TerminalSimulator):
    """A threaded loopback Concert V3 terminal; start()/stop() or a with-block."""

    def __init__(self, slow_seconds: float = 1.0, settle: float = 0.02) -> None:
        super().__init__(frozenset(Outcome) - SERIAL_ONLY, slow_seconds)
        self.settle = settle
        self.refuse_duplicata: str | None = None  # an AF code: answer every duplicata AE=01 with it, no CF
        self._server: LoopbackServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the Caisse-AP simulator is not started")
        return self._server.port

    @property
    def uri(self) -> str:
        return f"caisse-ap+tcp://127.0.0.1:{self.port}?pos=01"

    def start(self) -> Self:
        self._stopping.clear()
        self._server = LoopbackServer(self.serve)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.1,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._server = self._thread = None

    def serve(self, conn: socket.socket) -> None:
        """One connection: read the request, answer it as scripted (or not at all)."""
        try:
            request = read_message(conn, {"CZ"}, time.monotonic() + REQUEST_WAIT, self.settle, self._stopping)
        except TlvError:
            conn.sendall(encode({"CZ": messages.VERSION, **FORMAT_ERROR}))
            return
        except PaymentError:  # the client went away or sent nothing
            return
        self.terminal.record_request(request)
        answer = self._answer(conn, request)
        try:
            conn.sendall(answer or b"")
        except OSError:  # the client gave up first; what the terminal decided stays in the ledger
            return

    def _answer(self, conn: socket.socket, request: dict[str, str]) -> bytes | None:
        # Every request carries CB and CE, a duplicata too (as akretion's terminal simulator requires).
        valid = request.get("CB", "").isdigit() and request.get("CE") in CURRENCY_ALPHA
        if valid and request.get("CD") == messages.DUPLICATA:
            return encode(self._duplicata(request))
        operation = OPERATIONS.get(request.get("CD", ""))
        if operation is None or not valid:
            return encode({**request, **FORMAT_ERROR})
        return self._run(conn, request, operation, self.terminal.next_outcome())

    def _run(self, conn: socket.socket, request: dict[str, str], operation: Operation,
             outcome: Outcome) -> bytes | None:
        currency = CURRENCY_ALPHA[request["CE"]]
        done = self.perform(operation, request.get("CF", ""), int(request["CB"]), currency, outcome,
                            lambda: self._hang(conn))
        if done is None:
            return None
        return GARBAGE if outcome is Outcome.GARBAGE else encode({**request, **transaction_fields(done)})

    def _duplicata(self, request: dict[str, str]) -> dict[str, str]:
        """The last transaction's tags; AE=01 AF=05 without CF when there is none, or when a test set
        `refuse_duplicata` to an AF code (a terminal refusing the duplicata)."""
        last = self.terminal.last
        header = {"CZ": request["CZ"], "CA": request.get("CA", "01")}
        if self.refuse_duplicata is not None or last is None:
            return {**header, "AE": messages.NOT_DONE, "AF": self.refuse_duplicata or "05"}
        return {**header, **transaction_fields(last)}

    def _hang(self, conn: socket.socket) -> None:
        """Keep the connection open, answering nothing, until the client gives up or we stop."""
        conn.settimeout(0.1)
        while not self._stopping.is_set():
            try:
                if not conn.recv(4096):
                    return
            except TimeoutError:
                continue
            except OSError:
                return


def transaction_fields(done: Transaction) -> dict[str, str]:
    """The tags describing one transaction, as in a final answer and its duplicata."""
    fields = {"CB": f"{done.amount_minor:02d}", "CD": OPERATION_CODES[done.operation],
              "CE": currency_numeric(done.currency), "CF": done.reference, **VERDICT_CODES[done.verdict]}
    if done.auth_code:
        fields["AC"] = done.auth_code
    if done.card_number:
        fields[messages.PAN_TAG] = done.card_number
    return fields
