"""The result of signing a marketplace request: the exact base string and the sign over it.

Signers in ``platform_adapters/<platform>/signing.py`` return this, so tests and the sandbox can
compare both halves, and logs can show the base string with the sign redacted.
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Signature:
    base_string: str
    sign: str

    def __repr__(self) -> str:  # never print the sign itself
        return f"Signature(base_string={self.base_string!r}, sign='***')"


def signs_equal(expected: str, received: str) -> bool:
    """Constant-time comparison of two hex signs (exact case: platforms differ on hex case)."""
    return hmac.compare_digest(expected.encode("ascii", "replace"), received.encode("ascii", "replace"))


def hmac_sha256_hex(key: str, message: str) -> str:
    """Lower-case hex HMAC-SHA256 of ``message`` keyed by ``key`` (both UTF-8)."""
    return hmac.new(key.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()


def sign_key_and_body(app_key: str, app_secret: str, raw_body: bytes) -> Signature:
    """HMAC-SHA256(app_secret, app_key + raw body), lower hex: Lazada pushes and TikTok webhooks."""
    base = app_key + raw_body.decode("utf-8")
    return Signature(base_string=base, sign=hmac_sha256_hex(app_secret, base))


def verify_authorization(expected: Callable[[], Signature], authorization: str | None) -> bool:
    """Constant-time check of a push's ``Authorization`` header against the sign we compute; an
    absent header or a body that is not UTF-8 never verifies."""
    if not authorization:
        return False
    try:
        sign = expected().sign
    except UnicodeDecodeError:
        return False
    return signs_equal(sign, authorization.strip())
