"""Shopee push: verify ``Authorization`` over the registered callback URL + raw body, parse to an event.

Order status pushes (code 3) carry ``data.ordersn`` (not ``order_sn``), ``status`` and ``update_time``.
Shopee pushes have no id, so the dedupe id is built from shop, code, order, status and update time.
"""
from __future__ import annotations

from collections.abc import Mapping

from platform_adapters.canonical import Platform
from platform_adapters.http.values import epoch, id_str, loads
from platform_adapters.registry import WebhookError, WebhookEvent
from platform_adapters.shopee.signing import verify_push

KINDS = {3: "ORDER_STATUS", 2: "AUTH_REVOKED", 12: "AUTH_EXPIRING"}


def verify(partner_key: str, callback_url: str, raw_body: bytes, authorization: str | None) -> bool:
    """Constant-time check; ``callback_url`` must be the URL exactly as registered, ``raw_body`` unparsed."""
    return verify_push(partner_key, callback_url, raw_body, authorization)


def parse(raw_body: bytes) -> WebhookEvent:
    try:
        body = loads(raw_body)
    except ValueError as exc:
        raise WebhookError(f"shopee push: body is not JSON: {exc}") from exc
    if not isinstance(body, Mapping) or not isinstance(body.get("code"), int):
        raise WebhookError("shopee push: no integer 'code'")
    code = body["code"]
    data = body.get("data") if isinstance(body.get("data"), Mapping) else {}
    shop_id = str(body["shop_id"]) if body.get("shop_id") is not None else None
    kind = KINDS.get(code, "OTHER")
    order_id = status = updated = None
    if kind == "ORDER_STATUS":
        try:
            order_id = id_str(data.get("ordersn"))
        except ValueError as exc:
            raise WebhookError(f"shopee push code 3: data.ordersn: {exc}") from exc
        try:
            updated = epoch(data.get("update_time"))
        except ValueError as exc:
            raise WebhookError(f"shopee push code 3: data.update_time: {exc}") from exc
        status = str(data.get("status") or "") or None
    stamp = data.get("update_time") or body.get("timestamp") or ""
    event_id = f"shopee:{shop_id}:{code}:{order_id or ''}:{status or ''}:{stamp}"
    return WebhookEvent(Platform.SHOPEE, event_id, kind, shop_id, order_id, status, updated, body)
