"""Lazada push: verify ``Authorization`` (lower hex HMAC over app_key + raw body), parse to an event.

Trade order messages (``message_type`` 0) name one order line: two messages with the same order
but different lines are distinct. Reverse order messages (``message_type`` 10, "Webhook API -
Reverse order": ``data {reverse_order_id, reverse_order_line_id, trade_order_id, trade_order_line_id,
reverse_status, status_update_time}``) become ``RETURN_STATUS`` events that re-read the order's
reverse orders. Delivery is at least once; the dedupe id covers order, line, status and status time.
``order_status`` says what a trade order message makes of the stored order: the line it names takes
the pushed status and the order's status is derived again from its lines, as the mapping does.
"""
from __future__ import annotations

from platform_adapters.canonical import Platform
from platform_adapters.http.values import epoch
from platform_adapters.canonical import OrderStatus
from platform_adapters.lazada.signing import verify_push
from platform_adapters.lazada.statuses import order_status as status_of_items, unified_status
from platform_adapters.registry import PushedStatus, StoredOrderStatus, WebhookError, WebhookEvent
from platform_adapters.webhook_json import child, event_key, id_of, push_object, shop_of, text_of


REVERSE_ORDER = 10


def verify(app_key: str, app_secret: str, raw_body: bytes, authorization: str | None) -> bool:
    return verify_push(app_key, app_secret, raw_body, authorization)


def parse(raw_body: bytes) -> WebhookEvent:
    """The event of a verified push (bounded decoding: ``platform_adapters.webhook_json``)."""
    what = "lazada push"
    body = push_object(raw_body, what)
    if "message_type" not in body:
        raise WebhookError(f"{what}: no 'message_type'")
    data = child(body, "data")
    seller = shop_of(body, "seller_id", what)
    message_type = body.get("message_type")
    if message_type == REVERSE_ORDER and not isinstance(message_type, bool):
        return _reverse(body, data, seller)
    if message_type != 0 or isinstance(message_type, bool):
        return WebhookEvent(Platform.LAZADA, event_key("lazada", seller, text_of(message_type, "message_type", what),
                                                       text_of(body.get("timestamp"), "timestamp", what)),
                            "OTHER", seller, raw=body)
    what = "lazada trade order message"
    order_id = id_of(data.get("trade_order_id"), "data.trade_order_id", what)
    try:
        updated = epoch(data.get("status_update_time"))
    except ValueError as exc:
        raise WebhookError(f"{what}: data.status_update_time: {exc}") from exc
    line = id_of(data.get("trade_order_line_id"), "data.trade_order_line_id", what, required=False) or ""
    status = text_of(data.get("order_status"), "data.order_status", what)
    event_id = event_key("lazada", seller, order_id, line, status or "", data.get("status_update_time"))
    return WebhookEvent(Platform.LAZADA, event_id, "ORDER_STATUS", seller, order_id, status, updated, body,
                        line_ref=line or None)


def _reverse(body, data, seller: str | None) -> WebhookEvent:
    what = "lazada reverse order message"
    order_id = id_of(data.get("trade_order_id"), "data.trade_order_id", what)
    reverse_id = id_of(data.get("reverse_order_id"), "data.reverse_order_id", what)
    line = id_of(data.get("reverse_order_line_id"), "data.reverse_order_line_id", what, required=False) or ""
    try:
        updated = epoch(data.get("status_update_time"))
    except ValueError as exc:
        raise WebhookError(f"{what}: data.status_update_time: {exc}") from exc
    status = text_of(data.get("reverse_status"), "data.reverse_status", what)
    event_id = event_key("lazada", seller, "reverse", reverse_id, line, status or "", data.get("status_update_time"))
    return WebhookEvent(Platform.LAZADA, event_id, "RETURN_STATUS", seller, order_id, status, updated, body)


def order_status(event: WebhookEvent, stored: StoredOrderStatus) -> PushedStatus | None:
    """The order after a trade order message: the line it names takes the pushed status, the order's
    is derived from all its lines' (as the mapping does). None when the line is not stored, a line's status is unknown, or the stored order
    has a cancellation pending (the header's ``is_cancel_pending``, which the message does not carry)."""
    line, raw = event.line_ref, (event.raw_status or "").strip()
    if event.kind != "ORDER_STATUS" or not line or line not in stored.lines or not raw:
        return None
    if stored.status == OrderStatus.CANCELLING.value:
        return None
    raws = {ref: value for ref, value in stored.lines.items()}
    raws[line] = raw
    if any(not value for value in raws.values()):
        return None
    status = status_of_items(raws.values())
    if status is OrderStatus.UNKNOWN:
        return None
    return PushedStatus(status, ",".join(sorted(set(raws.values()))), {line: (unified_status(raw), raw)})
