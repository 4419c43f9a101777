"""Clerk passwords: werkzeug's salted PBKDF2 hashes, checked in the hall config and at sign-in.

Only PBKDF2 with its iteration count written out is accepted. werkzeug's default, scrypt, needs
32 MB of memory for every check, half the hub's 60 MB budget on a Pi; and a hash that leaves the
count out would silently change meaning with werkzeug's default on an upgrade.
"""
from __future__ import annotations

import re
import secrets
from functools import lru_cache

from werkzeug.security import check_password_hash, generate_password_hash

ITERATIONS = 200_000  # about 40 ms per check on a desktop core, a few hundred on a Pi
MIN_ITERATIONS, MAX_ITERATIONS = 100_000, 1_000_000  # below: cheap to guess; above: slow sign-in
DEFAULT_METHOD = f"pbkdf2:sha256:{ITERATIONS}"
DIGEST_HEX = {"sha256": 64, "sha384": 96, "sha512": 128}
_HASH_RE = re.compile(r"pbkdf2:(?P<digest>[a-z0-9]+):(?P<iterations>\d{1,8})"
                      r"\$(?P<salt>[A-Za-z0-9]{8,64})\$(?P<hash>[0-9a-f]+)")
EXAMPLE = 'pbkdf2:sha256:200000$<salt>$<hex digest>'


def hash_problem(value: str) -> str | None:
    """Why `value` is not a usable password hash, or None when it is. The value itself is never
    quoted: someone may have pasted a password where its hash belongs."""
    if value.startswith("scrypt:") or value.startswith("scrypt$"):
        return ("is a scrypt hash, which needs 32 MB of memory per check on the hub; make a "
                "pbkdf2 hash with `hallcall hash-password`")
    m = _HASH_RE.fullmatch(value)
    if m is None:
        return f"is not a password hash like {EXAMPLE}; make one with `hallcall hash-password`"
    digest, iterations = m["digest"], int(m["iterations"])
    if digest not in DIGEST_HEX:
        return f"uses {digest}; use one of {', '.join(DIGEST_HEX)}"
    if not MIN_ITERATIONS <= iterations <= MAX_ITERATIONS:
        return (f"has {iterations} iterations; use {MIN_ITERATIONS} to {MAX_ITERATIONS} "
                f"(`hallcall hash-password` uses {ITERATIONS})")
    if len(m["hash"]) != DIGEST_HEX[digest]:
        return (f"has a {digest} digest of the wrong length "
                f"(it should be {DIGEST_HEX[digest]} hex digits)")
    return None


def make_hash(password: str, method: str = DEFAULT_METHOD) -> str:
    return generate_password_hash(password, method=method)


def method_of(password_hash: str) -> str:
    return password_hash.split("$", 1)[0]


@lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    return make_hash(secrets.token_urlsafe(16), method)


def verify(password_hash: str | None, password: str, dummy_method: str = DEFAULT_METHOD) -> bool:
    """Whether `password` matches. With no hash (an unknown clerk id) a throwaway hash of the
    same cost is checked, so the answer takes as long and does not tell which ids exist."""
    dummy = _dummy_hash(dummy_method)  # made on the first sign-in of any kind, known id or not
    if password_hash is None:
        check_password_hash(dummy, password)
        return False
    return check_password_hash(password_hash, password)
