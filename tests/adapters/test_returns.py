"""Returns, refunds and cancellations through each platform's real client against respx-mocked APIs
(fixtures in the documented shapes: Shopee ``v2.returns.get_return_list``, Lazada
``GetReverseOrdersForSeller``, TikTok Search Returns / Search Cancellations) and the pure mappers."""
from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import httpx
import respx

from fx.money import Money
from platform_adapters.auth import StaticTokenProvider
from platform_adapters.canonical import Disposition, ReturnKind, ReturnStatus
from platform_adapters.lazada.return_mapping import map_return as lazada_map
from platform_adapters.lazada.settings import LazadaSettings
from platform_adapters.registry import ShopContext, get_adapter
from platform_adapters.shopee.return_mapping import map_return as shopee_map
from platform_adapters.shopee.settings import ShopeeSettings
from platform_adapters.tiktok import webhooks as tiktok_hooks
from platform_adapters.lazada import webhooks as lazada_hooks
from platform_adapters.tiktok.return_mapping import CANCELLATION_TAG, map_return as tiktok_map
from platform_adapters.tiktok.settings import TikTokSettings
from tests.adapters.fake_lazada import APP_KEY as LZ_KEY, APP_SECRET as LZ_SECRET, GATEWAY
from tests.adapters.fake_shopee import HOST as SP_HOST, PARTNER_ID, PARTNER_KEY
from tests.adapters.fake_tiktok import APP_KEY as TT_KEY, APP_SECRET as TT_SECRET, CIPHER, HOST as TT_HOST
from tests.adapters.helpers import T0, Clock, fixture_json, fixture_text, make_transport, tokens


def _source(platform: str, settings, shop: ShopContext):
    clock = Clock(T0 + timedelta(days=2))
    provider = StaticTokenProvider(shop.shop_id, tokens(now=clock()), clock=clock)
    adapter = get_adapter(platform)
    return adapter, adapter.return_source(settings, shop, provider, make_transport(platform), clock)


def test_shopee_return_list_by_update_time_to_records():
    settings = ShopeeSettings(partner_id=PARTNER_ID, partner_key=PARTNER_KEY, base_url=SP_HOST)
    shop = ShopContext(shop_id="600000", region="SG")
    adapter, source = _source("shopee", settings, shop)
    with respx.mock() as router:
        route = router.get(SP_HOST + "/api/v2/returns/get_return_list").mock(
            return_value=httpx.Response(200, text=fixture_text("shopee", "return_list_page.json")))
        raws = list(source.iter_returns(T0, T0 + timedelta(days=20)))
    # 20 days are two windows of at most 15 (the list refuses wider update-time ranges)
    queries = [dict(call.request.url.params) for call in route.calls]
    assert [(q["update_time_from"], q["update_time_to"], q["page_no"]) for q in queries] == [
        (str(int(T0.timestamp())), str(int((T0 + timedelta(days=15)).timestamp()) - 1), "1"),
        (str(int((T0 + timedelta(days=15)).timestamp())), str(int((T0 + timedelta(days=20)).timestamp()) - 1), "1")]
    assert all(q["page_size"] == "100" and q["shop_id"] == "600000" for q in queries)
    records = [adapter.map_return(raw, shop, settings) for raw in raws[:2]]
    assert all(r.ok for r in records)
    damaged, refund_only = records[0].record, records[1].record
    assert damaged.key == ("shopee", "600000", "RETURN", "200203171852695")
    assert (damaged.order_id, damaged.status, damaged.kind) == ("241124ABCD1234", ReturnStatus.REFUNDED, ReturnKind.RETURN)
    assert damaged.refund_amount == Money(Decimal("14.09"), "SGD")
    assert damaged.disposition is Disposition.SCRAP  # the warehouse disposed of both units
    (line,) = damaged.lines
    assert (line.order_line_ref, line.seller_sku, line.quantity) == ("2700126223:2000458802", "PC-IP15-BLK", 2)
    assert (refund_only.kind, refund_only.status, refund_only.lines[0].seller_sku) == (
        ReturnKind.REFUND_ONLY, ReturnStatus.APPROVED, "CBL-C60")


def test_shopee_return_statuses_and_bad_payloads():
    base = fixture_json("shopee", "return_list_page.json")["response"]["return"][0]
    checked_in = dict(base, status="PROCESSING", is_arrived_at_warehouse=3)
    assert shopee_map(checked_in, "1").record.status is ReturnStatus.RECEIVED
    odd = shopee_map(dict(base, status="BRAND_NEW_STATE"), "1")
    assert odd.record.status is ReturnStatus.UNKNOWN and odd.problems[0].code == "unknown_status"
    floated = shopee_map(dict(base, refund_amount=14.09), "1")  # a float never reaches Money
    assert floated.record is None and "refund_amount" in floated.problems[0].describe()
    assert shopee_map(["not", "an", "object"], "1").record is None


def test_lazada_reverse_orders_cents_lines_and_quality_decision():
    settings = LazadaSettings(app_key=LZ_KEY, app_secret=LZ_SECRET, country="SG", base_url=GATEWAY)
    shop = ShopContext(shop_id="1001", region="SG")
    adapter, source = _source("lazada", settings, shop)
    with respx.mock() as router:
        route = router.get(GATEWAY + "/reverse/getreverseordersforseller").mock(
            return_value=httpx.Response(200, text=fixture_text("lazada", "reverse_orders_page.json")))
        raws = list(source.iter_returns(T0, T0 + timedelta(days=3)))
    params = dict(route.calls[0].request.url.params)
    assert params["ReverseOrderLineModifiedTimeRangeStart"] == str(int(T0.timestamp() * 1000))
    assert (params["page_no"], params["page_size"]) == ("1", "10") and len(route.calls) == 1  # total 2 ≤ 10
    returned, cancelled = (adapter.map_return(raw, shop, settings).record for raw in raws)
    assert returned.key == ("lazada", "1001", "RETURN", "658960600102006")
    # one line received and scrapped, one still on its way back: the case is as far as its slowest line
    assert returned.status is ReturnStatus.IN_TRANSIT and returned.raw_status == "RTM_RECEIVE_ITEM,RTM_SHIPPING_BACK"
    assert returned.refund_amount == Money(Decimal("39.98"), "SGD")  # cents: 1999 + 1999
    assert [(l.order_line_ref, l.quantity, l.disposition) for l in returned.lines] == [
        ("416557324802006", 1, Disposition.SCRAP), ("416557324802007", 1, None)]
    assert returned.updated_at.timestamp() == 1732496400 and returned.created_at.timestamp() == 1732410000
    assert (cancelled.kind, cancelled.status, cancelled.refund_amount) == (
        ReturnKind.CANCELLATION, ReturnStatus.REFUNDED, Money(Decimal("3.50"), "SGD"))


def test_lazada_vietnam_amounts_are_whole_dong_and_unknown_status_is_counted():
    raw = fixture_json("lazada", "reverse_orders_page.json")["result"]["items"][1]
    vn = lazada_map(raw, "1", "VND", "VN").record
    assert vn.refund_amount == Money(Decimal("350"), "VND")
    odd = lazada_map(dict(raw, reverse_order_lines=[dict(raw["reverse_order_lines"][0], reverse_status="NEW_ONE")]),
                     "1", "SGD", "SG")
    assert odd.record.status is ReturnStatus.UNKNOWN and any(p.code == "unknown_status" for p in odd.problems)
    assert lazada_map(dict(raw, request_type="SWAP"), "1", "SGD", "SG").record is None


def test_tiktok_returns_and_cancellations_in_one_stream():
    settings = TikTokSettings(app_key=TT_KEY, app_secret=TT_SECRET, service_id="7001", base_url=TT_HOST)
    shop = ShopContext(shop_id="7494", region="TH", shop_cipher=CIPHER)
    adapter, source = _source("tiktok", settings, shop)
    with respx.mock() as router:
        returns = router.post(TT_HOST + "/return_refund/202309/returns/search").mock(
            return_value=httpx.Response(200, text=fixture_text("tiktok", "returns_search.json")))
        cancels = router.post(TT_HOST + "/return_refund/202309/cancellations/search").mock(
            return_value=httpx.Response(200, text=fixture_text("tiktok", "cancellations_search.json")))
        raws = list(source.iter_returns(T0, T0 + timedelta(days=1)))
    body = json.loads(returns.calls[0].request.content)
    assert body == {"update_time_ge": int(T0.timestamp()), "update_time_lt": int((T0 + timedelta(days=1)).timestamp())}
    query = dict(cancels.calls[0].request.url.params)
    assert (query["page_size"], query["sort_field"], query["shop_cipher"]) == ("50", "update_time", CIPHER)
    ret, cancel = (adapter.map_return(raw, shop, settings).record for raw in raws)
    # the documented samples give a return and a cancellation the same id: the kind keeps them apart
    assert ret.return_id == cancel.return_id and ret.key != cancel.key
    assert (ret.kind, ret.status) == (ReturnKind.RETURN, ReturnStatus.RECEIVED)  # success of a return and refund
    assert ret.lines[0].order_line_ref == "577686530908392189" and ret.refund_amount == Money(Decimal("280.50"), "THB")
    assert (cancel.kind, cancel.status, cancel.refund_amount) == (
        ReturnKind.CANCELLATION, ReturnStatus.REFUNDED, Money(Decimal("99.00"), "THB"))
    assert tiktok_map({**raws[1], "cancel_status": "CANCELLATION_REQUEST_CANCELLED"}, "7494").record.status \
        is ReturnStatus.WITHDRAWN  # the webhook's spelling of the API's CANCELLATION_REQUEST_CANCEL
    assert tiktok_map({**raws[0], "return_type": "REFUND", "return_status": "RETURN_OR_REFUND_REQUEST_SUCCESS"},
                      "7494").record.status is ReturnStatus.APPROVED
    assert raws[1][CANCELLATION_TAG] is True


def test_return_webhooks_name_the_order_to_re_read():
    cancellation = (b'{"type":11,"tts_notification_id":"7327112393057371910","shop_id":"7494049642642441621",'
                    b'"timestamp":1644412885,"data":{"order_id":"576486316948490001","cancellations_role":"BUYER",'
                    b'"cancel_status":"CANCELLATION_REQUEST_PENDING","cancel_id":"4035318504086604100",'
                    b'"create_time":1627587600}}')
    ret = (b'{"type":12,"tts_notification_id":"7327112393057371911","shop_id":"7494049642642441621",'
           b'"timestamp":1644412885,"data":{"order_id":"576486316948490001","return_role":"BUYER",'
           b'"return_type":"REFUND","return_status":"RETURN_OR_REFUND_REQUEST_PENDING",'
           b'"return_id":"576486316948490001","create_time":1627587600,"update_time":1644412885}}')
    a, b = tiktok_hooks.parse(cancellation), tiktok_hooks.parse(ret)
    assert (a.kind, a.order_id, a.raw_status) == ("RETURN_STATUS", "576486316948490001", "CANCELLATION_REQUEST_PENDING")
    assert a.source_updated_at.timestamp() == 1627587600 and b.source_updated_at.timestamp() == 1644412885
    assert a.event_id != b.event_id
    reverse = (b'{"seller_id":"12345","message_type":10,"data":{"reverse_order_id":658960600102006,'
               b'"reverse_status":"RTM_INIT","trade_order_id":416557324702006,"extraParams":{},'
               b'"trade_order_line_id":416557324802006,"buyer_id":100112802006,"seller_id":1000143772,'
               b'"reverse_order_line_id":663790000102006,"status_update_time":1626767698},'
               b'"timestamp":1627889609,"site":"lazada_sg"}')
    event = lazada_hooks.parse(reverse)
    assert (event.kind, event.order_id, event.raw_status, event.shop_id) == (
        "RETURN_STATUS", "416557324702006", "RTM_INIT", "12345")
