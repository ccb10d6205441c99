"""The Concert V3 driver against the loopback simulator, one test per scripted outcome and failure mode.

Timeouts are a fraction of a second here (constructor parameters), so a hang costs little."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from hardware.health import HealthState
from hardware.payment import (
    CaisseApSimulator,
    CaisseApTerminal,
    Match,
    PaymentProgress,
    PaymentRequest,
    PaymentState,
    TerminalBusy,
    TerminalUnreachable,
)
from hardware.payment.caisse_ap import tlv
from hardware.payment.errors import ProtocolError, TerminalNoAnswer

S = PaymentState
TIMEOUT = 0.4
REQUEST = PaymentRequest("K1-000125", 2500)


@pytest.fixture
def sim() -> Iterator[CaisseApSimulator]:
    with CaisseApSimulator(slow_seconds=0.15) as simulator:
        yield simulator


@pytest.fixture
def terminal(sim: CaisseApSimulator) -> CaisseApTerminal:
    return CaisseApTerminal("127.0.0.1", sim.port, connect_timeout=2, transaction_timeout=TIMEOUT,
                            query_timeout=TIMEOUT, settle=0.02)


def pay(terminal: CaisseApTerminal, reference: str = "K1-000125", amount: int = 2500) -> tuple:
    result = terminal.pay(PaymentRequest(reference, amount))
    return result.state, result.terminal_code


def wait_for(condition: Callable[[], bool], timeout: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_approve_sends_the_documented_tags_and_charges_once(sim: CaisseApSimulator,
                                                            terminal: CaisseApTerminal) -> None:
    result = terminal.pay(PaymentRequest("K1-000125", 2500))
    assert (result.state, result.terminal_code, result.amount_minor) == (S.APPROVED, "10", 2500)
    assert result.auth_code == "S00001" and result.masked_pan == "**** 4242"
    assert sim.requests == [{"CZ": "0320", "CJ": "000000000000", "CA": "01", "CB": "2500", "CD": "0",
                             "CE": "978", "CF": "K1-000125", "BA": "0"}]
    assert len(sim.charges("K1-000125")) == 1


@pytest.mark.parametrize(
    ("outcome", "state", "code"),
    [("decline", S.DECLINED, "01/04"), ("abandon", S.ABANDONED, "01/11"),
     ("terminal_timeout", S.ABANDONED, "01/08")],
)
def test_terminal_says_not_done(sim: CaisseApSimulator, terminal: CaisseApTerminal, outcome: str,
                                state: PaymentState, code: str) -> None:
    sim.script(outcome)
    assert pay(terminal) == (state, code)
    assert sim.charges("K1-000125") == []


def test_no_answer_is_unknown_after_our_timeout_and_charges_nothing(sim: CaisseApSimulator,
                                                                    terminal: CaisseApTerminal) -> None:
    sim.script("no_answer")
    started = time.monotonic()
    assert pay(terminal) == (S.UNKNOWN, "no_answer")
    assert TIMEOUT <= time.monotonic() - started < TIMEOUT + 1
    assert sim.charges("K1-000125") == []
    assert terminal.query(REQUEST).match is Match.UNREADABLE  # no transaction at all: AE=01 AF=05, no CF


@pytest.mark.parametrize(("outcome", "reason"), [("drop_after_approve", "connection_closed"),
                                                 ("garbage", "malformed_answer")])
def test_lost_approval_is_unknown_then_recovered_by_query_with_exactly_one_charge(
        sim: CaisseApSimulator, terminal: CaisseApTerminal, outcome: str, reason: str) -> None:
    sim.script(outcome)
    assert pay(terminal) == (S.UNKNOWN, reason)
    recovered = terminal.query(REQUEST)
    assert recovered.match is Match.OURS and recovered.result is not None
    assert (recovered.result.state, recovered.result.amount_minor, recovered.result.auth_code) == \
        (S.APPROVED, 2500, "S00001")
    assert len(sim.charges("K1-000125")) == 1
    assert [r["CD"] for r in sim.requests] == ["0", "3"]  # one debit, then a duplicata; never a second debit
    assert sim.requests[1] == {"CZ": "0320", "CJ": "000000000000", "CA": "01", "CB": "2500", "CD": "3",
                               "CE": "978", "BA": "0"}  # amount and currency, never our reference


def test_slow_answer_within_the_timeout_is_approved(sim: CaisseApSimulator,
                                                    terminal: CaisseApTerminal) -> None:
    sim.script("slow")
    assert pay(terminal) == (S.APPROVED, "10")


def test_answer_later_than_our_timeout_is_unknown_then_recovered(sim: CaisseApSimulator) -> None:
    sim.slow_seconds = 0.3
    terminal = CaisseApTerminal("127.0.0.1", sim.port, transaction_timeout=0.1, settle=0.02)
    sim.script("slow")
    assert pay(terminal) == (S.UNKNOWN, "no_answer")
    assert wait_for(lambda: len(sim.charges("K1-000125")) == 1)
    recovered = terminal.query(REQUEST)
    assert recovered.result is not None and recovered.result.state is S.APPROVED


def test_query_names_only_our_own_last_transaction(sim: CaisseApSimulator,
                                                   terminal: CaisseApTerminal) -> None:
    nothing = terminal.query(REQUEST)  # nothing yet: AE=01 AF=05 without CF proves nothing
    assert (nothing.match, nothing.code) == (Match.UNREADABLE, "no_reference")
    sim.script("decline")
    pay(terminal)
    declined = terminal.query(REQUEST)
    assert declined.result is not None and declined.result.state is S.DECLINED
    other = terminal.query(PaymentRequest("K1-000126", 2500))
    assert (other.match, other.reference) == (Match.OTHER, "K1-000125")


def test_a_refused_duplicata_proves_nothing(sim: CaisseApSimulator, terminal: CaisseApTerminal) -> None:
    pay(terminal, "K1-000124")
    sim.refuse_duplicata = "09"
    refused = terminal.query(REQUEST)
    assert (refused.match, refused.code, refused.reference) == (Match.UNREADABLE, "01/09", None)


def test_the_simulator_refuses_a_duplicata_without_amount_or_currency(sim: CaisseApSimulator) -> None:
    pay(CaisseApTerminal("127.0.0.1", sim.port, settle=0.02), "K1-000124")
    with socket.create_connection(("127.0.0.1", sim.port), 1) as conn:
        conn.sendall(tlv.encode({"CZ": "0320", "CJ": "000000000000", "CA": "01", "CD": "3", "BA": "0"}))
        answer = tlv.read_message(conn, {"AE"}, time.monotonic() + 1, 0.02)
    assert (answer["AE"], answer["AF"], "CF" in answer) == ("01", "09", False)


def test_unreachable_terminal_fails_provably_and_query_raises() -> None:
    terminal = CaisseApTerminal("127.0.0.1", closed_port(), connect_timeout=0.5)
    assert pay(terminal) == (S.FAILED, "unreachable")
    assert terminal.health().state is HealthState.OFFLINE
    with pytest.raises(TerminalUnreachable):
        terminal.query(REQUEST)


def test_health_opens_a_connection_and_sends_nothing(sim: CaisseApSimulator,
                                                     terminal: CaisseApTerminal) -> None:
    assert terminal.health().state is HealthState.OK
    assert sim.requests == [] and sim.ledger.entries == []


def test_void_then_refund_and_batch_totals(sim: CaisseApSimulator, terminal: CaisseApTerminal) -> None:
    paid = PaymentRequest("K1-000125", 2500)
    terminal.pay(paid)
    terminal.pay(PaymentRequest("K1-000126", 1000))
    voided = terminal.cancel(paid)
    assert (voided.state, voided.reference, sim.requests[-1]["CD"]) == (S.APPROVED, "K1-000125", "2")
    assert terminal.cancel(paid).state is S.DECLINED  # already voided
    refunded = terminal.refund(PaymentRequest("R1-000001", 400))
    assert (refunded.state, sim.requests[-1]["CD"]) == (S.APPROVED, "1")
    totals = sim.totals()
    assert (totals.debit_count, totals.void_count, totals.refund_count, totals.net_minor) == (2, 1, 1, 600)


def test_void_after_the_batch_closed_is_refused(sim: CaisseApSimulator, terminal: CaisseApTerminal) -> None:
    paid = PaymentRequest("K1-000125", 2500)
    terminal.pay(paid)
    assert sim.close_batch().debit_minor == 2500
    assert terminal.cancel(paid).state is S.DECLINED
    assert terminal.cancel(PaymentRequest("NEVER", 2500)).terminal_code == "01/05"


def test_a_terminal_sending_a_full_pan_is_masked(sim: CaisseApSimulator, terminal: CaisseApTerminal) -> None:
    sim.terminal.card_number = "4999991234567890"
    result = terminal.pay(PaymentRequest("K1-000125", 2500))
    assert result.masked_pan == "**** 7890" and result.raw["AA"] == "**** 7890"
    assert "4999991234567890" not in repr(result)


def test_progress_steps_and_a_failing_callback_loses_nothing(terminal: CaisseApTerminal) -> None:
    steps: list[PaymentProgress] = []

    def broken(step: PaymentProgress) -> None:
        steps.append(step)
        raise RuntimeError("screen gone")

    result = terminal.pay(PaymentRequest("K1-000125", 2500), on_progress=broken)
    assert result.state is S.APPROVED
    assert steps == [PaymentProgress.CONNECTING, PaymentProgress.SENT, PaymentProgress.ANSWERED]


def test_one_operation_at_a_time(sim: CaisseApSimulator, terminal: CaisseApTerminal) -> None:
    sim.script("no_answer")
    worker = threading.Thread(target=pay, args=(terminal,))
    worker.start()
    assert wait_for(lambda: len(sim.requests) == 1)
    with pytest.raises(TerminalBusy):
        terminal.pay(PaymentRequest("K1-000126", 100))
    health = terminal.health()
    worker.join()
    assert (health.state, health.reason) == (HealthState.OK, "in_use") and len(sim.requests) == 1


def test_simulator_answers_a_malformed_request_with_format_error(sim: CaisseApSimulator) -> None:
    with socket.create_connection(("127.0.0.1", sim.port), 1) as conn:
        conn.sendall(b"CZ0040320CD0010")  # no amount, no currency
        answer = tlv.read_message(conn, {"AE"}, time.monotonic() + 1, 0.02)
    assert (answer["AE"], answer["AF"]) == ("01", "09") and sim.ledger.entries == []


# --- a scripted peer for stream-level behaviour the simulator does not produce ---------------------------


class RawTerminal:
    """Accepts one connection, reads the request, then sends the given chunks with pauses between them."""

    def __init__(self, *chunks: bytes, pause: float = 0.05) -> None:
        self.chunks, self.pause = chunks, pause
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.server.getsockname()[1])
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.server.accept()
        with conn:
            conn.recv(4096)
            for chunk in self.chunks:
                time.sleep(self.pause)
                conn.sendall(chunk)
            time.sleep(0.3)
        self.server.close()


def test_answer_split_across_segments_is_read_to_the_end() -> None:
    answer = tlv.encode({"CZ": "0320", "CB": "2500", "CF": "K1-000125", "AE": "10"})
    trailing = tlv.encode_element("AC", "A1B2C3")
    raw = RawTerminal(answer[:7], answer[7:20], answer[20:], trailing, pause=0.01)
    terminal = CaisseApTerminal("127.0.0.1", raw.port, transaction_timeout=1, settle=0.1)
    result = terminal.pay(PaymentRequest("K1-000125", 2500))
    raw.thread.join()
    assert (result.state, result.auth_code) == (S.APPROVED, "A1B2C3")


def test_answer_cut_in_the_middle_of_an_element_is_unknown() -> None:
    raw = RawTerminal(b"CZ0040320AE0")
    terminal = CaisseApTerminal("127.0.0.1", raw.port, transaction_timeout=0.2, settle=0.02)
    assert pay(terminal) == (S.UNKNOWN, "no_answer")
    raw.thread.join()


def test_query_with_a_garbled_or_missing_answer_raises() -> None:
    garbled = RawTerminal(b"CZ0040320AE0?10")
    with pytest.raises(ProtocolError):
        CaisseApTerminal("127.0.0.1", garbled.port, query_timeout=0.5, settle=0.02).query(REQUEST)
    silent = RawTerminal()
    with pytest.raises(TerminalNoAnswer):
        CaisseApTerminal("127.0.0.1", silent.port, query_timeout=0.1, settle=0.02).query(REQUEST)
    garbled.thread.join()
    silent.thread.join()


@pytest.mark.parametrize(
    ("answer", "match"),
    [({"CZ": "0320", "AE": "01", "AF": "09"}, Match.UNREADABLE),
     ({"CZ": "0320", "AE": "10", "CB": "2500"}, Match.UNREADABLE),
     ({"CZ": "0320", "AE": "10", "CB": "900", "CF": "K1-000124"}, Match.OTHER),
     ({"CZ": "0320", "AE": "10", "CB": "2500", "CF": "K1-000125", "AC": "A1"}, Match.OURS)],
)
def test_query_answers_from_a_real_peer(answer: dict[str, str], match: Match) -> None:
    raw = RawTerminal(tlv.encode(answer))
    found = CaisseApTerminal("127.0.0.1", raw.port, query_timeout=1, settle=0.02).query(REQUEST)
    raw.thread.join()
    assert found.match is match
