"""Shopee Open Platform v2 routes of the sandbox, at the real paths with the real envelope.

Envelope ``{request_id, error, message, response}`` (``error == ""`` on success; token calls answer
at top level). Checks, in the platform's order: common parameters (``error_param``), partner id
(``invalid_partner_id``), timestamp within 5 minutes (``error_param`` "Timestamp is expired."),
sign (``error_sign`` "Wrong sign.", verified with :func:`platform_adapters.shopee.signing.sign_request`
and compared in constant time), then the access token (``error_auth`` unknown,
``invalid_acceess_token`` expired: Shopee's own spelling). Order lists refuse windows over 15 days
(``order.order_list_invalid_time``) and page sizes outside 1–100. Money is written as JSON numbers,
as Shopee does.
"""
from __future__ import annotations

import json
import zlib
from decimal import Decimal

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from platform_adapters.sandbox.snapshot import OrderState, settlement_of
from platform_adapters.sandbox.state import SandboxState, json_reply, request_id, with_faults
from platform_adapters.sandbox.tokens import TokenError
from platform_adapters.sandbox.wallet import wallet_of
from platform_adapters.sandbox.world import CANCELLED, RETURNED, UNPAID, WorldOrder, WorldShop, bundle_discount
from platform_adapters.shopee.signing import is_public_path, sign_request
from platform_adapters.signature import signs_equal

PREFIX = "/api/v2"
MAX_WINDOW = 15 * 86400
TIMESTAMP_TOLERANCE = 300
USD_PER_LOCAL = {"SGD": Decimal("0.7407"), "MYR": Decimal("0.2273"), "THB": Decimal("0.02817"),
                 "PHP": Decimal("0.01779"), "IDR": Decimal("0.0000633"), "VND": Decimal("0.0000395")}


class ShopeeError(Exception):
    def __init__(self, error: str, message: str) -> None:
        super().__init__(message)
        self.error, self.message = error, message


def _fail(error: str, message: str) -> Response:
    return json_reply({"request_id": request_id(), "error": error, "message": message})


def _ok(response: dict) -> Response:
    return json_reply({"request_id": request_id(), "error": "", "message": "", "response": response})


def _money(value: Decimal) -> float:
    return float(value)


def _int_param(q, name: str, required: bool = True, default: int | None = None) -> int | None:
    raw = q.get(name)
    if raw is None or raw == "":
        if required:
            raise ShopeeError("error_param", f"{name} is required.")
        return default
    try:
        return int(raw)
    except ValueError:
        raise ShopeeError("error_param", f"{name} must be an integer, got {raw!r}.") from None


class ShopeeApi:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.app = state.world.apps["shopee"]

    # -- verification -------------------------------------------------------------------------
    def _verify(self, request: Request) -> WorldShop | None:
        q, path = request.query_params, request.url.path
        for name in ("partner_id", "timestamp", "sign"):
            if not q.get(name):
                raise ShopeeError("error_param", f"Missing {name}.")
        if q["partner_id"] != self.app.app_key:
            raise ShopeeError("invalid_partner_id", "Invalid partner_id.")
        timestamp = _int_param(q, "timestamp")
        if not 0 <= timestamp <= 4294967295:
            raise ShopeeError("error_param", "Invalid timestamp.")
        if abs(self.state.tokens.now() - timestamp) > TIMESTAMP_TOLERANCE:
            raise ShopeeError("error_param", "Timestamp is expired.")
        if is_public_path(path):
            expected = sign_request(int(self.app.app_key), self.app.app_secret, path, timestamp)
            if not signs_equal(expected.sign, q["sign"]):
                raise ShopeeError("error_sign", "Wrong sign.")
            return None
        token, shop_id = q.get("access_token"), q.get("shop_id")
        if not token or not shop_id:
            raise ShopeeError("error_param", "Missing access_token or shop_id.")
        expected = sign_request(int(self.app.app_key), self.app.app_secret, path, timestamp,
                                access_token=token, shop_id=shop_id)
        if not signs_equal(expected.sign, q["sign"]):
            raise ShopeeError("error_sign", "Wrong sign.")
        try:
            self.state.tokens.shop_for_access("shopee", token)  # valid and not expired
        except TokenError as exc:
            if exc.reason == "expired":
                raise ShopeeError("invalid_acceess_token", "Invalid access_token.") from None
            raise ShopeeError("error_auth", "Invalid access_token.") from None
        shop = self.state.shop("shopee", shop_id)
        if shop is None or not self.state.tokens.covers("shopee", token, shop_id):
            raise ShopeeError("error_auth", "Invalid partner_id or shopid.")
        if self.state.faults.should_expire(f"shopee:{shop_id}"):
            self.state.tokens.expire_access(token)
            raise ShopeeError("invalid_acceess_token", "Invalid access_token.")
        return shop

    def _route(self, path: str, handler, methods=("GET",), allow_truncate=True) -> Route:
        async def endpoint(request: Request) -> Response:
            try:
                shop = self._verify(request)
                return await handler(request, shop)
            except ShopeeError as exc:
                return _fail(exc.error, exc.message)

        wrapped = with_faults(self.state, "shopee", endpoint, lambda: {
            "request_id": request_id(), "error": "error_rate_limit",
            "message": "Too many requests, please try again later."}, allow_truncate)
        return Route(PREFIX + path, wrapped, methods=list(methods))

    def routes(self) -> list[Route]:
        return [
            self._route("/auth/token/get", self.token_get, ("POST",), allow_truncate=False),
            self._route("/auth/access_token/get", self.access_token_get, ("POST",), allow_truncate=False),
            self._route("/shop/get_shop_info", self.shop_info),
            self._route("/order/get_order_list", self.order_list),
            self._route("/order/get_order_detail", self.order_detail),
            self._route("/order/get_package_detail", self.package_detail),
            self._route("/logistics/get_tracking_number", self.tracking_number),
            self._route("/payment/get_escrow_detail", self.escrow_detail),
            self._route("/payment/get_escrow_list", self.escrow_list),
            self._route("/payment/get_payout_detail", self.payout_detail),
            self._route("/payment/get_wallet_transaction_list", self.wallet_transactions),
            self._route("/push/get_lost_push_message", self.lost_push_messages),
            self._route("/push/confirm_consumed_lost_push_message", self.confirm_lost_pushes, ("POST",),
                        allow_truncate=False),
            self._route("/returns/get_return_list", self.return_list),
            self._route("/returns/get_return_detail", self.return_detail),
        ]

    # -- auth ---------------------------------------------------------------------------------
    async def _body(self, request: Request) -> dict:
        body = await self._body_any(request)
        if str(body.get("partner_id")) != self.app.app_key:
            raise ShopeeError("error_param", "partner_id in body does not match.")
        return body

    def _token_reply(self, pair) -> Response:
        return json_reply({
            "request_id": request_id(), "error": "", "message": "",
            "access_token": pair.access_token, "refresh_token": pair.refresh_token,
            "expire_in": pair.access_expires_at - self.state.tokens.now(),
            "shop_id": int(pair.shop_id), "shop_id_list": [int(s) for s in pair.covers or (pair.shop_id,)],
            "merchant_id_list": [],
            "supplier_id_list": [], "user_id_list": [], "principal_id_list": [],
        })

    async def token_get(self, request: Request, _shop) -> Response:
        body = await self._body(request)
        try:
            pair = self.state.tokens.exchange_code("shopee", str(body.get("code", "")))
        except TokenError:
            return _fail("invalid_code", "Invalid code.")
        if body.get("main_account_id") is not None:  # a main account authorized all its shops
            if str(body["main_account_id"]) != main_account_id(self.state.shop("shopee", pair.shop_id).owner_id):
                return _fail("invalid_main_account_id", "Invalid main_account_id.")
        elif str(body.get("shop_id")) != pair.shop_id:
            return _fail("invalid_shop_id", "Invalid shop_id.")
        return self._token_reply(pair)

    async def access_token_get(self, request: Request, _shop) -> Response:
        body = await self._body(request)
        shop_id = str(body.get("shop_id", ""))
        try:
            pair = self.state.tokens.refresh("shopee", str(body.get("refresh_token", "")), shop_id)
        except TokenError as exc:
            if exc.reason == "expired":
                return _fail("refresh_token_expired", "refresh_token is expired.")
            return _fail("error_shop_refresh_token", "Invalid refresh_token (each one works once).")
        return self._token_reply(pair)

    # -- shop and orders ----------------------------------------------------------------------
    async def shop_info(self, request: Request, shop: WorldShop) -> Response:
        return json_reply({"request_id": request_id(), "error": "", "message": "", "shop_name": shop.name,
                           "region": shop.region, "status": "NORMAL", "is_cb": shop.cross_border,
                           "expire_time": self.state.tokens.now() + 365 * 86400})

    async def order_list(self, request: Request, shop: WorldShop) -> Response:
        q = request.query_params
        field = q.get("time_range_field")
        if field not in ("create_time", "update_time"):
            raise ShopeeError("error_param", "time_range_field must be create_time or update_time.")
        time_from, time_to = _int_param(q, "time_from"), _int_param(q, "time_to")
        if time_from > time_to or time_to - time_from > MAX_WINDOW:
            raise ShopeeError("order.order_list_invalid_time",
                              "Start time must be earlier than end time and diff in 15days.")
        page_size = _int_param(q, "page_size")
        if not 1 <= page_size <= 100:
            raise ShopeeError("error_param", "page_size should be between 1 and 100.")
        cursor = q.get("cursor") or "0"
        if not cursor.isdigit():
            raise ShopeeError("error_param", "Invalid cursor.")
        rows = self.state.snapshot().view(shop).window(field, time_from, time_to)
        status = q.get("order_status")
        if status:
            rows = [r for r in rows if r.raw_status == status]
        offset = int(cursor)
        page = rows[offset: offset + page_size]
        more = offset + page_size < len(rows)
        with_status = "order_status" in (q.get("response_optional_fields") or "").split(",")
        order_list = [{"order_sn": r.order.order_id, **({"order_status": r.raw_status} if with_status else {})}
                      for r in page]
        return _ok({"more": more, "next_cursor": str(offset + page_size) if more else "", "order_list": order_list})

    def _lookup(self, shop: WorldShop, order_sn: str) -> OrderState | None:
        return self.state.snapshot().view(shop).by_id.get(order_sn)

    async def order_detail(self, request: Request, shop: WorldShop) -> Response:
        q = request.query_params
        wanted = [s for s in (q.get("order_sn_list") or "").split(",") if s]
        if not 1 <= len(wanted) <= 50:
            raise ShopeeError("error_param", "order_sn_list must hold 1 to 50 order_sn.")
        optional = set((q.get("response_optional_fields") or "").split(","))
        found, missing = [], []
        for order_sn in wanted:
            state = self._lookup(shop, order_sn)
            if state is None:
                missing.append(order_sn)
            else:
                found.append(self._detail(state, optional))
        reply = {"order_list": found}
        if missing:
            return json_reply({"request_id": request_id(), "error": "", "message": "", "response": reply,
                               "warning": [f"order_sn not found: {', '.join(missing)}"]})
        return _ok(reply)

    def _detail(self, state: OrderState, optional: set[str]) -> dict:
        order, shop = state.order, state.order.shop
        out = {"order_sn": order.order_id, "region": shop.region, "currency": shop.currency, "cod": False,
               "order_status": state.raw_status, "create_time": order.created_at,
               "update_time": state.update_time, "days_to_ship": 3, "ship_by_date": order.created_at + 3 * 86400,
               "message_to_seller": ""}
        paid = order.stage_time("PAID")
        bundle = bool(bundle_discount(order))
        if "item_list" in optional:
            out["item_list"] = [{
                "item_id": int(line.sku.item_id), "item_name": line.sku.name,
                "item_sku": line.sku.seller_sku.rsplit("-", 1)[0], "model_id": int(line.sku.model_id),
                "model_name": line.sku.model_name, "model_sku": line.sku.seller_sku,
                "model_quantity_purchased": line.quantity, "model_original_price": _money(line.unit_price),
                # bundle-deal items are listed with a discounted price of 0 (the deal is order-level)
                "model_discounted_price": 0.0 if bundle else _money(line.unit_price),
                "weight": line.sku.weight_g / 1000,
                "promotion_type": "bundle_deal" if bundle else "", "promotion_id": _bundle_id(order) if bundle else 0,
                "add_on_deal": False, "main_item": False,
                "product_location_id": [shop.warehouse_code], "is_b2c_owned_item": False,
            } for line in order.lines]
        if "total_amount" in optional:
            out["total_amount"] = _money(order.total)
        if "pay_time" in optional and paid is not None and paid <= self.state.now:
            out["pay_time"] = paid
        if "estimated_shipping_fee" in optional:
            out["estimated_shipping_fee"] = _money(order.shipping_fee)
        if "shipping_carrier" in optional:
            out["shipping_carrier"] = order.packages[0].carrier
        if "buyer_user_id" in optional:
            out["buyer_user_id"] = int(order.order_id[-6:], 36) % 10**9
        if "package_list" in optional:
            out["package_list"] = [] if state.stage in (UNPAID,) else [{
                "package_number": package.package_id,
                "logistics_status": _logistics_status(state),
                "shipping_carrier": package.carrier,
                "item_list": [{"item_id": int(line.sku.item_id), "model_id": int(line.sku.model_id),
                               "model_quantity": line.quantity}
                              for line in order.lines if line.package_index == index],
            } for index, package in enumerate(order.packages)]
        return out

    async def package_detail(self, request: Request, shop: WorldShop) -> Response:
        """``order/get_package_detail``: 1-50 package numbers in ``package_number_list``; each known one
        with its order, logistics status, carrier, items and tracking number (empty until packed)."""
        numbers = [n for n in (request.query_params.get("package_number_list") or "").split(",") if n]
        if not 1 <= len(numbers) <= 50:
            raise ShopeeError("error_param", "package_number_list must hold 1 to 50 package numbers.")
        view = self.state.snapshot().view(shop)
        found, missing = [], []
        for number in numbers:
            state = view.by_package.get(number)
            if state is None:
                missing.append(number)
                continue
            order = state.order
            index = next(i for i, p in enumerate(order.packages) if p.package_id == number)
            package = order.packages[index]
            found.append({"order_sn": order.order_id, "package_number": number,
                          "logistics_status": _logistics_status(state), "shipping_carrier": package.carrier,
                          "tracking_number": package.tracking_number if state.packed else "",
                          "item_list": [{"item_id": int(line.sku.item_id), "model_id": int(line.sku.model_id),
                                         "model_quantity": line.quantity}
                                        for line in order.lines if line.package_index == index]})
        reply = {"package_list": found}
        if missing:
            return json_reply({"request_id": request_id(), "error": "", "message": "", "response": reply,
                               "warning": [f"package_number not found: {', '.join(missing)}"]})
        return _ok(reply)

    async def tracking_number(self, request: Request, shop: WorldShop) -> Response:
        q = request.query_params
        state = self._lookup(shop, q.get("order_sn") or "")
        if state is None:
            raise ShopeeError("logistics.order_not_found", "Order not found.")
        packages = state.order.packages
        wanted = q.get("package_number")
        package = next((p for p in packages if p.package_id == wanted), None) if wanted else packages[0]
        if package is None:
            raise ShopeeError("logistics.package_not_found", "Package not found.")
        tracking = package.tracking_number if state.packed else ""
        return _ok({"tracking_number": tracking, "plp_number": "", "first_mile_tracking_number": "",
                    "last_mile_tracking_number": tracking})

    # -- payment ------------------------------------------------------------------------------
    async def escrow_detail(self, request: Request, shop: WorldShop) -> Response:
        state = self._lookup(shop, request.query_params.get("order_sn") or "")
        if state is None:
            raise ShopeeError("error_not_found", "Order not found.")
        return _ok(self._escrow(state))

    def _escrow(self, state: OrderState) -> dict:
        """``get_escrow_detail``: every term of Shopee's escrow formula that this world uses, the order's
        adjustments, and the items (bundle-deal items carry ``activity_type`` ``bundle_deal``)."""
        order = state.order
        s = settlement_of(order)
        void = state.stage in (UNPAID, CANCELLED, RETURNED)
        zero = Decimal(0)
        adjustments = [] if void else [
            {"amount": _money(amount), "date": order.settled_at or self.state.now, "currency": order.shop.currency,
             "adjustment_reason": reason} for amount, reason in s.adjustments]
        adjustment_total = sum((amount for amount, _ in s.adjustments), zero) if not void else zero
        goods = s.revenue
        income = {
            "escrow_amount": _money(zero if void else s.escrow),
            "buyer_total_amount": _money(zero if state.stage in (UNPAID, CANCELLED) else order.total),
            "original_price": _money(order.subtotal), "order_original_price": _money(order.subtotal),
            "order_selling_price": _money(order.subtotal), "order_discounted_price": _money(goods),
            "order_seller_discount": _money(s.bundle_discount),
            "original_cost_of_goods_sold": _money(goods), "cost_of_goods_sold": _money(goods + s.refund),
            "seller_discount": _money(s.bundle_discount), "shopee_discount": 0.0, "original_shopee_discount": 0.0,
            "voucher_from_seller": 0.0, "voucher_from_shopee": 0.0,
            "coins": 0.0, "buyer_paid_shipping_fee": _money(s.shipping_fee),
            "actual_shipping_fee": _money(-s.shipping_cost), "estimated_shipping_fee": _money(s.shipping_fee),
            "final_shipping_fee": _money(-s.shipping_cost), "shopee_shipping_rebate": 0.0,
            "commission_fee": _money(-s.commission), "service_fee": _money(-s.service_fee),
            "seller_transaction_fee": _money(-s.transaction_fee), "escrow_tax": 0.0,
            "seller_return_refund": _money(s.refund), "drc_adjustable_refund": _money(-s.refund),
            "reverse_shipping_fee": 0.0, "order_adjustment": adjustments,
            "total_adjustment_amount": _money(adjustment_total),
            "escrow_amount_after_adjustment": _money(zero if void else s.net),
            "items": [{"item_id": int(line.sku.item_id), "item_sku": line.sku.seller_sku.rsplit("-", 1)[0],
                       "model_id": int(line.sku.model_id), "model_sku": line.sku.seller_sku,
                       "original_price": _money(line.unit_price * line.quantity),
                       "selling_price": _money(line.unit_price * line.quantity),
                       "discounted_price": _money(line.unit_price * line.quantity),
                       "activity_type": "bundle_deal" if s.bundle_discount else "",
                       "activity_id": _bundle_id(order) if s.bundle_discount else 0,
                       "quantity_purchased": line.quantity} for line in order.lines],
        }
        return {"order_sn": order.order_id, "buyer_user_name": "buyer" + order.order_id[-5:].lower(),
                "return_order_sn_list": [f"RR{order.order_id}"] if s.refund else [], "order_income": income}

    def _paging(self, q) -> tuple[int, int]:
        page_size = _int_param(q, "page_size", required=False, default=40)
        page_no = _int_param(q, "page_no", required=False, default=1)
        if not 1 <= page_size <= 100:
            raise ShopeeError("error_param", "page_size should be between 1 and 100.")
        if page_no < 1:
            raise ShopeeError("error_param", "page_no should be at least 1.")
        return page_size, page_no

    async def escrow_list(self, request: Request, shop: WorldShop) -> Response:
        q = request.query_params
        start, end = _int_param(q, "release_time_from"), _int_param(q, "release_time_to")
        if start > end or end - start > MAX_WINDOW:
            raise ShopeeError("error_param", "release_time range must be in order and within 15 days.")
        page_size, page_no = self._paging(q)
        orders = self.state.snapshot().view(shop).settled_between(start, end + 1)
        page = orders[(page_no - 1) * page_size: page_no * page_size]
        return _ok({"escrow_list": [{"order_sn": o.order_id, "payout_amount": _money(settlement_of(o).net),
                                     "escrow_release_time": o.settled_at} for o in page],
                    "more": page_no * page_size < len(orders)})

    # -- lost pushes --------------------------------------------------------------------------
    async def lost_push_messages(self, request: Request, _shop) -> Response:
        """The earliest 100 lost pushes not confirmed consumed (``v2.push.get_lost_push_message``)."""
        hooks = self.state.webhooks
        waiting = [(mid, m) for mid, m in hooks.lost if mid > hooks.lost_confirmed]
        page = waiting[:100]
        return _ok({"push_message_list": [m for _, m in page], "has_next_page": len(waiting) > 100,
                    "last_message_id": page[-1][0] if page else hooks.lost_confirmed})

    async def confirm_lost_pushes(self, request: Request, _shop) -> Response:
        body = await self._body_any(request)
        last = body.get("last_message_id")
        if isinstance(last, bool) or not isinstance(last, int):
            raise ShopeeError("error_param", "last_message_id is required.")
        hooks = self.state.webhooks
        hooks.lost_confirmed = max(hooks.lost_confirmed, last)
        return json_reply({"request_id": request_id(), "error": "", "message": ""})

    async def _body_any(self, request: Request) -> dict:
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            raise ShopeeError("error_param", "Body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise ShopeeError("error_param", "Body must be a JSON object.")
        return body

    # -- returns ------------------------------------------------------------------------------
    async def return_list(self, request: Request, shop: WorldShop) -> Response:
        q = request.query_params
        page_size, page_no = self._paging(q)
        start = _int_param(q, "update_time_from", required=False)
        end = _int_param(q, "update_time_to", required=False)
        if start is None or end is None:
            start, end = 0, self.state.now
        elif start > end:
            raise ShopeeError("error_param", "The update_time_to should be later than update_time_from.")
        elif end - start > MAX_WINDOW:
            raise ShopeeError("error_param",
                              "The period between update_time_from and update_time_to must not more than 15 days.")
        rows = [r for r in self.state.returns.updated_between("shopee", shop.shop_id, self.state.now, start, end)
                if r[0].kind == "RETURN"]
        page = rows[(page_no - 1) * page_size: page_no * page_size]
        return _ok({"more": page_no * page_size < len(rows), "return": [shopee_return(*r) for r in page]})

    async def return_detail(self, request: Request, shop: WorldShop) -> Response:
        wanted = request.query_params.get("return_sn") or ""
        for case, step, updated in self.state.returns.visible("shopee", shop.shop_id, self.state.now):
            if case.return_id == wanted:
                return _ok(shopee_return(case, step, updated))
        raise ShopeeError("error_data", "The return you queried doesn't exist.")

    async def payout_detail(self, request: Request, shop: WorldShop) -> Response:
        """Cross-border payouts: every Monday 00:00 UTC the week's released escrows are paid in USD."""
        if not shop.cross_border:
            raise ShopeeError("error_param", "This payment API is only applicable for cross boarder shop")
        q = request.query_params
        start, end = _int_param(q, "payout_time_from"), _int_param(q, "payout_time_to")
        if start > end or end - start > MAX_WINDOW:
            raise ShopeeError("error_param", "payout_time range must be in order and within 15 days.")
        page_size, page_no = self._paging(q)
        view = self.state.snapshot().view(shop)
        payouts = []
        first_monday = _next_monday(start - 1)
        for payout_time in range(first_monday, end + 1, 7 * 86400):
            if payout_time > self.state.now:
                break
            escrows = view.settled_between(payout_time - 7 * 86400, payout_time)
            if escrows:
                payouts.append(_payout(shop, payout_time, escrows))
        page = payouts[(page_no - 1) * page_size: page_no * page_size]
        return _ok({"payout_list": page, "more": page_no * page_size < len(payouts)})


    async def wallet_transactions(self, request: Request, shop: WorldShop) -> Response:
        """A local shop's wallet (``payment.get_wallet_transaction_list``, ``sandbox.wallet``): newest first,
        ``page_no`` from 1 and ``page_size`` 1–100 (both required), ``create_time_from``/``_to`` within 15
        days, filters ``transaction_type`` (its name), ``money_flow`` and ``transaction_tab_type``."""
        if shop.cross_border:
            raise ShopeeError("error_param", "This payment API is only applicable for local shop")
        q = request.query_params
        page_size, page_no = _int_param(q, "page_size"), _int_param(q, "page_no")
        if not 1 <= page_size <= 100:
            raise ShopeeError("error_param", "page_size should be between 1 and 100.")
        if page_no < 1:
            raise ShopeeError("error_param", "page_no should be at least 1.")
        start = _int_param(q, "create_time_from", required=False)
        end = _int_param(q, "create_time_to", required=False)
        start = end - MAX_WINDOW if start is None and end is not None else start
        end = start + MAX_WINDOW if end is None and start is not None else end
        if start is None:
            start, end = self.state.now - MAX_WINDOW, self.state.now
        if start > end:
            raise ShopeeError("time_invalid", "The param error: create_time_from bigger than create_time_to.")
        if end - start > MAX_WINDOW:
            raise ShopeeError("time_period_too_large", "The param error: time period too large.")
        flow = q.get("money_flow")
        if flow and flow not in ("MONEY_IN", "MONEY_OUT"):
            raise ShopeeError("error_param", "Wrong parameters, detail: money_flow must be MONEY_IN or MONEY_OUT.")
        view = self.state.snapshot().view(shop)
        rows = [t for t in reversed(wallet_of(shop, view.settled, self.state.now,
                                               self.state.pending_at).transactions)
                if start <= t["create_time"] <= end and (not flow or t["money_flow"] == flow)
                and (not q.get("transaction_type") or t["transaction_type"] == q["transaction_type"])
                and (not q.get("transaction_tab_type") or t["transaction_tab_type"] == q["transaction_tab_type"])]
        page = rows[(page_no - 1) * page_size: page_no * page_size]
        listed = [{k: _money(v) if isinstance(v, Decimal) else v for k, v in t.items() if k != "currency"}
                  for t in page]
        return _ok({"transaction_list": listed, "more": page_no * page_size < len(rows)})


SHOPEE_RETURN_STATUS = {"REQUESTED": "REQUESTED", "APPROVED": "ACCEPTED", "IN_TRANSIT": "ACCEPTED",
                        "RECEIVED": "PROCESSING", "REFUNDED": "REFUND_PAID"}
FOLLOW_UP_STATUS = {"RESTOCK": 7, "SCRAP": 1}


def shopee_return(case, step: str, updated: int) -> dict:
    """A ``get_return_list`` / ``get_return_detail`` return object (schema ``v2.returns.get_return_list``):
    warehouse-validated, with the warehouse's handling of each item once it checked the parcel in."""
    order = case.order
    checked_in = step in ("RECEIVED", "REFUNDED")
    out = {"return_sn": case.return_id, "order_sn": order.order_id, "status": SHOPEE_RETURN_STATUS[step],
           "reason": "NOT_AS_DESCRIBED", "text_reason": "not as described", "refund_amount": _money(case.refund),
           "currency": order.shop.currency, "create_time": case.created_at, "update_time": updated,
           "due_date": case.created_at + 3 * 86400, "tracking_number": f"RN{order.order_id[-10:]}",
           "needs_logistics": True, "amount_before_discount": _money(case.refund), "return_solution": 0,
           "validation_type": "warehouse_validation", "is_arrived_at_warehouse": 3 if checked_in else 1,
           "item": [{"item_id": int(line.sku.item_id), "model_id": int(line.sku.model_id), "name": line.sku.name,
                     "amount": units, "item_price": _money(line.unit_price), "is_add_on_deal": False,
                     "is_main_item": False, "add_on_deal_id": 0, "item_sku": line.sku.seller_sku.rsplit("-", 1)[0],
                     "variation_sku": line.sku.seller_sku} for line, units in case.lines],
           "follow_up_action_list": [{"item_id": int(line.sku.item_id), "model_id": int(line.sku.model_id),
                                      "qty": units, "current_status": FOLLOW_UP_STATUS[case.disposition],
                                      "related_order_sn_list": [], "resell_failed_next_step": ""}
                                     for line, units in case.lines] if checked_in else []}
    return out


def main_account_id(owner_id: str) -> str:
    """The sandbox's Shopee main account of an owner (one per owner: its Shopee shops)."""
    return str(60000 + zlib.crc32(owner_id.encode()) % 10000)


def _bundle_id(order: WorldOrder) -> int:
    return 10_000 + int(order.shop.shop_id[-4:])


def _next_monday(after: int) -> int:
    """The first Monday 00:00 UTC strictly after ``after`` (1970-01-05 was a Monday)."""
    week, monday0 = 7 * 86400, 4 * 86400
    return monday0 + ((after - monday0) // week + 1) * week


def _payout(shop: WorldShop, payout_time: int, escrows: list[WorldOrder]) -> dict:
    from_amount = sum((settlement_of(o).net for o in escrows), Decimal(0))
    rate = USD_PER_LOCAL[shop.currency]
    return {"payout_info": {"from_currency": shop.currency, "payout_currency": "USD",
                            "from_amount": _money(from_amount),
                            "payout_amount": _money((from_amount * rate).quantize(Decimal("0.01"))),
                            "exchange_rate": str(rate), "payout_time": payout_time, "pay_service": "payoneer",
                            "payee_id": f"PY{shop.shop_id}"},
            "escrow_list": [{"escrow_amount": _money(settlement_of(o).net), "currency": shop.currency,
                             "order_sn": o.order_id} for o in escrows],
            "offline_adjustment_list": []}


def _logistics_status(state: OrderState) -> str:
    return {"PAID": "LOGISTICS_NOT_START", "PACKED": "LOGISTICS_READY", "SHIPPED": "LOGISTICS_PICKUP_DONE",
            "DELIVERED": "LOGISTICS_DELIVERY_DONE", "COMPLETED": "LOGISTICS_DELIVERY_DONE",
            "RETURNED": "LOGISTICS_DELIVERY_FAILED", "CANCELLED": "LOGISTICS_INVALID"}.get(state.stage,
                                                                                         "LOGISTICS_NOT_START")
