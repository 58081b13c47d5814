"""Lazada error ``code`` values sorted into the shared error kinds."""
from __future__ import annotations

from platform_adapters.http.errors import ErrorKind

THROTTLE = frozenset({"ApiCallLimit"})
EXPIRED_TOKEN = frozenset({"IllegalAccessToken"})
AUTH_REVOKED = frozenset({"IllegalRefreshToken", "AUTH_TYPE_UNSUPPORTED"})


def classify(code: str, error_type: str | None = None) -> ErrorKind:
    """The kind of a Lazada error. ``type`` ISP (the platform's side, per the SDK's error types) is
    treated as transient; ISV (our request) and the rest are fatal."""
    if code in THROTTLE:
        return ErrorKind.THROTTLE
    if code in EXPIRED_TOKEN:
        return ErrorKind.EXPIRED_TOKEN
    if code in AUTH_REVOKED:
        return ErrorKind.AUTH_REVOKED
    if (error_type or "").upper() == "ISP":
        return ErrorKind.RETRYABLE
    return ErrorKind.FATAL
