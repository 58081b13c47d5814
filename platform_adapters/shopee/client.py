"""Shopee v2 HTTP client: signs each attempt, reads the ``{error, message, response}`` envelope.

Shop API calls carry ``partner_id, timestamp, access_token, shop_id, sign`` in the query; POST
business parameters go in a JSON body (never signed). An expired token is refreshed once and the
call replayed (``platform_adapters.auth.call_with_token``).
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import httpx

from platform_adapters.auth import TokenProvider, TokenSet, call_with_token, utc_now
from platform_adapters.http.errors import ErrorKind, PlatformError
from platform_adapters.http.transport import Transport
from platform_adapters.http.values import loads
from platform_adapters.shopee.errors import classify
from platform_adapters.shopee.settings import ShopeeSettings
from platform_adapters.shopee.signing import sign_request

PLATFORM = "shopee"


def read_envelope(response: httpx.Response, path: str = "") -> dict[str, Any]:
    """The whole envelope of a successful call; raises ``PlatformError`` when ``error`` is set."""
    body = loads(response.content) if response.content else None
    if not isinstance(body, dict):
        raise ValueError("response body is not a JSON object")
    error = body.get("error") or ""
    if error:
        raise PlatformError(classify(str(error), str(body.get("message") or "")), str(error),
                            str(body.get("message") or ""), platform=PLATFORM,
                            request_id=body.get("request_id"), http_status=response.status_code, path=path)
    if response.status_code >= 400:
        raise PlatformError(ErrorKind.FATAL, f"HTTP {response.status_code}", "error status without error name",
                            platform=PLATFORM, request_id=body.get("request_id"), http_status=response.status_code,
                            path=path)
    return body


def _request_id(response: httpx.Response) -> str | None:
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    return body.get("request_id") if isinstance(body, dict) else None


class ShopeeClient:
    """Calls Shop APIs for one shop."""

    def __init__(
        self,
        settings: ShopeeSettings,
        shop_id: str,
        tokens: TokenProvider,
        transport: Transport,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.settings = settings
        self.shop_id = str(shop_id)
        self.tokens = tokens
        self.transport = transport
        self.clock = clock

    def call(self, method: str, path: str, params: Mapping[str, Any] | None = None,
             body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Call ``path`` and return the envelope's ``response`` object ({} when absent)."""
        envelope = call_with_token(self.tokens, self.shop_id, lambda t: self._send(method, path, params, body, t))
        response = envelope.get("response")
        if response is None:
            return {}
        if not isinstance(response, dict):
            raise PlatformError(ErrorKind.FATAL, "bad_response", f"'response' is {type(response).__name__}, not an object",
                                platform=PLATFORM, request_id=envelope.get("request_id"), path=path)
        return response

    def call_top(self, method: str, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Call an API that answers at the envelope's top level (``v2.shop.get_shop_info``: ``shop_name``,
        ``region``, ``status`` … beside ``request_id``/``error``); returns the whole envelope."""
        return call_with_token(self.tokens, self.shop_id, lambda t: self._send(method, path, params, None, t))

    def _send(self, method: str, path: str, params: Mapping[str, Any] | None, body: Mapping[str, Any] | None,
              tokens: TokenSet) -> dict[str, Any]:
        payload = json.dumps(body, separators=(",", ":")).encode() if body is not None else None

        def build() -> httpx.Request:
            timestamp = int(self.clock().timestamp())
            sig = sign_request(self.settings.partner_id, self.settings.partner_key, path, timestamp,
                               access_token=tokens.access_token, shop_id=self.shop_id)
            query = {"partner_id": str(self.settings.partner_id), "timestamp": str(timestamp),
                     "access_token": tokens.access_token, "shop_id": self.shop_id, "sign": sig.sign}
            query.update({k: str(v) for k, v in (params or {}).items() if v is not None})
            headers = {"Content-Type": "application/json"} if payload is not None else {}
            return httpx.Request(method, self.settings.host + path, params=query, content=payload, headers=headers)

        return self.transport.send(build, lambda r: read_envelope(r, path),
                                   limiter_key=(PLATFORM, self.shop_id), request_id_of=_request_id)
