"""The TikTok Shop adapter object registered in ``platform_adapters.registry``."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from platform_adapters.auth import TokenProvider, TokenSet
from platform_adapters.canonical import MappingResult, Order, Platform, ReturnRecord, SettlementLine
from platform_adapters.http.transport import Transport
from platform_adapters.registry import (AuthorizedShop, PushedStatus, ShopContext, StoredOrderStatus, WebhookEvent,
                                         settlement_results)
from platform_adapters.tiktok import auth, mapping, settlement_mapping, webhooks
from platform_adapters.tiktok import return_mapping
from platform_adapters.tiktok.returns import TikTokReturnSource
from platform_adapters.tiktok.client import TikTokClient
from platform_adapters.tiktok.finance import TikTokSettlementSource
from platform_adapters.tiktok.orders import MAX_WINDOW, TikTokOrderSource
from platform_adapters.tiktok.settings import TikTokSettings


class TikTokAdapter:
    token_lists_shops = True  # a token acts for the shops Get Authorized Shops lists (with their ciphers)
    authorization_link_needs = ("service_id",)  # the redirect is registered with the service
    platform = Platform.TIKTOK
    max_window = MAX_WINDOW
    calls_per_second = 20.0

    def settings_for(self, *, app_key: str, app_secret: str, region: str, base_url: str | None,
                     options: Mapping[str, str] | None = None) -> TikTokSettings:
        options = options or {}
        return TikTokSettings(app_key=app_key, app_secret=app_secret, service_id=options.get("service_id", ""),
                              region=region, base_url=base_url, auth_base_url=options.get("auth_base_url"))

    def order_source(self, settings: TikTokSettings, shop: ShopContext, tokens: TokenProvider,
                     transport: Transport, clock: Callable[[], datetime]) -> TikTokOrderSource:
        return TikTokOrderSource(TikTokClient(settings, shop.shop_id, tokens, transport,
                                              shop_cipher=shop.shop_cipher, clock=clock))

    def map_order(self, raw: Any, shop: ShopContext, settings: TikTokSettings) -> MappingResult[Order]:
        return mapping.map_order(raw, shop.shop_id)

    def raw_order_key(self, raw: Any) -> str:
        return mapping.raw_order_key(raw)

    def settlement_source(self, settings: TikTokSettings, shop: ShopContext, tokens: TokenProvider,
                          transport: Transport, clock: Callable[[], datetime]) -> TikTokSettlementSource:
        return TikTokSettlementSource(TikTokClient(settings, shop.shop_id, tokens, transport,
                                                   shop_cipher=shop.shop_cipher, clock=clock))

    def map_settlement(self, raw: Any, shop: ShopContext,
                       settings: TikTokSettings) -> list[MappingResult[SettlementLine]]:
        return settlement_results(*settlement_mapping.map_record(raw, shop.shop_id))

    def raw_settlement_key(self, raw: Any) -> str:
        return settlement_mapping.raw_settlement_key(raw)

    def return_source(self, settings: TikTokSettings, shop: ShopContext, tokens: TokenProvider,
                      transport: Transport, clock: Callable[[], datetime]) -> TikTokReturnSource:
        return TikTokReturnSource(TikTokClient(settings, shop.shop_id, tokens, transport,
                                               shop_cipher=shop.shop_cipher, clock=clock))

    def map_return(self, raw: Any, shop: ShopContext, settings: TikTokSettings) -> MappingResult[ReturnRecord]:
        return return_mapping.map_return(raw, shop.shop_id)

    def raw_return_key(self, raw: Any) -> str:
        return return_mapping.raw_return_key(raw)

    def authorization_url(self, settings: TikTokSettings, redirect_url: str, now: datetime, state: str = "") -> str:
        return auth.authorization_url(settings, state)  # the redirect is registered with the service

    def exchange_code(self, settings: TikTokSettings, transport: Transport, code: str, shop: ShopContext,
                      clock: Callable[[], datetime]) -> TokenSet:
        return auth.exchange_code(settings, transport, code)

    def refresh_tokens(self, settings: TikTokSettings, transport: Transport, shop: ShopContext, tokens: TokenSet,
                       clock: Callable[[], datetime]) -> TokenSet:
        return auth.refresh_tokens(settings, transport, tokens)

    def authorized_shops(self, settings: TikTokSettings, transport: Transport, tokens: TokenSet,
                         clock: Callable[[], datetime]) -> list[AuthorizedShop]:
        return [AuthorizedShop(shop_id=str(s.get("id")), region=str(s.get("region") or "") or None,
                               name=str(s.get("name") or ""), cipher=str(s.get("cipher") or "") or None,
                               extra={"code": str(s.get("code") or ""), "seller_type": str(s.get("seller_type") or "")})
                for s in auth.authorized_shops(settings, transport, tokens, clock) if s.get("id")]

    def webhook_verify(self, app_key: str, app_secret: str, callback_url: str, raw_body: bytes,
                       authorization: str | None) -> bool:
        return webhooks.verify(app_key, app_secret, raw_body, authorization)

    def webhook_parse(self, raw_body: bytes) -> WebhookEvent:
        return webhooks.parse(raw_body)

    def webhook_order_status(self, event: WebhookEvent, stored: StoredOrderStatus) -> PushedStatus | None:
        return webhooks.order_status(event, stored)
