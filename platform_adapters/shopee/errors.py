"""Shopee ``error`` strings sorted into the shared error kinds (names from the API schemas)."""
from __future__ import annotations

from platform_adapters.http.errors import ErrorKind

THROTTLE = frozenset({"error_rate_limit"})
EXPIRED_TOKEN = frozenset({"invalid_access_token", "invalid_acceess_token", "error_auth"})
AUTH_REVOKED = frozenset({
    "refresh_token_expired", "error_shop_refresh_token", "error_merchant_refresh_token",
    "shop_access_expired", "merchant_access_expired", "partner_shop_no_link", "shop_no_linked",
    "shop_banned",
})
RETRYABLE = frozenset({"error_server", "error_inner", "error_network", "error_busy"})


def classify(error: str) -> ErrorKind:
    """The kind of a Shopee error name; ``error_limit`` (daily quota) and the rest are fatal."""
    code = error.strip()
    if code in THROTTLE:
        return ErrorKind.THROTTLE
    if code in EXPIRED_TOKEN:
        return ErrorKind.EXPIRED_TOKEN
    if code in AUTH_REVOKED:
        return ErrorKind.AUTH_REVOKED
    if code in RETRYABLE:
        return ErrorKind.RETRYABLE
    return ErrorKind.FATAL
