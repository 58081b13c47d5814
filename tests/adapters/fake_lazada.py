"""An in-memory Lazada Open Platform (orders/get, orders/items/get, token refresh) for respx tests.

Checks the upper-case sign over all parameters; ``failures`` queues responses served first.
"""
from __future__ import annotations

import copy
from collections import defaultdict, deque
from typing import Any
from urllib.parse import parse_qsl

import httpx
import respx

from platform_adapters.http.values import iso_time
from platform_adapters.lazada.signing import sign_request
from tests.adapters.helpers import fixture_json

GATEWAY = "https://lazada.test/rest"
APP_KEY = "100132"
APP_SECRET = "lazada-secret"


def order(order_id: str, updated_at: str = "2024-11-24T10:00:00+08:00", status: str = "ready_to_ship",
          **overrides: Any) -> dict:
    raw = fixture_json("lazada", "order.json")
    raw.update(order_id=order_id, order_number=order_id, updated_at=updated_at, **overrides)
    for n, item in enumerate(raw["order_items"]):
        item.update(order_id=order_id, order_item_id=f"{order_id}{n}", status=status)
    return raw


class FakeLazada:
    def __init__(self) -> None:
        self.orders: list[dict] = []  # the server's order set, kept sorted by updated_at
        self.failures: dict[str, deque[httpx.Response]] = defaultdict(deque)
        self.valid_tokens = {"access-1"}
        self.refresh_tokens = {"refresh-1": ("access-2", "refresh-2")}
        self.list_calls: list[dict] = []
        self.items_calls: list[list[str]] = []
        self.bad_signs = 0
        self.after_list_call = None  # hook(fake, call_number) to change data mid-run

    def ok(self, data: Any, request_id: str = "r") -> httpx.Response:
        return httpx.Response(200, json={"code": "0", "data": data, "request_id": request_id})

    def error(self, code: str, message: str = "", type_: str = "ISV") -> httpx.Response:
        return httpx.Response(200, json={"code": code, "type": type_, "message": message, "request_id": "e"})

    def handle(self, request: httpx.Request) -> httpx.Response:
        api_path = request.url.path.removeprefix("/rest")
        if self.failures[api_path]:
            return self.failures[api_path].popleft()
        params = dict(request.url.params)
        if request.method == "POST":
            params.update(dict(parse_qsl(request.content.decode())))
        if params.get("sign") != sign_request(APP_SECRET, api_path, params).sign or params.get("app_key") != APP_KEY:
            self.bad_signs += 1
            return self.error("IncompleteSignature", "The request signature does not conform to platform standards")
        if api_path == "/auth/token/create":
            if params.get("code") != "good-code":
                return self.error("InvalidCode", "Invalid authorization code")
            return httpx.Response(200, json={"code": "0", "request_id": "c", "access_token": "access-1",
                                             "refresh_token": "refresh-1", "expires_in": 2592000,
                                             "refresh_expires_in": 0, "country": "sg", "account": "a@b.c",
                                             "country_user_info": [{"country": "sg", "seller_id": "1001"}]})
        if api_path == "/auth/token/refresh":
            pair = self.refresh_tokens.pop(params.get("refresh_token"), None)
            if pair is None:
                return self.error("IllegalRefreshToken", "The specified refresh token is invalid or expired")
            self.valid_tokens = {pair[0]}
            return httpx.Response(200, json={"code": "0", "request_id": "t", "access_token": pair[0],
                                             "refresh_token": pair[1], "expires_in": 2592000,
                                             "refresh_expires_in": 15552000, "country": "sg",
                                             "country_user_info_list": [{"country": "sg", "seller_id": "1001"}]})
        if params.get("access_token") not in self.valid_tokens:
            return self.error("IllegalAccessToken", "The specified access token is invalid or expired")
        if api_path == "/orders/get":
            self.list_calls.append(params)
            lo, hi = iso_time(params["update_after"]), iso_time(params["update_before"])
            matching = [o for o in self.orders if lo <= iso_time(o["updated_at"]) < hi]
            offset, limit = int(params["offset"]), int(params["limit"])
            page = [{k: v for k, v in copy.deepcopy(o).items() if k != "order_items"}
                    for o in matching[offset:offset + limit]]
            response = self.ok({"count": len(page), "countTotal": len(matching), "orders": page},
                               request_id=f"list-{len(self.list_calls)}")
            if self.after_list_call:
                self.after_list_call(self, len(self.list_calls))
            return response
        if api_path == "/order/get":
            by_id = {str(o["order_id"]): o for o in self.orders}
            found = by_id.get(params.get("order_id", ""))
            if found is None:
                return self.error("E016", "Invalid Order ID")
            return self.ok({k: v for k, v in copy.deepcopy(found).items() if k != "order_items"})
        if api_path == "/orders/items/get":
            ids = params["order_ids"].strip("[]").split(",")
            self.items_calls.append(ids)
            if len(ids) > 50:
                return self.error("E038", "Too many orders")
            by_id = {str(o["order_id"]): o for o in self.orders}
            return self.ok([{"order_id": i, "order_number": i, "order_items": copy.deepcopy(by_id[i]["order_items"])}
                            for i in ids if i in by_id and by_id[i].get("order_items") is not None])
        return httpx.Response(404, json={"code": "InvalidApiPath", "message": api_path})

    def mount(self, router: respx.MockRouter) -> None:
        router.route(host="lazada.test").mock(side_effect=self.handle)
