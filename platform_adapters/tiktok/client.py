"""TikTok Shop HTTP client: query ``app_key, timestamp, shop_cipher, sign``, token in a header.

The JSON body is serialised once and the same bytes are both signed and sent. The envelope is
``{code, message, data, request_id}`` with ``code == 0`` for success.
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
from platform_adapters.tiktok.errors import classify
from platform_adapters.tiktok.settings import TikTokSettings
from platform_adapters.tiktok.signing import sign_request

PLATFORM = "tiktok"
JSON = "application/json"


def read_envelope(response: httpx.Response, path: str = "") -> dict[str, Any]:
    body = loads(response.content) if response.content else None
    if not isinstance(body, dict):
        raise ValueError("response body is not a JSON object")
    code = body.get("code")
    if code != 0:
        try:
            numeric = int(code)
        except (TypeError, ValueError):
            numeric = -1
        raise PlatformError(classify(numeric), str(code), str(body.get("message") or ""), platform=PLATFORM,
                            request_id=body.get("request_id"), http_status=response.status_code, path=path)
    return body


def _request_id(response: httpx.Response) -> str | None:
    try:
        body = json.loads(response.content)
    except ValueError:
        return response.headers.get("x-tt-logid")
    return body.get("request_id") if isinstance(body, dict) else None


def build_request(settings: TikTokSettings, method: str, path: str, query: Mapping[str, Any],
                  body: Mapping[str, Any] | None, access_token: str | None, shop_cipher: str | None,
                  clock: Callable[[], datetime]) -> httpx.Request:
    params = {k: str(v) for k, v in query.items() if v is not None and str(v) != ""}
    params.update({"app_key": settings.app_key, "timestamp": str(int(clock().timestamp()))})
    if shop_cipher:
        params["shop_cipher"] = shop_cipher
    payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode() if body is not None else None
    params["sign"] = sign_request(settings.app_secret, path, params, payload, JSON if payload else None).sign
    headers = {"content-type": JSON}
    if access_token:
        headers["x-tts-access-token"] = access_token
    return httpx.Request(method, settings.api_host + path, params=params, content=payload, headers=headers)


class TikTokClient:
    """Calls shop APIs (with ``shop_cipher``) or seller/authorization APIs (without) for one shop."""

    def __init__(self, settings: TikTokSettings, shop_id: str, tokens: TokenProvider, transport: Transport, *,
                 shop_cipher: str | None = None, clock: Callable[[], datetime] = utc_now) -> None:
        self.settings = settings
        self.shop_id = str(shop_id)
        self.tokens = tokens
        self.transport = transport
        self.shop_cipher = shop_cipher
        self.clock = clock

    def call(self, method: str, path: str, query: Mapping[str, Any] | None = None,
             body: Mapping[str, Any] | None = None, *, with_cipher: bool = True) -> dict[str, Any]:
        """Call ``path``; returns the envelope's ``data`` ({} when absent)."""
        cipher = self.shop_cipher if with_cipher else None
        envelope = call_with_token(self.tokens, self.shop_id,
                                   lambda t: self._send(method, path, query or {}, body, t, cipher))
        data = envelope.get("data")
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise PlatformError(ErrorKind.FATAL, "bad_response", f"'data' is {type(data).__name__}, not an object",
                                platform=PLATFORM, request_id=envelope.get("request_id"), path=path)
        return data

    def _send(self, method: str, path: str, query: Mapping[str, Any], body: Mapping[str, Any] | None,
              tokens: TokenSet, cipher: str | None) -> dict[str, Any]:
        return self.transport.send(
            lambda: build_request(self.settings, method, path, query, body, tokens.access_token, cipher, self.clock),
            lambda r: read_envelope(r, path), limiter_key=(PLATFORM, self.shop_id), request_id_of=_request_id)
