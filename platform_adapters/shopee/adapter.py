"""The Shopee adapter object registered in ``platform_adapters.registry``."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from platform_adapters.auth import TokenProvider, TokenSet
from platform_adapters.canonical import MappingResult, Order, Platform, ReturnRecord, SettlementLine
from platform_adapters.http.transport import Transport
from platform_adapters.registry import (AuthorizedShop, PushedStatus, ShopContext, StoredOrderStatus, WebhookEvent,
                                         settlement_results)
from platform_adapters.shopee import auth, mapping, payout_mapping, settlement_mapping, wallet_mapping, webhooks
from platform_adapters.shopee import push, return_mapping
from platform_adapters.shopee.returns import ShopeeReturnSource
from platform_adapters.shopee.client import ShopeeClient
from platform_adapters.shopee.finance import ShopeeSettlementSource
from platform_adapters.shopee.orders import MAX_WINDOW, ShopeeOrderSource
from platform_adapters.shopee.settings import REGION_CURRENCY, ShopeeSettings


class ShopeeAdapter:
    refresh_single_use = True  # "refresh_token … can be used once" (v2.public.refresh_access_token)
    platform = Platform.SHOPEE
    max_window = MAX_WINDOW
    calls_per_second = 10.0

    def settings_for(self, *, app_key: str, app_secret: str, region: str, base_url: str | None,
                     options: Mapping[str, str] | None = None) -> ShopeeSettings:
        options = options or {}
        return ShopeeSettings(partner_id=int(app_key), partner_key=app_secret,
                              sandbox=str(options.get("sandbox", "")).lower() in ("1", "true", "yes"),
                              host_region=options.get("host_region", "global"), base_url=base_url)

    def order_source(self, settings: ShopeeSettings, shop: ShopContext, tokens: TokenProvider,
                     transport: Transport, clock: Callable[[], datetime]) -> ShopeeOrderSource:
        return ShopeeOrderSource(ShopeeClient(settings, shop.shop_id, tokens, transport, clock=clock))

    def map_order(self, raw: Any, shop: ShopContext, settings: ShopeeSettings) -> MappingResult[Order]:
        return mapping.map_order(raw, shop.shop_id)

    def raw_order_key(self, raw: Any) -> str:
        return mapping.raw_order_key(raw)

    def settlement_source(self, settings: ShopeeSettings, shop: ShopContext, tokens: TokenProvider,
                          transport: Transport, clock: Callable[[], datetime]) -> ShopeeSettlementSource:
        return ShopeeSettlementSource(ShopeeClient(settings, shop.shop_id, tokens, transport, clock=clock))

    def map_settlement(self, raw: Any, shop: ShopContext,
                       settings: ShopeeSettings) -> list[MappingResult[SettlementLine]]:
        currency = REGION_CURRENCY.get(shop.region.upper())
        if isinstance(raw, Mapping) and "_statement" in raw:
            return settlement_results(*settlement_mapping.map_release_day(raw, shop.shop_id, currency))
        if isinstance(raw, Mapping) and "_payout" in raw:
            return settlement_results(*payout_mapping.map_payout(raw, shop.shop_id))
        if isinstance(raw, Mapping) and "_wallet" in raw:
            return settlement_results(*wallet_mapping.map_wallet_transaction(raw, shop.shop_id, currency))
        return settlement_results(*settlement_mapping.map_escrow(raw, shop.shop_id, currency))

    def raw_settlement_key(self, raw: Any) -> str:
        if isinstance(raw, Mapping) and "_payout" in raw:
            return payout_mapping.raw_payout_key(raw)
        if isinstance(raw, Mapping) and "_wallet" in raw:
            return wallet_mapping.raw_wallet_key(raw)
        return settlement_mapping.raw_settlement_key(raw)

    def return_source(self, settings: ShopeeSettings, shop: ShopContext, tokens: TokenProvider,
                      transport: Transport, clock: Callable[[], datetime]) -> ShopeeReturnSource:
        return ShopeeReturnSource(ShopeeClient(settings, shop.shop_id, tokens, transport, clock=clock))

    def map_return(self, raw: Any, shop: ShopContext, settings: ShopeeSettings) -> MappingResult[ReturnRecord]:
        return return_mapping.map_return(raw, shop.shop_id)

    def raw_return_key(self, raw: Any) -> str:
        return return_mapping.raw_return_key(raw)

    def authorization_url(self, settings: ShopeeSettings, redirect_url: str, now: datetime, state: str = "") -> str:
        return auth.authorization_url(settings, redirect_url, now)

    def exchange_code(self, settings: ShopeeSettings, transport: Transport, code: str, shop: ShopContext,
                      clock: Callable[[], datetime]) -> TokenSet:
        return auth.exchange_code(settings, transport, code, shop.shop_id, clock)

    def refresh_tokens(self, settings: ShopeeSettings, transport: Transport, shop: ShopContext, tokens: TokenSet,
                       clock: Callable[[], datetime]) -> TokenSet:
        return auth.refresh_tokens(settings, transport, shop.shop_id, tokens, clock)

    def authorized_shops(self, settings: ShopeeSettings, transport: Transport, tokens: TokenSet,
                         clock: Callable[[], datetime]) -> list[AuthorizedShop]:
        return auth.authorized_shops(tokens)

    def webhook_verify(self, app_key: str, app_secret: str, callback_url: str, raw_body: bytes,
                       authorization: str | None) -> bool:
        return webhooks.verify(app_secret, callback_url, raw_body, authorization)  # keyed by the partner key

    def webhook_parse(self, raw_body: bytes) -> WebhookEvent:
        return webhooks.parse(raw_body)

    def webhook_order_status(self, event: WebhookEvent, stored: StoredOrderStatus) -> PushedStatus | None:
        return webhooks.order_status(event, stored)

    def lost_pushes(self, settings: ShopeeSettings, transport: Transport, clock: Callable[[], datetime]):
        """The next page of pushes Shopee could not deliver (``shopee.push``)."""
        return push.lost_pushes(settings, transport, clock)

    def confirm_lost_pushes(self, settings: ShopeeSettings, transport: Transport, marker: int,
                            clock: Callable[[], datetime]) -> None:
        push.confirm_consumed(settings, transport, marker, clock)

    def exchange_main_account_code(self, settings: ShopeeSettings, transport: Transport, code: str,
                                   main_account_id: str, clock: Callable[[], datetime]) -> TokenSet:
        """A main-account authorization: one token for every shop of the account (``shop_id_list``)."""
        return auth.exchange_code(settings, transport, code, "", clock, main_account_id=main_account_id)

    def describe_shop(self, settings: ShopeeSettings, transport: Transport, tokens: TokenSet, shop_id: str,
                      clock: Callable[[], datetime]) -> AuthorizedShop:
        """Region and name of a shop the token covers (``v2.shop.get_shop_info``), to register it."""
        info = auth.shop_info(settings, transport, tokens, shop_id, clock)
        return AuthorizedShop(shop_id=shop_id, region=str(info.get("region") or "").upper() or None,
                              name=str(info.get("shop_name") or ""))
