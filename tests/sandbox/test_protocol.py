"""Each platform's own refusals: expired timestamps, bad tokens, windows, page sizes, shop_cipher, and
token issue/refresh with the real lifetimes (Shopee refresh tokens work once)."""
from __future__ import annotations

import time
from decimal import Decimal

import httpx

from platform_adapters.sandbox import running_sandbox
from platform_adapters.sandbox.snapshot import Snapshot
from platform_adapters.sandbox.tiktok import DAY, statement_out, statement_time_of
from platform_adapters.sandbox.world import World
from tests.sandbox.helpers import (
    first_shop, fresh_tokens, lazada_get, shopee_get, shopee_public_post, tiktok_call,
)
from tests.world_anchor import anchor_where

SHOPEE_LIST = "/api/v2/order/get_order_list"


def _shopee_list_params(**overrides) -> dict:
    now = int(time.time())
    params = {"time_range_field": "update_time", "time_from": now - 10 * DAY, "time_to": now, "page_size": 50,
              "cursor": ""}
    params.update(overrides)
    return params


# --- Shopee -------------------------------------------------------------------------------------------

def test_shopee_accepts_a_correct_call_and_pages_to_the_end(control, shops):
    shop = first_shop(shops, "shopee")
    token = fresh_tokens(control, shop)["access_token"]
    truth = control.get("/_sandbox/truth/orders", params={"platform": "shopee", "shop_id": shop["shop_id"]}).json()
    now = truth["now"]
    seen = []
    for start in range(now - 45 * DAY, now + 1, 15 * DAY):
        cursor = ""
        while True:
            body = shopee_get(control, shops, shop, SHOPEE_LIST, _shopee_list_params(
                time_from=start, time_to=min(start + 15 * DAY - 1, now), page_size=7, cursor=cursor), token).json()
            assert body["error"] == "", body
            seen += [o["order_sn"] for o in body["response"]["order_list"]]
            if not body["response"]["more"]:
                break
            cursor = body["response"]["next_cursor"]
    assert sorted(seen) == sorted(o["order_id"] for o in truth["orders"])


def test_shopee_expired_timestamp(control, shops):
    shop = first_shop(shops, "shopee")
    token = fresh_tokens(control, shop)["access_token"]
    body = shopee_get(control, shops, shop, SHOPEE_LIST, _shopee_list_params(), token,
                      timestamp=int(time.time()) - 301).json()
    assert (body["error"], body["message"]) == ("error_param", "Timestamp is expired.")


def test_shopee_window_over_15_days(control, shops):
    shop = first_shop(shops, "shopee")
    token = fresh_tokens(control, shop)["access_token"]
    now = int(time.time())
    body = shopee_get(control, shops, shop, SHOPEE_LIST,
                      _shopee_list_params(time_from=now - 15 * DAY - 1, time_to=now), token).json()
    assert body["error"] == "order.order_list_invalid_time"
    exactly = shopee_get(control, shops, shop, SHOPEE_LIST,
                         _shopee_list_params(time_from=now - 15 * DAY, time_to=now), token).json()
    assert exactly["error"] == ""


def test_shopee_page_size_out_of_range(control, shops):
    shop = first_shop(shops, "shopee")
    token = fresh_tokens(control, shop)["access_token"]
    for size in (0, 101):
        body = shopee_get(control, shops, shop, SHOPEE_LIST, _shopee_list_params(page_size=size), token).json()
        assert body["error"] == "error_param" and "page_size" in body["message"]


def test_shopee_bad_token_and_other_shops_token(control, shops):
    shop = first_shop(shops, "shopee")
    other = [s for s in shops["shops"] if s["platform"] == "shopee"][1]
    assert shopee_get(control, shops, shop, SHOPEE_LIST, _shopee_list_params(), "nope").json()["error"] == "error_auth"
    foreign = fresh_tokens(control, other)["access_token"]
    assert shopee_get(control, shops, shop, SHOPEE_LIST, _shopee_list_params(), foreign).json()["error"] == "error_auth"


def test_shopee_refresh_token_works_once(control, shops):
    shop = first_shop(shops, "shopee")
    refresh = fresh_tokens(control, shop)["refresh_token"]
    body = {"refresh_token": refresh, "shop_id": int(shop["shop_id"])}
    first = shopee_public_post(control, shops, "/api/v2/auth/access_token/get", body).json()
    assert first["error"] == "" and first["refresh_token"] != refresh
    assert 4 * 3600 - 5 <= first["expire_in"] <= 4 * 3600
    second = shopee_public_post(control, shops, "/api/v2/auth/access_token/get", body).json()
    assert second["error"] == "error_shop_refresh_token"
    # the new pair works
    listed = shopee_get(control, shops, shop, SHOPEE_LIST, _shopee_list_params(), first["access_token"]).json()
    assert listed["error"] == ""


def test_shopee_detail_tracking_and_escrow_agree_with_truth(control, shops):
    shop = first_shop(shops, "shopee")
    token = fresh_tokens(control, shop)["access_token"]
    truth = control.get("/_sandbox/truth/orders", params={"platform": "shopee", "shop_id": shop["shop_id"]}).json()
    settled = {s["order_id"]: s for s in control.get("/_sandbox/truth/settlements").json()["settlements"]}
    sample = [o for o in truth["orders"] if o["order_id"] in settled][:5]
    sns = ",".join(o["order_id"] for o in sample)
    detail = shopee_get(control, shops, shop, "/api/v2/order/get_order_detail", {
        "order_sn_list": sns, "response_optional_fields": "item_list,total_amount,package_list"}, token).json()
    by_sn = {o["order_sn"]: o for o in detail["response"]["order_list"]}
    for order in sample:
        got = by_sn[order["order_id"]]
        assert got["order_status"] == order["raw_status"] and got["update_time"] == order["update_time"]
        assert str(got["total_amount"]) == str(float(order["total_amount"]))
        assert sum(i["model_quantity_purchased"] for i in got["item_list"]) == sum(
            line["quantity"] for line in order["lines"])
        escrow = shopee_get(control, shops, shop, "/api/v2/payment/get_escrow_detail",
                            {"order_sn": order["order_id"]}, token).json()["response"]
        truth_money = settled[order["order_id"]]
        net, adjustments = Decimal(truth_money["net_amount"]), Decimal(truth_money["adjustments"])
        # escrow_amount is released before the order's adjustments; escrow_amount_after_adjustment is
        # everything the order pays the seller (the truth's net)
        assert str(escrow["order_income"]["escrow_amount"]) == str(float(net - adjustments))
        assert str(escrow["order_income"]["escrow_amount_after_adjustment"]) == str(float(net))
        tracking = shopee_get(control, shops, shop, "/api/v2/logistics/get_tracking_number",
                              {"order_sn": order["order_id"]}, token).json()["response"]
        assert tracking["tracking_number"] == order["packages"][0]["tracking_number"]
    # the batch call: every package of the sample at once, an unknown number named in the warning
    packages = [p["package_id"] for o in sample for p in o["packages"]]
    batch = shopee_get(control, shops, shop, "/api/v2/order/get_package_detail",
                       {"package_number_list": ",".join(packages + ["OFG000000000000000"])}, token).json()
    listed = {p["package_number"]: p for p in batch["response"]["package_list"]}
    assert set(listed) == set(packages) and "OFG000000000000000" in batch["warning"][0]
    for order in sample:
        for package in order["packages"]:
            assert listed[package["package_id"]]["order_sn"] == order["order_id"]
            assert listed[package["package_id"]]["tracking_number"] == package["tracking_number"]
    too_many = shopee_get(control, shops, shop, "/api/v2/order/get_package_detail",
                          {"package_number_list": ",".join(["OFG1"] * 51)}, token).json()
    assert too_many["error"] == "error_param"


# --- Lazada -------------------------------------------------------------------------------------------

def test_lazada_limit_dates_and_token_errors(control, shops):
    shop = first_shop(shops, "lazada")
    token = fresh_tokens(control, shop)["access_token"]
    ok = lazada_get(control, shops, "/orders/get", {"update_after": "2020-01-01T00:00:00+00:00", "limit": 100},
                    token).json()
    assert ok["code"] == "0"
    too_many = lazada_get(control, shops, "/orders/get", {"update_after": "2020-01-01T00:00:00+00:00",
                                                          "limit": 101}, token).json()
    assert too_many["code"] == "E019"
    bad_date = lazada_get(control, shops, "/orders/get", {"update_after": "2020-01-01 00:00:00"}, token).json()
    assert bad_date["code"] == "E017"
    assert lazada_get(control, shops, "/orders/get", {"update_after": "2020-01-01T00:00:00+00:00"},
                      "bogus").json()["code"] == "IllegalAccessToken"
    stale = lazada_get(control, shops, "/orders/get", {"update_after": "2020-01-01T00:00:00+00:00"}, token,
                       timestamp_ms=int((time.time() - 7201) * 1000)).json()
    assert stale["code"] == "InvalidTimestamp"
    no_brackets = lazada_get(control, shops, "/orders/items/get", {"order_ids": "1,2"}, token).json()
    assert no_brackets["code"] == "E056"


def test_lazada_items_and_finance_agree_with_truth(control, shops):
    shop = first_shop(shops, "lazada")
    token = fresh_tokens(control, shop)["access_token"]
    truth = control.get("/_sandbox/truth/orders", params={"platform": "lazada", "shop_id": shop["shop_id"]}).json()
    settled = [s for s in control.get("/_sandbox/truth/settlements", params={"platform": "lazada"}).json()[
        "settlements"] if s["shop_id"] == shop["shop_id"]]
    ids = [o["order_id"] for o in truth["orders"]][:10]
    data = lazada_get(control, shops, "/orders/items/get", {"order_ids": "[" + ",".join(ids) + "]"}, token).json()
    items = {entry["order_id"]: entry["order_items"] for entry in data["data"]}
    for order in truth["orders"][:10]:
        assert sorted(i["order_item_id"] for i in items[order["order_id"]]) == sorted(
            line["line_ref"] for line in order["lines"])  # one order item per unit
    rows = lazada_get(control, shops, "/finance/transaction/details/get",
                      {"start_time": "2000-01-01", "end_time": "2000-06-29"}, token).json()
    assert rows["code"] == "1000012"  # window >= 180 days
    from datetime import datetime, timezone
    start = datetime.fromtimestamp(min(s["settled_at"] for s in settled) - DAY, timezone.utc).date()
    end = datetime.fromtimestamp(truth["now"] + DAY, timezone.utc).date()
    got, offset = [], 0
    while True:
        page = lazada_get(control, shops, "/finance/transaction/details/get", {
            "start_time": start.isoformat(), "end_time": end.isoformat(), "limit": 500, "offset": offset},
            token).json()["data"]
        got += page
        if len(page) < 500:
            break
        offset += 500
    from decimal import Decimal
    net: dict[str, Decimal] = {}
    for row in got:
        net[row["order_no"]] = net.get(row["order_no"], Decimal(0)) + Decimal(row["amount"])
    assert net == {s["order_id"]: Decimal(s["net_amount"]) for s in settled}


# --- TikTok -------------------------------------------------------------------------------------------

def test_tiktok_shop_cipher_rules(control, shops):
    shop = first_shop(shops, "tiktok")
    token = fresh_tokens(control, shop)["access_token"]
    search = "/order/202309/orders/search"
    ok = tiktok_call(control, shops, "POST", search, {"page_size": 5, "shop_cipher": shop["shop_cipher"]}, token,
                     body={"update_time_ge": 0}).json()
    assert ok["code"] == 0 and len(ok["data"]["orders"]) == 5
    missing = tiktok_call(control, shops, "POST", search, {"page_size": 5}, token, body={}).json()
    assert missing["code"] == 106013
    other = [s for s in shops["shops"] if s["platform"] == "tiktok"][1]
    foreign = tiktok_call(control, shops, "POST", search, {"page_size": 5, "shop_cipher": other["shop_cipher"]},
                          token, body={}).json()
    assert foreign["code"] == 101000
    unexpected = tiktok_call(control, shops, "GET", "/authorization/202309/shops",
                             {"shop_cipher": shop["shop_cipher"]}, token).json()
    assert unexpected["code"] == 36009004
    big = tiktok_call(control, shops, "POST", search, {"page_size": 101, "shop_cipher": shop["shop_cipher"]},
                      token, body={}).json()
    assert big["code"] == 36009004


def test_tiktok_timestamp_window_and_token(control, shops):
    shop = first_shop(shops, "tiktok")
    token = fresh_tokens(control, shop)["access_token"]
    query = {"page_size": 5, "shop_cipher": shop["shop_cipher"]}
    search = "/order/202309/orders/search"
    now = int(time.time())
    assert tiktok_call(control, shops, "POST", search, query, token, {}, timestamp=now - 301).json()["code"] == 36009004
    assert tiktok_call(control, shops, "POST", search, query, token, {}, timestamp=now + 31).json()["code"] == 36009004
    assert tiktok_call(control, shops, "POST", search, query, token, {}, timestamp=now + 20).json()["code"] == 0
    assert tiktok_call(control, shops, "POST", search, query, "bogus", {}).json()["code"] == 36009004


def test_tiktok_token_get_and_refresh_use_absolute_expiry(control, shops):
    shop = first_shop(control.get("/_sandbox/shops").json(), "tiktok")
    app = shops["apps"]["tiktok"]
    got = control.get("/api/v2/token/get", params={"app_key": app["app_key"], "app_secret": app["app_secret"],
                                                   "auth_code": shop["auth_code"],
                                                   "grant_type": "authorized_code"}).json()
    assert got["code"] == 0
    assert abs(got["data"]["access_token_expire_in"] - (time.time() + 7 * DAY)) < 60
    refreshed = control.get("/api/v2/token/refresh", params={
        "app_key": app["app_key"], "app_secret": app["app_secret"],
        "refresh_token": got["data"]["refresh_token"], "grant_type": "refresh_token"}).json()
    assert refreshed["code"] == 0
    bad = control.get("/api/v2/token/refresh", params={
        "app_key": app["app_key"], "app_secret": app["app_secret"], "refresh_token": "nope",
        "grant_type": "refresh_token"}).json()
    assert bad["code"] == 36004005


def _tiktok_statement_at(world: World, anchor: int) -> bool:
    """Whether a TikTok shop of the world has a statement issued at exactly ``anchor`` (orders settled the day
    before a 00:00 UTC): the instant the half-open window [since, now) leaves out."""
    return any(statement_time_of(o.settled_at) == anchor for shop in world.shops if shop.platform == "tiktok"
               for o in Snapshot(world, anchor).view(shop).settled)


def test_tiktok_statements_add_up_to_truth(control, shops):
    _statements_add_up_to_truth(control, shops, first_shop(shops, "tiktok"))


def test_tiktok_statements_add_up_to_truth_when_one_is_issued_at_now():
    """At a 00:00 UTC anchor the statement issued then is out neither in the listing nor in the truth
    (``statement_out``), so they still agree."""
    anchor = anchor_where(_tiktok_statement_at, "a TikTok statement issued at a 00:00 UTC", seed=7, orders=300,
                          step=DAY)
    with running_sandbox(seed=7, orders=300, anchor=anchor) as sb, \
            httpx.Client(base_url=sb.base_url, timeout=30) as control:
        shops = control.get("/_sandbox/shops").json()
        truth = control.get("/_sandbox/truth/settlements", params={"platform": "tiktok"}).json()
        assert truth["now"] == anchor
        at_now = {s["shop_id"] for s in truth["settlements"] if statement_time_of(s["settled_at"]) == anchor}
        shop = next(s for s in shops["shops"] if s["platform"] == "tiktok" and s["shop_id"] in at_now)
        _statements_add_up_to_truth(control, shops, shop)


def _statements_add_up_to_truth(control, shops, shop) -> None:
    """The shop's statements, their transactions paged through, add up per order to the truth's net for the
    orders whose statement is out (``statement_out``)."""
    token = fresh_tokens(control, shop)["access_token"]
    truth = control.get("/_sandbox/truth/settlements", params={"platform": "tiktok"}).json()
    # statements are issued at 00:00 UTC for the day before: today's settlements are in none yet, nor are
    # yesterday's at exactly 00:00 (the window [since, now) leaves the statement issued at now out)
    settled = {s["order_id"]: Decimal(s["net_amount"]) for s in truth["settlements"]
               if s["shop_id"] == shop["shop_id"] and statement_out(statement_time_of(s["settled_at"]), truth["now"])}
    q = {"sort_field": "statement_time", "page_size": 100, "shop_cipher": shop["shop_cipher"]}
    statements = tiktok_call(control, shops, "GET", "/finance/202309/statements", q, token).json()["data"]["statements"]
    seen: dict[str, Decimal] = {}
    for statement in statements:
        token_page, total, reserve = "", Decimal(0), Decimal(0)
        while True:
            query = {"sort_field": "order_create_time", "page_size": 3, "shop_cipher": shop["shop_cipher"]}
            if token_page:
                query["page_token"] = token_page
            data = tiktok_call(control, shops, "GET",
                               f"/finance/202501/statements/{statement['id']}/statement_transactions", query,
                               token).json()["data"]
            for t in data["transactions"]:  # orders, adjustments on them, reserves withheld or released
                order_id = t["order_id"] or t.get("adjustment_order_id") or t.get("associated_order_id")
                seen[order_id] = seen.get(order_id, Decimal(0)) + Decimal(t["settlement_amount"]) \
                    + Decimal(t.get("reserve_amount") or 0)
                total += Decimal(t["settlement_amount"])
                reserve += Decimal(t.get("reserve_amount") or 0)
            payable = Decimal(data["payable_amount"])
            token_page = data["next_page_token"]
            if not token_page:
                break
        assert total == Decimal(statement["settlement_amount"]) and payable == total + reserve
    assert seen == settled
