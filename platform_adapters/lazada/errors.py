"""Lazada error ``code`` values sorted into the shared error kinds.

``IllegalAccessToken`` ("the specified access token is invalid or expired") is the only refresh
trigger; ``IllegalRefreshToken`` and ``AUTH_TYPE_UNSUPPORTED`` ("can only be authorized by market,
not support refresh") mean the authorization must be renewed. Seller-permission codes from the API
error lists (``E026: Seller Unauthorized``, ``BIZ_USER_NOT_PERMITTED``, ``Mp3SellerApiLimit``,
``TRANSFER_ERROR_NATION_NOT_IN_LIST``) are DENIED: shown on the shop, the authorization kept.
"""
from __future__ import annotations

from platform_adapters.http.errors import ErrorKind

THROTTLE = frozenset({"ApiCallLimit"})
EXPIRED_TOKEN = frozenset({"IllegalAccessToken"})
AUTH_REVOKED = frozenset({"IllegalRefreshToken", "AUTH_TYPE_UNSUPPORTED"})
DENIED = frozenset({"26", "E026", "BIZ_USER_NOT_PERMITTED", "Mp3SellerApiLimit", "TRANSFER_ERROR_NATION_NOT_IN_LIST"})


def classify(code: str, error_type: str | None = None) -> ErrorKind:
    """The kind of a Lazada error. ``type`` ISP (the platform's side, per the SDK's error types) is
    treated as transient; ISV (our request) and the rest are fatal."""
    if code in THROTTLE:
        return ErrorKind.THROTTLE
    if code in EXPIRED_TOKEN:
        return ErrorKind.EXPIRED_TOKEN
    if code in AUTH_REVOKED:
        return ErrorKind.AUTH_REVOKED
    if code in DENIED:
        return ErrorKind.DENIED
    if (error_type or "").upper() == "ISP":
        return ErrorKind.RETRYABLE
    return ErrorKind.FATAL
