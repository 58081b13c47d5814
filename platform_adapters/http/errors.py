"""The error kinds every platform's error codes are sorted into, and the exception that carries one."""
from __future__ import annotations

import enum


class ErrorKind(str, enum.Enum):
    """What the caller should do about an error.

    RETRYABLE: transient (5xx, gateway timeouts, connection errors): retry with backoff.
    THROTTLE: rate limited (HTTP 429 or a platform throttle code): wait (Retry-After) and retry.
    EXPIRED_TOKEN: the access token expired or is invalid: refresh once and replay. Only this kind
        ever triggers a refresh.
    AUTH_REVOKED: the authorization is gone (revoked, refresh token expired): the shop needs re-auth.
    DENIED: the platform refused for a reason a new token does not fix (a missing API permission or
        scope, an invalid partner, an IP not allow-listed, a banned or upgrading shop): the reason
        is shown on the shop, the authorization is kept.
    UNCERTAIN: a non-idempotent call (a single-use token refresh) whose outcome is unknown: the
        request may have reached the platform (read timeout, 5xx, unreadable answer). Never retried
        blindly; the caller re-reads what it stored and decides.
    FATAL: anything else (bad parameters, wrong sign): stop and report.
    """

    RETRYABLE = "retryable"
    THROTTLE = "throttle"
    EXPIRED_TOKEN = "expired_token"
    AUTH_REVOKED = "auth_revoked"
    DENIED = "denied"
    UNCERTAIN = "uncertain"
    FATAL = "fatal"


class PlatformError(Exception):
    """A failed marketplace call: kind, the platform's code and message, request id, HTTP status."""

    def __init__(
        self,
        kind: ErrorKind,
        code: str,
        message: str = "",
        *,
        platform: str = "",
        request_id: str | None = None,
        http_status: int | None = None,
        retry_after: float | None = None,
        path: str = "",
    ) -> None:
        self.kind = kind
        self.code = code
        self.message = message
        self.platform = platform
        self.request_id = request_id
        self.http_status = http_status
        self.retry_after = retry_after
        self.path = path
        where = f"{platform} {path}".strip()
        super().__init__(
            f"{where}: {kind.value} error {code!r}: {message}"
            + (f" (HTTP {http_status})" if http_status else "")
            + (f" [request_id={request_id}]" if request_id else "")
        )

    @property
    def retryable(self) -> bool:
        return self.kind in (ErrorKind.RETRYABLE, ErrorKind.THROTTLE)


def kind_for_http_status(status: int) -> ErrorKind | None:
    """The kind implied by the HTTP status alone (None: look at the body)."""
    if status == 429:
        return ErrorKind.THROTTLE
    if status >= 500:
        return ErrorKind.RETRYABLE
    return None
