"""The signed appointment QR token: round trip, every refusal reason with a real case, strict field types,
interoperability with pycose (an independent COSE implementation), and property tests that no random or
mutated text is ever accepted as something it is not."""

from __future__ import annotations

import random
import zlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import base45
import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from hypothesis import given, settings
from hypothesis import strategies as st
from pycose.algorithms import EdDSA
from pycose.headers import KID, Algorithm
from pycose.keys import OKPKey
from pycose.messages import Sign1Message

from sync.tokens import (
    PREFIX,
    REASONS,
    AppointmentClaims,
    SigningKey,
    TokenError,
    is_token,
    key_from_jwk,
    key_to_jwk,
    new_private_key,
    public_bytes,
    sign,
    verify,
)

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PRIVATE = new_private_key()
OTHER = new_private_key()
KEY = SigningKey("k1", public_bytes(PRIVATE), NOW - timedelta(days=30), NOW + timedelta(days=90))
KEYS = {"k1": KEY}
CLAIMS = AppointmentClaims(
    appointment_id="apt_8f2c4e1b9d7a6c5e3f2a1b", reference="RDV-7K3Q9M", site="ma-paris",
    services=("passport",), slot_start=NOW + timedelta(days=1, hours=1, minutes=30),
    slot_end=NOW + timedelta(days=1, hours=1, minutes=45), persons=1, lang="fr", version=3,
    issued_at=NOW - timedelta(hours=1), expires_at=NOW + timedelta(days=2))
TOKEN = sign(CLAIMS, PRIVATE, "k1")
APPOINTMENT = -70000
BASE45_CHARSET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def unpack(token: str) -> bytes:
    """The COSE bytes of a token (no checks)."""
    return zlib.decompress(base45.b45decode(token.strip().removeprefix(PREFIX)))


def pack(cose: bytes) -> str:
    return PREFIX + base45.b45encode(zlib.compress(cose)).decode("ascii")


def parts(token: str = TOKEN) -> list[Any]:
    """[protected, unprotected, payload, signature] of a token."""
    return list(cbor2.loads(unpack(token)).value)


def assemble(protected: Any, unprotected: Any, payload: Any, signature: Any, tag: int | None = 18) -> str:
    message = [protected, unprotected, payload, signature]
    return pack(cbor2.dumps(message if tag is None else cbor2.CBORTag(tag, message)))


def payload_map() -> dict[Any, Any]:
    """A fresh copy of the genuine token's CWT claims."""
    return dict(cbor2.loads(parts()[2]))


def signed(payload: Any, header: Any = None, key: Ed25519PrivateKey = PRIVATE) -> str:
    """A token over any payload and protected header, with a genuine signature."""
    protected = cbor2.dumps({1: -8, 4: b"k1"} if header is None else header)
    encoded = cbor2.dumps(payload)
    signature = key.sign(cbor2.dumps(["Signature1", protected, b"", encoded]))
    return assemble(protected, {}, encoded, signature)


def reason(token: str, keys: dict[str, SigningKey] = KEYS, at: datetime = NOW) -> str:
    with pytest.raises(TokenError) as refused:
        verify(token, keys, at)
    return refused.value.reason


def epoch(moment: datetime) -> int:
    return int((moment - EPOCH).total_seconds())


# --- round trip -------------------------------------------------------------------------------------------


def test_round_trip() -> None:
    assert is_token(TOKEN)
    assert verify(TOKEN, KEYS, NOW) == CLAIMS


def test_round_trip_without_language_and_with_several_services() -> None:
    claims = replace(CLAIMS, lang=None, services=("passport", "civil_status"), persons=50, version=0)
    assert verify(sign(claims, PRIVATE, "k1"), KEYS, NOW) == claims


def test_surrounding_whitespace_is_accepted() -> None:
    assert verify(f"  {TOKEN}\r\n", KEYS, NOW) == CLAIMS
    assert is_token(f"\t{TOKEN}\n")


def test_is_token_wants_our_prefix() -> None:
    assert not is_token("HC1:" + TOKEN[len(PREFIX):])
    assert not is_token(TOKEN.lower())
    assert not is_token("https://rdv.consulat.example/t/4kq9ZtW2aPm7Xc3v")


def test_the_token_is_the_dcc_layout() -> None:
    """Tag 18, four items, protected header {1: -8, 4: kid}, the CWT claims with the private claim."""
    message = cbor2.loads(unpack(TOKEN))
    assert message.tag == 18
    protected, unprotected, payload, signature = message.value
    assert cbor2.loads(protected) == {1: -8, 4: b"k1"}
    assert unprotected == {} and len(signature) == 64
    claims = cbor2.loads(payload)
    assert claims[1] == "eConsulat"
    assert claims[6] == epoch(CLAIMS.issued_at) and claims[4] == epoch(CLAIMS.expires_at)
    assert claims[APPOINTMENT] == {
        "id": CLAIMS.appointment_id, "ref": "RDV-7K3Q9M", "site": "ma-paris", "svc": ["passport"],
        "s": epoch(CLAIMS.slot_start), "e": epoch(CLAIMS.slot_end), "n": 1, "l": "fr", "v": 3}


def test_verification_ends_at_the_expiry_second() -> None:
    assert verify(TOKEN, KEYS, CLAIMS.expires_at) == CLAIMS
    assert reason(TOKEN, at=CLAIMS.expires_at + timedelta(seconds=1)) == "expired"


# --- each refusal reason with a real case -------------------------------------------------------------------


def test_forged_token_signed_with_another_key_under_a_known_kid() -> None:
    assert reason(sign(CLAIMS, OTHER, "k1")) == "bad_signature"


def test_tampered_payload_byte() -> None:
    protected, unprotected, payload, signature = parts()
    tampered = payload.replace(b"RDV-7K3Q9M", b"RDV-7K3Q9N")
    assert tampered != payload
    assert reason(assemble(protected, unprotected, tampered, signature)) == "bad_signature"


def test_tampered_signature_byte() -> None:
    protected, unprotected, payload, signature = parts()
    flipped = bytes([signature[0] ^ 1]) + signature[1:]
    assert reason(assemble(protected, unprotected, payload, flipped)) == "bad_signature"


def test_kid_swapped_to_another_known_key() -> None:
    other = SigningKey("k2", public_bytes(OTHER), KEY.valid_from, KEY.valid_until)
    _, unprotected, payload, signature = parts()
    swapped = assemble(cbor2.dumps({1: -8, 4: b"k2"}), unprotected, payload, signature)
    assert reason(swapped, keys={"k1": KEY, "k2": other}) == "bad_signature"


@pytest.mark.parametrize("cut", [1, 2, 3, 10, len(TOKEN) // 2, len(TOKEN) - len(PREFIX) - 1])
def test_truncated_text(cut: int) -> None:
    assert reason(TOKEN[:-cut]) == "malformed"


def test_unknown_kid() -> None:
    assert reason(sign(CLAIMS, PRIVATE, "k9")) == "unknown_key"
    assert reason(TOKEN, keys={}) == "unknown_key"


def test_expired() -> None:
    assert reason(TOKEN, at=CLAIMS.expires_at + timedelta(minutes=1)) == "expired"


def test_key_not_yet_valid() -> None:
    later = replace(KEY, valid_from=NOW + timedelta(days=1))
    assert reason(TOKEN, keys={"k1": later}) == "key_not_valid"


def test_key_past_its_validity() -> None:
    ended = replace(KEY, valid_until=NOW - timedelta(minutes=1))
    assert reason(TOKEN, keys={"k1": ended}) == "key_not_valid"


def test_token_issued_outside_the_key_validity() -> None:
    """The key is valid now, but the token claims to be issued before the key existed."""
    early = sign(replace(CLAIMS, issued_at=KEY.valid_from - timedelta(seconds=1)), PRIVATE, "k1")
    assert reason(early) == "key_not_valid"


def test_signature_is_checked_before_validity_and_expiry() -> None:
    stale = replace(CLAIMS, issued_at=NOW - timedelta(days=3), expires_at=NOW - timedelta(days=1))
    assert reason(sign(stale, OTHER, "k1")) == "bad_signature"
    ended = {"k1": replace(KEY, valid_until=NOW - timedelta(days=2))}
    assert reason(sign(stale, PRIVATE, "k1"), keys=ended) == "key_not_valid"
    assert reason(sign(stale, PRIVATE, "k1")) == "expired"


@pytest.mark.parametrize("text", [
    "HC1:" + TOKEN[len(PREFIX):], TOKEN.lower(), "dr1:" + TOKEN[len(PREFIX):], TOKEN[len(PREFIX):],
    "DR2:" + TOKEN[len(PREFIX):], " ", ""])
def test_wrong_prefix(text: str) -> None:
    assert reason(text) == "malformed"


@pytest.mark.parametrize("text", [
    PREFIX + "hello", PREFIX + "A", PREFIX + "::::::", PREFIX + "ÉÉÉ", PREFIX + "GGW",
    PREFIX + "\x00\x01\x02",
    PREFIX + base45.b45encode(b"not zlib at all").decode(), PREFIX + base45.b45encode(b"").decode()])
def test_garbage_base45_and_zlib(text: str) -> None:
    assert reason(text) == "malformed"


def test_zlib_bomb_is_cut_at_the_cap() -> None:
    bomb = PREFIX + base45.b45encode(zlib.compress(b"\x00" * 600_000, 9)).decode()
    assert len(bomb) <= 1024  # so the decompression cap, not the length cap, refuses it
    assert reason(bomb) == "malformed"


def test_a_genuine_signature_with_an_oversized_cose_is_refused() -> None:
    """The unprotected header is not signed: padding it past 4 KiB keeps the signature valid."""
    protected, _, payload, signature = parts()
    small = assemble(protected, {99: b"\x00" * 1000}, payload, signature)
    large = assemble(protected, {99: b"\x00" * 5000}, payload, signature)
    assert len(large) <= 1024
    assert verify(small, KEYS, NOW) == CLAIMS
    assert reason(large) == "malformed"


def test_text_over_1024_characters_is_refused() -> None:
    protected, _, payload, signature = parts()
    padded = assemble(protected, {99: random.Random(7).randbytes(600)}, payload, signature)
    assert len(padded) > 1024
    assert reason(padded) == "malformed"
    assert reason(TOKEN + " " * 5000) == "malformed"


def test_trailing_bytes_are_refused() -> None:
    cose = unpack(TOKEN)
    assert reason(pack(cose + b"\x00")) == "malformed"
    compressed = base45.b45decode(TOKEN[len(PREFIX):])
    assert reason(PREFIX + base45.b45encode(compressed + b"\x00").decode()) == "malformed"


# --- strict structure and types ----------------------------------------------------------------------------


def test_untagged_cose_and_unsigned_header_content_are_accepted() -> None:
    protected, _, payload, signature = parts()
    assert verify(assemble(protected, {}, payload, signature, tag=None), KEYS, NOW) == CLAIMS
    assert verify(assemble(protected, {4: b"k9", 7: "x"}, payload, signature), KEYS, NOW) == CLAIMS


@pytest.mark.parametrize("message", [
    cbor2.CBORTag(98, [b"", {}, b"", b""]), cbor2.CBORTag(18, [b"", {}, b""]), [1, 2, 3, 4], {"a": 1}, "DR1",
    cbor2.CBORTag(18, [cbor2.dumps({1: -8, 4: b"k1"}), [], b"", b""]),
    cbor2.CBORTag(18, [cbor2.dumps({1: -8, 4: b"k1"}), {}, "payload", b""]),
    cbor2.CBORTag(18, [cbor2.dumps({1: -8, 4: b"k1"}), {}, b"", "signature"]),
    cbor2.CBORTag(18, [{1: -8, 4: b"k1"}, {}, b"", b""]),
])
def test_malformed_cose_structure(message: Any) -> None:
    assert reason(pack(cbor2.dumps(message))) == "malformed"


@pytest.mark.parametrize("header", [
    {1: -7, 4: b"k1"}, {4: b"k1"}, {1: -8}, {1: -8, 4: "k1"}, {1: -8, 4: b""}, {1: -8, 4: b"\xff\xfe"},
    {1: -8, 4: b"k1", 2: [4]}, {1: "EdDSA", 4: b"k1"}, [1, -8], b"",
])
def test_malformed_protected_header(header: Any) -> None:
    assert reason(signed(payload_map(), header=header)) == "malformed"


def test_semantic_cbor_tags_are_refused() -> None:
    claims = payload_map()
    claims[4] = cbor2.CBORTag(1, claims[4])  # an epoch datetime, which cbor2 would happily decode
    assert reason(signed(claims)) == "malformed"


DELETE = object()
SLOT_START = epoch(CLAIMS.slot_start)


@pytest.mark.parametrize(("path", "value"), [
    ((APPOINTMENT, "n"), True), ((APPOINTMENT, "n"), 0), ((APPOINTMENT, "n"), 51), ((APPOINTMENT, "n"), "1"),
    ((APPOINTMENT, "n"), 1.0), ((APPOINTMENT, "n"), DELETE),
    ((APPOINTMENT, "svc"), []), ((APPOINTMENT, "svc"), [""]), ((APPOINTMENT, "svc"), "passport"),
    ((APPOINTMENT, "svc"), ["passport", 3]), ((APPOINTMENT, "svc"), DELETE),
    ((APPOINTMENT, "s"), float(SLOT_START)), ((APPOINTMENT, "s"), True),
    ((APPOINTMENT, "s"), str(SLOT_START)),
    ((APPOINTMENT, "e"), SLOT_START), ((APPOINTMENT, "e"), SLOT_START - 60), ((APPOINTMENT, "e"), DELETE),
    ((APPOINTMENT, "l"), None), ((APPOINTMENT, "l"), ""), ((APPOINTMENT, "l"), 5),
    ((APPOINTMENT, "id"), DELETE), ((APPOINTMENT, "id"), ""), ((APPOINTMENT, "id"), b"apt"),
    ((APPOINTMENT, "ref"), 7), ((APPOINTMENT, "site"), None), ((APPOINTMENT, "v"), True),
    ((APPOINTMENT, "v"), -1), ((APPOINTMENT, "v"), DELETE),
    ((APPOINTMENT,), DELETE), ((APPOINTMENT,), []), ((APPOINTMENT,), "apt"),
    ((1,), "someone else"), ((1,), DELETE), ((4,), DELETE), ((4,), 1.5e9), ((4,), 10**30), ((4,), 2**63),
    ((4,), epoch(CLAIMS.issued_at) - 1), ((6,), "now"), ((6,), DELETE), ((6,), -(10**20)),
])
def test_each_field_is_type_checked(path: tuple[Any, ...], value: Any) -> None:
    claims = payload_map()
    claims[APPOINTMENT] = dict(claims[APPOINTMENT])
    target = claims
    for key in path[:-1]:
        target = target[key]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    assert reason(signed(claims)) == "malformed"


@pytest.mark.parametrize("payload", [[1, 2], "claims", 5, None])
def test_payload_that_is_not_a_claims_map(payload: Any) -> None:
    assert reason(signed(payload)) == "malformed"


def test_unknown_claims_are_ignored() -> None:
    claims = payload_map()
    claims[APPOINTMENT] = {**claims[APPOINTMENT], "x": [1, 2]}
    claims[7] = b"cti"
    assert verify(signed(claims), KEYS, NOW) == CLAIMS


@pytest.mark.parametrize("changes", [
    {"persons": 0}, {"persons": 51}, {"services": ()}, {"services": ("",)}, {"reference": ""},
    {"slot_end": CLAIMS.slot_start}, {"lang": ""}, {"expires_at": CLAIMS.issued_at - timedelta(seconds=1)},
    {"issued_at": datetime(2026, 12, 1)},
])
def test_sign_refuses_what_verify_would_refuse(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        sign(replace(CLAIMS, **changes), PRIVATE, "k1")


def test_sign_needs_a_kid() -> None:
    with pytest.raises(ValueError):
        sign(CLAIMS, PRIVATE, "")


def test_token_error_reasons() -> None:
    assert [TokenError(reason).reason for reason in REASONS] == list(REASONS)
    with pytest.raises(ValueError):
        TokenError("nope")


# --- interoperability with pycose ---------------------------------------------------------------------------


def private_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def pycose_decode(cose: bytes) -> Sign1Message:
    """Sign1Message.decode(cose), less its cbor2 5 assumption: cbor2 6 decodes what a tag holds as a tuple and
    a frozendict, which pycose 1.1's decode refuses ("Bytes cannot be decoded as COSE message"). The
    signature check itself (Sig_structure and Ed25519) stays pycose's."""
    try:
        return Sign1Message.decode(cose)
    except TypeError:
        tagged = cbor2.loads(cose)
        assert tagged.tag == 18
        protected, unprotected, payload, signature = tagged.value
        return Sign1Message.from_cose_obj([protected, dict(unprotected), payload, signature], True)


def test_pycose_verifies_our_token() -> None:
    message = pycose_decode(unpack(TOKEN))
    message.key = OKPKey(crv="Ed25519", x=KEY.public)
    assert message.verify_signature()
    assert message.phdr[KID] == b"k1" and message.phdr[Algorithm] is EdDSA
    assert cbor2.loads(message.payload or b"")[APPOINTMENT]["ref"] == "RDV-7K3Q9M"
    message.key = OKPKey(crv="Ed25519", x=public_bytes(OTHER))
    assert not message.verify_signature()


@pytest.mark.parametrize("tag", [True, False])
def test_we_verify_a_pycose_token(tag: bool) -> None:
    message = Sign1Message(phdr={Algorithm: EdDSA, KID: b"k1"}, payload=cbor2.dumps(payload_map()))
    message.key = OKPKey(crv="Ed25519", d=private_bytes(PRIVATE), x=KEY.public)
    cose = message.encode(tag=tag)
    assert (cbor2.loads(cose).tag == 18) if tag else isinstance(cbor2.loads(cose), list)
    assert verify(pack(cose), KEYS, NOW) == CLAIMS


def test_we_refuse_a_pycose_token_signed_with_another_key() -> None:
    message = Sign1Message(phdr={Algorithm: EdDSA, KID: b"k1"}, payload=cbor2.dumps(payload_map()))
    message.key = OKPKey(crv="Ed25519", d=private_bytes(OTHER), x=public_bytes(OTHER))
    assert reason(pack(message.encode())) == "bad_signature"


# --- keys as the central publishes them ---------------------------------------------------------------------


def test_jwk_round_trip() -> None:
    jwk = key_to_jwk(KEY)
    assert jwk == {"kid": "k1", "kty": "OKP", "crv": "Ed25519", "x": jwk["x"],
                   "valid_from": "2026-11-01T08:00:00Z", "valid_until": "2027-03-01T08:00:00Z"}
    assert len(jwk["x"]) == 43 and "=" not in jwk["x"]
    assert key_from_jwk(jwk) == KEY


def test_jwk_with_an_offset_is_read_as_utc() -> None:
    jwk = {**key_to_jwk(KEY), "valid_from": "2026-11-01T09:00:00+01:00"}
    assert key_from_jwk(jwk).valid_from == KEY.valid_from


JWK = key_to_jwk(KEY)


@pytest.mark.parametrize("data", [
    None, [], "key", [JWK], {**JWK, "kty": "EC"}, {**JWK, "crv": "X25519"}, {**JWK, "kty": None},
    {**JWK, "x": JWK["x"] + "="}, {**JWK, "x": JWK["x"][:-1]}, {**JWK, "x": JWK["x"] + "AAAA"},
    {**JWK, "x": "+" + JWK["x"][1:]}, {**JWK, "x": JWK["x"][:-1] + "B"}, {**JWK, "x": 5}, {**JWK, "x": None},
    {**JWK, "kid": 1}, {**JWK, "kid": ""}, {**JWK, "valid_from": "2026-11-01T08:00:00"},
    {**JWK, "valid_from": 1700000000}, {**JWK, "valid_until": "tomorrow"},
    {**JWK, "valid_until": "2026-10-01"},
    {**JWK, "valid_until": "2026-10-01T00:00:00Z"},
    {key: value for key, value in JWK.items() if key != "x"},
    {key: value for key, value in JWK.items() if key != "valid_until"},
])
def test_malformed_jwk(data: object) -> None:
    with pytest.raises(ValueError):
        key_from_jwk(data)


def test_x_must_be_canonical() -> None:
    """The last base64url character of 32 bytes carries 2 unused bits; only the zero form is accepted."""
    assert JWK["x"][-1] in "AEIMQUYcgkosw048"
    assert JWK["x"][:-1] + "B" != JWK["x"]


# --- properties ---------------------------------------------------------------------------------------------

cbor_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.binary(max_size=40) | st.text(max_size=40)
    | st.floats(allow_nan=False),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.integers() | st.text(max_size=8), children, max_size=5),
    max_leaves=20)
random_texts = st.one_of(
    st.text(max_size=1500),
    st.text(alphabet=BASE45_CHARSET, max_size=1100).map(lambda text: PREFIX + text),
    st.binary(max_size=700).map(lambda data: PREFIX + base45.b45encode(data).decode()),
    st.binary(max_size=600).map(lambda data: PREFIX + base45.b45encode(zlib.compress(data)).decode()),
    cbor_values.map(lambda value: pack(cbor2.dumps(value))),
    cbor_values.map(lambda value: pack(cbor2.dumps(cbor2.CBORTag(18, [b"", {}, cbor2.dumps(value), b""])))),
    cbor_values.map(lambda value: signed(value)),
)


@settings(max_examples=300, deadline=None)
@given(random_texts)
def test_random_text_is_refused_and_never_crashes(text: str) -> None:
    with pytest.raises(TokenError):
        verify(text, KEYS, NOW)


COSE = unpack(TOKEN)
byte_edits = st.tuples(st.sampled_from(("flip", "insert", "delete")), st.integers(0, 1 << 16),
                       st.integers(1, 255))
char_edits = st.tuples(st.sampled_from(("replace", "insert", "delete")), st.integers(0, 1 << 16),
                       st.sampled_from(BASE45_CHARSET + "éa\n\x00"))


def edit_bytes(data: bytes, edits: list[tuple[str, int, int]]) -> bytes:
    buffer = bytearray(data)
    for kind, position, value in edits:
        at = position % (len(buffer) + (kind == "insert")) if buffer or kind == "insert" else 0
        if kind == "flip" and buffer:
            buffer[at] ^= value
        elif kind == "insert":
            buffer.insert(at, value)
        elif buffer:
            del buffer[at]
    return bytes(buffer)


def edit_text(text: str, edits: list[tuple[str, int, str]]) -> str:
    chars = list(text)
    for kind, position, value in edits:
        at = position % (len(chars) + (kind == "insert")) if chars or kind == "insert" else 0
        if kind == "replace" and chars:
            chars[at] = value
        elif kind == "insert":
            chars.insert(at, value)
        elif chars:
            del chars[at]
    return "".join(chars)


def refused_or_identical(token: str) -> None:
    """Only refusals that come before the signature check are possible; whatever verifies is the original."""
    try:
        claims = verify(token, KEYS, NOW)
    except TokenError as error:
        assert error.reason in ("malformed", "unknown_key", "bad_signature")
    else:
        assert claims == CLAIMS


@settings(max_examples=300, deadline=None)
@given(st.lists(byte_edits, min_size=1, max_size=4))
def test_mutated_cose_is_refused_unless_the_signed_content_is_unchanged(edits: list[Any]) -> None:
    refused_or_identical(pack(edit_bytes(COSE, edits)))


@settings(max_examples=300, deadline=None)
@given(st.lists(char_edits, min_size=1, max_size=4))
def test_mutated_text_is_refused_unless_the_signed_content_is_unchanged(edits: list[Any]) -> None:
    refused_or_identical(edit_text(TOKEN, edits))


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10**6), st.integers(1, 255))
def test_every_single_payload_byte_flip_is_refused(position: int, mask: int) -> None:
    protected, unprotected, payload, signature = parts()
    buffer = bytearray(payload)
    buffer[position % len(buffer)] ^= mask
    tampered = assemble(protected, unprotected, bytes(buffer), signature)
    assert reason(tampered) in ("malformed", "bad_signature")
