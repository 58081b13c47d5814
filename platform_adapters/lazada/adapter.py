"""The Lazada adapter object registered in ``platform_adapters.registry``."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from platform_adapters.auth import TokenProvider, TokenSet
from platform_adapters.canonical import MappingResult, Order, Platform, ReturnRecord, SettlementLine
from platform_adapters.http.transport import Transport
from platform_adapters.lazada import auth, mapping, settlement_mapping, webhooks
from platform_adapters.lazada import return_mapping
from platform_adapters.lazada.returns import LazadaReturnSource
from platform_adapters.lazada.client import LazadaClient
from platform_adapters.lazada.finance import LazadaSettlementSource
from platform_adapters.lazada.orders import MAX_WINDOW, LazadaOrderSource
from platform_adapters.lazada.settings import LazadaSettings
from platform_adapters.registry import (AuthorizedShop, PushedStatus, ShopContext, StoredOrderStatus, WebhookEvent,
                                         settlement_results)


class LazadaAdapter:
    platform = Platform.LAZADA
    max_window = MAX_WINDOW
    calls_per_second = 10.0

    def settings_for(self, *, app_key: str, app_secret: str, region: str, base_url: str | None,
                     options: Mapping[str, str] | None = None) -> LazadaSettings:
        options = options or {}
        return LazadaSettings(app_key=app_key, app_secret=app_secret, country=region, base_url=base_url,
                              auth_base_url=options.get("auth_base_url"))

    def order_source(self, settings: LazadaSettings, shop: ShopContext, tokens: TokenProvider,
                     transport: Transport, clock: Callable[[], datetime]) -> LazadaOrderSource:
        return LazadaOrderSource(LazadaClient(settings, shop.shop_id, tokens, transport, clock=clock))

    def map_order(self, raw: Any, shop: ShopContext, settings: LazadaSettings) -> MappingResult[Order]:
        return mapping.map_order(raw, shop.shop_id, settings.country, settings.default_currency,
                                 settings.utc_offset_hours)

    def raw_order_key(self, raw: Any) -> str:
        return mapping.raw_order_key(raw)

    def settlement_source(self, settings: LazadaSettings, shop: ShopContext, tokens: TokenProvider,
                          transport: Transport, clock: Callable[[], datetime]) -> LazadaSettlementSource:
        return LazadaSettlementSource(LazadaClient(settings, shop.shop_id, tokens, transport, clock=clock))

    def map_settlement(self, raw: Any, shop: ShopContext,
                       settings: LazadaSettings) -> list[MappingResult[SettlementLine]]:
        if isinstance(raw, Mapping) and "_payout" in raw:
            return settlement_results(*settlement_mapping.map_payout(raw, shop.shop_id, settings.default_currency))
        return settlement_results(*settlement_mapping.map_row(raw, shop.shop_id, settings.default_currency,
                                                              settings.utc_offset_hours))

    def raw_settlement_key(self, raw: Any) -> str:
        return settlement_mapping.raw_settlement_key(raw)

    def return_source(self, settings: LazadaSettings, shop: ShopContext, tokens: TokenProvider,
                      transport: Transport, clock: Callable[[], datetime]) -> LazadaReturnSource:
        return LazadaReturnSource(LazadaClient(settings, shop.shop_id, tokens, transport, clock=clock))

    def map_return(self, raw: Any, shop: ShopContext, settings: LazadaSettings) -> MappingResult[ReturnRecord]:
        return return_mapping.map_return(raw, shop.shop_id, settings.default_currency, settings.country)

    def raw_return_key(self, raw: Any) -> str:
        return return_mapping.raw_return_key(raw)

    def authorization_url(self, settings: LazadaSettings, redirect_url: str, now: datetime, state: str = "") -> str:
        return auth.authorization_url(settings, redirect_url, state)

    def exchange_code(self, settings: LazadaSettings, transport: Transport, code: str, shop: ShopContext,
                      clock: Callable[[], datetime]) -> TokenSet:
        return auth.exchange_code(settings, transport, code, clock)

    def refresh_tokens(self, settings: LazadaSettings, transport: Transport, shop: ShopContext, tokens: TokenSet,
                       clock: Callable[[], datetime]) -> TokenSet:
        return auth.refresh_tokens(settings, transport, tokens, clock)

    def authorized_shops(self, settings: LazadaSettings, transport: Transport, tokens: TokenSet,
                         clock: Callable[[], datetime]) -> list[AuthorizedShop]:
        return auth.authorized_shops(tokens)

    def webhook_verify(self, app_key: str, app_secret: str, callback_url: str, raw_body: bytes,
                       authorization: str | None) -> bool:
        return webhooks.verify(app_key, app_secret, raw_body, authorization)

    def webhook_parse(self, raw_body: bytes) -> WebhookEvent:
        return webhooks.parse(raw_body)

    def webhook_order_status(self, event: WebhookEvent, stored: StoredOrderStatus) -> PushedStatus | None:
        return webhooks.order_status(event, stored)
