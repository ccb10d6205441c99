"""Passwords (and badge PINs): scrypt hashing off the server's event loop, a decoy hash for equal timing, and
the policy a new password must meet (NIST SP 800-63B: length, no common password, not the user name).

scrypt costs ~60 ms of CPU on purpose. Under gunicorn's gevent worker every request shares one OS thread, so
a hash computed there stalls every kiosk and screen for that long; it runs in gevent's thread pool instead
(hashlib releases the GIL while it computes). docs/security.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from functools import cache
from importlib import resources

from core.errors import N_, InvalidInput
from core.offload import off_loop

SCRYPT = {"n": 2**14, "r": 8, "p": 1}
MIN_PASSWORD_LENGTH = 12
NAME_IN_PASSWORD_MIN = 3  # a user name this long or longer may not appear inside the password
# "Password2024!" is "password" to a guesser: digits and signs around a common word add nothing.
EDGE_CHARACTERS = "0123456789 !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    return off_loop(lambda: hashlib.scrypt(secret.encode(), salt=salt, n=n, r=r, p=p, dklen=dklen))


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, SCRYPT["n"], SCRYPT["r"], SCRYPT["p"], 32)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    expected = base64.b64decode(digest)
    actual = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p), len(expected))
    return hmac.compare_digest(actual, expected)


@cache
def decoy_hash() -> str:
    """A hash of the same cost as a real one, of a password nobody knows: an unknown user name (or badge) is
    checked against it, so that it takes as long as a known one (no user names told by timing)."""
    return hash_password(secrets.token_urlsafe(16))


@cache
def common_passwords() -> frozenset[str]:
    """core/common-passwords.txt: frequent passwords, lower case."""
    text = resources.files("core").joinpath("common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def is_common(password: str) -> bool:
    """The password, or its core without the digits and signs around it, is a common password."""
    lowered = password.lower()
    core = lowered.strip(EDGE_CHARACTERS)
    return lowered in common_passwords() or (bool(core) and core in common_passwords())


def check_policy(password: str, username: str) -> None:
    """InvalidInput with a sentence when `password` may not be used for the account `username`."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(N_("The password needs at least %(n)s characters."), n=MIN_PASSWORD_LENGTH)
    name, lowered = username.lower(), password.lower()
    if lowered == name or (len(name) >= NAME_IN_PASSWORD_MIN and name in lowered):
        raise InvalidInput(N_("The password must not contain the user name."))
    if is_common(password):
        raise InvalidInput(N_("This password is one of the most common ones. Choose another, for example "
                              "three or four unrelated words."))
