"""The Concert V2 driver (pyserial) against the pty simulator: every scripted outcome, NAK and
retransmission both ways, and the line still usable after each failure."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import pytest

from hardware.health import HealthState
from hardware.payment import (
    ConcertV2Simulator,
    ConcertV2Terminal,
    LastTransaction,
    Match,
    PaymentRequest,
    PaymentState,
)

S = PaymentState
TIMEOUT = 0.4


@pytest.fixture
def sim() -> Iterator[ConcertV2Simulator]:
    with ConcertV2Simulator(slow_seconds=0.1, link_timeout=0.2) as simulator:
        yield simulator


@pytest.fixture
def terminal(sim: ConcertV2Simulator) -> Iterator[ConcertV2Terminal]:
    driver = ConcertV2Terminal(sim.path, link_timeout=0.2, transaction_timeout=TIMEOUT)
    yield driver
    driver.close()


def pay(terminal: ConcertV2Terminal, reference: str = "K1-000125", amount: int = 2500) -> tuple:
    result = terminal.pay(PaymentRequest(reference, amount))
    return result.state, result.terminal_code


def test_approve_sends_the_34_character_request_and_charges_once(sim: ConcertV2Simulator,
                                                                 terminal: ConcertV2Terminal) -> None:
    result = terminal.pay(PaymentRequest("K1-000125", 2500))
    assert (result.state, result.terminal_code, result.amount_minor) == (S.APPROVED, "0", 2500)
    assert result.masked_pan is None and result.raw["priv"] == "K1-000125 "  # short answer: no REP asked
    assert sim.requests == [{"pos": "01", "amount": "00002500", "ind": "0", "mode": "1", "kind": "0",
                             "currency": "978", "priv": "K1-000125 ", "delay": "A010",
                             "authorisation": "B010"}]
    assert len(sim.charges("K1-000125")) == 1


@pytest.mark.parametrize(
    ("outcome", "state", "code"),
    [("decline", S.DECLINED, "7"), ("abandon", S.ABANDONED, "9"), ("terminal_timeout", S.ABANDONED, "9")],
)
def test_terminal_says_not_done(sim: ConcertV2Simulator, terminal: ConcertV2Terminal, outcome: str,
                                state: PaymentState, code: str) -> None:
    sim.script(outcome)
    assert pay(terminal) == (state, code)
    assert sim.charges("K1-000125") == []


def test_corrupted_answer_is_naked_and_the_retransmission_approves(sim: ConcertV2Simulator,
                                                                  terminal: ConcertV2Terminal) -> None:
    sim.script("corrupt_checksum")
    assert pay(terminal) == (S.APPROVED, "0")
    assert len(sim.charges("K1-000125")) == 1


def test_answer_corrupt_on_every_try_is_unknown_not_declined(sim: ConcertV2Simulator,
                                                             terminal: ConcertV2Terminal) -> None:
    sim.script("corrupt_checksum_always")
    assert pay(terminal) == (S.UNKNOWN, "corrupt_frame")
    assert len(sim.charges("K1-000125")) == 1  # the terminal did charge: a person settles it (no duplicata)
    assert terminal.query(PaymentRequest("K1-000125", 2500)).match is Match.UNREADABLE
    assert pay(terminal, "K1-000126") == (S.APPROVED, "0")  # the line is usable again


def test_request_naked_once_is_retransmitted(sim: ConcertV2Simulator, terminal: ConcertV2Terminal) -> None:
    sim.script("nak_request")
    assert pay(terminal) == (S.APPROVED, "0")
    assert len(sim.requests) == 1 and len(sim.charges("K1-000125")) == 1


def test_a_nak_is_for_one_request_only_even_when_the_client_does_not_resend(
        sim: ConcertV2Simulator, terminal: ConcertV2Terminal) -> None:
    sim.script("nak_request", "decline")
    terminal.tries = 1  # a client that gives up after one NAK (pyTeliumManager never resends)
    assert pay(terminal) == (S.FAILED, "frame_rejected")
    terminal.tries = 3
    assert pay(terminal, "K1-000126") == (S.DECLINED, "7")  # the next request gets its own outcome
    assert pay(terminal, "K1-000127") == (S.APPROVED, "0")
    assert [r["priv"].strip() for r in sim.requests] == ["K1-000126", "K1-000127"]


def test_request_naked_every_time_provably_failed(sim: ConcertV2Simulator,
                                                  terminal: ConcertV2Terminal) -> None:
    sim.script("nak_request_always")
    assert pay(terminal) == (S.FAILED, "frame_rejected")
    assert sim.requests == [] and sim.ledger.entries == []
    assert pay(terminal) == (S.APPROVED, "0")  # retrying a FAILED payment is safe


@pytest.mark.parametrize(("outcome", "charges"), [("no_answer", 0), ("drop_after_approve", 1)])
def test_silence_after_the_request_is_unknown(sim: ConcertV2Simulator, terminal: ConcertV2Terminal,
                                              outcome: str, charges: int) -> None:
    sim.script(outcome)
    started = time.monotonic()
    assert pay(terminal) == (S.UNKNOWN, "no_answer")
    assert TIMEOUT <= time.monotonic() - started < TIMEOUT + 1
    assert len(sim.charges("K1-000125")) == charges
    assert pay(terminal, "K1-000126") == (S.APPROVED, "0")


def test_garbage_answer_is_unknown(sim: ConcertV2Simulator, terminal: ConcertV2Terminal) -> None:
    sim.script("garbage")
    assert pay(terminal) == (S.UNKNOWN, "malformed_answer")
    assert len(sim.charges("K1-000125")) == 1


def test_slow_answer_within_the_timeout_is_approved(sim: ConcertV2Simulator,
                                                    terminal: ConcertV2Terminal) -> None:
    sim.script("slow")
    assert pay(terminal) == (S.APPROVED, "0")


def test_a_terminal_sending_its_full_answer_with_a_pan_is_masked(sim: ConcertV2Simulator,
                                                                 terminal: ConcertV2Terminal) -> None:
    sim.full_answers = True
    sim.terminal.card_number = "4999991234567890"
    result = terminal.pay(PaymentRequest("K1-000125", 2500))
    assert (result.state, result.masked_pan) == (S.APPROVED, "**** 7890")
    assert "4999991234567890" not in repr(result)


def test_void_refund_and_totals(sim: ConcertV2Simulator, terminal: ConcertV2Terminal) -> None:
    paid = PaymentRequest("K1-000125", 2500)
    terminal.pay(paid)
    assert (terminal.cancel(paid).state, sim.requests[-1]["kind"]) == (S.APPROVED, "2")
    assert terminal.cancel(paid).state is S.DECLINED
    refunded = terminal.refund(PaymentRequest("R1", 700))
    assert (refunded.state, sim.requests[-1]["kind"]) == (S.APPROVED, "1")
    totals = sim.totals()
    assert (totals.debit_minor, totals.void_minor, totals.refund_minor) == (2500, 2500, 700)
    assert totals.net_minor == -700


def test_no_duplicata_in_v2(terminal: ConcertV2Terminal) -> None:
    assert "query" not in terminal.capabilities and {"void", "refund"} <= terminal.capabilities
    pay(terminal)
    assert terminal.query(PaymentRequest("K1-000125", 2500)) == LastTransaction.unreadable("not_supported")
    assert terminal.abort() is False


def test_health_probe_is_enq_eot_and_changes_nothing(sim: ConcertV2Simulator,
                                                     terminal: ConcertV2Terminal) -> None:
    assert terminal.health().state is HealthState.OK
    assert pay(terminal) == (S.APPROVED, "0") and len(sim.requests) == 1


def test_health_polls_during_payments_never_mix_bytes_on_the_line(sim: ConcertV2Simulator,
                                                                  terminal: ConcertV2Terminal) -> None:
    healths: list[HealthState] = []
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(0.002):  # a real poll comes every few seconds; never a GIL-hogging spin
            healths.append(terminal.health().state)

    poller = threading.Thread(target=poll)
    poller.start()
    results = [pay(terminal, f"K1-00012{n}") for n in range(5)]
    stop.set()
    poller.join()
    assert results == [(S.APPROVED, "0")] * 5 and len(sim.requests) == 5
    assert healths and set(healths) == {HealthState.OK}


def test_missing_serial_device_fails_provably(tmp_path: os.PathLike[str]) -> None:
    terminal = ConcertV2Terminal(os.path.join(tmp_path, "ttyACM9"), link_timeout=0.1)
    assert pay(terminal) == (S.FAILED, "unreachable")
    health = terminal.health()
    assert (health.state, health.reason) == (HealthState.OFFLINE, "unreachable")
