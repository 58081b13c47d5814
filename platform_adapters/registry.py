"""The marketplace adapter registry: platform name → adapter object.

A new marketplace is a new folder with an ``adapter.py`` plus one line in ``ADAPTERS`` (or an entry
point in the ``aggregator.platform_adapters`` group naming an adapter object). The protocol below
is everything the application uses of an adapter.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any, Protocol

from platform_adapters.auth import TokenProvider, TokenSet
from platform_adapters.canonical import MappingResult, Order, Platform, SettlementLine, Severity
from platform_adapters.http.transport import Transport

log = logging.getLogger(__name__)
ENTRY_POINT_GROUP = "aggregator.platform_adapters"


@dataclass(frozen=True, slots=True)
class ShopContext:
    """What an adapter needs to know about the shop it talks for."""

    shop_id: str
    region: str
    shop_cipher: str | None = None  # TikTok


class WebhookError(ValueError):
    """A push/webhook body that cannot be understood (where + why); the raw body is kept by the caller."""


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """A verified push from a marketplace, reduced to what the application acts on.

    ``event_id`` is stable for the same notification (dedupe key); ``source_updated_at`` lets a late,
    older notification be recognised as stale. ``kind``: ORDER_STATUS, RETURN_STATUS (a return,
    refund or cancellation of ``order_id`` changed), AUTH_REVOKED, AUTH_EXPIRING or OTHER (kept, not
    acted on).
    """

    platform: Platform
    event_id: str
    kind: str
    shop_id: str | None
    order_id: str | None = None
    raw_status: str | None = None
    source_updated_at: datetime | None = None
    raw: Any = None


class OrderSource(Protocol):
    max_window: timedelta

    def iter_orders(self, start: datetime, end: datetime) -> Iterator[Any]: ...

    def fetch_orders(self, order_ids: list[str]) -> list[Any]: ...

    def request_ids(self) -> list[str]: ...


class ReturnSource(Protocol):
    """After-sales cases (returns, refunds, cancellations); ``fetch_for_orders`` where the platform can
    search them by order (webhooks re-read an order's cases)."""

    max_window: timedelta

    def iter_returns(self, start: datetime, end: datetime) -> Iterator[Any]: ...

    def request_ids(self) -> list[str]: ...


class SettlementSource(Protocol):
    max_window: timedelta

    def iter_settlements(self, start: datetime, end: datetime) -> Iterator[Any]: ...

    def request_ids(self) -> list[str]: ...


def settlement_results(lines: list[SettlementLine], problems: list) -> list[MappingResult[SettlementLine]]:
    """One raw settlement record's lines as mapping results (an unusable record: one result, no line)."""
    found = tuple(problems)
    if any(p.severity is Severity.ERROR for p in found) or (not lines and found):
        return [MappingResult(None, found)]
    return [MappingResult(line, found) for line in lines]


class MarketplaceAdapter(Protocol):
    platform: Platform
    max_window: timedelta
    calls_per_second: float

    def settings_for(self, *, app_key: str, app_secret: str, region: str, base_url: str | None,
                     options: Mapping[str, str] | None = None) -> Any: ...

    def order_source(self, settings: Any, shop: ShopContext, tokens: TokenProvider, transport: Transport,
                     clock: Callable[[], datetime]) -> OrderSource: ...

    def map_order(self, raw: Any, shop: ShopContext, settings: Any) -> MappingResult[Order]: ...

    def raw_order_key(self, raw: Any) -> str: ...

    def settlement_source(self, settings: Any, shop: ShopContext, tokens: TokenProvider, transport: Transport,
                          clock: Callable[[], datetime]) -> SettlementSource: ...

    def map_settlement(self, raw: Any, shop: ShopContext, settings: Any) -> list[MappingResult[SettlementLine]]: ...

    def raw_settlement_key(self, raw: Any) -> str: ...

    def authorization_url(self, settings: Any, redirect_url: str, now: datetime, state: str = "") -> str: ...

    def exchange_code(self, settings: Any, transport: Transport, code: str, shop: ShopContext,
                      clock: Callable[[], datetime]) -> TokenSet: ...

    def refresh_tokens(self, settings: Any, transport: Transport, shop: ShopContext, tokens: TokenSet,
                       clock: Callable[[], datetime]) -> TokenSet: ...


#: Built-in adapters: platform → "module:class" (imported when first asked for).
BUILTIN: dict[str, str] = {
    Platform.SHOPEE.value: "platform_adapters.shopee.adapter:ShopeeAdapter",
    Platform.LAZADA.value: "platform_adapters.lazada.adapter:LazadaAdapter",
    Platform.TIKTOK.value: "platform_adapters.tiktok.adapter:TikTokAdapter",
}

#: The registry itself: platform → adapter object, filled on first use.
ADAPTERS: dict[str, MarketplaceAdapter] = {}


def _load(target: str) -> MarketplaceAdapter:
    module_name, _, attr = target.partition(":")
    obj = getattr(import_module(module_name), attr)
    return obj() if isinstance(obj, type) else obj


def _plugins() -> dict[str, str]:
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def known_platforms() -> list[str]:
    return sorted(set(BUILTIN) | set(_plugins()))


def get_adapter(platform: str | Platform) -> MarketplaceAdapter:
    name = platform.value if isinstance(platform, Platform) else str(platform).strip().lower()
    if name not in ADAPTERS:
        target = BUILTIN.get(name) or _plugins().get(name)
        if target is None:
            raise KeyError(f"no marketplace adapter for {name!r}; known: {', '.join(known_platforms())}")
        ADAPTERS[name] = _load(target)
    return ADAPTERS[name]
