"""Lazada push: verify ``Authorization`` (lower hex HMAC over app_key + raw body), parse to an event.

Trade order messages (``message_type`` 0) name one order line: two messages with the same order
but different lines are distinct. Delivery is at least once; the dedupe id covers order, line,
status and status time.
"""
from __future__ import annotations

from collections.abc import Mapping

from platform_adapters.canonical import Platform
from platform_adapters.http.values import epoch, id_str, loads
from platform_adapters.lazada.signing import verify_push
from platform_adapters.registry import WebhookError, WebhookEvent


def verify(app_key: str, app_secret: str, raw_body: bytes, authorization: str | None) -> bool:
    return verify_push(app_key, app_secret, raw_body, authorization)


def parse(raw_body: bytes) -> WebhookEvent:
    try:
        body = loads(raw_body)
    except ValueError as exc:
        raise WebhookError(f"lazada push: body is not JSON: {exc}") from exc
    if not isinstance(body, Mapping) or "message_type" not in body:
        raise WebhookError("lazada push: no 'message_type'")
    data = body.get("data") if isinstance(body.get("data"), Mapping) else {}
    seller = str(body["seller_id"]) if body.get("seller_id") is not None else None
    if body.get("message_type") != 0:
        return WebhookEvent(Platform.LAZADA, f"lazada:{seller}:{body.get('message_type')}:{body.get('timestamp')}",
                            "OTHER", seller, raw=body)
    try:
        order_id = id_str(data.get("trade_order_id"))
        updated = epoch(data.get("status_update_time"))
    except ValueError as exc:
        raise WebhookError(f"lazada trade order message: {exc}") from exc
    line = str(data.get("trade_order_line_id") or "")
    status = str(data.get("order_status") or "") or None
    event_id = f"lazada:{seller}:{order_id}:{line}:{status or ''}:{data.get('status_update_time')}"
    return WebhookEvent(Platform.LAZADA, event_id, "ORDER_STATUS", seller, order_id, status, updated, body)
