"""The marketplace adapter registry: platform name → adapter object.

A platform is a registered name (``canonical.Platform``), never a closed set: the three built-in
adapters are listed in ``BUILTIN``, and any installed distribution can add one through an entry point
in the ``aggregator.platform_adapters`` group (``acme = acme_market:AcmeAdapter``), found at run time
with ``importlib.metadata``. Everything the application needs of a marketplace comes from its adapter:
the CLI's platform choices and the webhook routes (``known_platforms``), webhook verification and
parsing (``webhook_verify`` / ``webhook_parse``), the authorization hook that says which shops a token
covers (``authorized_shops``) and the streams it offers (``order_source`` always; ``settlement_source``
and ``return_source`` when it has them). The protocol below is everything the application uses.
"""
from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any, Protocol

from platform_adapters.auth import TokenProvider, TokenSet
from platform_adapters.canonical import MappingResult, Order, OrderStatus, Platform, SettlementLine, Severity
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
    older notification be recognised as stale. ``kind``: ORDER_STATUS, TRACKING_NUMBER (a package of
    ``order_id`` got its number), RETURN_STATUS (a return, refund or cancellation of ``order_id``
    changed), AUTH_GRANTED, AUTH_REVOKED, AUTH_EXPIRING or OTHER (kept, not acted on).
    A partner-level push (Shopee codes 1, 2, 12) names no single shop: ``shop_id`` is None and
    ``shop_ids`` lists the shops it is about; the application processes it once per registered shop.
    """

    platform: Platform
    event_id: str
    kind: str
    shop_id: str | None
    order_id: str | None = None
    raw_status: str | None = None
    source_updated_at: datetime | None = None
    raw: Any = None
    shop_ids: tuple[str, ...] = ()
    package_id: str | None = None  # TRACKING_NUMBER: the package that got ``raw_status`` as its number
    line_ref: str | None = None  # a push about one order line (Lazada): that line


@dataclass(frozen=True, slots=True)
class StoredOrderStatus:
    """An order's status as stored here, for an adapter to tell what a status push makes of it:
    ``lines`` maps each stored line's ref to its raw status (read from the store when first used)."""

    status: str
    raw_status: str
    lines: Mapping[str, str | None]


@dataclass(frozen=True, slots=True)
class PushedStatus:
    """The order's status after a status push, when the push alone says it: the header's status and
    raw status, and the new (status, raw status) of the lines it changes (by line ref), or of every
    line (``every_line``)."""

    status: OrderStatus
    raw_status: str
    lines: Mapping[str, tuple[OrderStatus, str]]
    every_line: tuple[OrderStatus, str] | None = None


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

    def authorized_shops(self, settings: Any, transport: Transport, tokens: TokenSet,
                         clock: Callable[[], datetime]) -> list["AuthorizedShop"]:
        """The shops a freshly granted token covers (empty: the token names none, it is the shop's own)."""
        ...

    def webhook_verify(self, app_key: str, app_secret: str, callback_url: str, raw_body: bytes,
                       authorization: str | None) -> bool:
        """Constant-time check of a push's signature over its raw bytes (before any decoding)."""
        ...

    def webhook_parse(self, raw_body: bytes) -> WebhookEvent: ...

    # Optional: ``webhook_order_status(event, stored: StoredOrderStatus) -> PushedStatus | None`` says what
    # an ORDER_STATUS push makes of the stored order when the push alone determines it (None: only a
    # re-read of the order can tell); without it every status push waits for the re-read.


@dataclass(frozen=True, slots=True)
class AuthorizedShop:
    """A shop a token may act for, as the platform lists it: its id, region (ISO country or venture),
    name, TikTok's ``shop_cipher`` and what else the platform says (``extra``)."""

    shop_id: str
    region: str | None = None
    name: str = ""
    cipher: str | None = None
    extra: Mapping[str, str] | None = None


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
    """Installed plugin adapters (entry point name → ``module:Class``), scanned once per ``sys.path``: reading
    every installed distribution's metadata costs milliseconds, too much for each API request that checks a
    platform name; a distribution put on a path added later (a plugin folder, a test) is still seen."""
    return _scan_plugins(tuple(sys.path))


@functools.lru_cache(maxsize=8)
def _scan_plugins(path: tuple[str, ...]) -> dict[str, str]:
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def known_platforms() -> list[str]:
    """Every registered platform name: the built-ins and the installed entry points."""
    return sorted(set(BUILTIN) | set(_plugins()) | set(ADAPTERS))


class UnknownPlatform(KeyError):
    """No adapter is registered under the name (the message lists the known ones)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown platform"


def require_platform(name: str | Platform) -> str:
    """``name`` as a registered platform name; refuses an unknown one with the known names."""
    try:
        platform = Platform.parse(str(name))
    except ValueError as exc:
        raise UnknownPlatform(f"{exc}; known: {', '.join(known_platforms())}") from exc
    if platform.value not in known_platforms():
        raise UnknownPlatform(f"unknown platform {platform.value!r}; known: {', '.join(known_platforms())}")
    return platform.value


def register(name: str, adapter: MarketplaceAdapter) -> None:
    """Register an adapter object in this process (what an entry point does for an installed plug-in)."""
    ADAPTERS[Platform(name).value] = adapter


def get_adapter(platform: str | Platform) -> MarketplaceAdapter:
    name = require_platform(platform)
    if name not in ADAPTERS:
        ADAPTERS[name] = _load(BUILTIN.get(name) or _plugins()[name])
    return ADAPTERS[name]
