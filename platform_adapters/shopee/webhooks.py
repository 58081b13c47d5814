"""Shopee push: verify ``Authorization`` over the registered callback URL + raw body, parse to an event.

Order status pushes (code 3) carry ``data.ordersn`` (not ``order_sn``), ``status`` and ``update_time``.
Shopee pushes have no id, so the dedupe id is built from shop, code, order, status and update time.
"""
from __future__ import annotations

from platform_adapters.canonical import Platform
from platform_adapters.http.values import epoch
from platform_adapters.registry import WebhookError, WebhookEvent
from platform_adapters.shopee.signing import verify_push
from platform_adapters.webhook_json import child, event_key, id_of, push_object, shop_of, text_of

KINDS = {3: "ORDER_STATUS", 2: "AUTH_REVOKED", 12: "AUTH_EXPIRING"}


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
    shop_id = shop_of(body, "shop_id", what)
    kind = KINDS.get(code, "OTHER")
    order_id = status = updated = None
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
