"""TikTok Shop webhooks: verify ``Authorization`` (lower hex HMAC over app_key + raw body), parse.

``tts_notification_id`` is the dedupe id. Type 1 is an order status change (``CANCEL`` where the
API says ``CANCELLED``), 6 seller deauthorization, 7 authorization expiring soon.
"""
from __future__ import annotations

from collections.abc import Mapping

from platform_adapters.canonical import Platform
from platform_adapters.http.values import epoch, id_str, loads
from platform_adapters.registry import WebhookError, WebhookEvent
from platform_adapters.tiktok.signing import verify_webhook

KINDS = {1: "ORDER_STATUS", 6: "AUTH_REVOKED", 7: "AUTH_EXPIRING"}


def verify(app_key: str, app_secret: str, raw_body: bytes, authorization: str | None) -> bool:
    return verify_webhook(app_key, app_secret, raw_body, authorization)


def parse(raw_body: bytes) -> WebhookEvent:
    try:
        body = loads(raw_body)
    except ValueError as exc:
        raise WebhookError(f"tiktok webhook: body is not JSON: {exc}") from exc
    if not isinstance(body, Mapping) or not isinstance(body.get("type"), int):
        raise WebhookError("tiktok webhook: no integer 'type'")
    notification = str(body.get("tts_notification_id") or "")
    if not notification:
        raise WebhookError("tiktok webhook: no tts_notification_id")
    kind = KINDS.get(body["type"], "OTHER")
    data = body.get("data") if isinstance(body.get("data"), Mapping) else {}
    shop_id = str(body["shop_id"]) if body.get("shop_id") is not None else None
    order_id = status = updated = None
    if kind == "ORDER_STATUS":
        try:
            order_id = id_str(data.get("order_id"))
            updated = epoch(data.get("update_time"))
        except ValueError as exc:
            raise WebhookError(f"tiktok order status webhook: {exc}") from exc
        status = str(data.get("order_status") or "") or None
    return WebhookEvent(Platform.TIKTOK, f"tiktok:{notification}", kind, shop_id, order_id, status, updated, body)
