"""Appointment QR token: offline verification time, token size, and the QR code it needs.

Figures (JSON lines):
- `figure=verify`: median and p99 of `sync.tokens.verify` over --runs verifications of one typical token
  (after --warmup untimed ones, so the cached public key and imports are warm), in ms;
- `figure=size` `format=cose_base45`: the typical appointment (1 service, 1 person, reference RDV-7K3Q9M,
  a 24-character id) as our token: characters, and the QR version `qrcode` picks at error correction M with
  the modes its optimiser chose (Base45 is the QR alphanumeric alphabet), and the COSE_Sign1 bytes before
  and after zlib; `format=cose_base45_without_zlib`: the same without zlib (not accepted by verify: only
  to show what zlib costs or saves on so small a payload);
- `figure=size` `format=jws_compact`: the same claims as a compact JWS (EdDSA, JSON claims, base64url),
  built by hand as PyJWT would: its length, QR version and modes, for comparison.
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import sys
import time
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

import _server as h  # noqa: E402
import base45  # noqa: E402
import qrcode  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from qrcode import util as qr_util  # noqa: E402

from sync.tokens import (  # noqa: E402
    ISSUER,
    PREFIX,
    AppointmentClaims,
    SigningKey,
    new_private_key,
    public_bytes,
    sign,
    verify,
)

KID = "2026-11"
ISSUED = datetime(2026, 11, 20, 14, 3, 27, tzinfo=UTC)
MODES = {qr_util.MODE_NUMBER: "numeric", qr_util.MODE_ALPHA_NUM: "alphanumeric",
         qr_util.MODE_8BIT_BYTE: "byte", qr_util.MODE_KANJI: "kanji"}


def typical_claims() -> AppointmentClaims:
    start = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
    return AppointmentClaims(
        appointment_id="apt_8f2c4e1b9d7a6c5e3f2a", reference="RDV-7K3Q9M", site="ma-paris",
        services=("passport",), slot_start=start, slot_end=start + timedelta(minutes=15), persons=1,
        lang="fr", version=3, issued_at=ISSUED, expires_at=start + timedelta(days=1))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jws(claims: AppointmentClaims, key: Ed25519PrivateKey) -> str:
    """The same claims as a compact JWS (RFC 7515, alg EdDSA), JSON without spaces."""
    def seconds(moment: datetime) -> int:
        return int(moment.timestamp())

    appointment = {"id": claims.appointment_id, "ref": claims.reference, "site": claims.site,
                   "svc": list(claims.services), "s": seconds(claims.slot_start),
                   "e": seconds(claims.slot_end), "n": claims.persons, "l": claims.lang, "v": claims.version}
    body = {"iss": ISSUER, "iat": seconds(claims.issued_at), "exp": seconds(claims.expires_at),
            "apt": appointment}
    header = {"alg": "EdDSA", "kid": KID}
    parts = (json.dumps(part, separators=(",", ":")).encode() for part in (header, body))
    signing_input = ".".join(b64url(part) for part in parts)
    return f"{signing_input}.{b64url(key.sign(signing_input.encode('ascii')))}"


def qr_figures(text: str) -> dict[str, object]:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(text)
    code.make(fit=True)
    modes = [MODES.get(chunk.mode, str(chunk.mode)) for chunk in code.data_list]
    return {"qr_version": code.version, "qr_modules": code.modules_count, "error_correction": "M",
            "qr_modes": sorted(set(modes)), "qr_chunks": len(modes)}


def timed_ms(token: str, keys: dict[str, SigningKey], at: datetime) -> float:
    started = time.perf_counter()
    verify(token, keys, at)
    return (time.perf_counter() - started) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5000)
    parser.add_argument("--warmup", type=int, default=200)
    args = parser.parse_args()
    private = new_private_key()
    claims = typical_claims()
    validity = (ISSUED - timedelta(days=30), ISSUED + timedelta(days=365))
    keys = {KID: SigningKey(KID, public_bytes(private), *validity)}
    token = sign(claims, private, KID)
    at = claims.slot_start - timedelta(minutes=20)
    assert verify(token, keys, at) == claims
    for _ in range(args.warmup):
        verify(token, keys, at)
    times = [timed_ms(token, keys, at) for _ in range(args.runs)]
    h.emit(bench="tokens", figure="verify", median_ms=round(statistics.median(times), 4),
           p99_ms=round(h.percentile(times, 99), 4), runs=args.runs)
    compressed = base45.b45decode(token[len(PREFIX):])
    h.emit(bench="tokens", figure="size", format="cose_base45", chars=len(token), kid=KID,
           cose_bytes=len(zlib.decompress(compressed)), zlib_bytes=len(compressed), **qr_figures(token))
    bare = PREFIX + base45.b45encode(zlib.decompress(compressed)).decode("ascii")
    h.emit(bench="tokens", figure="size", format="cose_base45_without_zlib", chars=len(bare), kid=KID,
           note="what zlib costs or saves here; verify requires zlib", **qr_figures(bare))
    compact = jws(claims, private)
    h.emit(bench="tokens", figure="size", format="jws_compact", chars=len(compact), kid=KID,
           **qr_figures(compact))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
