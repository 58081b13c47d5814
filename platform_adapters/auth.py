"""Token protocol types shared by the adapters and the application's token store.

Adapters never store tokens. They ask a ``TokenProvider`` (implemented by
``aggregator.auth``, or ``StaticTokenProvider`` in tests and one-off scripts) for the current token,
and on an expired-token error ask it to refresh exactly once. Expiry is always an absolute aware UTC
time: Shopee and Lazada return durations, TikTok absolute Unix times; each adapter's ``auth``
module normalises.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Protocol, TypeVar, runtime_checkable

from platform_adapters.canonical.common import aware_utc
from platform_adapters.http.errors import ErrorKind, PlatformError

T = TypeVar("T")


class AuthorizationRevoked(Exception):
    """The shop's authorization is gone (revoked, expired, refresh token used or expired).

    The application marks the shop ``needs_reauth``; syncing it stops visibly until re-authorized.
    """

    def __init__(self, shop_id: str, reason: str) -> None:
        self.shop_id = shop_id
        self.reason = reason
        super().__init__(f"shop {shop_id}: authorization needs renewal: {reason}")


@dataclass(frozen=True, slots=True)
class TokenSet:
    """An access/refresh token pair with absolute expiry times; ``extra`` holds platform facts
    returned with the token (Lazada country, TikTok open_id/seller region, Shopee shop lists)."""

    access_token: str
    refresh_token: str
    access_expires_at: datetime
    refresh_expires_at: datetime | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "access_expires_at", aware_utc(self.access_expires_at, "access_expires_at"))
        object.__setattr__(self, "refresh_expires_at", aware_utc(self.refresh_expires_at, "refresh_expires_at"))

    def __repr__(self) -> str:
        return (
            f"TokenSet(access_token='***', refresh_token='***', access_expires_at={self.access_expires_at!r}, "
            f"refresh_expires_at={self.refresh_expires_at!r}, extra={dict(self.extra)!r})"
        )

    def expires_within(self, margin: timedelta, now: datetime) -> bool:
        return self.access_expires_at - margin <= now

    def refresh_expired(self, now: datetime) -> bool:
        return self.refresh_expires_at is not None and self.refresh_expires_at <= now


@runtime_checkable
class TokenProvider(Protocol):
    """What a platform client needs from a token store for one shop."""

    def current(self) -> TokenSet:
        """A usable token, refreshed first when it is about to expire."""
        ...

    def refresh(self, stale: TokenSet) -> TokenSet:
        """Refresh after the platform rejected ``stale`` as expired. Single-flight: when another
        worker already replaced ``stale``, return that newer token instead of refreshing again."""
        ...


Refresher = Callable[[TokenSet], TokenSet]
REFRESH_MARGIN = timedelta(minutes=10)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class StaticTokenProvider:
    """An in-memory provider: holds one token set and refreshes it with ``refresher`` (in process only).

    Used by tests and scripts; the application uses the database-backed store in ``aggregator.auth``.
    """

    def __init__(
        self,
        shop_id: str,
        tokens: TokenSet,
        refresher: Refresher | None = None,
        *,
        clock: Callable[[], datetime] = utc_now,
        margin: timedelta = REFRESH_MARGIN,
    ) -> None:
        self.shop_id = shop_id
        self.tokens = tokens
        self._refresher = refresher
        self._clock = clock
        self._margin = margin
        self._lock = threading.Lock()
        self.refresh_count = 0

    def current(self) -> TokenSet:
        with self._lock:
            if self._refresher is not None and self.tokens.expires_within(self._margin, self._clock()):
                self._refresh_locked()
            return self.tokens

    def refresh(self, stale: TokenSet) -> TokenSet:
        with self._lock:
            if self.tokens.access_token != stale.access_token:
                return self.tokens
            self._refresh_locked()
            return self.tokens

    def _refresh_locked(self) -> None:
        if self._refresher is None:
            raise AuthorizationRevoked(self.shop_id, "access token expired and no refresher is configured")
        if self.tokens.refresh_expired(self._clock()):
            raise AuthorizationRevoked(self.shop_id, "refresh token expired")
        self.tokens = self._refresher(self.tokens)
        self.refresh_count += 1


def call_with_token(provider: TokenProvider, shop_id: str, call: Callable[[TokenSet], T]) -> T:
    """Run ``call`` with the current token; on an expired-token error refresh once and replay.

    A second expired-token error, or an auth-revoked error, raises ``AuthorizationRevoked``.
    """
    tokens = provider.current()
    try:
        return call(tokens)
    except PlatformError as exc:
        if exc.kind is ErrorKind.AUTH_REVOKED:
            raise AuthorizationRevoked(shop_id, f"{exc.code}: {exc.message}") from exc
        if exc.kind is not ErrorKind.EXPIRED_TOKEN:
            raise
    try:
        fresh = provider.refresh(tokens)
    except PlatformError as exc:
        if exc.kind in (ErrorKind.EXPIRED_TOKEN, ErrorKind.AUTH_REVOKED):
            raise AuthorizationRevoked(shop_id, f"refresh rejected: {exc.code}: {exc.message}") from exc
        raise
    try:
        return call(fresh)
    except PlatformError as exc:
        if exc.kind in (ErrorKind.EXPIRED_TOKEN, ErrorKind.AUTH_REVOKED):
            raise AuthorizationRevoked(shop_id, f"still rejected after refresh: {exc.code}: {exc.message}") from exc
        raise
