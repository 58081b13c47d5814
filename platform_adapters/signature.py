"""The result of signing a marketplace request: the exact base string and the sign over it.

Signers in ``platform_adapters/<platform>/signing.py`` return this, so tests and the sandbox can
compare both halves, and logs can show the base string with the sign redacted.
"""
from __future__ import annotations

import hmac
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
