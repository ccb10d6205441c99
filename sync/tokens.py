"""The signed appointment QR token, checked offline with the public keys the central publishes.

Format (docs/qr-token.md): `DR1:` + Base45(zlib(COSE_Sign1)), the EU Digital COVID Certificate's encoding with
our own context identifier. The COSE_Sign1 (RFC 9052, tag 18) is signed with Ed25519 (alg -8, EdDSA), the key
id in the protected header; its payload is a CWT claims map (RFC 8392): iss, exp, iat and the private claim
-70000 holding the appointment. Times are whole epoch seconds.

`verify` refuses with a TokenError whose `reason` is one of REASONS, checked in that order, and never raises
anything else for any text a scanner can deliver.
"""

from __future__ import annotations

import base64
import io
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import base45
import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

PREFIX = "DR1:"
ISSUER = "eConsulat"
REASONS = ("malformed", "unknown_key", "key_not_valid", "bad_signature", "expired")
MAX_TOKEN_CHARS = 1024
MAX_COSE_BYTES = 4096  # decompression stops there: a zip bomb costs 4 KiB
MAX_PERSONS = 50
COSE_SIGN1_TAG = 18
ALG_EDDSA = -8
HEADER_ALG, HEADER_CRIT, HEADER_KID = 1, 2, 4
CLAIM_ISS, CLAIM_EXP, CLAIM_IAT = 1, 4, 6
CLAIM_APPOINTMENT = -70000  # below -65536: private use (RFC 8392, section 9.1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SECOND = timedelta(seconds=1)
_BASE64URL_KEY = re.compile(r"[A-Za-z0-9_-]{43}")


def _refuse(value: object, immutable: bool) -> object:
    raise ValueError("semantic CBOR tags are not part of the token")


# Every tag cbor2 would turn into a Python object (dates, bignums, regexes, MIME, shared references, ...):
# the token uses none of them, and nothing an attacker writes should get past plain CBOR types.
_SEMANTIC_TAGS = (0, 1, 2, 3, 4, 5, 25, 28, 29, 30, 35, 36, 37, 52, 54, 100, 256, 258, 260, 261, 1004, 43000,
                  55799)
_NO_SEMANTICS = {tag: _refuse for tag in _SEMANTIC_TAGS}


class TokenError(Exception):
    """A refused token; `reason` is one of REASONS (never the token's text)."""

    def __init__(self, reason: str) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown token refusal reason {reason!r}")
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class AppointmentClaims:
    appointment_id: str
    reference: str
    site: str
    services: tuple[str, ...]
    slot_start: datetime  # aware, UTC
    slot_end: datetime
    persons: int
    lang: str | None
    version: int
    issued_at: datetime  # aware, UTC
    expires_at: datetime


@dataclass(frozen=True)
class SigningKey:
    """A public key as the central publishes it (GET /v1/keys)."""

    kid: str
    public: bytes  # raw 32 bytes
    valid_from: datetime  # aware
    valid_until: datetime

    def __post_init__(self) -> None:
        if not isinstance(self.kid, str) or not self.kid:
            raise ValueError("a key needs a non-empty kid")
        if not isinstance(self.public, bytes) or len(self.public) != 32:
            raise ValueError("an Ed25519 public key is 32 raw bytes")
        if not all(isinstance(t, datetime) and t.tzinfo for t in (self.valid_from, self.valid_until)):
            raise ValueError("key validity needs timezone-aware datetimes")
        if self.valid_until < self.valid_from:
            raise ValueError("a key's valid_until is before its valid_from")


@dataclass(frozen=True)
class _Decoded:
    kid: str
    signed: bytes  # the Sig_structure, as it was signed
    signature: bytes
    claims: AppointmentClaims


def is_token(text: str) -> bool:
    """Whether a scanned text claims to be one of our tokens (it may still be refused)."""
    return isinstance(text, str) and text.strip().startswith(PREFIX)


def verify(token: str, keys: Mapping[str, SigningKey], at: datetime) -> AppointmentClaims:
    """The appointment of a genuine, current token; TokenError (reason in REASONS) otherwise."""
    if at.tzinfo is None:
        raise ValueError("verify needs a timezone-aware instant")
    decoded = _decode(token)
    key = keys.get(decoded.kid)
    if key is None:
        raise TokenError("unknown_key")
    if not _signature_holds(key.public, decoded.signature, decoded.signed):
        raise TokenError("bad_signature")
    claims = decoded.claims
    if not (_within(key, at) and _within(key, claims.issued_at)):
        raise TokenError("key_not_valid")
    if claims.expires_at < at:
        raise TokenError("expired")
    return claims


def _within(key: SigningKey, moment: datetime) -> bool:
    return key.valid_from <= moment <= key.valid_until


def sign(claims: AppointmentClaims, private_key: Ed25519PrivateKey, kid: str) -> str:
    """The token for claims (times truncated to whole seconds); ValueError if verify would refuse its form."""
    if not isinstance(kid, str) or not kid:
        raise ValueError("a token needs a non-empty kid")
    payload = cbor2.dumps(_claims_map(claims), canonical=True)
    try:
        _claims(_load(payload))
    except TokenError as error:
        raise ValueError("these claims do not make a valid token") from error
    protected = cbor2.dumps({HEADER_ALG: ALG_EDDSA, HEADER_KID: kid.encode()}, canonical=True)
    signature = private_key.sign(_sig_structure(protected, payload))
    cose = cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature]))
    token = PREFIX + base45.b45encode(zlib.compress(cose, 9)).decode("ascii")
    if len(cose) > MAX_COSE_BYTES or len(token) > MAX_TOKEN_CHARS:
        raise ValueError("these claims make a token too long for a QR code")
    return token


def new_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def public_bytes(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_to_jwk(key: SigningKey) -> dict[str, str]:
    """The key as GET /v1/keys lists it."""
    x = base64.urlsafe_b64encode(key.public).rstrip(b"=").decode("ascii")
    return {"kid": key.kid, "kty": "OKP", "crv": "Ed25519", "x": x,
            "valid_from": _iso(key.valid_from), "valid_until": _iso(key.valid_until)}


def key_from_jwk(data: object) -> SigningKey:
    """A key from GET /v1/keys; ValueError on anything malformed."""
    if not isinstance(data, Mapping):
        raise ValueError("a key is a JSON object")
    if data.get("kty") != "OKP" or data.get("crv") != "Ed25519":
        raise ValueError("only OKP Ed25519 keys are accepted")
    kid, x = data.get("kid"), data.get("x")
    if not isinstance(kid, str):
        raise ValueError("kid must be a text")
    if not isinstance(x, str) or not _BASE64URL_KEY.fullmatch(x):
        raise ValueError("x must be 32 bytes in unpadded base64url")
    public = base64.urlsafe_b64decode(x + "=")
    if base64.urlsafe_b64encode(public).rstrip(b"=").decode("ascii") != x:
        raise ValueError("x is not canonical base64url")
    return SigningKey(kid, public, _parse_iso(data.get("valid_from")),
                      _parse_iso(data.get("valid_until")))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parse_iso(text: object) -> datetime:
    if not isinstance(text, str):
        raise ValueError("key validity must be an ISO 8601 text")
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("key validity must carry its time zone (Z)")
    return moment.astimezone(UTC)


@lru_cache(maxsize=64)
def _public_key(raw: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(raw)


def _signature_holds(public: bytes, signature: bytes, signed: bytes) -> bool:
    try:
        _public_key(public).verify(signature, signed)
    except (InvalidSignature, ValueError):
        return False
    return True


def _sig_structure(protected: bytes, payload: bytes) -> bytes:
    return cbor2.dumps(["Signature1", protected, b"", payload])


def _decode(token: object) -> _Decoded:
    try:
        return _parse_cose(_inflate(_compressed(token)))
    except TokenError:
        raise
    except Exception as error:  # anything a hostile text provokes in base45, zlib or cbor2 is "malformed"
        raise TokenError("malformed") from error


def _compressed(token: object) -> bytes:
    if not isinstance(token, str) or len(token) > 4 * MAX_TOKEN_CHARS:
        raise TokenError("malformed")
    text = token.strip()  # Base45 never ends in its space character, so stripping is safe
    if len(text) > MAX_TOKEN_CHARS or not text.startswith(PREFIX):
        raise TokenError("malformed")
    return base45.b45decode(text[len(PREFIX):])


def _inflate(compressed: bytes) -> bytes:
    inflater = zlib.decompressobj()
    cose = inflater.decompress(compressed, MAX_COSE_BYTES)
    if not inflater.eof or inflater.unconsumed_tail or inflater.unused_data:
        raise TokenError("malformed")  # truncated, trailing bytes, or more than MAX_COSE_BYTES
    return cose


def _load(data: bytes) -> Any:
    """One CBOR item filling data exactly: plain types only, no duplicate keys, no indefinite lengths."""
    stream = io.BytesIO(data)
    value = cbor2.CBORDecoder(stream, semantic_decoders=_NO_SEMANTICS, max_depth=16, allow_indefinite=False,
                              allow_duplicate_keys=False).decode()
    if stream.tell() != len(data):
        raise TokenError("malformed")
    return value


def _parse_cose(cose: bytes) -> _Decoded:
    message = _load(cose)
    if isinstance(message, cbor2.CBORTag):
        message = message.value if message.tag == COSE_SIGN1_TAG else None
    if type(message) not in (list, tuple) or len(message) != 4:  # under a tag, cbor2 gives a tuple
        raise TokenError("malformed")
    protected, unprotected, payload, signature = message
    byte_strings = (protected, payload, signature)
    if not isinstance(unprotected, Mapping) or any(type(part) is not bytes for part in byte_strings):
        raise TokenError("malformed")
    return _Decoded(_kid(_load(protected)), _sig_structure(protected, payload), signature,
                    _claims(_load(payload)))


def _kid(header: object) -> str:
    if type(header) is not dict or HEADER_CRIT in header:
        raise TokenError("malformed")  # we understand no critical header
    alg, kid = header.get(HEADER_ALG), header.get(HEADER_KID)
    if type(alg) is not int or alg != ALG_EDDSA or type(kid) is not bytes or not kid:
        raise TokenError("malformed")
    return kid.decode("utf-8")


def _claims(payload: object) -> AppointmentClaims:
    if type(payload) is not dict or _text(payload, CLAIM_ISS) != ISSUER:
        raise TokenError("malformed")
    issued_at, expires_at = _moment(payload, CLAIM_IAT), _moment(payload, CLAIM_EXP)
    appointment = payload.get(CLAIM_APPOINTMENT)
    if type(appointment) is not dict or expires_at < issued_at:
        raise TokenError("malformed")
    lang = _text(appointment, "l") if "l" in appointment else None
    claims = AppointmentClaims(
        _text(appointment, "id"), _text(appointment, "ref"), _text(appointment, "site"),
        _services(appointment.get("svc")), _moment(appointment, "s"), _moment(appointment, "e"),
        _integer(appointment, "n"), lang, _integer(appointment, "v"), issued_at, expires_at)
    if not 1 <= claims.persons <= MAX_PERSONS or claims.slot_end <= claims.slot_start or claims.version < 0:
        raise TokenError("malformed")
    return claims


def _text(mapping: dict[Any, Any], key: object) -> str:
    value = mapping.get(key)
    if type(value) is not str or not value:
        raise TokenError("malformed")
    return value


def _integer(mapping: dict[Any, Any], key: object) -> int:
    value = mapping.get(key)
    if type(value) is not int:
        raise TokenError("malformed")  # bools, floats and absent values included
    return value


def _moment(mapping: dict[Any, Any], key: object) -> datetime:
    return EPOCH + _integer(mapping, key) * SECOND  # OverflowError past year 9999: malformed


def _services(value: object) -> tuple[str, ...]:
    if type(value) is not list or not value or not all(type(code) is str and code for code in value):
        raise TokenError("malformed")
    return tuple(value)


def _epoch(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("token times must be timezone-aware")
    return (moment - EPOCH) // SECOND


def _claims_map(claims: AppointmentClaims) -> dict[int, Any]:
    appointment: dict[str, Any] = {
        "id": claims.appointment_id, "ref": claims.reference, "site": claims.site,
        "svc": list(claims.services), "s": _epoch(claims.slot_start), "e": _epoch(claims.slot_end),
        "n": claims.persons, "v": claims.version}
    if claims.lang is not None:
        appointment["l"] = claims.lang
    return {CLAIM_ISS: ISSUER, CLAIM_EXP: _epoch(claims.expires_at), CLAIM_IAT: _epoch(claims.issued_at),
            CLAIM_APPOINTMENT: appointment}
