"""TikTok Shop webhooks: verify ``Authorization`` (lower hex HMAC over app_key + raw body), parse.

``tts_notification_id`` is the dedupe id. Type 1 is an order status change (``CANCEL`` where the
API says ``CANCELLED``), 6 seller deauthorization, 7 authorization expiring soon.
"""
from __future__ import annotations

from platform_adapters.canonical import Platform
from platform_adapters.http.values import epoch
from platform_adapters.registry import WebhookError, WebhookEvent
from platform_adapters.tiktok.signing import verify_webhook
from platform_adapters.webhook_json import child, event_key, id_of, push_object, shop_of, text_of

KINDS = {1: "ORDER_STATUS", 6: "AUTH_REVOKED", 7: "AUTH_EXPIRING"}


def verify(app_key: str, app_secret: str, raw_body: bytes, authorization: str | None) -> bool:
    return verify_webhook(app_key, app_secret, raw_body, authorization)


def parse(raw_body: bytes) -> WebhookEvent:
    """The event of a verified webhook (bounded decoding: ``platform_adapters.webhook_json``)."""
    what = "tiktok webhook"
    body = push_object(raw_body, what)
    kind_code = body.get("type")
    if not isinstance(kind_code, int) or isinstance(kind_code, bool):
        raise WebhookError(f"{what}: no integer 'type'")
    notification = id_of(body.get("tts_notification_id"), "tts_notification_id", what, required=False)
    if not notification:
        raise WebhookError(f"{what}: no tts_notification_id")
    kind = KINDS.get(kind_code, "OTHER")
    data = child(body, "data")
    shop_id = shop_of(body, "shop_id", what)
    order_id = status = updated = None
    if kind == "ORDER_STATUS":
        what = "tiktok order status webhook"
        order_id = id_of(data.get("order_id"), "data.order_id", what)
        try:
            updated = epoch(data.get("update_time"))
        except ValueError as exc:
            raise WebhookError(f"{what}: data.update_time: {exc}") from exc
        status = text_of(data.get("order_status"), "data.order_status", what)
    return WebhookEvent(Platform.TIKTOK, event_key("tiktok", notification), kind, shop_id, order_id, status, updated,
                        body)
