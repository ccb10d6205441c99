"""Every payment terminal keeps the same contract (FakeTerminal, and the real V3 and V2 drivers on their
simulators, opened by URI); FakeTerminal's own controls; URIs and their error sentences."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator

import pytest

from hardware.health import HealthState
from hardware.payment import (
    ABORT,
    QUERY,
    TOTALS,
    CaisseApTerminal,
    ConcertV2Terminal,
    FakeTerminal,
    Match,
    NotSupported,
    PaymentRequest,
    PaymentState,
    PaymentTerminal,
    SimulatedCaisseApTerminal,
    SimulatedConcertV2Terminal,
    TerminalBusy,
    TerminalUnreachable,
    open_terminal,
)
from hardware.payment.simulation import Ledger

S = PaymentState
KINDS = ["fake", "sim://", "sim://?protocol=concert2"]


@pytest.fixture(params=KINDS)
def any_terminal(request: pytest.FixtureRequest) -> Iterator[PaymentTerminal]:
    terminal = FakeTerminal() if request.param == "fake" else open_terminal(request.param)
    yield terminal
    terminal.close()


def script(terminal: PaymentTerminal, *outcomes: str) -> None:
    if isinstance(terminal, FakeTerminal):
        terminal.script(*outcomes)
    else:
        assert isinstance(terminal, SimulatedCaisseApTerminal | SimulatedConcertV2Terminal)
        terminal.simulator.script(*outcomes)


def ledger(terminal: PaymentTerminal) -> Ledger:
    if isinstance(terminal, FakeTerminal):
        return terminal.ledger
    assert isinstance(terminal, SimulatedCaisseApTerminal | SimulatedConcertV2Terminal)
    return terminal.simulator.ledger


# --- the contract -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("outcome", "state"), [("approve", S.APPROVED), ("decline", S.DECLINED),
                                                ("abandon", S.ABANDONED)])
def test_final_answers(any_terminal: PaymentTerminal, outcome: str, state: PaymentState) -> None:
    script(any_terminal, outcome)
    result = any_terminal.pay(PaymentRequest("K1-000125", 2500))
    assert (result.reference, result.state, result.amount_minor) == ("K1-000125", state, 2500)
    assert len(ledger(any_terminal).charges("K1-000125")) == (1 if state is S.APPROVED else 0)


def test_lost_answer_is_unknown_and_never_charged_twice(any_terminal: PaymentTerminal) -> None:
    script(any_terminal, "drop_after_approve")
    assert any_terminal.pay(PaymentRequest("K1-000125", 2500), timeout=0.4).state is S.UNKNOWN
    recovered = any_terminal.query(PaymentRequest("K1-000125", 2500))
    if QUERY in any_terminal.capabilities:
        assert recovered.match is Match.OURS and recovered.result is not None
        assert recovered.result.state is S.APPROVED
    else:  # Concert V2: settled by a person from the terminal's journal
        assert (recovered.match, recovered.code) == (Match.UNREADABLE, "not_supported")
    assert len(ledger(any_terminal).charges("K1-000125")) == 1


def test_query_tells_ours_from_another_reference_from_nothing_readable(any_terminal: PaymentTerminal) -> None:
    first = any_terminal.query(PaymentRequest("K1-000124", 900))
    assert first.match is Match.UNREADABLE  # nothing on the terminal yet proves nothing
    any_terminal.pay(PaymentRequest("K1-000124", 900))
    ours = any_terminal.query(PaymentRequest("K1-000124", 900))
    other = any_terminal.query(PaymentRequest("K1-000125", 2500))
    if QUERY in any_terminal.capabilities:
        assert (ours.match, other.match, other.reference) == (Match.OURS, Match.OTHER, "K1-000124")
    else:
        assert ours.match is other.match is Match.UNREADABLE


def test_void_refund_and_totals_where_supported(any_terminal: PaymentTerminal) -> None:
    paid = PaymentRequest("K1-000125", 2500)
    any_terminal.pay(paid)
    assert any_terminal.cancel(paid).state is S.APPROVED
    assert any_terminal.refund(PaymentRequest("R1", 300)).state is S.APPROVED
    assert TOTALS in any_terminal.capabilities
    assert any_terminal.totals().net_minor == -300


def test_health_and_abort_match_the_capabilities(any_terminal: PaymentTerminal) -> None:
    assert any_terminal.health().state is HealthState.OK
    assert any_terminal.abort() is (ABORT in any_terminal.capabilities)


def test_drivers_without_a_simulator_report_no_totals() -> None:
    assert TOTALS not in CaisseApTerminal.capabilities and TOTALS not in ConcertV2Terminal.capabilities
    with pytest.raises(NotSupported, match="cannot report batch totals"):
        CaisseApTerminal("127.0.0.1", 1).totals()


# --- FakeTerminal's controls --------------------------------------------------------------------------


def test_fake_abort_ends_a_hanging_payment_as_abandoned() -> None:
    fake = FakeTerminal("no_answer", timeout=5)
    results = []
    worker = threading.Thread(target=lambda: results.append(fake.pay(PaymentRequest("K1", 100))))
    worker.start()
    while not fake.terminal.requests:
        threading.Event().wait(0.005)
    with pytest.raises(TerminalBusy):
        fake.pay(PaymentRequest("K2", 100))
    assert fake.abort()
    worker.join(2)
    assert results[0].state is S.ABANDONED and fake.ledger.entries == []


@pytest.mark.parametrize(
    ("outcome", "state", "reason"),
    [("no_answer", S.UNKNOWN, "no_answer"), ("garbage", S.UNKNOWN, "malformed_answer"),
     ("corrupt_checksum_always", S.UNKNOWN, "corrupt_frame"),
     ("nak_request_always", S.FAILED, "frame_rejected"), ("corrupt_checksum", S.APPROVED, "approved"),
     ("slow", S.APPROVED, "approved")],
)
def test_fake_plays_the_outcomes_as_the_drivers_report_them(outcome: str, state: PaymentState,
                                                           reason: str) -> None:
    result = FakeTerminal(outcome, timeout=0.05).pay(PaymentRequest("K1", 100))
    assert (result.state, result.terminal_code) == (state, reason)


def test_fake_unreachable() -> None:
    fake = FakeTerminal()
    fake.unreachable = True
    assert fake.pay(PaymentRequest("K1", 100)).state is S.FAILED
    assert fake.health().state is HealthState.OFFLINE
    with pytest.raises(TerminalUnreachable):
        fake.query(PaymentRequest("K1", 100))


def test_fake_unreadable_answers_prove_nothing() -> None:
    fake = FakeTerminal()
    fake.pay(PaymentRequest("K1", 100))
    fake.unreadable = "01/09"
    refused = fake.query(PaymentRequest("K2", 100))
    assert (refused.match, refused.code) == (Match.UNREADABLE, "01/09")


def test_unknown_outcome_names_are_refused() -> None:
    with pytest.raises(ValueError):
        FakeTerminal("approve_twice")
    with pytest.raises(ValueError, match="cannot be simulated"):
        open_terminal("sim://").simulator.script("corrupt_checksum")  # type: ignore[attr-defined]


# --- URIs ---------------------------------------------------------------------------------------------


def test_caisse_ap_uri() -> None:
    terminal = open_terminal("caisse-ap+tcp://10.0.0.31:8888?pos=07&cj=ABCDEF123456&timeout=150")
    assert isinstance(terminal, CaisseApTerminal)
    assert (terminal.host, terminal.port, terminal.station.pos, terminal.station.protocol_id) == (
        "10.0.0.31", 8888, "07", "ABCDEF123456")
    assert terminal.transaction_timeout == 150 and terminal.connect_timeout == 5


def test_concert2_uri() -> None:
    terminal = open_terminal("concert2+serial:///dev/ttyACM0?baud=19200&pos=02")
    assert isinstance(terminal, ConcertV2Terminal)
    assert (terminal.path, terminal.baudrate, terminal.pos, terminal.transaction_timeout) == (
        "/dev/ttyACM0", 19200, "02", 200)


def test_sim_uris_own_and_stop_their_simulator() -> None:
    v3 = open_terminal("sim://")
    assert isinstance(v3, SimulatedCaisseApTerminal)
    port = v3.simulator.port
    v3.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), 0.5).close()
    v2 = open_terminal("sim://?protocol=concert2")
    assert isinstance(v2, SimulatedConcertV2Terminal) and os.path.exists(v2.path)
    v2.close()
    assert not os.path.exists(v2.path)


@pytest.mark.parametrize(
    ("uri", "sentence"),
    [
        ("tcp://10.0.0.31:8888", "unsupported payment terminal URI"),
        ("caisse-ap+tcp://10.0.0.31", "needs a host and a port"),
        ("caisse-ap+tcp://:8888", "needs a host and a port"),
        ("caisse-ap+tcp://10.0.0.31:99999", "needs a host and a port"),
        ("caisse-ap+tcp://10.0.0.31:8888?pos=1", "POS number '1' must be two digits"),
        ("caisse-ap+tcp://10.0.0.31:8888?cj=short", "protocol identifier"),
        ("caisse-ap+tcp://10.0.0.31:8888?baud=9600", "unknown parameter 'baud'"),
        ("caisse-ap+tcp://10.0.0.31:8888?pos=01&pos=02", "more than once"),
        ("caisse-ap+tcp://10.0.0.31:8888?timeout=soon", "timeout='soon'"),
        ("caisse-ap+tcp://10.0.0.31:8888?timeout=0", "timeout='0'"),
        ("concert2+serial://dev/ttyACM0", "device path after three slashes"),
        ("concert2+serial:///dev/ttyACM0?baud=9601", "baud='9601'"),
        ("concert2+serial:///dev/ttyACM0?pos=AB", "POS number 'AB'"),
        ("sim://?protocol=zvt", "protocol='zvt'"),
        ("sim://?pos=01", "unknown parameter 'pos'"),
        ("", "unsupported payment terminal URI"),
    ],
)
def test_bad_uris_say_what_is_wrong(uri: str, sentence: str) -> None:
    with pytest.raises(ValueError, match=sentence.replace("?", r"\?")):
        open_terminal(uri)
