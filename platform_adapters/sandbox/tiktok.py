"""TikTok Shop Open API (202309+) routes of the sandbox, plus the auth host's token calls.

Envelope ``{code: 0, message, data, request_id}``. Checks: ``app_key``/``timestamp``/``sign`` present,
app key known and timestamp in [now − 5 min, now + 30 s] (36009004), sign recomputed with
:func:`platform_adapters.tiktok.signing.sign_request` over the decoded query and the raw body and
compared in constant time (106001), ``x-tts-access-token`` header known (36009004) and unexpired
(105002); shop-scoped calls need ``shop_cipher`` (106013) matching the token's shop (101000), and
``/authorization/*`` refuses one (36009004). Page sizes outside 1–100 are refused (36009004).
Token calls (``/api/v2/token/get`` and ``/refresh``) carry ``app_secret`` in the query, unsigned,
and answer expiries as absolute Unix times; refresh errors are 36004005 / 36004001.
"""
from __future__ import annotations

import base64
import json
from decimal import Decimal

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from platform_adapters.sandbox.snapshot import OrderState, settlement_of
from platform_adapters.sandbox.state import SandboxState, json_reply, request_id, with_faults
from platform_adapters.sandbox.tokens import TokenError
from platform_adapters.sandbox.world import WorldOrder, WorldShop
from platform_adapters.signature import signs_equal
from platform_adapters.tiktok.signing import sign_request

DAY = 86400
TIMESTAMP_PAST, TIMESTAMP_FUTURE = 300, 30


class TikTokError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _ok(data: dict) -> Response:
    return json_reply({"code": 0, "message": "Success", "request_id": request_id(), "data": data})


def _page_size(q, default: int | None = None) -> int:
    raw = q.get("page_size")
    if raw in (None, "") and default is not None:
        return default
    if raw is None or not raw.isdigit() or not 1 <= int(raw) <= 100:
        raise TikTokError(36009004, "Invalid page_size: it must be between 1 and 100.")
    return int(raw)


def _filters(body: bytes) -> dict:
    """A search's JSON body filters (an object)."""
    try:
        filters = json.loads(body or b"{}")
    except ValueError:
        raise TikTokError(36009004, "Request body is not valid JSON.") from None
    if not isinstance(filters, dict):
        raise TikTokError(36009004, "Request body must be a JSON object.")
    return filters


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode() if offset else ""


def _decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        kind, _, value = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        if kind == "offset" and value.isdigit():
            return int(value)
    except (ValueError, UnicodeDecodeError):
        pass
    raise TikTokError(36009004, "Invalid page_token.")


def statement_id(shop: WorldShop, day: int) -> str:
    """A stable 19-digit statement id for (shop, UTC day number)."""
    return "74" + shop.shop_id[-8:] + str(day).zfill(9)


class TikTokApi:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.app = state.world.apps["tiktok"]

    def _verify(self, request: Request, body: bytes, shop_scoped: bool) -> WorldShop | None:
        q = request.query_params
        for name in ("app_key", "timestamp", "sign"):
            if not q.get(name):
                raise TikTokError(36009004, f"Missing required parameter: {name}.")
        if q["app_key"] != self.app.app_key:
            raise TikTokError(36009004, "Invalid app_key.")
        if not q["timestamp"].isdigit():
            raise TikTokError(36009004, "Invalid timestamp.")
        delta = int(q["timestamp"]) - self.state.tokens.now()
        if not -TIMESTAMP_PAST <= delta <= TIMESTAMP_FUTURE:
            raise TikTokError(36009004, "Timestamp is out of the accepted window.")
        expected = sign_request(self.app.app_secret, request.url.path, dict(q), body,
                                request.headers.get("content-type"))
        if not signs_equal(expected.sign, q["sign"]):
            raise TikTokError(106001, "Invalid sign.")
        token = request.headers.get("x-tts-access-token")
        try:
            token_shop = self.state.tokens.shop_for_access("tiktok", token)
        except TokenError as exc:
            if exc.reason == "expired":
                raise TikTokError(105002, "Access token is expired, please refresh it.") from None
            raise TikTokError(36009004, "Invalid access token.") from None
        cipher = q.get("shop_cipher")
        if not shop_scoped:
            if cipher:
                raise TikTokError(36009004, "Unexpected identifier: shop_cipher is not accepted by this API.")
            return self.state.shop("tiktok", token_shop)
        if not cipher:
            raise TikTokError(106013, "shop_cipher is required.")
        shop = self.state.tiktok_by_cipher.get(cipher)
        if shop is None or not self.state.tokens.covers("tiktok", token, shop.shop_id):
            raise TikTokError(101000, "The access token does not match the shop_cipher.")
        if self.state.faults.should_expire(f"tiktok:{shop.shop_id}"):
            self.state.tokens.expire_access(token)
            raise TikTokError(105002, "Access token is expired, please refresh it.")
        return shop

    def _route(self, path: str, handler, method: str = "GET", shop_scoped: bool = True,
               signed: bool = True, allow_truncate: bool = True) -> Route:
        async def endpoint(request: Request) -> Response:
            try:
                body = await request.body()
                shop = self._verify(request, body, shop_scoped) if signed else None
                return handler(request, body, shop)
            except TikTokError as exc:
                return json_reply({"code": exc.code, "message": exc.message, "request_id": request_id(),
                                   "data": None})

        wrapped = with_faults(self.state, "tiktok", endpoint, lambda: {
            "code": 36009002, "message": "Too many requests.", "request_id": request_id(), "data": None},
            allow_truncate)
        return Route(path, wrapped, methods=[method])

    def routes(self) -> list[Route]:
        return [
            self._route("/api/v2/token/get", self.token_get, signed=False, allow_truncate=False),
            self._route("/api/v2/token/refresh", self.token_refresh, signed=False, allow_truncate=False),
            self._route("/authorization/202309/shops", self.shops, shop_scoped=False),
            self._route("/order/202309/orders/search", self.orders_search, "POST"),
            self._route("/order/202309/orders", self.order_detail),
            self._route("/order/202507/orders", self.order_detail),
            self._route("/finance/202309/statements", self.statements),
            self._route("/finance/202501/statements/{statement_id}/statement_transactions",
                        self.statement_transactions),
            self._route("/finance/202501/orders/{order_id}/statement_transactions", self.order_transactions),
            self._route("/return_refund/202309/returns/search", self.returns_search, "POST"),
            self._route("/return_refund/202309/cancellations/search", self.cancellations_search, "POST"),
        ]

    # -- tokens (auth host) -------------------------------------------------------------------
    def _token_reply(self, pair) -> Response:
        shop = self.state.shop("tiktok", pair.shop_id)
        return _ok({"access_token": pair.access_token, "access_token_expire_in": pair.access_expires_at,
                    "refresh_token": pair.refresh_token, "refresh_token_expire_in": pair.refresh_expires_at,
                    "open_id": "open" + shop.shop_id[-10:], "seller_name": shop.name,
                    "seller_base_region": shop.region, "user_type": 0,
                    "granted_scopes": ["seller.order.info", "seller.finance.info", "seller.authorization.info"]})

    def _check_app(self, q) -> None:
        if q.get("app_key") != self.app.app_key or not signs_equal(self.app.app_secret, q.get("app_secret") or ""):
            raise TikTokError(36004004, "Invalid app_key or app_secret.")

    def token_get(self, request: Request, _body, _shop) -> Response:
        q = request.query_params
        self._check_app(q)
        if q.get("grant_type") != "authorized_code":
            raise TikTokError(36004002, "grant_type must be authorized_code.")
        try:
            return self._token_reply(self.state.tokens.exchange_code("tiktok", q.get("auth_code") or ""))
        except TokenError:
            raise TikTokError(36004005, "can not find related auth record") from None

    def token_refresh(self, request: Request, _body, _shop) -> Response:
        q = request.query_params
        self._check_app(q)
        if q.get("grant_type") != "refresh_token":
            raise TikTokError(36004002, "grant_type must be refresh_token.")
        try:
            return self._token_reply(self.state.tokens.refresh("tiktok", q.get("refresh_token") or ""))
        except TokenError as exc:
            if exc.reason == "expired":
                raise TikTokError(36004001, "rt has expired") from None
            raise TikTokError(36004005, "can not find related auth record") from None

    def shops(self, request: Request, _body, shop: WorldShop) -> Response:
        """Get Authorized Shops: every shop the token's authorization covers, each with its cipher."""
        token = request.headers.get("x-tts-access-token")
        covered = [s for s in self.state.world.shops
                   if s.platform == "tiktok" and self.state.tokens.covers("tiktok", token, s.shop_id)]
        return _ok({"shops": [{"id": s.shop_id, "name": s.name, "region": s.region, "seller_type": "CROSS_BORDER",
                               "cipher": s.cipher, "code": s.region + s.shop_id[-8:]} for s in covered]})

    # -- orders -------------------------------------------------------------------------------
    def orders_search(self, request: Request, body: bytes, shop: WorldShop) -> Response:
        q = request.query_params
        page_size = _page_size(q)
        offset = _decode_token(q.get("page_token"))
        sort_field = q.get("sort_field") or "create_time"
        sort_order = (q.get("sort_order") or "DESC").upper()
        if sort_field not in ("create_time", "update_time") or sort_order not in ("ASC", "DESC"):
            raise TikTokError(36009004, "Invalid sort_field or sort_order.")
        filters = _filters(body)
        view = self.state.snapshot().view(shop)
        bounds = {}
        for name in ("create_time_ge", "create_time_lt", "update_time_ge", "update_time_lt"):
            value = filters.get(name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise TikTokError(36009004, f"{name} must be Unix seconds.")
            bounds[name] = value
        by_update = bounds["update_time_ge"] is not None or bounds["update_time_lt"] is not None
        field = "update_time" if by_update else "create_time"
        lower = (bounds["update_time_ge"] if by_update else bounds["create_time_ge"]) or 0
        upper = bounds["update_time_lt"] if by_update else bounds["create_time_lt"]
        upper = 2**40 if upper is None else upper
        extra = (by_update and (bounds["create_time_ge"] is not None or bounds["create_time_lt"] is not None)) \
            or filters.get("order_status")
        if not extra and sort_field == field:
            page, total = view.page(field, lower, upper, False, sort_order == "DESC", offset, page_size)
            more = offset + page_size < total
            return _ok({"next_page_token": _encode_token(offset + page_size) if more else "",
                        "total_count": total, "orders": [self._order(r) for r in page]})
        rows = view.window(field, lower, upper, False)
        if bounds["create_time_ge"] is not None:
            rows = [r for r in rows if r.order.created_at >= bounds["create_time_ge"]]
        if bounds["create_time_lt"] is not None:
            rows = [r for r in rows if r.order.created_at < bounds["create_time_lt"]]
        if filters.get("order_status"):
            rows = [r for r in rows if r.raw_status == filters["order_status"]]
        key = (lambda r: (r.update_time, r.order.order_id)) if sort_field == "update_time" else \
            (lambda r: (r.order.created_at, r.order.order_id))
        rows = sorted(rows, key=key, reverse=sort_order == "DESC")
        page = rows[offset: offset + page_size]
        more = offset + page_size < len(rows)
        return _ok({"next_page_token": _encode_token(offset + page_size) if more else "",
                    "total_count": len(rows), "orders": [self._order(r) for r in page]})

    def order_detail(self, request: Request, _body, shop: WorldShop) -> Response:
        ids = [i for i in (request.query_params.get("ids") or "").split(",") if i]
        if not 1 <= len(ids) <= 50:
            raise TikTokError(36009004, "ids must hold 1 to 50 order ids.")
        view = self.state.snapshot().view(shop)
        return _ok({"orders": [self._order(view.by_id[i]) for i in ids if i in view.by_id]})

    def _order(self, state: OrderState) -> dict:
        order, shop = state.order, state.order.shop
        currency, shipped = shop.currency, state.shipped
        stamp = {name: order.stage_time(stage) for name, stage in (
            ("paid_time", "PAID"), ("rts_time", "PACKED"), ("delivery_time", "DELIVERED"),
            ("cancel_time", "CANCELLED"))}
        out = {"id": order.order_id, "status": state.raw_status, "create_time": order.created_at,
               "update_time": state.update_time, "payment": {
                   "currency": currency, "sub_total": str(order.subtotal), "shipping_fee": str(order.shipping_fee),
                   "seller_discount": "0", "platform_discount": "0", "total_amount": str(order.total),
                   "original_total_product_price": str(order.subtotal),
                   "original_shipping_fee": str(order.shipping_fee), "tax": "0"},
               "line_items": [{
                   "id": line.line_ref, "sku_id": line.sku.model_id, "seller_sku": line.sku.seller_sku,
                   "product_id": line.sku.item_id, "product_name": line.sku.name, "sku_name": line.sku.model_name,
                   "sale_price": str(line.unit_price), "original_price": str(line.unit_price),
                   "seller_discount": "0", "platform_discount": "0", "currency": currency,
                   "package_id": order.packages[line.package_index].package_id if state.packed else "",
                   "tracking_number": order.packages[line.package_index].tracking_number if shipped else "",
                   "shipping_provider_name": order.packages[line.package_index].carrier if shipped else "",
                   "display_status": state.raw_status, "is_gift": False, "sku_type": "NORMAL"}
                   for line in order.lines],
               "packages": [{"id": p.package_id} for p in order.packages] if state.packed else [],
               "tracking_number": order.packages[0].tracking_number if shipped else "",
               "shipping_provider": order.packages[0].carrier if shipped else "",
               "shipping_type": "TIKTOK", "fulfillment_type": "FULFILLMENT_BY_SELLER",
               "warehouse_id": "7" + shop.shop_id[-17:], "is_cod": False, "user_id": "7" + order.order_id[-17:],
               "buyer_message": "", "order_type": "NORMAL", "is_sample_order": False}
        for name, at in stamp.items():
            if at is not None and at <= self.state.now:
                out[name] = at
        return out

    # -- returns and cancellations ------------------------------------------------------------
    def returns_search(self, request: Request, body: bytes, shop: WorldShop) -> Response:
        page, token, total = self._after_sales(request, body, shop, "RETURN", "return_ids")
        return _ok({"return_orders": [tiktok_return(*row) for row in page], "next_page_token": token,
                    "total_count": total})

    def cancellations_search(self, request: Request, body: bytes, shop: WorldShop) -> Response:
        page, token, total = self._after_sales(request, body, shop, "CANCELLATION", "cancel_ids")
        return _ok({"cancellations": [tiktok_cancellation(*row) for row in page], "next_page_token": token,
                    "total_count": total})

    def _after_sales(self, request: Request, body: bytes, shop: WorldShop, kind: str, ids_key: str):
        """Search Returns / Search Cancellations: filters in the body, paging in the query (10-50)."""
        q = request.query_params
        page_size = _page_size(q, default=10)
        if not 10 <= page_size <= 50:
            raise TikTokError(36009004, "Invalid page_size: valid range is [10-50].")
        offset = _decode_token(q.get("page_token"))
        filters = _filters(body)
        lower, upper = filters.get("update_time_ge") or 0, filters.get("update_time_lt")
        for value in (lower, upper):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise TikTokError(36009004, "update_time_ge / update_time_lt must be Unix seconds.")
        upper = self.state.now + 1 if upper is None else upper
        rows = self.state.returns.updated_between("tiktok", shop.shop_id, self.state.now, lower, upper - 1, kind)
        if filters.get("order_ids"):
            wanted = {str(i) for i in filters["order_ids"]}
            rows = [r for r in rows if r[0].order.order_id in wanted]
        if filters.get(ids_key):
            wanted = {str(i) for i in filters[ids_key]}
            rows = [r for r in rows if r[0].return_id in wanted]
        if (q.get("sort_order") or "ASC").upper() == "DESC":
            rows = rows[::-1]
        page = rows[offset: offset + page_size]
        more = offset + page_size < len(rows)
        return page, _encode_token(offset + page_size) if more else "", len(rows)

    # -- finance ------------------------------------------------------------------------------
    def _day_transactions(self, shop: WorldShop, day: int) -> list[dict]:
        """Every transaction of the statement of UTC day ``day``: the orders settled that day, their
        adjustments, reserves collected on them, and reserves collected a week earlier released now."""
        view = self.state.snapshot().view(shop)
        out: list[dict] = []
        for order in sorted(view.settled_between(day * DAY, (day + 1) * DAY), key=lambda o: (o.created_at, o.order_id)):
            s = settlement_of(order)
            out.append(transaction(order))
            out.extend(adjustment_transaction(order, index, amount, reason)
                       for index, (amount, reason) in enumerate(s.adjustments))
            if s.reserve:
                out.append(reserve_transaction(order, "COLLECTED", day))
        for order in view.settled_between((day - RESERVE_DAYS) * DAY, (day - RESERVE_DAYS + 1) * DAY):
            if settlement_of(order).reserve:
                out.append(reserve_transaction(order, "RELEASED", day))
        return out

    def _statement_days(self, shop: WorldShop, start: int, end: int) -> list[int]:
        """UTC day numbers whose statements (issued at 00:00 UTC the next day) fall in [start, end) and are out
        (``statement_out``)."""
        view = self.state.snapshot().view(shop)
        if not view.settled:
            return []
        first = view.settled[0].settled_at // DAY
        days = []
        for day in range(max(first, start // DAY - 1), min(end, self.state.now + 1) // DAY + 1):
            statement_time = (day + 1) * DAY
            if start <= statement_time < end and statement_out(statement_time, self.state.now) and (
                    view.settled_between(day * DAY, (day + 1) * DAY)
                    or any(settlement_of(o).reserve for o in view.settled_between(
                        (day - RESERVE_DAYS) * DAY, (day - RESERVE_DAYS + 1) * DAY))):
                days.append(day)
        return days

    def _statement(self, shop: WorldShop, day: int) -> dict:
        txs = self._day_transactions(shop, day)
        settled = [t for t in txs if t["type"] != "RESERVE"]
        revenue = sum((Decimal(t["revenue_amount"]) for t in settled), Decimal(0))
        fees = sum((Decimal(t["fee_tax_amount"]) for t in settled), Decimal(0))
        shipping = sum((Decimal(t["shipping_cost_amount"]) for t in settled), Decimal(0))
        adjustments = sum((Decimal(t["adjustment_amount"]) for t in settled), Decimal(0))
        reserve = sum((Decimal(t["reserve_amount"]) for t in txs if t["type"] == "RESERVE"), Decimal(0))
        settlement = revenue + fees + shipping + adjustments
        paid = (day + 2) * DAY <= self.state.now
        return {"id": statement_id(shop, day), "statement_time": (day + 1) * DAY, "currency": shop.currency,
                "settlement_amount": str(settlement), "revenue_amount": str(revenue),
                "fee_amount": str(fees), "adjustment_amount": str(adjustments), "shipping_cost_amount": str(shipping),
                "net_sales_amount": str(revenue), "payment_status": "PAID" if paid else "PROCESSING",
                "payment_id": "P" + statement_id(shop, day)[1:] if paid else "",
                "_reserve": str(reserve), "_payable": str(settlement + reserve)}

    def statements(self, request: Request, _body, shop: WorldShop) -> Response:
        q = request.query_params
        if q.get("sort_field") != "statement_time":
            raise TikTokError(36009004, "sort_field must be statement_time.")
        page_size = _page_size(q, default=20)
        offset = _decode_token(q.get("page_token"))
        try:
            start = int(q.get("statement_time_ge") or 0)
            end = int(q.get("statement_time_lt") or 2**40)
        except ValueError:
            raise TikTokError(36009004, "statement_time_ge / statement_time_lt must be Unix seconds.") from None
        rows = [{k: v for k, v in self._statement(shop, day).items() if not k.startswith("_")}
                for day in self._statement_days(shop, start, end)]
        if q.get("payment_status"):
            rows = [r for r in rows if r["payment_status"] == q["payment_status"]]
        if (q.get("sort_order") or "ASC").upper() == "DESC":
            rows.reverse()
        page = rows[offset: offset + page_size]
        more = offset + page_size < len(rows)
        return _ok({"statements": page, "next_page_token": _encode_token(offset + page_size) if more else ""})

    def statement_transactions(self, request: Request, _body, shop: WorldShop) -> Response:
        q = request.query_params
        if q.get("sort_field") != "order_create_time":
            raise TikTokError(36009004, "sort_field must be order_create_time.")
        page_size = _page_size(q, default=20)
        offset = _decode_token(q.get("page_token"))
        wanted = request.path_params["statement_id"]
        day_text = wanted[10:]
        if not (wanted.startswith("74" + shop.shop_id[-8:]) and day_text.isdigit()) or \
                int(day_text) not in self._statement_days(shop, 0, 2**40):
            raise TikTokError(36009004, f"Statement {wanted} not found.")
        statement = self._statement(shop, int(day_text))
        txs = self._day_transactions(shop, int(day_text))
        page = txs[offset: offset + page_size]
        more = offset + page_size < len(txs)
        return _ok({"id": wanted, "create_time": statement["statement_time"], "status": "SETTLED",
                    "currency": shop.currency, "total_settlement_amount": statement["settlement_amount"],
                    "payable_amount": statement["_payable"], "total_reserve_amount": statement["_reserve"],
                    "total_settlement_breakdown": {
                        "total_revenue_amount": statement["revenue_amount"],
                        "total_shipping_cost_amount": statement["shipping_cost_amount"],
                        "total_fee_tax_amount": statement["fee_amount"],
                        "total_adjustment_amount": statement["adjustment_amount"]},
                    "transactions": page,
                    "next_page_token": _encode_token(offset + page_size) if more else "",
                    "total_count": len(txs)})

    def order_transactions(self, request: Request, _body, shop: WorldShop) -> Response:
        order_id = request.path_params["order_id"]
        state = self.state.snapshot().view(shop).by_id.get(order_id)
        order = state.order if state else None
        if order is None or order.settled_at is None or order.settled_at > self.state.now:
            raise TikTokError(36009004, f"No settled transactions for order {order_id}.")
        t = transaction(order)
        return _ok({"order_id": order.order_id, "order_create_time": order.created_at, "currency": t["currency"],
                    "revenue_amount": t["revenue_amount"], "fee_and_tax_amount": t["fee_tax_amount"],
                    "shipping_cost_amount": t["shipping_cost_amount"], "settlement_amount": t["settlement_amount"],
                    "statement_id": statement_id(order.shop, order.settled_at // DAY)})


RESERVE_DAYS = 7


def statement_time_of(settled_at: int) -> int:
    """When the statement holding a settlement made at ``settled_at`` is issued: the next 00:00 UTC."""
    return (settled_at // DAY + 1) * DAY


def statement_out(statement_time: int, now: int) -> bool:
    """Whether a statement issued at ``statement_time`` is out at ``now`` — listed by the sandbox, synced by a
    client reading up to ``now``, counted by the truth (``app.truth_settlements``, its reserves collected and
    released too): one rule for all three. TikTok filters statements by ``statement_time_ge`` /
    ``statement_time_lt`` (reference §4.6 Finance), half-open, so a sync up to ``now`` reads [since, now) and a
    statement issued at exactly ``now`` is the next window's; counting it at ``now`` on one side only would
    make the two disagree for that instant."""
    return statement_time < now


def transaction(order: WorldOrder) -> dict:
    """The statement transaction of one settled order (negative fees, settlement = sum)."""
    s = settlement_of(order)
    fees = s.commission + s.service_fee + s.transaction_fee
    revenue = s.revenue + s.refund
    return {"id": "8" + order.order_id[1:], "type": "ORDER", "order_id": order.order_id,
            "order_create_time": order.created_at, "currency": order.shop.currency,
            "adjustment_id": "", "adjustment_order_id": "", "adjustment_amount": "0",
            "settlement_amount": str(revenue + s.shipping_cost + s.shipping_fee + fees), "revenue_amount": str(revenue),
            "revenue_breakdown": {"subtotal_before_discount_amount": str(s.revenue),
                                  "refund_subtotal_before_discount_amount": str(s.refund),
                                  "seller_discount_amount": "0"},
            "shipping_cost_amount": str(s.shipping_cost + s.shipping_fee),
            "shipping_cost_breakdown": {"actual_shipping_fee_amount": str(s.shipping_cost),
                                        "customer_paid_shipping_fee_amount": str(s.shipping_fee),
                                        "supplementary_component": {"fbm_shipping_cost_amount": str(-s.shipping_fee)}},
            "fee_tax_amount": str(fees),
            "fee_tax_breakdown": {"fee": {"platform_commission_amount": str(s.commission),
                                          "transaction_fee_amount": str(s.transaction_fee),
                                          "sfp_service_fee_amount": str(s.service_fee)},
                                  "tax": {"vat_amount": "0"}},
            "supplementary_component": {"customer_payment_amount": str(order.total)}}


def adjustment_transaction(order: WorldOrder, index: int, amount: Decimal, reason: str) -> dict:
    """A logistics adjustment on an order (``SHIPPING_FEE_ADJUSTMENT`` / ``LOGISTICS_REIMBURSEMENT``)."""
    kind = "SHIPPING_FEE_ADJUSTMENT" if amount < 0 else "LOGISTICS_REIMBURSEMENT"
    return {"id": "81" + order.order_id[2:-1] + str(index), "type": kind, "order_id": "",
            "order_create_time": order.created_at, "currency": order.shop.currency,
            "adjustment_id": "75" + order.order_id[2:-1] + str(index), "adjustment_order_id": order.order_id,
            "adjustment_amount": str(amount), "settlement_amount": str(amount), "revenue_amount": "0",
            "shipping_cost_amount": "0", "fee_tax_amount": "0"}


def reserve_transaction(order: WorldOrder, status: str, day: int) -> dict:
    """Reserve funds withheld from an order's settlement, or released a week later."""
    held = settlement_of(order).reserve
    return {"id": ("82" if status == "COLLECTED" else "83") + order.order_id[2:], "type": "RESERVE",
            "order_id": "", "order_create_time": order.created_at, "currency": order.shop.currency,
            "reserve_id": "56" + order.order_id[2:], "associated_order_id": order.order_id,
            "reserve_amount": str(-held if status == "COLLECTED" else held), "reserve_status": status,
            "estimated_release_time": (day + RESERVE_DAYS + 1) * DAY if status == "COLLECTED" else "",
            "settlement_amount": "0", "revenue_amount": "0", "shipping_cost_amount": "0", "fee_tax_amount": "0",
            "adjustment_amount": "0"}


TIKTOK_RETURN_STATUS = {"REQUESTED": "RETURN_OR_REFUND_REQUEST_PENDING", "APPROVED": "AWAITING_BUYER_SHIP",
                        "IN_TRANSIT": "BUYER_SHIPPED_ITEM", "RECEIVED": "RETURN_OR_REFUND_REQUEST_SUCCESS",
                        "REFUNDED": "RETURN_OR_REFUND_REQUEST_COMPLETE"}
TIKTOK_CANCEL_STATUS = {"REQUESTED": "CANCELLATION_REQUEST_PENDING", "APPROVED": "CANCELLATION_REQUEST_SUCCESS",
                        "REFUNDED": "CANCELLATION_REQUEST_COMPLETE"}


def _refund(currency: str, amount) -> dict:
    return {"currency": currency, "refund_total": str(amount), "refund_subtotal": str(amount),
            "refund_shipping_fee": "0", "refund_tax": "0"}


def _after_sales_lines(case, prefix: str) -> list[dict]:
    currency = case.order.shop.currency
    return [{f"{prefix}_line_item_id": ("6" if prefix == "return" else "5") + line.line_ref[1:],
             "order_line_item_id": line.line_ref, "sku_id": line.sku.model_id, "sku_name": line.sku.model_name,
             "product_name": line.sku.name, "seller_sku": line.sku.seller_sku,
             "refund_amount": _refund(currency, line.unit_price)} for line, _ in case.lines]


def tiktok_return(case, step: str, updated: int) -> dict:
    order = case.order
    return {"return_id": case.return_id, "order_id": order.order_id, "return_type": "RETURN_AND_REFUND",
            "return_status": TIKTOK_RETURN_STATUS[step], "role": "BUYER", "return_reason": "ecom_order_delivered_refund_and_return_reason_not_as_described",
            "return_reason_text": "Not as described", "shipment_type": "PLATFORM", "handover_method": "DROP_OFF",
            "return_tracking_number": f"RT{order.order_id[-12:]}", "create_time": case.created_at, "update_time": updated,
            "refund_amount": _refund(order.shop.currency, case.refund),
            "return_line_items": _after_sales_lines(case, "return")}


def tiktok_cancellation(case, step: str, updated: int) -> dict:
    order = case.order
    return {"cancel_id": case.return_id, "order_id": order.order_id, "cancel_type": "BUYER_CANCEL",
            "cancel_status": TIKTOK_CANCEL_STATUS[step], "role": "BUYER",
            "cancel_reason": "ecom_order_to_ship_canceled_reason_created_by_mistakes",
            "cancel_reason_text": "Created by mistake", "create_time": case.created_at, "update_time": updated,
            "refund_amount": _refund(order.shop.currency, case.refund),
            "cancel_line_items": _after_sales_lines(case, "cancel")}
