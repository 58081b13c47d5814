"""Shopee authorization: the partner link, code → token, and refresh (Public API sign).

Token responses carry ``expire_in`` as a duration (seconds); it is stored as an absolute UTC time.
Refresh tokens live 30 days and work once, so the caller must persist the returned pair atomically.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from platform_adapters.auth import TokenSet
from platform_adapters.http.errors import ErrorKind, PlatformError
from platform_adapters.http.transport import Transport
from platform_adapters.shopee.client import _request_id, read_envelope
from platform_adapters.shopee.settings import ShopeeSettings
from platform_adapters.shopee.signing import sign_request

AUTH_LINK_PATH = "/api/v2/shop/auth_partner"
TOKEN_PATH = "/api/v2/auth/token/get"
REFRESH_PATH = "/api/v2/auth/access_token/get"
REFRESH_TOKEN_LIFETIME = timedelta(days=30)


def authorization_url(settings: ShopeeSettings, redirect_url: str, now: datetime) -> str:
    """The link a seller opens to authorize the app (valid 5 minutes: it carries a signed timestamp)."""
    timestamp = int(now.timestamp())
    sig = sign_request(settings.partner_id, settings.partner_key, AUTH_LINK_PATH, timestamp)
    query = urlencode({"partner_id": settings.partner_id, "timestamp": timestamp, "sign": sig.sign,
                       "redirect": redirect_url})
    return f"{settings.host}{AUTH_LINK_PATH}?{query}"


def _public_post(settings: ShopeeSettings, transport: Transport, path: str, body: dict[str, Any],
                 clock) -> dict[str, Any]:
    payload = json.dumps(body, separators=(",", ":")).encode()

    def build() -> httpx.Request:
        timestamp = int(clock().timestamp())
        sig = sign_request(settings.partner_id, settings.partner_key, path, timestamp)
        return httpx.Request("POST", settings.host + path, content=payload,
                             params={"partner_id": str(settings.partner_id), "timestamp": str(timestamp),
                                     "sign": sig.sign},
                             headers={"Content-Type": "application/json"})

    return transport.send(build, lambda r: read_envelope(r, path), limiter_key=("shopee", "auth"),
                          request_id_of=_request_id)


def _token_set(body: dict[str, Any], now: datetime, path: str) -> TokenSet:
    try:
        access, refresh, expire_in = body["access_token"], body["refresh_token"], int(body["expire_in"])
    except (KeyError, TypeError, ValueError) as exc:
        raise PlatformError(ErrorKind.FATAL, "bad_token_response", f"missing {exc}", platform="shopee",
                            request_id=body.get("request_id"), path=path) from exc
    extra = {k: ",".join(str(v) for v in body[k]) for k in ("shop_id_list", "merchant_id_list")
             if isinstance(body.get(k), list) and body[k]}
    return TokenSet(access_token=str(access), refresh_token=str(refresh),
                    access_expires_at=now + timedelta(seconds=expire_in),
                    refresh_expires_at=now + REFRESH_TOKEN_LIFETIME, extra=extra)


def exchange_code(settings: ShopeeSettings, transport: Transport, code: str, shop_id: str,
                  clock, *, main_account_id: str | None = None) -> TokenSet:
    """``/auth/token/get``: a one-use code (10 minutes) → access + refresh token for ``shop_id``, or,
    when the seller authorized with a main account (the redirect carries ``main_account_id`` instead of
    ``shop_id``: cross-border CNSC/KRSC sellers), one token for every shop of that account: the body is
    ``{code, partner_id, main_account_id}`` and the answer lists them in ``shop_id_list`` (and the
    merchants in ``merchant_id_list``) (schema ``v2.public.get_access_token``)."""
    now = clock()
    who = {"main_account_id": int(main_account_id)} if main_account_id else {"shop_id": int(shop_id)}
    body = _public_post(settings, transport, TOKEN_PATH, {"code": code, "partner_id": settings.partner_id, **who},
                        clock)
    return _token_set(body, now, TOKEN_PATH)


def refresh_tokens(settings: ShopeeSettings, transport: Transport, shop_id: str, tokens: TokenSet,
                   clock) -> TokenSet:
    """``/auth/access_token/get``: spends the refresh token, returns the new pair."""
    now = clock()
    body = _public_post(settings, transport, REFRESH_PATH,
                        {"refresh_token": tokens.refresh_token, "partner_id": settings.partner_id,
                         "shop_id": int(shop_id)}, clock)
    return _token_set(body, now, REFRESH_PATH)



SHOP_INFO_PATH = "/api/v2/shop/get_shop_info"


def authorized_shops(tokens: TokenSet) -> list:
    """The shops a token covers: ``shop_id_list`` of the token response (one shop for a shop
    authorization, every shop of the account for a main-account one; ``merchant_id_list`` names the
    account's merchants, which are not shops)."""
    from platform_adapters.registry import AuthorizedShop

    return [AuthorizedShop(shop_id=s) for s in str(tokens.extra.get("shop_id_list") or "").split(",") if s]


def shop_info(settings: ShopeeSettings, transport: Transport, tokens: TokenSet, shop_id: str, clock) -> dict[str, Any]:
    """``/api/v2/shop/get_shop_info`` for one shop the token covers (Shop API, signed with the shop id):
    ``shop_name``, ``region``, ``status``, ``is_cb`` … at the envelope's top level."""
    from platform_adapters.auth import StaticTokenProvider
    from platform_adapters.shopee.client import ShopeeClient

    return ShopeeClient(settings, shop_id, StaticTokenProvider(shop_id, tokens), transport,
                        clock=clock).call_top("GET", SHOP_INFO_PATH)
