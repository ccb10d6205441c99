"""Payment terminal bytes and values, byte-exact: Concert V3 TLV, the Concert V2 link layer and messages,
amounts, references and PAN masking. No sockets or ptys here (see test_payment_caisse_ap / _concert_v2)."""

from __future__ import annotations

import time

import pytest

from hardware.payment import (
    LastTransaction,
    Match,
    PaymentRequest,
    PaymentResult,
    PaymentState,
    mask_pan,
    new_reference,
)
from hardware.payment.caisse_ap import messages, tlv
from hardware.payment.caisse_ap.tlv import TlvError, TlvReader
from hardware.payment.concert_v2.frames import CANCEL, CREDIT, DEBIT, FrameFormatError, V2Answer, V2Request
from hardware.payment.concert_v2.link import (
    ACK,
    ENQ,
    EOT,
    NAK,
    FrameCorrupt,
    FrameNotAcknowledged,
    FrameRejected,
    LineNotReady,
    LineReleased,
    Link,
    frame,
    lrc,
)
from hardware.payment.money import base36, check_amount

S = PaymentState
LONG_PAN = "4999991234567890"  # made up; not a card number

# --- Concert V3 TLV -----------------------------------------------------------------------------------


def test_tlv_encodes_tag_three_digit_length_value_with_cz_first() -> None:
    data = tlv.encode({"CA": "01", "CZ": "0320", "CB": "2500"})
    assert data == b"CZ0040320CA00201CB0042500"


def test_tlv_round_trip_keeps_values_and_order() -> None:
    fields = {"CZ": "0320", "CF": "K1-000125", "BA": "0", "CB": "12345678901" + "2"}
    assert tlv.decode(tlv.encode(fields)) == fields


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"CA": "01"}, "starts with CZ"),
        ({"CZ": "0320", "C": "1"}, "two characters"),
        ({"CZ": "0320", "CF": ""}, "1 to 999"),
        ({"CZ": "0320", "CF": "x" * 1000}, "1 to 999"),
    ],
)
def test_tlv_encode_refuses_what_a_terminal_could_not_parse(fields: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        tlv.encode(fields)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"CA00201CZ0040320", "must start with CZ"),
        (b"CZ0040320CB00425", "incomplete"),
        (b"CZ0040320C", "incomplete"),
        (b"CZ00X0320", "malformed"),
        (b"cz0040320", "malformed"),
        (b"CZ0040320CZ0040320", "twice"),
        (b"CZ0040320AE002\xff\xfe", "not ASCII"),
        (b"CZ000", "empty"),
        (b"", "incomplete"),
    ],
)
def test_tlv_decode_rejects_garbage_and_truncation(data: bytes, message: str) -> None:
    with pytest.raises(TlvError, match=message):
        tlv.decode(data)


def test_tlv_reader_is_complete_only_with_whole_elements_and_the_ending_tag() -> None:
    reader = TlvReader({"AE"})
    states = []
    for piece in (b"CZ004032", b"0AE0", b"0210", b"AC006123456"):
        reader.feed(piece)
        states.append(reader.complete)
    assert states == [False, False, True, True]
    assert reader.fields() == {"CZ": "0320", "AE": "10", "AC": "123456"}


def test_tlv_reader_gives_up_on_an_endless_stream() -> None:
    reader = TlvReader({"AE"})
    with pytest.raises(TlvError, match="no complete message"):
        reader.feed(b"CZ9990320" + b"x" * tlv.MAX_MESSAGE)


# --- Concert V3 answers -------------------------------------------------------------------------------

REQUEST = PaymentRequest("K1-000125", 2500)


@pytest.mark.parametrize(
    ("status", "complement", "state", "code"),
    [
        ("10", None, PaymentState.APPROVED, "10"),
        ("01", "04", PaymentState.DECLINED, "01/04"),
        ("01", "05", PaymentState.DECLINED, "01/05"),
        ("01", "11", PaymentState.ABANDONED, "01/11"),
        ("01", "08", PaymentState.ABANDONED, "01/08"),
        ("01", "09", PaymentState.FAILED, "01/09"),
        ("01", "77", PaymentState.DECLINED, "01/77"),
        ("11", None, PaymentState.UNKNOWN, "11"),
        ("", None, PaymentState.UNKNOWN, ""),
    ],
)
def test_v3_status_mapping(status: str, complement: str | None, state: PaymentState, code: str) -> None:
    answer = {"CZ": "0320", "AE": status} | ({"AF": complement} if complement else {})
    assert messages.answer_state(answer) == (state, code)


def test_v3_request_fields_carry_our_reference_and_integer_amount() -> None:
    fields = messages.operation_fields(messages.Station(), messages.DEBIT, PaymentRequest("K1", 5))
    assert tlv.encode(fields) == b"CZ0040320CJ012000000000000CA00201CB00205CD0010CE003978CF002K1BA0010"


def test_v3_answer_keeps_no_card_data() -> None:
    answer = {"CZ": "0320", "AE": "10", "CB": "2500", "CF": REQUEST.reference, "AC": "A1B2C3", "AA": LONG_PAN,
              "AB": "2712", "ZT": f"CARTE {LONG_PAN}", "XX": LONG_PAN}
    result = messages.result_of(answer, REQUEST)
    assert (result.state, result.auth_code, result.masked_pan) == (S.APPROVED, "A1B2C3", "**** 7890")
    assert set(result.raw) == {"CZ", "AE", "CB", "CF", "AC", "AA"} and result.raw["AA"] == "**** 7890"
    assert LONG_PAN not in repr(result) and "2712" not in repr(result)


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ({"CZ": "0320", "AE": "10", "CB": "2500", "CF": "OTHER"}, "reference_mismatch"),
        ({"CZ": "0320", "AE": "10", "CB": "2400", "CF": "K1-000125"}, "amount_mismatch"),
    ],
)
def test_v3_answer_about_something_else_is_unknown(answer: dict[str, str], reason: str) -> None:
    result = messages.result_of(answer, REQUEST)
    assert (result.state, result.terminal_code) == (PaymentState.UNKNOWN, reason)


def test_v3_duplicata_request_carries_amount_and_currency_but_never_our_reference() -> None:
    fields = messages.duplicata_fields(messages.Station(), PaymentRequest("K1", 6000, "MAD"))
    assert tlv.encode(fields) == b"CZ0040320CJ012000000000000CA00201CB0046000CD0013CE003504BA0010"
    assert "CF" not in fields  # an echo of our request in a refusal must never look like our transaction


@pytest.mark.parametrize(
    ("answer", "match", "detail"),
    [
        # Readable: a final status, a reference and an amount.
        ({"AE": "10", "CB": "2500", "CF": "K1-000125", "AC": "1"}, Match.OURS, S.APPROVED),
        ({"AE": "01", "AF": "04", "CB": "2500", "CF": "K1-000125"}, Match.OURS, S.DECLINED),
        ({"AE": "10", "CB": "2400", "CF": "K1-000125"}, Match.OURS, S.UNKNOWN),  # approved, another amount
        ({"AE": "10", "CB": "900", "CF": "K1-000124"}, Match.OTHER, "K1-000124"),
        ({"AE": "01", "AF": "11", "CB": "900", "CF": "other till 7"}, Match.OTHER, "other till 7"),
        # Unreadable: proves nothing about our payment.
        ({"AE": "01", "AF": "09"}, Match.UNREADABLE, "01/09"),  # the duplicata itself refused
        ({"AE": "01", "AF": "09", "CB": "2500", "CF": "K1-000124"}, Match.UNREADABLE, "01/09"),
        ({"AE": "01", "AF": "09", "CB": "2500", "CF": "K1-000125"}, Match.UNREADABLE, "01/09"),
        ({"AE": "01", "AF": "05"}, Match.UNREADABLE, "no_reference"),  # nothing recorded, or refused
        ({"AE": "10", "CB": "2500"}, Match.UNREADABLE, "no_reference"),  # no CF
        ({"AE": "10", "CB": "2500", "CF": " "}, Match.UNREADABLE, "no_reference"),
        ({"AE": "10", "CF": "K1-000124"}, Match.UNREADABLE, "no_amount"),
        ({"AE": "10", "CB": "25,00", "CF": "K1-000124"}, Match.UNREADABLE, "no_amount"),
        ({"AE": "11", "CB": "2500", "CF": "K1-000124"}, Match.UNREADABLE, "11"),  # not a final status
        ({"CB": "2500", "CF": "K1-000124"}, Match.UNREADABLE, "no_status"),
    ],
)
def test_v3_duplicata_answer_shapes(answer: dict[str, str], match: Match, detail: object) -> None:
    found = messages.duplicata_result({"CZ": "0320", **answer}, REQUEST)
    assert found.match is match
    if match is Match.OURS:
        assert found.result is not None and found.result.state is detail
    elif match is Match.OTHER:
        assert found.reference == detail and found.result is None
    else:
        assert found.code == detail and found.result is None and found.reference is None


def test_a_last_transaction_is_never_ambiguous() -> None:
    with pytest.raises(ValueError):
        LastTransaction(Match.OURS)
    with pytest.raises(ValueError):
        LastTransaction(Match.UNREADABLE, reference="K1")
    with pytest.raises(ValueError):
        LastTransaction(Match.OTHER)


# --- Concert V2 link layer ----------------------------------------------------------------------------


class MemoryPort:
    """A BytePort fed with the other side's bytes in advance; records what the link writes."""

    def __init__(self, incoming: bytes = b"") -> None:
        self.incoming = bytearray(incoming)
        self.sent = bytearray()

    def read(self, size: int = 1) -> bytes:
        if not self.incoming:
            time.sleep(0.002)
            return b""
        data = bytes(self.incoming[:size])
        del self.incoming[:size]
        return data

    def write(self, data: bytes, /) -> int:
        self.sent += data
        return len(data)


def link(incoming: bytes) -> tuple[Link, MemoryPort]:
    port = MemoryPort(incoming)
    return Link(port, ack_timeout=0.05, tries=3), port


def test_lrc_is_the_xor_after_stx_through_etx() -> None:
    assert frame(b"AB") == b"\x02AB\x03\x00"
    assert frame(b"01") == b"\x0201\x03\x02"
    assert lrc(b"") == 0 and lrc(b"\x41\x42\x03") == 0


def test_link_sends_enq_frame_and_eot() -> None:
    sender, port = link(ACK + ACK)
    sender.send(b"01")
    assert bytes(port.sent) == ENQ + frame(b"01") + EOT


def test_link_retransmits_a_frame_the_terminal_naks() -> None:
    sender, port = link(ACK + NAK + NAK + ACK)
    sender.send(b"01")
    assert bytes(port.sent) == ENQ + frame(b"01") * 3 + EOT


def test_link_gives_up_after_three_naks_and_says_nothing_was_taken() -> None:
    sender, port = link(ACK + NAK * 3)
    with pytest.raises(FrameRejected):
        sender.send(b"01")
    assert bytes(port.sent) == ENQ + frame(b"01") * 3 + EOT


def test_link_without_ack_to_enq_sends_no_frame() -> None:
    sender, port = link(b"")
    with pytest.raises(LineNotReady):
        sender.send(b"01")
    assert bytes(port.sent) == ENQ * 3


def test_link_frame_without_ack_may_have_been_taken() -> None:
    sender, port = link(ACK)
    with pytest.raises(FrameNotAcknowledged):
        sender.send(b"01")
    assert bytes(port.sent) == ENQ + frame(b"01") + EOT


def corrupted(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 0x01])


def test_link_naks_a_corrupted_answer_and_takes_the_retransmission() -> None:
    receiver, port = link(b"\x00" + ENQ + corrupted(frame(b"0170")) + frame(b"0170") + EOT)
    assert receiver.receive(time.monotonic() + 1) == b"0170"
    assert bytes(port.sent) == ACK + NAK + ACK


def test_link_gives_up_after_three_corrupted_answers() -> None:
    receiver, port = link(ENQ + corrupted(frame(b"0170")) * 3)
    with pytest.raises(FrameCorrupt):
        receiver.receive(time.monotonic() + 1)
    assert bytes(port.sent) == ACK + NAK * 3


def test_link_drops_a_frame_cut_short_when_the_next_one_starts() -> None:
    receiver, port = link(ENQ + b"\x0201" + frame(b"0170") + EOT)
    assert receiver.receive(time.monotonic() + 1) == b"0170"
    assert bytes(port.sent) == ACK + ACK


def test_link_naks_a_frame_without_etx_in_time() -> None:
    receiver, port = link(ENQ + b"\x0201")
    with pytest.raises(FrameCorrupt):
        receiver.receive(time.monotonic() + 1)
    assert bytes(port.sent) == ACK + NAK * 3


def test_link_probe_is_enq_then_eot_and_a_receiver_sees_it_as_released() -> None:
    prober, port = link(ACK)
    assert prober.probe() and bytes(port.sent) == ENQ + EOT
    receiver, _ = link(ENQ + EOT)
    with pytest.raises(LineReleased):
        receiver.receive(time.monotonic() + 1)


# --- Concert V2 messages ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (DEBIT, b"0100002500010978K1-000125 A010B010"),
        (CREDIT, b"0100002500011978K1-000125 A010B010"),
        (CANCEL, b"0100002500012978K1-000125 A010B010"),
    ],
)
def test_v2_request_is_34_characters(kind: str, expected: bytes) -> None:
    encoded = V2Request.of("01", kind, REQUEST, "978").encode()
    assert encoded == expected and len(encoded) == 34
    assert V2Request.decode(encoded).priv.rstrip() == "K1-000125"


def test_v2_amount_must_fit_eight_digits() -> None:
    with pytest.raises(ValueError, match="8 digits"):
        V2Request.of("01", DEBIT, PaymentRequest("BIG", 100_000_000), "978")


def test_v2_short_answer_is_25_characters_28_with_framing() -> None:
    data = b"010000025001978K1-000125 "
    answer = V2Answer.decode(data)
    assert len(frame(data)) == 28 and answer.encode() == data
    result = answer.result(REQUEST)
    assert (result.state, result.amount_minor, result.masked_pan) == (PaymentState.APPROVED, 2500, None)


def test_v2_full_answer_keeps_only_the_last_four_digits() -> None:
    rep = f"{LONG_PAN} 2712 more terminal data".ljust(55)
    data = b"01" + b"0" + b"00002500" + b"1" + rep.encode() + b"978" + b"K1-000125 "
    assert len(data) == 80 and len(frame(data)) == 83
    answer = V2Answer.decode(data)
    assert answer.masked_pan == "**** 7890"
    assert LONG_PAN not in repr(answer) and LONG_PAN not in repr(answer.result(REQUEST))


@pytest.mark.parametrize(
    ("status", "state"),
    [("0", PaymentState.APPROVED), ("7", PaymentState.DECLINED), ("9", PaymentState.ABANDONED),
     ("5", PaymentState.UNKNOWN)],
)
def test_v2_status_mapping(status: str, state: PaymentState) -> None:
    answer = V2Answer("01", status, "00002500", "1", "978", "K1-000125 ")
    assert answer.result(REQUEST).state is state


def test_v2_answer_for_another_reference_is_unknown() -> None:
    answer = V2Answer("01", "0", "00002500", "1", "978", "K1-000999 ")
    assert answer.result(REQUEST).terminal_code == "reference_mismatch"


@pytest.mark.parametrize("data", [b"01?0000X", b"0100000250X1978K1-000125 ", "01é".encode()])
def test_v2_malformed_answer_is_refused(data: bytes) -> None:
    with pytest.raises(FrameFormatError):
        V2Answer.decode(data)


# --- amounts, references, masking ---------------------------------------------------------------------


@pytest.mark.parametrize("amount", [25.0, 0.5, True, 0, -100, "2500", None])
def test_request_refuses_float_bool_zero_negative_or_text_amounts(amount: object) -> None:
    with pytest.raises(ValueError, match="amount"):
        PaymentRequest("K1", amount)  # type: ignore[arg-type]


@pytest.mark.parametrize("reference", ["", "K1-00012500", "k1", "K1 2", "É1", 12])
def test_request_refuses_references_concert_v2_cannot_echo(reference: object) -> None:
    with pytest.raises(ValueError, match="reference"):
        PaymentRequest(reference, 100)  # type: ignore[arg-type]


def test_request_refuses_unknown_currency() -> None:
    with pytest.raises(ValueError, match="currency 'XYZ'"):
        PaymentRequest("K1", 100, "XYZ")
    assert PaymentRequest("K1", 100, "MAD").currency == "MAD"
    assert check_amount(1) == 1


def test_new_references_are_ten_base36_characters_unique_and_ordered_by_time() -> None:
    burst = [new_reference() for _ in range(2000)]  # far more than one per millisecond
    assert len(set(burst)) == len(burst) and [r[:8] for r in burst] == sorted(r[:8] for r in burst)
    assert all(len(r) == 10 and PaymentRequest(r, 1).reference == r for r in burst)
    later = new_reference(now=time.time() + 3600)
    assert later[:8] > burst[-1][:8]
    assert base36(35) == "Z" and base36(36, 3) == "010"


@pytest.mark.parametrize(
    ("sent", "masked"),
    [(LONG_PAN, "**** 7890"), ("497010######4242", "**** 4242"), ("**** 4242", "**** 4242"),
     ("4999 9912 3456 7890", "**** 7890"), ("123", None), ("", None), (None, None)],
)
def test_mask_pan_keeps_at_most_the_last_four_digits(sent: str | None, masked: str | None) -> None:
    assert mask_pan(sent) == masked


def test_result_refuses_anything_but_a_masked_pan() -> None:
    with pytest.raises(ValueError, match="masked_pan"):
        PaymentResult("K1", PaymentState.APPROVED, 100, masked_pan=LONG_PAN)
