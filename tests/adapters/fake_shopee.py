"""An in-memory Shopee Open Platform (order list/detail, token refresh) for respx-mocked tests.

It checks every request's sign like the real server, serves scripted list pages, and can be told
to fail: ``failures`` is a queue of responses served before the normal answer of a path.
"""
from __future__ import annotations

import copy
import json
from collections import defaultdict, deque
from decimal import Decimal
from typing import Any

import httpx
import respx

from platform_adapters.shopee.signing import is_public_path, sign_request

HOST = "https://shopee.test"
PARTNER_ID = 2001887
PARTNER_KEY = "test-partner-key"
SHOP_ID = "900719925474099312"  # > 2**53


def _dumps(value: Any) -> bytes:
    def default(o: Any) -> Any:
        if isinstance(o, Decimal):
            return float(o)
        raise TypeError(type(o))

    # floats the way Shopee sends them; exact digits come from the fixture text through repr
    return json.dumps(value, default=default, separators=(",", ":")).encode()


def detail(order_sn: str, *, update_time: int = 1732410000, status: str = "READY_TO_SHIP", **overrides: Any) -> dict:
    from tests.adapters.helpers import fixture_json

    base = fixture_json("shopee", "order_detail.json")
    base.update(order_sn=order_sn, update_time=update_time, order_status=status, **overrides)
    return base


class FakeShopee:
    def __init__(self) -> None:
        self.orders: dict[str, dict] = {}
        self.pages: list[dict] = []  # list responses in order, cursor "" → pages[0], "p1" → pages[1] ...
        self.failures: dict[str, deque[httpx.Response]] = defaultdict(deque)
        self.valid_tokens = {"access-1"}
        self.refresh_tokens = {"refresh-1": ("access-2", "refresh-2")}
        self.list_calls: list[dict[str, str]] = []
        self.detail_calls: list[list[str]] = []
        self.refresh_calls: list[dict] = []
        self.tracking: dict[tuple[str, str], str] = {}  # (order_sn, package_number) -> number
        self.tracking_calls: list[tuple[str, str]] = []
        self.package_detail_calls: list[list[str]] = []
        self.package_detail_refused = False  # answer get_package_detail with "No permission to current api."
        self.expire_after_detail_calls: int | None = None  # the access token dies after that many
        self.bad_signs = 0
        self.escrows: dict[str, dict] = {}  # order_sn -> get_escrow_detail response (with "_release" entry)
        self.payouts: list[dict] = []  # get_payout_detail payout_list entries (cross-border shops)
        self.cross_border = True  # False: get_payout_detail answers the documented refusal for local shops
        self.payout_calls: list[dict[str, str]] = []

    def set_pages(self, *pages: list[str], more_on_last: bool = False) -> None:
        self.pages = []
        for index, sns in enumerate(pages):
            last = index == len(pages) - 1
            self.pages.append({"more": (not last) or more_on_last, "next_cursor": "" if last else f"p{index + 1}",
                               "order_list": [{"order_sn": sn, "order_status": "READY_TO_SHIP"} for sn in sns]})

    def envelope(self, response: Any = None, error: str = "", message: str = "", request_id: str = "r") -> httpx.Response:
        body: dict[str, Any] = {"request_id": request_id, "error": error, "message": message}
        if response is not None:
            body["response"] = response
        return httpx.Response(200, content=_dumps(body), headers={"content-type": "application/json"})

    def _check_sign(self, request: httpx.Request) -> httpx.Response | None:
        q = dict(request.url.params)
        path = request.url.path
        if is_public_path(path):
            expected = sign_request(PARTNER_ID, PARTNER_KEY, path, int(q["timestamp"]))
        else:
            expected = sign_request(PARTNER_ID, PARTNER_KEY, path, int(q["timestamp"]), q.get("access_token"),
                                    q.get("shop_id"))
        if q.get("sign") != expected.sign:
            self.bad_signs += 1
            return self.envelope(error="error_sign", message="Wrong sign.")
        if not is_public_path(path) and q.get("access_token") not in self.valid_tokens:
            return self.envelope(error="invalid_acceess_token", message="Invalid access_token.")
        return None

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if self.failures[path]:
            return self.failures[path].popleft()
        rejected = self._check_sign(request)
        if rejected is not None:
            return rejected
        q = dict(request.url.params)
        if path.endswith("/order/get_order_list"):
            self.list_calls.append(q)
            if int(q["time_to"]) - int(q["time_from"]) > 15 * 86400:
                return self.envelope(error="order.order_list_invalid_time",
                                     message="Start time must be earlier than end time and diff in 15days.")
            index = 0 if q["cursor"] == "" else int(q["cursor"][1:])
            page = self.pages[index] if index < len(self.pages) else {"more": False, "next_cursor": "", "order_list": []}
            return self.envelope(page, request_id=f"list-{len(self.list_calls)}")
        if path.endswith("/order/get_order_detail"):
            sns = q["order_sn_list"].split(",")
            self.detail_calls.append(sns)
            if len(sns) > 50:
                return self.envelope(error="error_param", message="order_sn_list too long")
            found = [copy.deepcopy(self.orders[sn]) for sn in sns if sn in self.orders]
            if self.expire_after_detail_calls == len(self.detail_calls):
                self.valid_tokens = set()
            return self.envelope({"order_list": found}, request_id=f"detail-{len(self.detail_calls)}")
        if path.endswith("/order/get_package_detail"):
            numbers = q["package_number_list"].split(",")
            self.package_detail_calls.append(numbers)
            if self.package_detail_refused:
                return self.envelope(error="error_auth", message="No permission to current api.")
            if not 1 <= len(numbers) <= 50:
                return self.envelope(error="error_param", message="package_number_list must hold 1 to 50 numbers")
            found = [{"order_sn": sn, "package_number": pkg, "tracking_number": number}
                     for (sn, pkg), number in self.tracking.items() if pkg in numbers]
            return self.envelope({"package_list": found})
        if path.endswith("/logistics/get_tracking_number"):
            key = (q["order_sn"], q["package_number"])
            self.tracking_calls.append(key)
            if key not in self.tracking:
                return self.envelope(error="logistics.package_not_found", message="Package not found.")
            return self.envelope({"tracking_number": self.tracking[key], "first_mile_tracking_number": ""})
        if path.endswith("/payment/get_escrow_list"):
            lo, hi = int(q["release_time_from"]), int(q["release_time_to"])
            entries = [e["_release"] for e in self.escrows.values()
                       if lo <= int(e["_release"]["escrow_release_time"]) <= hi]
            return self.envelope({"escrow_list": entries, "more": False})
        if path.endswith("/payment/get_payout_detail"):
            self.payout_calls.append(q)
            if not self.cross_border:
                return self.envelope(error="error_param",
                                     message="This payment API is only applicable for cross boarder shop")
            lo, hi = int(q["payout_time_from"]), int(q["payout_time_to"])
            if hi - lo > 15 * 86400:
                return self.envelope(error="error_param", message="Wrong parameters, detail: time range > 15 days.")
            size, number = int(q["page_size"]), int(q["page_no"])
            found = [p for p in self.payouts if lo <= int(p["payout_info"]["payout_time"]) <= hi]
            return self.envelope({"more": number * size < len(found),
                                  "payout_list": found[(number - 1) * size: number * size]})
        if path.endswith("/payment/get_escrow_detail"):
            found = self.escrows.get(q["order_sn"])
            if found is None:
                return self.envelope(error="error_not_found", message="order not found")
            return self.envelope({k: v for k, v in copy.deepcopy(found).items() if k != "_release"})
        if path.endswith("/auth/token/get"):
            body = json.loads(request.content)
            if body.get("code") != "good-code" or str(body.get("shop_id")) != SHOP_ID:
                return self.envelope(error="invalid_code", message="code is invalid")
            return httpx.Response(200, json={"request_id": "token", "error": "", "message": "",
                                             "access_token": "access-1", "refresh_token": "refresh-1",
                                             "expire_in": 14400, "shop_id_list": [int(SHOP_ID)]})
        if path.endswith("/auth/access_token/get"):
            body = json.loads(request.content)
            self.refresh_calls.append(body)
            pair = self.refresh_tokens.pop(body["refresh_token"], None)
            if pair is None:
                return self.envelope(error="error_shop_refresh_token", message="refresh token invalid")
            self.valid_tokens = {pair[0]}
            resp = {"request_id": "refresh", "error": "", "message": "", "access_token": pair[0],
                    "refresh_token": pair[1], "expire_in": 14400, "partner_id": PARTNER_ID, "shop_id": int(SHOP_ID)}
            return httpx.Response(200, json=resp)
        return httpx.Response(404, json={"error": "error_not_found", "message": path})

    def mount(self, router: respx.MockRouter) -> None:
        router.route(host="shopee.test").mock(side_effect=self.handle)
