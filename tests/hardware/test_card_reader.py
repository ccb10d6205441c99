"""The badge reader without pcscd: card models, badge reading (never EMV), the fake reader, URIs, health."""

from __future__ import annotations

import pytest

from hardware.card_reader import (
    AgentBadge,
    CardChange,
    ContactlessBadge,
    FakeCardReader,
    NoCard,
    NotABadge,
    PaymentCard,
    PcscCardReader,
    Response,
    open_card_reader,
    read_badge,
)
from hardware.card_reader.badge import ALLOWED_COMMANDS, GET_BADGE_ID, GET_UID, SELECT_BADGE, send
from hardware.card_reader.cards import CONTACTLESS_ATR
from hardware.health import Health, HealthState

PPSE_SELECT = bytes.fromhex("00A404000E") + b"2PAY.SYS.DDF01" + b"\x00"


class Recorder:
    def __init__(self) -> None:
        self.cards: list[tuple[CardChange, bytes]] = []
        self.health: list[Health] = []

    def card(self, event) -> None:
        self.cards.append((event.change, event.atr))


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def reader(recorder: Recorder) -> FakeCardReader:
    fake = FakeCardReader()
    fake.start(recorder.card, recorder.health.append)
    return fake


# --- card models -------------------------------------------------------------------------------------------
def test_agent_badge_applet_answers_select_then_get_data() -> None:
    card = AgentBadge("AGENT-0042")
    assert card.handle(GET_BADGE_ID) == bytes.fromhex("6985")  # nothing selected yet
    assert card.handle(SELECT_BADGE) == bytes.fromhex("9000")
    assert card.handle(GET_BADGE_ID) == b"AGENT-0042\x90\x00"
    assert card.handle(PPSE_SELECT) == bytes.fromhex("6A82")
    assert card.handle(GET_BADGE_ID) == bytes.fromhex("6985")  # a failed SELECT deselects
    assert card.handle(bytes.fromhex("80CA9F1700")) == bytes.fromhex("6E00")
    assert card.received[0] == GET_BADGE_ID and len(card.received) == 6


def test_payment_card_knows_the_payment_environment_and_not_our_badge() -> None:
    card = PaymentCard()
    assert card.handle(SELECT_BADGE) == bytes.fromhex("6A82")
    answer = Response.parse(card.handle(PPSE_SELECT))
    assert answer.ok and answer.data.startswith(b"\x6f") and b"2PAY.SYS.DDF01" in answer.data


def test_response_apdu_parsing() -> None:
    assert Response.parse(b"AB\x90\x00") == Response(b"AB", 0x9000)
    assert not Response.parse(bytes.fromhex("6A82")).ok
    with pytest.raises(Exception, match="too short"):
        Response.parse(b"\x90")


# --- reading a badge ---------------------------------------------------------------------------------------
def test_applet_badge_gives_its_id(reader: FakeCardReader) -> None:
    reader.insert(AgentBadge("AGENT-0042"))
    assert read_badge(reader) == "AGENT-0042"


def test_contactless_badge_gives_its_uid(reader: FakeCardReader) -> None:
    card = ContactlessBadge(bytes.fromhex("04A1B2C3D4E5F6"))
    reader.insert(card)
    assert read_badge(reader) == "uid:04A1B2C3D4E5F6"
    assert card.received == [SELECT_BADGE, GET_UID]


def test_random_uid_is_refused(reader: FakeCardReader) -> None:
    reader.insert(ContactlessBadge(bytes.fromhex("08123456")))
    with pytest.raises(NotABadge, match="random UID"):
        read_badge(reader)


@pytest.mark.parametrize("badge_id", ["", "AGENT\x00", "A" * 65])
def test_applet_with_a_bad_badge_id_is_refused(reader: FakeCardReader, badge_id: str) -> None:
    reader.insert(AgentBadge(badge_id))
    with pytest.raises(NotABadge):
        read_badge(reader)


def test_payment_card_is_refused_without_any_emv_command(reader: FakeCardReader) -> None:
    card = PaymentCard()
    reader.insert(card)
    with pytest.raises(NotABadge):
        read_badge(reader)
    assert card.received == [SELECT_BADGE]  # our AID only: no PPSE, no payment AID, no GPO, no READ RECORD
    assert all(b"PAY.SYS" not in apdu and apdu[:2] != b"\x80\xa8" for apdu in card.received)


def test_contactless_payment_card_is_refused_by_its_random_uid(reader: FakeCardReader) -> None:
    card = ContactlessBadge(bytes.fromhex("08A1B2C3"))
    reader.insert(card)
    with pytest.raises(NotABadge):
        read_badge(reader)
    assert set(card.received) <= ALLOWED_COMMANDS


def test_only_the_badge_commands_can_be_sent(reader: FakeCardReader) -> None:
    card = PaymentCard()
    reader.insert(card)
    with pytest.raises(ValueError, match="refusing"):
        send(reader, PPSE_SELECT)
    assert card.received == []


def test_reading_an_empty_reader_says_no_card(reader: FakeCardReader) -> None:
    with pytest.raises(NoCard):
        read_badge(reader)
    with pytest.raises(NoCard):
        reader.transmit(SELECT_BADGE)


# --- the fake reader ---------------------------------------------------------------------------------------
def test_fake_reader_reports_insertions_and_removals_in_order(reader: FakeCardReader, recorder) -> None:
    reader.remove()  # empty: nothing to report
    reader.insert(AgentBadge("A-1"))
    reader.insert(ContactlessBadge(b"\x04\x01\x02\x03"))  # swapping: out, then in
    reader.remove()
    assert recorder.cards == [(CardChange.INSERTED, AgentBadge.atr), (CardChange.REMOVED, b""),
                              (CardChange.INSERTED, CONTACTLESS_ATR), (CardChange.REMOVED, b"")]
    assert reader.atr is None and reader.card is None


def test_fake_reader_health_is_reported_once_per_change(reader: FakeCardReader, recorder) -> None:
    assert reader.health() == Health.ok() and recorder.health == [Health.ok()]
    missing = Health(HealthState.OFFLINE, "reader_missing", "unplugged")
    reader.set_health(missing)
    reader.set_health(Health(HealthState.OFFLINE, "reader_missing", "still unplugged"))
    reader.set_health(Health.ok())
    assert [h.state for h in recorder.health] == [HealthState.OK, HealthState.OFFLINE, HealthState.OK]


def test_health_is_unknown_until_a_reader_starts() -> None:
    assert FakeCardReader().health() == Health(HealthState.UNKNOWN, "not_checked")


def test_closed_fake_reader_reports_nothing(reader: FakeCardReader, recorder) -> None:
    reader.close()
    reader.insert(AgentBadge("A-1"))
    assert recorder.cards == []


# --- URIs --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("uri", "wanted"), [
    ("pcsc://", ""),
    ("pcsc://?reader=Virtual%20PCD", "Virtual PCD"),
    ("pcsc://?reader=Virtual PCD 00 01", "Virtual PCD 00 01"),
    ("pcsc://?reader=OMNIKEY+5422", "OMNIKEY 5422"),
])
def test_pcsc_uri_names_part_of_the_reader(uri: str, wanted: str) -> None:
    reader = open_card_reader(uri)
    assert isinstance(reader, PcscCardReader) and reader.wanted == wanted
    reader.close()  # never started: nothing to stop


def test_sim_uri_is_the_fake_reader() -> None:
    assert isinstance(open_card_reader("sim://"), FakeCardReader)


@pytest.mark.parametrize("uri", ["", "usb://072f:2200", "pcsc://host", "pcsc://?slot=1", "pcsc://?reader=a&reader=b",
                                 "sim://other"])
def test_bad_uris_are_refused_with_the_expected_forms(uri: str) -> None:
    with pytest.raises(ValueError, match="pcsc://"):
        open_card_reader(uri)
