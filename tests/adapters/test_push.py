"""Shopee pushes in their documented shapes (Push Mechanism pages): partner-level codes 1, 2 and 12 name
their shops inside ``data`` (or only in ``extra``), code 4 names the order whose package got its
number; lost pushes come back from ``v2.push.get_lost_push_message`` as the original bodies."""
from __future__ import annotations

import json
from datetime import timedelta

import httpx
import respx

from platform_adapters.registry import get_adapter
from platform_adapters.shopee import webhooks as shopee_hooks
from platform_adapters.shopee.settings import ShopeeSettings
from tests.adapters.fake_shopee import HOST, PARTNER_ID, PARTNER_KEY
from tests.adapters.helpers import T0, Clock, make_transport

PARTNER_LEVEL = {
    # main account authorizing shops (code 1)
    b'{"data":{"authorize_type":"shop authorization by user","extra":"Shop has been authorized successfully",'
    b'"main_account_id":68272,"shop_id_list":[62000001,62000002],"success":1},"partner_id":2000002,"code":1,'
    b'"timestamp":1660616631}': ("AUTH_GRANTED", ("62000001", "62000002")),
    # cancelled by the seller: the shop only in the text (code 2)
    b'{"data":{"authorize_type":"user cancel shop authorization","success":1,"extra":"shop id 22000000 (VN) '
    b'has been cancelled its authorization"},"code":2,"partner_id":800000,"timestamp":1653394175}':
        ("AUTH_REVOKED", ("22000000",)),
    # expired: ``shopid`` (code 2)
    b'{"data":{"authorize_type":"expiry","shopid":22000000,"success":1,"extra":"The authorization is expired."},'
    b'"code":2,"partner_id":800000,"timestamp":1653026985}': ("AUTH_REVOKED", ("22000000",)),
    # expiring within a week (code 12): no partner_id, no shop_id
    b'{"code":12,"timestamp":1568606634,"data":{"merchant_expire_soon":[123123],"shop_expire_soon":[23213,243242],'
    b'"user_expire_soon":[368765104],"expire_before":1619740800,"page_no":1,"total_page":2}}':
        ("AUTH_EXPIRING", ("23213", "243242")),
}


def test_partner_level_pushes_name_their_shops_inside_data():
    for body, (kind, shops) in PARTNER_LEVEL.items():
        event = shopee_hooks.parse(body)
        assert (event.kind, event.shop_id, event.shop_ids) == (kind, None, shops), body
        assert shopee_hooks.parse(body).event_id == event.event_id  # a redelivery dedupes
    expiring = shopee_hooks.parse(list(PARTNER_LEVEL)[3])
    assert expiring.source_updated_at.timestamp() == 1619740800  # expire_before


def test_tracking_number_push_names_the_order():
    body = (b'{"data":{"ordersn":"220809MDBFYFT2","forder_id":"4965804244309504855","package_number":'
            b'"OFG113701539238152","tracking_no":"BR222263688572VSPXLM71894"},"shop_id":296363855,"code":4,'
            b'"timestamp":1660123089}')
    event = shopee_hooks.parse(body)
    assert (event.kind, event.shop_id, event.order_id, event.raw_status) == (
        "TRACKING_NUMBER", "296363855", "220809MDBFYFT2", "BR222263688572VSPXLM71894")


def test_lost_pushes_come_back_as_their_bodies_and_are_confirmed():
    settings = ShopeeSettings(partner_id=PARTNER_ID, partner_key=PARTNER_KEY, base_url=HOST)
    adapter, transport, clock = get_adapter("shopee"), make_transport("shopee"), Clock(T0 + timedelta(days=1))
    original = {"data": {"items": [], "ordersn": "220810QSK8S7BX", "status": "PROCESSED", "completed_scenario": "",
                         "update_time": 1660123127}, "shop_id": 727720655, "code": 3, "timestamp": 1660123127}
    with respx.mock() as router:
        listed = router.get(HOST + "/api/v2/push/get_lost_push_message").mock(return_value=httpx.Response(200, json={
            "error": "", "message": "", "warning": "", "request_id": "1f34a2c9", "response": {
                "push_message_list": [{"shop_id": 727720655, "code": 3, "timestamp": 1660123127,
                                       "data": json.dumps(original, separators=(",", ":"))}],
                "has_next_page": False, "last_message_id": 176610}}))
        confirmed = router.post(HOST + "/api/v2/push/confirm_consumed_lost_push_message").mock(
            return_value=httpx.Response(200, json={"error": "", "message": "", "request_id": "668ea92d"}))
        page = adapter.lost_pushes(settings, transport, clock)
        adapter.confirm_lost_pushes(settings, transport, page.last_message_id, clock)
    query = dict(listed.calls[0].request.url.params)
    assert set(query) == {"partner_id", "timestamp", "sign"}  # the Public API sign: no token, no shop
    assert json.loads(confirmed.calls[0].request.content) == {"last_message_id": 176610}
    (body,) = page.bodies
    event = adapter.webhook_parse(body)
    assert (event.kind, event.shop_id, event.order_id, page.has_next_page) == (
        "ORDER_STATUS", "727720655", "220810QSK8S7BX", False)
