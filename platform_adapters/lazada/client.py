"""Lazada (LazOP) HTTP client: system parameters, signing per attempt, the ``{code, data}`` envelope.

Every call carries ``app_key, timestamp (ms), sign_method=sha256[, access_token], sign`` plus its
business parameters; all of them are signed. Empty parameters are never sent (the SDKs disagree on
signing them). GET sends everything in the query, POST form-encodes it.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import httpx

from platform_adapters.auth import TokenProvider, TokenSet, call_with_token, utc_now
from platform_adapters.http.errors import PlatformError
from platform_adapters.http.transport import Transport
from platform_adapters.http.values import loads
from platform_adapters.lazada.errors import classify
from platform_adapters.lazada.settings import LazadaSettings
from platform_adapters.lazada.signing import sign_request

PLATFORM = "lazada"


def read_envelope(response: httpx.Response, path: str = "") -> dict[str, Any]:
    body = loads(response.content) if response.content else None
    if not isinstance(body, dict):
        raise ValueError("response body is not a JSON object")
    code = str(body.get("code", ""))
    if code != "0":
        raise PlatformError(classify(code, body.get("type")), code or "missing_code", str(body.get("message") or ""),
                            platform=PLATFORM, request_id=body.get("request_id"), http_status=response.status_code,
                            path=path)
    return body


def _request_id(response: httpx.Response) -> str | None:
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    return body.get("request_id") if isinstance(body, dict) else None


def build_request(settings: LazadaSettings, base: str, method: str, api_path: str, params: Mapping[str, Any],
                  access_token: str | None, clock: Callable[[], datetime]) -> httpx.Request:
    """A signed request (fresh timestamp) for ``base + api_path``."""
    values = {k: _text(v) for k, v in params.items() if v is not None and _text(v) != ""}
    values.update({"app_key": settings.app_key, "sign_method": "sha256",
                   "timestamp": str(int(clock().timestamp() * 1000))})
    if access_token:
        values["access_token"] = access_token
    values["sign"] = sign_request(settings.app_secret, api_path, values).sign
    url = base + api_path
    if method.upper() == "GET":
        return httpx.Request("GET", url, params=values)
    return httpx.Request(method.upper(), url, data=values)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(str(v) for v in value) + "]"
    return str(value)


class LazadaClient:
    """Calls seller APIs on the seller's venture gateway."""

    def __init__(self, settings: LazadaSettings, shop_id: str, tokens: TokenProvider, transport: Transport, *,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self.settings = settings
        self.shop_id = str(shop_id)
        self.tokens = tokens
        self.transport = transport
        self.clock = clock

    def call(self, method: str, api_path: str, params: Mapping[str, Any] | None = None, *, part: str = "data") -> Any:
        """Call ``api_path``; returns the envelope's ``part``: ``data`` for most APIs, ``result`` for the
        reverse-order list (``/reverse/getreverseordersforseller`` answers ``{code, result}``)."""
        envelope = call_with_token(self.tokens, self.shop_id, lambda t: self._send(method, api_path, params or {}, t))
        return envelope.get(part)

    def _send(self, method: str, api_path: str, params: Mapping[str, Any], tokens: TokenSet) -> dict[str, Any]:
        return self.transport.send(
            lambda: build_request(self.settings, self.settings.gateway, method, api_path, params,
                                  tokens.access_token, self.clock),
            lambda r: read_envelope(r, api_path), limiter_key=(PLATFORM, self.shop_id), request_id_of=_request_id)
