"""Authorization codes and access/refresh tokens with each platform's real lifetimes.

Lifetimes (reference §2.3, §3.3, §4.3): Shopee access 4 h, refresh 30 days and single use, code
10 minutes; Lazada (online app) access 30 days, refresh 180 days, code 30 minutes; TikTok access
about 7 days (expiry returned as an absolute time), code 30 minutes. TikTok's refresh-token life
is not in the reference; the sandbox uses 365 days. Codes are single use everywhere. All checks
use the real wall clock (``clock``), since clients sign with it too.
"""
from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from typing import Callable

DAY = 86400
ACCESS_LIFETIME = {"shopee": 4 * 3600, "lazada": 30 * DAY, "tiktok": 7 * DAY}
REFRESH_LIFETIME = {"shopee": 30 * DAY, "lazada": 180 * DAY, "tiktok": 365 * DAY}
CODE_LIFETIME = {"shopee": 600, "lazada": 1800, "tiktok": 1800}
REFRESH_SINGLE_USE = {"shopee": True, "lazada": False, "tiktok": False}


@dataclass(frozen=True, slots=True)
class TokenPair:
    platform: str
    shop_id: str
    access_token: str
    refresh_token: str
    access_expires_at: int
    refresh_expires_at: int
    covers: tuple[str, ...] = ()  # every shop the pair may act for (a main account's / an authorization's)


@dataclass(slots=True)
class _Access:
    platform: str
    shop_id: str
    expires_at: int
    covers: tuple[str, ...] = ()


@dataclass(slots=True)
class _Refresh:
    platform: str
    shop_id: str
    expires_at: int
    used: bool = False
    covers: tuple[str, ...] = ()


class TokenError(Exception):
    """Why a code or token was refused: ``invalid``, ``expired`` or ``used``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TokenStore:
    """Thread-safe store of codes and tokens for all platforms."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._codes: dict[str, tuple[str, str, int]] = {}
        self._code_covers: dict[str, tuple[str, ...]] = {}
        self._access: dict[str, _Access] = {}
        self._refresh: dict[str, _Refresh] = {}

    def now(self) -> int:
        return int(self._clock())

    def new_code(self, platform: str, shop_id: str) -> str:
        code = secrets.token_hex(16)
        with self._lock:
            self._codes[code] = (platform, shop_id, self.now() + CODE_LIFETIME[platform])
        return code

    def new_account_code(self, platform: str, shop_ids: list[str]) -> str:
        """A code whose token covers several shops (a Shopee main account, a TikTok authorization of
        several shops); the first shop is the pair's own."""
        code = self.new_code(platform, shop_ids[0])
        with self._lock:
            self._code_covers[code] = tuple(shop_ids)
        return code

    def exchange_code(self, platform: str, code: str) -> TokenPair:
        with self._lock:
            entry = self._codes.pop(code, None)
            covers = self._code_covers.pop(code, None)
            if entry is None or entry[0] != platform:
                raise TokenError("invalid")
            if entry[2] < self.now():
                raise TokenError("expired")
            return self._issue(platform, entry[1], covers)

    def issue(self, platform: str, shop_id: str) -> TokenPair:
        with self._lock:
            return self._issue(platform, shop_id)

    def _issue(self, platform: str, shop_id: str, covers: tuple[str, ...] | None = None) -> TokenPair:
        now = self.now()
        access, refresh = secrets.token_hex(16), secrets.token_hex(16)
        covers = covers or (shop_id,)
        pair = TokenPair(platform, shop_id, access, refresh,
                         now + ACCESS_LIFETIME[platform], now + REFRESH_LIFETIME[platform], covers)
        self._access[access] = _Access(platform, shop_id, pair.access_expires_at, covers)
        self._refresh[refresh] = _Refresh(platform, shop_id, pair.refresh_expires_at, covers=covers)
        return pair

    def covers(self, platform: str, access_token: str | None, shop_id: str) -> bool:
        """Whether a (valid) access token may act for ``shop_id``."""
        with self._lock:
            entry = self._access.get(access_token or "")
            return entry is not None and entry.platform == platform and shop_id in (entry.covers or (entry.shop_id,))

    def refresh(self, platform: str, refresh_token: str, shop_id: str | None = None) -> TokenPair:
        """A new pair for a refresh token. Shopee's refresh tokens work once (then ``used``)."""
        with self._lock:
            entry = self._refresh.get(refresh_token)
            if entry is None or entry.platform != platform or (
                    shop_id is not None and shop_id not in (entry.covers or (entry.shop_id,))):
                raise TokenError("invalid")
            if entry.used:
                raise TokenError("used")
            if entry.expires_at < self.now():
                raise TokenError("expired")
            if REFRESH_SINGLE_USE[platform]:
                entry.used = True
            return self._issue(platform, entry.shop_id, entry.covers)

    def shop_for_access(self, platform: str, access_token: str | None) -> str:
        """The shop an access token belongs to; raises ``TokenError`` (invalid/expired)."""
        if not access_token:
            raise TokenError("invalid")
        with self._lock:
            entry = self._access.get(access_token)
            if entry is None or entry.platform != platform:
                raise TokenError("invalid")
            if entry.expires_at < self.now():
                raise TokenError("expired")
            return entry.shop_id

    def expire_access(self, access_token: str) -> None:
        """Make an access token expired now (fault injection: token expiry mid-run)."""
        with self._lock:
            entry = self._access.get(access_token)
            if entry is not None:
                entry.expires_at = self.now() - 1
