"""Shopee push: verify ``Authorization`` over the registered callback URL + raw body, parse to an event.

Shopee's push pages ("Push Mechanism", Shopee Open Platform):

* code 3 ``order_status_push``: top-level ``shop_id``, ``data {ordersn (not order_sn), status,
  completed_scenario, update_time}``;
* code 4 ``order_trackingno_push``: top-level ``shop_id``, ``data {ordersn, package_number,
  tracking_no}``: the package's number, written into the stored package as it is (no call);
* partner-level pushes name no top-level shop: code 1 ``shop_authorization_push`` and code 2
  ``shop_authorization_canceled_push`` carry ``data.shop_id`` or ``data.shop_id_list`` (a main
  account's shops), and in some documented samples only ``data.shopid`` or the ``extra`` text ("shop id
  22000000 (VN) has been cancelled its authorization"); code 12 ``open_api_authorization_expiry``
  carries ``data {shop_expire_soon[], merchant_expire_soon[], expire_before, page_no, total_page}``.
  Their shops are ``WebhookEvent.shop_ids``.

Shopee pushes have no id, so the dedupe id is built from shop(s), code, order, status and time.
``order_status`` says what a code 3 push makes of the stored order: its status, on every line too
(each line of a Shopee order carries the order's status).
"""
from __future__ import annotations

import re

from platform_adapters.canonical import Platform
from platform_adapters.http.values import epoch
from platform_adapters.canonical import OrderStatus
from platform_adapters.registry import PushedStatus, StoredOrderStatus, WebhookError, WebhookEvent
from platform_adapters.shopee.signing import verify_push
from platform_adapters.shopee.statuses import unified_status
from platform_adapters.webhook_json import child, event_key, id_of, push_object, shop_of, text_of

KINDS = {3: "ORDER_STATUS", 4: "TRACKING_NUMBER", 1: "AUTH_GRANTED", 2: "AUTH_REVOKED", 12: "AUTH_EXPIRING"}
PARTNER_LEVEL = frozenset({1, 2, 12})
_SHOP_IN_TEXT = re.compile(r"shop\s*(?:\(\s*)?id[:\s]*(\d{3,20})", re.IGNORECASE)


def verify(partner_key: str, callback_url: str, raw_body: bytes, authorization: str | None) -> bool:
    """Constant-time check; ``callback_url`` must be the URL exactly as registered, ``raw_body`` unparsed."""
    return verify_push(partner_key, callback_url, raw_body, authorization)


def parse(raw_body: bytes) -> WebhookEvent:
    """The event of a verified push (bounded decoding: ``platform_adapters.webhook_json``)."""
    what = "shopee push"
    body = push_object(raw_body, what)
    code = body.get("code")
    if not isinstance(code, int) or isinstance(code, bool):
        raise WebhookError(f"{what}: no integer 'code'")
    data = child(body, "data")
    kind = KINDS.get(code, "OTHER")
    if code in PARTNER_LEVEL:
        return _partner_level(body, data, code, kind)
    shop_id = shop_of(body, "shop_id", what)
    order_id = status = updated = None
    if kind == "TRACKING_NUMBER":
        order_id = id_of(data.get("ordersn"), "data.ordersn", f"{what} code 4")
        status = text_of(data.get("tracking_no"), "data.tracking_no", what)
        package = id_of(data.get("package_number"), "data.package_number", what, required=False) or ""
        event_id = event_key("shopee", shop_id, code, order_id, package, status or "", body.get("timestamp") or "")
        return WebhookEvent(Platform.SHOPEE, event_id, kind, shop_id, order_id, status, None, body,
                            package_id=package or None)
    if kind == "ORDER_STATUS":
        order_id = id_of(data.get("ordersn"), "data.ordersn", f"{what} code 3")
        try:
            updated = epoch(data.get("update_time"))
        except ValueError as exc:
            raise WebhookError(f"{what} code 3: data.update_time: {exc}") from exc
        status = text_of(data.get("status"), "data.status", what)
    stamp = data.get("update_time") or body.get("timestamp") or ""
    event_id = event_key("shopee", shop_id, code, order_id or "", status or "", stamp)
    return WebhookEvent(Platform.SHOPEE, event_id, kind, shop_id, order_id, status, updated, body)


def order_status(event: WebhookEvent, stored: StoredOrderStatus) -> PushedStatus | None:
    """The order after a code 3 push: the pushed status on the header and every line (None when the
    status is not in the table: only the re-read can tell)."""
    raw = (event.raw_status or "").strip()
    status = unified_status(raw)
    if event.kind != "ORDER_STATUS" or status is OrderStatus.UNKNOWN:
        return None
    return PushedStatus(status, raw, {}, every_line=(status, raw))


def _ids(value) -> list[str]:
    values = value if isinstance(value, list) else [value] if value not in (None, "", 0) else []
    return [str(v) for v in values if isinstance(v, (int, str)) and not isinstance(v, bool) and str(v).isdigit()]


def _partner_level(body, data, code: int, kind: str) -> WebhookEvent:
    """A push about shops of the partner app, not sent for one shop (codes 1, 2, 12)."""
    if code == 12:
        shops = _ids(data.get("shop_expire_soon"))
        stamp = data.get("expire_before")
        try:
            updated = epoch(stamp) if stamp else None
        except ValueError as exc:
            raise WebhookError(f"shopee push code 12: data.expire_before: {exc}") from exc
        detail = f"page {data.get('page_no')}/{data.get('total_page')}"
    else:
        shops = _ids(data.get("shop_id")) + _ids(data.get("shopid")) + _ids(data.get("shop_id_list"))
        if not shops and isinstance(data.get("extra"), str):
            shops = _SHOP_IN_TEXT.findall(data["extra"])
        updated, detail = None, str(data.get("authorize_type") or "")[:64]
    shops = list(dict.fromkeys(shops))
    event_id = event_key("shopee", "partner", code, ",".join(sorted(shops)), body.get("timestamp") or "",
                         data.get("page_no") or "", data.get("main_account_id") or "")
    return WebhookEvent(Platform.SHOPEE, event_id, kind, None, None, detail or None, updated, body,
                        shop_ids=tuple(shops))
