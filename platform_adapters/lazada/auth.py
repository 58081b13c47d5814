"""Lazada authorization: the consent page link, code → token (``/auth/token/create``) and refresh.

Token responses give durations (``expires_in``, ``refresh_expires_in`` in seconds), stored as
absolute UTC times; ``refresh_expires_in = 0`` means the token cannot be refreshed. The token
belongs to one seller in one venture: ``country`` is kept in ``TokenSet.extra``.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from platform_adapters.auth import TokenSet
from platform_adapters.http.errors import ErrorKind, PlatformError
from platform_adapters.http.transport import Transport
from platform_adapters.http.values import as_list
from platform_adapters.lazada.client import _request_id, build_request, read_envelope
from platform_adapters.lazada.settings import LazadaSettings

CREATE_PATH = "/auth/token/create"
REFRESH_PATH = "/auth/token/refresh"


def authorization_url(settings: LazadaSettings, redirect_url: str, state: str = "") -> str:
    query = {"response_type": "code", "force_auth": "true", "redirect_uri": redirect_url,
             "client_id": settings.app_key, "country": settings.country.lower()}
    if state:
        query["state"] = state
    return f"{settings.authorize_page}?{urlencode(query)}"


def _token_call(settings: LazadaSettings, transport: Transport, path: str, params: dict[str, str],
                clock: Callable[[], datetime]) -> dict[str, Any]:
    return transport.send(lambda: build_request(settings, settings.auth_api, "POST", path, params, None, clock),
                          lambda r: read_envelope(r, path), limiter_key=("lazada", "auth"),
                          request_id_of=_request_id)


def _token_set(body: dict[str, Any], now: datetime, path: str) -> TokenSet:
    try:
        access, refresh = str(body["access_token"]), str(body["refresh_token"])
        expires_in, refresh_in = int(body["expires_in"]), int(body.get("refresh_expires_in") or 0)
    except (KeyError, TypeError, ValueError) as exc:
        raise PlatformError(ErrorKind.FATAL, "bad_token_response", f"missing or bad {exc}", platform="lazada",
                            request_id=body.get("request_id"), path=path) from exc
    users = as_list(body.get("country_user_info") or body.get("country_user_info_list"))
    extra = {"country": str(body.get("country") or "").upper(), "account": str(body.get("account") or "")}
    sellers = [str(u.get("seller_id")) for u in users if isinstance(u, dict) and u.get("seller_id")]
    if sellers:
        extra["seller_ids"] = ",".join(sellers)
        # one venture shop per entry (a cross-border token, country "cb", lists several):
        # country:seller_id:short_code, comma-separated
        extra["ventures"] = ",".join(f"{str(u.get('country') or '').upper()}:{u.get('seller_id')}:{u.get('short_code') or ''}"
                                     for u in users if isinstance(u, dict) and u.get("seller_id"))
    return TokenSet(access_token=access, refresh_token=refresh, access_expires_at=now + timedelta(seconds=expires_in),
                    refresh_expires_at=now + timedelta(seconds=refresh_in), extra=extra)


def exchange_code(settings: LazadaSettings, transport: Transport, code: str, clock: Callable[[], datetime]) -> TokenSet:
    now = clock()
    return _token_set(_token_call(settings, transport, CREATE_PATH, {"code": code}, clock), now, CREATE_PATH)


def refresh_tokens(settings: LazadaSettings, transport: Transport, tokens: TokenSet,
                   clock: Callable[[], datetime]) -> TokenSet:
    now = clock()
    body = _token_call(settings, transport, REFRESH_PATH, {"refresh_token": tokens.refresh_token}, clock)
    return _token_set(body, now, REFRESH_PATH)


def authorized_shops(tokens: TokenSet) -> list:
    """The venture shops a token covers, from its ``country_user_info`` entries (kept as
    ``extra["ventures"]``): one for a local seller, several for a cross-border seller (``country``
    ``cb``), each ``{country, seller_id, user_id, short_code}`` (Lazada "Seller authorization
    introduction"; the token APIs GenerateAccessToken / RefreshAccessToken)."""
    from platform_adapters.registry import AuthorizedShop

    out = []
    for entry in [e for e in str(tokens.extra.get("ventures") or "").split(",") if e]:
        country, seller_id, short_code = (entry.split(":") + ["", ""])[:3]
        out.append(AuthorizedShop(shop_id=seller_id, region=country or None, name=short_code,
                                  extra={"short_code": short_code, "cross_border": str(
                                      tokens.extra.get("country", "").lower() == "cb").lower()}))
    return out
