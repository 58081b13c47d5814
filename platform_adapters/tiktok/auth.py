"""TikTok Shop authorization: the service link, auth code → token, refresh, and the shop cipher.

Token calls are GETs on the auth host with ``app_secret`` in the query (no sign); success is
``code == 0``. Expiry values are **absolute** Unix times and are stored as such. The shop cipher,
required by shop APIs, comes from ``GET /authorization/202309/shops`` (a signed call without it).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import httpx

from platform_adapters.auth import StaticTokenProvider, TokenSet
from platform_adapters.http.errors import ErrorKind, PlatformError
from platform_adapters.http.transport import Transport
from platform_adapters.http.values import as_list, epoch
from platform_adapters.tiktok.client import TikTokClient, _request_id, read_envelope
from platform_adapters.tiktok.settings import TikTokSettings

TOKEN_PATH = "/api/v2/token/get"
REFRESH_PATH = "/api/v2/token/refresh"
SHOPS_PATH = "/authorization/202309/shops"


def authorization_url(settings: TikTokSettings, state: str = "") -> str:
    query = {"service_id": settings.service_id}
    if state:
        query["state"] = state
    return f"{settings.authorize_page}?{urlencode(query)}"


def _token_call(settings: TikTokSettings, transport: Transport, path: str, params: dict[str, str]) -> TokenSet:
    query = {"app_key": settings.app_key, "app_secret": settings.app_secret, **params}
    body = transport.send(lambda: httpx.Request("GET", settings.auth_host + path, params=query),
                          lambda r: read_envelope(r, path), limiter_key=("tiktok", "auth"),
                          request_id_of=_request_id)
    data: dict[str, Any] = body.get("data") or {}
    try:
        tokens = TokenSet(
            access_token=str(data["access_token"]), refresh_token=str(data["refresh_token"]),
            access_expires_at=epoch(data["access_token_expire_in"]),
            refresh_expires_at=epoch(data["refresh_token_expire_in"]) if data.get("refresh_token_expire_in") else None,
            extra={k: str(data[k]) for k in ("open_id", "seller_name", "seller_base_region") if data.get(k)},
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise PlatformError(ErrorKind.FATAL, "bad_token_response", f"missing or bad {exc}", platform="tiktok",
                            request_id=body.get("request_id"), path=path) from exc
    return tokens


def exchange_code(settings: TikTokSettings, transport: Transport, code: str) -> TokenSet:
    return _token_call(settings, transport, TOKEN_PATH, {"auth_code": code, "grant_type": "authorized_code"})


def refresh_tokens(settings: TikTokSettings, transport: Transport, tokens: TokenSet) -> TokenSet:
    return _token_call(settings, transport, REFRESH_PATH,
                       {"refresh_token": tokens.refresh_token, "grant_type": "refresh_token"})


def authorized_shops(settings: TikTokSettings, transport: Transport, tokens: TokenSet,
                     clock: Callable[[], datetime]) -> list[dict[str, Any]]:
    """The shops the token may act for: ``[{id, name, region, seller_type, cipher, code}]``."""
    client = TikTokClient(settings, "authorization", StaticTokenProvider("authorization", tokens), transport,
                          clock=clock)
    data = client.call("GET", SHOPS_PATH, with_cipher=False)
    return [s for s in as_list(data.get("shops")) if isinstance(s, dict)]
