"""Webhook verification (raw bytes, exact URL, constant-time) and parsing to dedupe-able events."""
from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from platform_adapters.canonical import OrderStatus
from platform_adapters.lazada import webhooks as lazada_hooks
from platform_adapters.registry import WebhookError
from platform_adapters.shopee import webhooks as shopee_hooks
from platform_adapters.shopee.statuses import unified_status as shopee_status
from platform_adapters.tiktok import webhooks as tiktok_hooks
from platform_adapters.tiktok.statuses import unified_status as tiktok_status


def hexmac(key: str, message: bytes) -> str:
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def test_shopee_order_push():
    body = (b'{"data":{"items":[],"ordersn":"241124ABCD1234","status":"PROCESSED","completed_scenario":"",'
            b'"update_time":1732410000},"shop_id":900719925474099312,"code":3,"timestamp":1732410001}')
    url = "https://hooks.example.com/shopee"
    sign = hexmac("pk", url.encode() + b"|" + body)
    assert shopee_hooks.verify("pk", url, body, sign)
    assert not shopee_hooks.verify("pk", url + "/", body, sign)
    assert not shopee_hooks.verify("pk", url, json.dumps(json.loads(body)).encode(), sign)
    event = shopee_hooks.parse(body)
    assert (event.kind, event.order_id, event.shop_id) == ("ORDER_STATUS", "241124ABCD1234", "900719925474099312")
    assert shopee_status(event.raw_status) is OrderStatus.PROCESSING
    assert event.source_updated_at.isoformat() == "2024-11-24T01:00:00+00:00"
    assert shopee_hooks.parse(body).event_id == event.event_id  # redelivery dedupes
    assert shopee_hooks.parse(b'{"code":2,"shop_id":1,"data":{}}').kind == "AUTH_REVOKED"
    with pytest.raises(WebhookError, match="ordersn"):
        shopee_hooks.parse(b'{"code":3,"shop_id":1,"data":{"order_sn":"X","update_time":1}}')


def test_lazada_trade_order_message_per_line():
    def body(line: str) -> bytes:
        return (b'{"seller_id":"1001","message_type":0,"data":{"order_status":"shipped",'
                b'"status_update_time":1732410000,"trade_order_id":"260012345678901234",'
                b'"trade_order_line_id":"' + line.encode() + b'"},"timestamp":1732410000123,"site":"lazada_sg"}')

    first, second = body("1"), body("2")
    assert lazada_hooks.verify("ak", "sec", first, hexmac("sec", b"ak" + first))
    assert not lazada_hooks.verify("ak", "sec", first, hexmac("sec", b"ak" + second))
    a, b = lazada_hooks.parse(first), lazada_hooks.parse(second)
    assert a.order_id == "260012345678901234" and a.event_id != b.event_id
    with pytest.raises(WebhookError):
        lazada_hooks.parse(b"not json")


def test_tiktok_order_status_and_deauthorization():
    body = (b'{"type":1,"tts_notification_id":"7327112393057371910","shop_id":"7494","timestamp":1732410001,'
            b'"data":{"order_id":"577086512123755123","order_status":"CANCEL","is_on_hold_order":false,'
            b'"update_time":1732410000}}')
    assert tiktok_hooks.verify("ak", "sec", body, hexmac("sec", b"ak" + body))
    assert not tiktok_hooks.verify("ak", "sec", body, hexmac("sec", b"ak" + body).upper())
    event = tiktok_hooks.parse(body)
    assert event.event_id == "tiktok:7327112393057371910" and tiktok_status(event.raw_status) is OrderStatus.CANCELLED
    deauth = tiktok_hooks.parse(b'{"type":6,"tts_notification_id":"9","shop_id":"7494","data":{}}')
    assert deauth.kind == "AUTH_REVOKED" and deauth.order_id is None
    with pytest.raises(WebhookError, match="notification"):
        tiktok_hooks.parse(b'{"type":1,"shop_id":"7494","data":{}}')
