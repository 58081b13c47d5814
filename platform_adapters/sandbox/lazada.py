"""Lazada Open Platform (LazOP) routes of the sandbox under ``/rest``, real paths and envelope.

Success ``{"code": "0", "data": …, "request_id": …}``; errors ``{"code": <name>, "type", "message",
"request_id"}`` with HTTP 200. Parameters come from the query string or a form body (the official
SDK posts forms) and are all signed: the sign is recomputed with
:func:`platform_adapters.lazada.signing.sign_request` and compared in constant time
(``IncompleteSignature`` on mismatch, ``MissingParameter`` when a system parameter is absent).
The timestamp (epoch ms or ISO-8601) must be within 7200 s of UTC; the codes used for a bad
timestamp (``InvalidTimestamp``) and app key (``InvalidAppKey``) are not in the reference and
are this sandbox's choice. Tokens: ``IllegalAccessToken``, ``InvalidCode``, ``IllegalRefreshToken``.
Orders: ``limit`` ≤ 100 (E019), ISO dates with offset (E017), ``order_ids`` in brackets ≤ 50
(E056/E038). Finance: ``YYYY-MM-DD`` dates, window < 180 days (1000012), ``limit`` ≤ 500.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from platform_adapters.lazada.signing import sign_request
from platform_adapters.sandbox.snapshot import OrderState, line_fees, settlement_of
from platform_adapters.sandbox.state import SandboxState, json_reply, request_id, with_faults
from platform_adapters.sandbox.tokens import TokenError
from platform_adapters.sandbox.world import WorldOrder, WorldShop
from platform_adapters.signature import signs_equal

PREFIX = "/rest"
TIMESTAMP_TOLERANCE = 7200
REGION_OFFSET_HOURS = {"SG": 8, "MY": 8, "PH": 8, "TH": 7, "VN": 7, "ID": 7}
PUBLIC_PATHS = frozenset({"/auth/token/create", "/auth/token/refresh"})


class LazadaError(Exception):
    def __init__(self, code: str, message: str, kind: str = "ISV") -> None:
        super().__init__(message)
        self.code, self.message, self.kind = code, message, kind


def _ok(data) -> Response:
    return json_reply({"code": "0", "data": data, "request_id": request_id()})


def local_iso(epoch: int, region: str) -> str:
    zone = timezone(timedelta(hours=REGION_OFFSET_HOURS[region]))
    return datetime.fromtimestamp(epoch, zone).isoformat()


def _parse_iso(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise LazadaError("E017", f"Invalid Date Format: {name} must be YYYY-MM-DDTHH:mm:ss±HH:MM")
    return int(parsed.timestamp())


def _int(params: dict, name: str, default: int, error: str) -> int:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise LazadaError(error, f"Invalid {name}: {raw!r}") from None


class LazadaApi:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.app = state.world.apps["lazada"]

    async def _params(self, request: Request) -> dict[str, str]:
        params = dict(request.query_params)
        if request.method == "POST":
            content_type = request.headers.get("content-type", "")
            if content_type.startswith("application/x-www-form-urlencoded"):
                body = (await request.body()).decode("utf-8", "replace")
                params.update(dict(parse_qsl(body, keep_blank_values=True)))
        return params

    def _check_timestamp(self, raw: str) -> None:
        try:
            if raw.isdigit():
                stamp = int(raw) / 1000
            else:
                parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
                if parsed.tzinfo is None:
                    raise ValueError(raw)
                stamp = parsed.timestamp()
        except ValueError:
            raise LazadaError("InvalidTimestamp", "Invalid timestamp format.") from None
        if abs(self.state.tokens.now() - stamp) > TIMESTAMP_TOLERANCE:
            raise LazadaError("InvalidTimestamp", "The timestamp is out of the allowed 7200 seconds window.")

    def _verify(self, api_path: str, params: dict[str, str]) -> WorldShop | None:
        for name in ("app_key", "timestamp", "sign_method", "sign"):
            if not params.get(name):
                raise LazadaError("MissingParameter", f"The input parameter \"{name}\" that is mandatory "
                                  "for processing this request is not supplied.")
        if params["app_key"] != self.app.app_key:
            raise LazadaError("InvalidAppKey", "The specified app_key is invalid.")
        if params["sign_method"] != "sha256":
            raise LazadaError("InvalidSignMethod", "sign_method must be sha256.")
        self._check_timestamp(params["timestamp"])
        expected = sign_request(self.app.app_secret, api_path, {k: v for k, v in params.items() if k != "sign"})
        if not signs_equal(expected.sign, params["sign"]):
            raise LazadaError("IncompleteSignature", "The request signature does not conform to lazada standards")
        if api_path in PUBLIC_PATHS:
            return None
        token = params.get("access_token")
        try:
            shop_id = self.state.tokens.shop_for_access("lazada", token)
        except TokenError:
            raise LazadaError("IllegalAccessToken", "The specified access token is invalid or expired") from None
        if self.state.faults.should_expire(f"lazada:{shop_id}"):
            self.state.tokens.expire_access(token)
            raise LazadaError("IllegalAccessToken", "The specified access token is invalid or expired")
        return self.state.shop("lazada", shop_id)

    def _route(self, api_path: str, handler, allow_truncate: bool = True) -> Route:
        async def endpoint(request: Request) -> Response:
            try:
                params = await self._params(request)
                shop = self._verify(api_path, params)
                return handler(params, shop)
            except LazadaError as exc:
                return json_reply({"code": exc.code, "type": exc.kind, "message": exc.message,
                                   "request_id": request_id()})

        wrapped = with_faults(self.state, "lazada", endpoint, lambda: {
            "code": "ApiCallLimit", "type": "ISP", "request_id": request_id(),
            "message": "The request has exceeded the allowed access frequency; the ban lasts 1 second."},
            allow_truncate)
        return Route(PREFIX + api_path, wrapped, methods=["GET", "POST"])

    def routes(self) -> list[Route]:
        return [
            self._route("/auth/token/create", self.token_create, allow_truncate=False),
            self._route("/auth/token/refresh", self.token_refresh, allow_truncate=False),
            self._route("/orders/get", self.orders_get),
            self._route("/order/get", self.order_get),
            self._route("/order/items/get", self.order_items_get),
            self._route("/orders/items/get", self.orders_items_get),
            self._route("/finance/transaction/details/get", self.transaction_details),
            self._route("/finance/payout/status/get", self.payout_status),
            self._route("/reverse/getreverseordersforseller", self.reverse_orders),
            self._route("/order/reverse/return/detail/list", self.reverse_order_detail),
        ]

    # -- auth ---------------------------------------------------------------------------------
    def _token_reply(self, pair, list_name: str) -> Response:
        shop = self.state.shop("lazada", pair.shop_id)
        now = self.state.tokens.now()
        info = [{"country": shop.region.lower(), "seller_id": shop.shop_id, "user_id": "2" + shop.shop_id,
                 "short_code": f"{shop.region}{shop.shop_id[-5:]}"}]
        return json_reply({"access_token": pair.access_token, "refresh_token": pair.refresh_token,
                           "expires_in": pair.access_expires_at - now,
                           "refresh_expires_in": pair.refresh_expires_at - now,
                           "country": shop.region.lower(), "account_platform": "seller_center",
                           "account": f"seller{shop.shop_id}@example.invalid", list_name: info,
                           "code": "0", "request_id": request_id()})

    def token_create(self, params: dict, _shop) -> Response:
        try:
            pair = self.state.tokens.exchange_code("lazada", params.get("code", ""))
        except TokenError:
            raise LazadaError("InvalidCode", "The specified code is invalid or expired") from None
        return self._token_reply(pair, "country_user_info")

    def token_refresh(self, params: dict, _shop) -> Response:
        try:
            pair = self.state.tokens.refresh("lazada", params.get("refresh_token", ""))
        except TokenError:
            raise LazadaError("IllegalRefreshToken", "The specified refresh token is invalid or expired") from None
        return self._token_reply(pair, "country_user_info_list")

    # -- orders -------------------------------------------------------------------------------
    def orders_get(self, params: dict, shop: WorldShop) -> Response:
        created_after = _parse_iso(params.get("created_after"), "created_after")
        update_after = _parse_iso(params.get("update_after"), "update_after")
        if created_after is None and update_after is None:
            raise LazadaError("MissingParameter", "Either created_after or update_after is mandatory.")
        limit = _int(params, "limit", 100, "E019")
        offset = _int(params, "offset", 0, "E014")
        if not 1 <= limit <= 100:
            raise LazadaError("E019", "Invalid Limit: limit must be between 1 and 100")
        if offset < 0:
            raise LazadaError("E014", "Invalid Offset")
        sort_by = params.get("sort_by") or "created_at"
        direction = (params.get("sort_direction") or "DESC").upper()
        if sort_by not in ("created_at", "updated_at"):
            raise LazadaError("E074", "Invalid sort_by")
        if direction not in ("ASC", "DESC"):
            raise LazadaError("E075", "Invalid sort_direction")
        view = self.state.snapshot().view(shop)
        field, lower = ("update_time", update_after) if update_after is not None else ("create_time", created_after)
        before = _parse_iso(params.get("update_before" if field == "update_time" else "created_before"),
                            "update_before" if field == "update_time" else "created_before")
        upper = before if before is not None else 2**40
        status = params.get("status")
        both = update_after is not None and created_after is not None
        if not status and not both and sort_by == ("updated_at" if field == "update_time" else "created_at"):
            page, total = view.page(field, lower, upper, True, direction == "DESC", offset, limit)
            return _ok({"count": len(page), "countTotal": total, "orders": [self._header(r) for r in page]})
        rows = view.window(field, lower, upper)
        if both:
            rows = [r for r in rows if r.order.created_at >= created_after]
        if status:
            rows = [r for r in rows if r.raw_status == status]
        key = (lambda r: (r.update_time, r.order.order_id)) if sort_by == "updated_at" else \
            (lambda r: (r.order.created_at, r.order.order_id))
        rows = sorted(rows, key=key, reverse=direction == "DESC")
        page = rows[offset: offset + limit]
        return _ok({"count": len(page), "countTotal": len(rows), "orders": [self._header(r) for r in page]})

    def _header(self, state: OrderState) -> dict:
        order, region = state.order, state.order.shop.region
        return {"order_id": order.order_id, "order_number": order.order_id,
                "created_at": local_iso(order.created_at, region), "updated_at": local_iso(state.update_time, region),
                "price": str(order.subtotal), "items_count": len(order.lines), "statuses": [state.raw_status],
                "payment_method": "MIXEDCARD", "shipping_fee": str(order.shipping_fee),
                "shipping_fee_original": str(order.shipping_fee), "shipping_fee_discount_seller": "0.00",
                "shipping_fee_discount_platform": "0.00", "voucher": "0.00", "voucher_platform": "0.00",
                "voucher_seller": "0.00", "voucher_code": "", "warehouse_code": order.shop.warehouse_code,
                "address_shipping": {"country": region}, "buyer_note": "", "need_cancel_confirm": False,
                "is_cancel_pending": False}

    def _state(self, shop: WorldShop, order_id: str) -> OrderState:
        state = self.state.snapshot().view(shop).by_id.get(order_id)
        if state is None:
            raise LazadaError("E016", f"Order {order_id} not found")
        return state

    def order_get(self, params: dict, shop: WorldShop) -> Response:
        return _ok(self._header(self._state(shop, params.get("order_id", ""))))

    def _items(self, state: OrderState) -> list[dict]:
        order, region = state.order, state.order.shop.region
        paid = order.stage_time("PAID")
        items = []
        for index, line in enumerate(order.lines):
            package = order.packages[line.package_index]
            items.append({
                "order_item_id": line.line_ref, "order_id": order.order_id, "sku": line.sku.seller_sku,
                "shop_sku": f"{line.sku.item_id}_{region}-{line.sku.model_id}", "sku_id": line.sku.model_id,
                "product_id": line.sku.item_id, "name": line.sku.name, "variation": line.sku.model_name,
                "item_price": str(line.unit_price), "paid_price": str(line.unit_price),
                "currency": order.shop.currency, "tax_amount": "0.00",
                "shipping_amount": str(order.shipping_fee if index == 0 else Decimal(0)),
                "voucher_amount": "0.00", "voucher_seller": "0.00", "voucher_platform": "0.00",
                "wallet_credits": "0.00", "status": state.raw_status, "reason": "", "return_status": "",
                "cancel_return_initiator": "", "tracking_code": package.tracking_number if state.packed else "",
                "shipment_provider": package.carrier if state.packed else "",
                "package_id": package.package_id if state.packed else "", "shipping_type": "Dropshipping",
                "shipping_provider_type": "standard", "is_fbl": 0, "warehouse_code": order.shop.warehouse_code,
                "created_at": local_iso(order.created_at, region), "updated_at": local_iso(state.update_time, region),
                # Lazada writes payment_time as epoch milliseconds of the local wall time.
                "payment_time": (paid + 3600 * REGION_OFFSET_HOURS[region]) * 1000
                if paid is not None and paid <= self.state.now else None,
                "purchase_order_id": "", "purchase_order_number": "",
            })
        return items

    def order_items_get(self, params: dict, shop: WorldShop) -> Response:
        return _ok(self._items(self._state(shop, params.get("order_id", ""))))

    def orders_items_get(self, params: dict, shop: WorldShop) -> Response:
        raw = (params.get("order_ids") or "").strip()
        try:
            ids = json.loads(raw)
        except ValueError:
            ids = None
        if not raw.startswith("[") or not isinstance(ids, list):
            raise LazadaError("E056", "Invalid Order ID List: write order_ids in brackets, e.g. [1,2]")
        if not 1 <= len(ids) <= 50:
            raise LazadaError("E038", "Too many orders were requested (at most 50)")
        view = self.state.snapshot().view(shop)
        out = []
        for order_id in ids:
            state = view.by_id.get(str(order_id))
            if state is not None:
                out.append({"order_id": state.order.order_id, "order_number": state.order.order_id,
                            "order_items": self._items(state)})
        return _ok(out)

    # -- reverse orders -----------------------------------------------------------------------
    def reverse_orders(self, params: dict, shop: WorldShop) -> Response:
        """``GetReverseOrdersForSeller``: ``{code, result: {page_no, page_size, total, items}}``."""
        page_no = _int(params, "page_no", 0, "MissingParameter")
        page_size = _int(params, "page_size", 0, "MissingParameter")
        if page_no < 1 or page_size < 1:
            raise LazadaError("MissingParameter", "page_no and page_size are mandatory and positive.")
        start = int(params.get("ReverseOrderLineModifiedTimeRangeStart") or 0) // 1000
        end_ms = params.get("ReverseOrderLineModifiedTimeRangeEnd")
        end = int(end_ms) // 1000 if end_ms else self.state.now
        rows = self.state.returns.updated_between("lazada", shop.shop_id, self.state.now, start, end)
        if params.get("trade_order_id"):
            rows = [r for r in rows if r[0].order.order_id == params["trade_order_id"]]
        page = rows[(page_no - 1) * page_size: page_no * page_size]
        return json_reply({"code": "0", "request_id": request_id(), "result": {
            "page_no": page_no, "page_size": page_size, "total": len(rows), "success": True,
            "items": [lazada_reverse_order(*r, "reverse_order_lines") for r in page]}})

    def reverse_order_detail(self, params: dict, shop: WorldShop) -> Response:
        wanted = params.get("reverse_order_id") or ""
        for case, step, updated in self.state.returns.visible("lazada", shop.shop_id, self.state.now):
            if case.return_id == wanted:
                return _ok(lazada_reverse_order(case, step, updated, "reverseOrderLineDTOList"))
        raise LazadaError("E0001", f"Reverse order {wanted} not found")

    # -- finance ------------------------------------------------------------------------------
    def payout_status(self, params: dict, shop: WorldShop) -> Response:
        """Weekly statements created after a date: every row of the week, opening balance 0."""
        try:
            after = date.fromisoformat(params.get("created_after", ""))
        except ValueError:
            raise LazadaError("MissingParameter", "created_after must be a YYYY-MM-DD date.") from None
        zone = timezone(timedelta(hours=REGION_OFFSET_HOURS[shop.region]))
        now = datetime.fromtimestamp(self.state.now, zone)
        weeks: dict[str, _Week] = {}
        for order in self.state.snapshot().view(shop).settled:
            for row in finance_rows(order, zone):
                number, issued = statement_of(datetime.fromtimestamp(order.settled_at, zone))
                week = weeks.setdefault(number, _Week(number, issued))
                week.add(row["fee_type"], Decimal(row["amount"]))
        out = []
        for week in sorted(weeks.values(), key=lambda w: w.issued):
            if week.issued.date() < after or week.issued > now:
                continue
            paid = week.issued + timedelta(days=3) <= now
            out.append({"statement_number": week.number, "created_at": week.issued.isoformat(),
                        "updated_at": (week.issued + timedelta(days=3) if paid else week.issued).isoformat(),
                        "paid": "1" if paid else "0", "opening_balance": "0", "closing_balance": str(week.total),
                        "payout": str(week.total), "item_revenue": str(week.items), "refunds": str(-week.refunds),
                        "fees_total": str(-week.fees), "other_revenue_total": str(week.other),
                        "subtotal1": str(week.items + week.other + week.fees),
                        "subtotal2": str(week.items + week.other + week.fees + week.refunds),
                        "guarantee_deposit": "0"})
        return _ok(out)

    def transaction_details(self, params: dict, shop: WorldShop) -> Response:
        try:
            start = date.fromisoformat(params.get("start_time", ""))
            end = date.fromisoformat(params.get("end_time", ""))
        except ValueError:
            raise LazadaError("MissingParameter", "start_time and end_time must be YYYY-MM-DD dates.") from None
        if end < start or (end - start).days >= 180:
            raise LazadaError("1000012", "The time range must be in order and shorter than 180 days.")
        limit = _int(params, "limit", 500, "E019")
        offset = _int(params, "offset", 0, "E014")
        if not 1 <= limit <= 500 or offset < 0:
            raise LazadaError("E019", "limit must be between 1 and 500 and offset >= 0")
        zone = timezone(timedelta(hours=REGION_OFFSET_HOURS[shop.region]))
        lo = int(datetime.combine(start, datetime.min.time(), zone).timestamp())
        hi = int(datetime.combine(end + timedelta(days=1), datetime.min.time(), zone).timestamp())
        rows = []
        for order in self.state.snapshot().view(shop).settled_between(lo, hi):
            rows.extend(finance_rows(order, zone))
        trans_type = params.get("trans_type")
        if trans_type not in (None, "", "-1"):
            rows = [r for r in rows if r["fee_type"] == trans_type]
        return _ok(rows[offset: offset + limit])


class _Week:
    """One weekly statement being summed: opening 0 (paid out every week), closing = its rows."""

    def __init__(self, number: str, issued: datetime) -> None:
        self.number, self.issued, self.total = number, issued, Decimal(0)
        self.items = self.fees = self.refunds = self.other = Decimal(0)

    def add(self, fee_type: str, amount: Decimal) -> None:
        self.total += amount
        if fee_type == "13":
            self.items += amount
        elif fee_type == "14":
            self.refunds += amount
        elif amount < 0:
            self.fees += amount
        else:
            self.other += amount


FEE_NAMES = {"13": "Item Price Credit", "16": "Commission", "3": "Payment Fee",
             "8": "Shipping Fee (Paid By Customer)", "7": "Shipping Fee Paid by Seller",
             "14": "Reversal Item Price", "81": "Adjustments Penalty", "140": "Shipping Fee Claims"}


def finance_rows(order: WorldOrder, zone: timezone) -> list[dict]:
    """The transaction-detail rows of one settled order (amounts signed, as strings)."""
    when = datetime.fromtimestamp(order.settled_at, zone)
    statement, _issued = statement_of(when)
    rows = []

    def row(fee_type: str, amount: Decimal, number: str, line=None) -> None:
        rows.append({"transaction_date": when.strftime("%d %b %Y"), "transaction_type": FEE_NAMES[fee_type],
                     "fee_name": FEE_NAMES[fee_type], "fee_type": fee_type, "transaction_number": number,
                     "statement": statement, "amount": str(amount), "VAT_in_amount": "0.00", "WHT_amount": "0.00",
                     "WHT_included_in_amount": "No", "paid_status": "Paid", "order_no": order.order_id,
                     "orderItem_no": line.line_ref if line else "", "orderItem_status": "delivered",
                     "seller_sku": line.sku.seller_sku if line else "", "lazada_sku": "",
                     "shipping_provider": order.packages[0].carrier, "shipping_speed": "Standard",
                     "shipment_type": "Dropshipping", "reference": "", "payment_ref_id": "", "comment": "",
                     "details": ""})

    for line, (amount, commission, payment_fee) in zip(order.lines, line_fees(order)):
        row("13", amount, f"{line.line_ref}13", line)
        row("16", commission, f"{line.line_ref}16", line)
        row("3", payment_fee, f"{line.line_ref}03", line)
    if order.shipping_fee:
        row("8", order.shipping_fee, f"{order.order_id}08")
        row("7", -order.shipping_fee, f"{order.order_id}07")
    s = settlement_of(order)
    if s.refund:
        row("14", s.refund, f"{order.lines[0].line_ref}14", order.lines[0])
    for index, (amount, _reason) in enumerate(s.adjustments):
        row("81" if amount < 0 else "140", amount, f"{order.order_id}A{index}")
    return rows


def statement_of(when: datetime) -> tuple[str, datetime]:
    """The weekly statement a local transaction time falls in, and when it is issued (the next Monday)."""
    year, week, weekday = when.isocalendar()
    monday = (when - timedelta(days=weekday - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return f"{year}-W{week:02d}", monday + timedelta(days=7)


LAZADA_REVERSE_STATUS = {
    "RETURN": {"REQUESTED": "REQUEST_INITIATE", "APPROVED": "REQUEST_INITIATE", "IN_TRANSIT": "RTM_SHIPPING_BACK",
               "RECEIVED": "RTM_RECEIVE_ITEM", "REFUNDED": "REFUND_SUCCESS"},
    "CANCELLATION": {"REQUESTED": "CANCEL_INIT", "APPROVED": "CANCEL_INIT", "REFUNDED": "CANCEL_SUCCESS"},
}
QC_DECISION = {"RESTOCK": "return_to_warehouse", "SCRAP": "scrap"}


def _cents(value: Decimal, region: str) -> str:
    """Reverse-order amounts are in cents, except in Vietnam (GetReverseOrdersForSeller)."""
    return str(int(value if region == "VN" else value * 100))


def lazada_reverse_order(case, step: str, updated: int, lines_key: str) -> dict:
    order, region = case.order, case.order.shop.region
    checked = step in ("RECEIVED", "REFUNDED") and case.disposition is not None
    return {"reverse_order_id": case.return_id, "trade_order_id": order.order_id,
            "request_type": "CANCEL" if case.kind == "CANCELLATION" else "RETURN", "is_rtm": True,
            "shipping_type": "DROP_OFF", lines_key: [{
                "reverse_order_line_id": "7" + line.line_ref[1:], "trade_order_line_id": line.line_ref,
                "reverse_status": LAZADA_REVERSE_STATUS[case.kind][step], "ofc_status": "",
                "seller_sku_id": line.sku.seller_sku, "platform_sku_id": f"{line.sku.item_id}_{region}",
                "product": {"product_id": line.sku.item_id, "product_sku": line.sku.model_id},
                "refund_amount": _cents(line.unit_price, region), "item_unit_price": _cents(line.unit_price, region),
                "reason_text": "Change of mind", "reason_code": 100, "refund_payment_method": "MIXEDCARD",
                "whqc_decision": QC_DECISION[case.disposition] if checked else "",
                "tracking_number": f"RT{order.order_id[-10:]}" if case.kind == "RETURN" else "",
                "return_order_line_gmt_create": case.created_at * 1000,
                "return_order_line_gmt_modified": updated * 1000, "is_dispute": False, "is_need_refund": True,
                "trade_order_gmt_create": order.created_at * 1000, "buyer": {"buyer_id": 0}}
                for line, units in case.lines for _ in range(units)]}
