"""Test helpers: a controllable clock, a retry policy that records instead of sleeping, tokens."""
from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from platform_adapters.auth import StaticTokenProvider, TokenSet
from platform_adapters.http.retry import RetryPolicy
from platform_adapters.http.transport import Transport

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "marketplace"
T0 = datetime(2024, 11, 24, 0, 0, tzinfo=timezone.utc)


def fixture_text(*parts: str) -> str:
    return FIXTURES.joinpath(*parts).read_text(encoding="utf-8")


def fixture_json(*parts: str) -> Any:
    """A fixture decoded exactly (floats as Decimal), the way the clients decode responses."""
    return json.loads(fixture_text(*parts), parse_float=Decimal)


class Clock:
    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


class Sleeps(list):
    """Collects the waits the retry policy asked for (tests never really sleep)."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def make_transport(platform: str, sleeps: Sleeps | None = None, attempts: int = 6) -> Transport:
    policy = RetryPolicy(max_attempts=attempts, base_wait=0.5, max_wait=8.0, sleep=sleeps if sleeps is not None
                         else Sleeps(), rng=random.Random(7))
    return Transport(httpx.Client(timeout=5.0), retry=policy, platform=platform)


def tokens(access: str = "access-1", refresh: str = "refresh-1", *, expires_in: timedelta = timedelta(hours=4),
           now: datetime = T0) -> TokenSet:
    return TokenSet(access_token=access, refresh_token=refresh, access_expires_at=now + expires_in,
                    refresh_expires_at=now + timedelta(days=30))


def counting_refresher(new_access: str = "access-2", new_refresh: str = "refresh-2"):
    calls: list[TokenSet] = []

    def refresher(stale: TokenSet) -> TokenSet:
        calls.append(stale)
        return tokens(new_access, new_refresh)

    refresher.calls = calls  # type: ignore[attr-defined]
    return refresher


def provider(shop_id: str, refresher=None, clock: Clock | None = None) -> StaticTokenProvider:
    return StaticTokenProvider(shop_id, tokens(), refresher, clock=clock or Clock())
