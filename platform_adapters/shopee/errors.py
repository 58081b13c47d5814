"""Shopee ``error`` strings sorted into the shared error kinds, by name and, for ``error_auth``, by meaning.

Names come from the API schemas' error lists (Open Platform v2). ``error_auth`` is overloaded: its
documented messages are "Invalid access_token." (a token problem: refresh once) but also "No
permission to current api.", "Invalid partner_id or shopid.", "You have no valid partnerid.",
"partner does not have permission to operate shop", "shop is upgrading" and other shop states.
Only the messages naming the access token are token problems; the others are DENIED: shown on the
shop with Shopee's message, the authorization kept (a refresh or re-authorization would not help).
"""
from __future__ import annotations

import re

from platform_adapters.http.errors import ErrorKind

THROTTLE = frozenset({"error_rate_limit"})
EXPIRED_TOKEN = frozenset({"invalid_access_token", "invalid_acceess_token"})  # sic: Shopee's own spelling
AUTH_REVOKED = frozenset({
    "refresh_token_expired", "error_shop_refresh_token", "error_merchant_refresh_token",
    "shop_access_expired", "merchant_access_expired", "partner_shop_no_link", "shop_no_linked",
})
DENIED = frozenset({
    "error_permission", "error_perm", "invalid_partner_id", "error_partner_key_expired", "shop_banned",
    "error_api_call_restricted", "source_ip_undeclared",
})
RETRYABLE = frozenset({"error_server", "error_inner", "error_network", "error_busy"})
TOKEN_MESSAGE = re.compile(r"access[_ ]?token", re.IGNORECASE)


def classify(error: str, message: str = "") -> ErrorKind:
    """The kind of a Shopee error; ``error_auth`` is a token problem only when its message says so.
    ``error_limit`` (the daily quota) and the rest are fatal."""
    code = error.strip()
    if code in THROTTLE:
        return ErrorKind.THROTTLE
    if code in EXPIRED_TOKEN:
        return ErrorKind.EXPIRED_TOKEN
    if code == "error_auth":
        return ErrorKind.EXPIRED_TOKEN if TOKEN_MESSAGE.search(message or "") else ErrorKind.DENIED
    if code in AUTH_REVOKED:
        return ErrorKind.AUTH_REVOKED
    if code in DENIED:
        return ErrorKind.DENIED
    if code in RETRYABLE:
        return ErrorKind.RETRYABLE
    return ErrorKind.FATAL
