"""TikTok Shop webhooks: verify ``Authorization`` (lower hex HMAC over app_key + raw body), parse.

``tts_notification_id`` is the dedupe id. Type 1 is an order status change (``CANCEL`` where the
API says ``CANCELLED``), 6 seller deauthorization, 7 authorization expiring soon, 11 cancellation
status change (``data {order_id, cancel_id, cancel_status, cancellations_role, create_time}``) and 12
return status change (``data {order_id, return_id, return_type, return_status, return_role,
create_time, update_time}``): both become ``RETURN_STATUS`` events that re-read the order's
after-sales cases (TikTok Shop webhooks "(11) Cancellation status change", "(12) Return status
change"). ``order_status`` says what a type 1 webhook makes of the stored order.
"""
from __future__ import annotations

from platform_adapters.canonical import Platform
from platform_adapters.http.values import epoch
from platform_adapters.canonical import OrderStatus
from platform_adapters.registry import PushedStatus, StoredOrderStatus, WebhookError, WebhookEvent
from platform_adapters.tiktok.signing import verify_webhook
from platform_adapters.tiktok.statuses import CANCELLABLE, unified_status
from platform_adapters.webhook_json import child, event_key, id_of, push_object, shop_of, text_of

KINDS = {1: "ORDER_STATUS", 6: "AUTH_REVOKED", 7: "AUTH_EXPIRING", 11: "RETURN_STATUS", 12: "RETURN_STATUS"}


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
    elif kind == "RETURN_STATUS":
        prefix = "cancel" if kind_code == 11 else "return"
        what = f"tiktok {prefix} status webhook"
        order_id = id_of(data.get("order_id"), "data.order_id", what)
        id_of(data.get(f"{prefix}_id"), f"data.{prefix}_id", what)
        status = text_of(data.get(f"{prefix}_status"), f"data.{prefix}_status", what)
        stamp = data.get("update_time") or data.get("create_time") or body.get("timestamp")
        try:
            updated = epoch(stamp)
        except ValueError as exc:
            raise WebhookError(f"{what}: update_time: {exc}") from exc
    return WebhookEvent(Platform.TIKTOK, event_key("tiktok", notification), kind, shop_id, order_id, status, updated,
                        body)


def order_status(event: WebhookEvent, stored: StoredOrderStatus) -> PushedStatus | None:
    """The order after a type 1 webhook: its status in the API's spelling (``CANCEL`` is the API's
    ``CANCELLED``); line statuses are the packages' own and stay. None when the status is unknown, or
    when the stored order has a buyer's cancellation pending and the new status could still carry it
    (the webhook does not say whether it does: the re-read tells)."""
    raw = (event.raw_status or "").strip().upper()
    raw = "CANCELLED" if raw == "CANCEL" else raw
    status = unified_status(raw)
    if event.kind != "ORDER_STATUS" or status is OrderStatus.UNKNOWN:
        return None
    if stored.status == OrderStatus.CANCELLING.value and status in CANCELLABLE:
        return None
    return PushedStatus(status, raw, {})
