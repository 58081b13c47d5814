"""TikTok Shop ``code`` values sorted into the shared error kinds."""
from __future__ import annotations

from platform_adapters.http.errors import ErrorKind

THROTTLE = frozenset({36009002})
RETRYABLE = frozenset({36009003, 36009007})
EXPIRED_TOKEN = frozenset({105002})
AUTH_REVOKED = frozenset({36004001, 36004005})


def classify(code: int) -> ErrorKind:
    """The kind of a TikTok error code; sign (106001), cipher (106013), scope (105005) and the rest
    are fatal."""
    if code in THROTTLE:
        return ErrorKind.THROTTLE
    if code in RETRYABLE:
        return ErrorKind.RETRYABLE
    if code in EXPIRED_TOKEN:
        return ErrorKind.EXPIRED_TOKEN
    if code in AUTH_REVOKED:
        return ErrorKind.AUTH_REVOKED
    return ErrorKind.FATAL
