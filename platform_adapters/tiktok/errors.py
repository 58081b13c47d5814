"""TikTok Shop ``code`` values sorted into the shared error kinds.

105002 is an expired access token (the only refresh trigger). 105005 (scope not granted),
101000 (token and shop cipher of different sellers, or a token of the wrong user type) and
36009033 (IP not on the app's allow-list) are DENIED: shown on the shop, the authorization kept.
36004001 ("rt has expired") and 36004005 ("can not find related auth record") on the token host
mean the authorization is gone. Sign (106001), cipher (106013) and the rest are fatal.
"""
from __future__ import annotations

from platform_adapters.http.errors import ErrorKind

THROTTLE = frozenset({36009002})
RETRYABLE = frozenset({36009003, 36009007})
EXPIRED_TOKEN = frozenset({105002})
AUTH_REVOKED = frozenset({36004001, 36004005})
DENIED = frozenset({105005, 101000, 36009033})


def classify(code: int) -> ErrorKind:
    if code in THROTTLE:
        return ErrorKind.THROTTLE
    if code in RETRYABLE:
        return ErrorKind.RETRYABLE
    if code in EXPIRED_TOKEN:
        return ErrorKind.EXPIRED_TOKEN
    if code in AUTH_REVOKED:
        return ErrorKind.AUTH_REVOKED
    if code in DENIED:
        return ErrorKind.DENIED
    return ErrorKind.FATAL
