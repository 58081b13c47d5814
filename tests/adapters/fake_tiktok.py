"""An in-memory TikTok Shop Open API (orders search/detail, token refresh, shops) for respx tests.

Checks the sign over path + sorted query + the exact body bytes, the token header and the cipher.
"""
from __future__ import annotations

import copy
import json
from collections import defaultdict, deque
from typing import Any

import httpx
import respx

from platform_adapters.tiktok.signing import sign_request
from tests.adapters.helpers import T0, fixture_json

HOST = "https://tiktok.test"
APP_KEY = "6abc123"
APP_SECRET = "tiktok-secret"
CIPHER = "ROW_ABCdef"


def order(order_id: str, update_time: int | None = None, status: str = "AWAITING_SHIPMENT", **overrides: Any) -> dict:
    raw = fixture_json("tiktok", "order.json")
    raw.update(id=order_id, status=status, update_time=update_time or int(T0.timestamp()) + 60, **overrides)
    return raw


class FakeTikTok:
    def __init__(self) -> None:
        self.pages: list[list[dict]] = []
        self.orders: dict[str, dict] = {}
        self.failures: dict[str, deque[httpx.Response]] = defaultdict(deque)
        self.valid_tokens = {"access-1"}
        self.refresh_tokens = {"refresh-1": ("access-2", "refresh-2")}
        self.search_calls: list[tuple[dict, dict]] = []
        self.detail_calls: list[list[str]] = []
        self.bad_signs = 0

    def ok(self, data: Any, request_id: str = "r") -> httpx.Response:
        return httpx.Response(200, json={"code": 0, "message": "Success", "data": data, "request_id": request_id})

    def error(self, code: int, message: str = "") -> httpx.Response:
        return httpx.Response(200, json={"code": code, "message": message, "request_id": f"e{code}"})

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if self.failures[path]:
            return self.failures[path].popleft()
        query = dict(request.url.params)
        if path == "/api/v2/token/get":
            if query.get("auth_code") != "good-code" or query.get("grant_type") != "authorized_code":
                return self.error(36004005, "can not find related auth record")
            base = int(T0.timestamp())
            return self.ok({"access_token": "access-1", "refresh_token": "refresh-1",
                            "access_token_expire_in": base + 7 * 86400, "refresh_token_expire_in": base + 365 * 86400,
                            "open_id": "oid", "seller_name": "Shop TH", "seller_base_region": "TH"})
        if path == "/api/v2/token/refresh":
            if query.get("app_secret") != APP_SECRET:
                return self.error(36004004, "invalid app")
            pair = self.refresh_tokens.pop(query.get("refresh_token"), None)
            if pair is None:
                return self.error(36004001, "rt has expired")
            self.valid_tokens = {pair[0]}
            base = int(T0.timestamp())
            return self.ok({"access_token": pair[0], "refresh_token": pair[1],
                            "access_token_expire_in": base + 7 * 86400, "refresh_token_expire_in": base + 60 * 86400,
                            "open_id": "oid", "seller_name": "Shop", "seller_base_region": "TH"})
        content_type = request.headers.get("content-type")
        expected = sign_request(APP_SECRET, path, query, request.content or None, content_type if request.content else None)
        if query.get("sign") != expected.sign:
            self.bad_signs += 1
            return self.error(106001, "invalid sign")
        if request.headers.get("x-tts-access-token") not in self.valid_tokens:
            return self.error(105002, "access token is expired")
        if path == "/authorization/202309/shops":
            if "shop_cipher" in query:
                return self.error(36009004, "Unexpected identifier")
            return self.ok({"shops": [{"id": "7494", "name": "S", "region": "TH", "seller_type": "CROSS_BORDER",
                                       "cipher": CIPHER, "code": "THLC"}]})
        if query.get("shop_cipher") != CIPHER:
            return self.error(106013, "shop_cipher missing")
        if path == "/order/202309/orders/search":
            body = json.loads(request.content)
            self.search_calls.append((query, body))
            index = int(query.get("page_token", "t0")[1:])
            page = self.pages[index] if index < len(self.pages) else []
            token = f"t{index + 1}" if index + 1 < len(self.pages) else ""
            total = sum(len(p) for p in self.pages)
            return self.ok({"orders": copy.deepcopy(page), "next_page_token": token, "total_count": total},
                           request_id=f"search-{len(self.search_calls)}")
        if path == "/order/202309/orders":
            ids = query["ids"].split(",")
            self.detail_calls.append(ids)
            if len(ids) > 50:
                return self.error(36009005, "too many ids")
            return self.ok({"orders": [copy.deepcopy(self.orders[i]) for i in ids if i in self.orders]})
        return httpx.Response(404, json={"code": 36009009, "message": "bad path"})

    def mount(self, router: respx.MockRouter) -> None:
        router.route(host="tiktok.test").mock(side_effect=self.handle)
