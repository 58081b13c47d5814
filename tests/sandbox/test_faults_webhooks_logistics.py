"""Injected faults over HTTP, signed webhooks with duplicates and reordering, and the logistics files."""
from __future__ import annotations

import csv
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from platform_adapters.canonical.identifiers import is_valid_container_number, normalize_document_number
from platform_adapters.lazada import webhooks as lazada_hooks
from platform_adapters.lazada.signing import verify_push as lazada_verify
from platform_adapters.sandbox import running_sandbox
from platform_adapters.shopee import webhooks as shopee_hooks
from platform_adapters.shopee.signing import verify_push as shopee_verify
from platform_adapters.tiktok import webhooks as tiktok_hooks
from platform_adapters.tiktok.signing import verify_webhook as tiktok_verify
from tests.sandbox.helpers import first_shop, fresh_tokens, shopee_get, tiktok_call

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "samples"
ANCHOR = 1_773_532_800


def test_faults_429_5xx_and_truncation_over_http():
    with running_sandbox(seed=2, orders=50, faults="429=0.3,5xx=0.3,truncate=0.3") as sb, \
            httpx.Client(base_url=sb.base_url, timeout=60) as client:
        shops = client.get("/_sandbox/shops").json()  # control endpoints are never faulted
        shop = first_shop(shops, "tiktok")
        token = fresh_tokens(client, shop)["access_token"]
        kinds = set()
        for _ in range(60):
            reply = tiktok_call(client, shops, "POST", "/order/202309/orders/search",
                                {"page_size": 20, "shop_cipher": shop["shop_cipher"]}, token, body={})
            if reply.status_code == 429:
                assert reply.headers["Retry-After"] == "1" and reply.json()["code"] == 36009002
                kinds.add("429")
            elif reply.status_code >= 500:
                assert reply.status_code in (500, 502, 503)
                kinds.add("5xx")
            else:
                try:
                    assert reply.json()["code"] == 0
                    kinds.add("ok")
                except json.JSONDecodeError:
                    kinds.add("truncated")
        assert kinds == {"429", "5xx", "ok", "truncated"}
        injected = client.get("/_sandbox/faults").json()["injected"]
        assert set(injected) == {"429", "5xx", "truncate"}


def test_expire_once_expires_each_shop_token_once_and_refresh_recovers():
    with running_sandbox(seed=2, orders=50, faults="expire=once") as sb, \
            httpx.Client(base_url=sb.base_url, timeout=60) as client:
        shops = client.get("/_sandbox/shops").json()
        shop = first_shop(shops, "shopee")
        token = fresh_tokens(client, shop)["access_token"]
        params = {"time_range_field": "update_time", "time_from": ANCHOR, "time_to": ANCHOR + 100, "page_size": 10}
        errors = [shopee_get(client, shops, shop, "/api/v2/order/get_order_list", params, token).json()["error"]
                  for _ in range(10)]
        first_failure = errors.index("invalid_acceess_token")
        assert set(errors[:first_failure]) == {""}
        assert set(errors[first_failure:]) == {"invalid_acceess_token"}  # that token stays expired
        new = fresh_tokens(client, shop)["access_token"]
        assert {shopee_get(client, shops, shop, "/api/v2/order/get_order_list", params, new).json()["error"]
                for _ in range(10)} == {""}


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[str, dict, bytes]] = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, dict(self.headers), body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    _Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks", _Receiver.received
    server.shutdown()
    server.server_close()


def test_webhooks_are_signed_and_can_be_duplicated_and_reordered(receiver):
    url, received = receiver
    with running_sandbox(seed=4, orders=150, anchor=ANCHOR) as sb, httpx.Client(base_url=sb.base_url, timeout=60) as client:
        shops = client.get("/_sandbox/shops").json()
        apps = shops["apps"]
        assert client.post("/_sandbox/webhooks", json={"url": "http://example.com/x"}).status_code == 400
        client.post("/_sandbox/webhooks", json={"url": url, "duplicate_rate": 0.3, "out_of_order": True})
        before = client.get("/_sandbox/clock").json()["now"]
        after = client.post("/_sandbox/clock/advance", params={"seconds": 86400}).json()["now"]
        truth = client.get("/_sandbox/truth/orders").json()["orders"]
        deliveries = client.get("/_sandbox/webhooks/deliveries").json()["deliveries"]
    assert len(received) == len(deliveries) > 0
    assert all(d["http_status"] == 200 for d in deliveries)
    assert any(d["duplicate"] for d in deliveries)
    stamps, latest = [], {}
    for _path, headers, body in received:
        message = json.loads(body)
        auth = headers.get("Authorization")
        if "code" in message:
            assert shopee_verify(apps["shopee"]["app_secret"], url, body, auth)
            assert not shopee_verify(apps["shopee"]["app_secret"], url + "/", body, auth)
            platform, event = "shopee", shopee_hooks.parse(body)
        elif "message_type" in message:
            assert lazada_verify(apps["lazada"]["app_key"], apps["lazada"]["app_secret"], body, auth)
            platform, event = "lazada", lazada_hooks.parse(body)
        else:
            assert tiktok_verify(apps["tiktok"]["app_key"], apps["tiktok"]["app_secret"], body, auth)
            platform, event = "tiktok", tiktok_hooks.parse(body)
        # the adapters' own parsers read every push the sandbox sends: order status, tracking numbers
        # (Shopee code 4), returns and cancellations (TikTok 11/12, Lazada message_type 10)
        assert event.kind in ("ORDER_STATUS", "TRACKING_NUMBER", "RETURN_STATUS")
        if event.kind != "ORDER_STATUS":
            continue
        key, at = (platform, event.order_id), int(event.source_updated_at.timestamp())
        status = "CANCELLED" if event.raw_status == "CANCEL" else event.raw_status
        assert before < at <= after
        stamps.append(at)
        if at >= latest.get(key, (0, ""))[0]:
            latest[key] = (at, status)
    assert stamps != sorted(stamps)  # delivered out of order
    changed = {(o["platform"], o["order_id"]): o for o in truth if before < o["update_time"] <= after}
    assert set(changed) <= set(latest)
    for key, order in changed.items():
        assert latest[key] == (order["update_time"], order["raw_status"])


def _header(text: str) -> list[str]:
    return next(csv.reader(io.StringIO(text)))


def test_logistics_files_use_the_sample_layouts_and_reference_real_orders():
    with running_sandbox(seed=6, orders=250, anchor=ANCHOR) as sb, httpx.Client(base_url=sb.base_url, timeout=60) as client:
        files = {name: client.get(f"/_sandbox/logistics/{name}").text for name in (
            "forwarder_bl.csv", "customs_entries.csv", "warehouse_inbound.csv", "warehouse_outbound.csv",
            "stock_lots_snapshot.csv")}
        truth = client.get("/_sandbox/truth/orders").json()["orders"]
        assert client.get("/_sandbox/logistics/nope.csv").status_code == 404
    sample_for = {"forwarder_bl.csv": "forwarder_bl.csv", "customs_entries.csv": "customs_entry_my_k1.csv",
                  "warehouse_inbound.csv": "warehouse_inbound.csv", "warehouse_outbound.csv": "warehouse_outbound.csv",
                  "stock_lots_snapshot.csv": "stock_lots_snapshot.csv"}
    for name, sample in sample_for.items():
        expected = _header((SAMPLES / sample).read_text(encoding="utf-8"))
        extra = ["returned_at"] if name == "warehouse_outbound.csv" else []  # 3PL return reports carry it
        assert _header(files[name]) == expected + extra, name
    orders = {(o["platform"].upper(), o["shop_id"], o["order_id"]): o for o in truth}
    outbound = list(csv.DictReader(io.StringIO(files["warehouse_outbound.csv"])))
    assert outbound
    for row in outbound:
        order = orders[(row["platform"], row["shop_id"], row["marketplace_order_id"])]
        assert row["order_line_ref"] in {line["line_ref"] for line in order["lines"]}
        if row["status"] not in ("CANCELED", "NEW"):  # NEW: allocated, not shipped yet
            assert row["tracking_number"] in {p["tracking_number"] for p in order["packages"]}
    lots = {row["lot_id"] for row in csv.DictReader(io.StringIO(files["stock_lots_snapshot.csv"]))}
    assert {row["stock_lot_id"] for row in outbound} <= lots
    for row in csv.DictReader(io.StringIO(files["stock_lots_snapshot.csv"])):
        assert int(row["qty_available"]) >= 0
    bls = list(csv.DictReader(io.StringIO(files["forwarder_bl.csv"])))
    assert all(is_valid_container_number(row["container_no"]) for row in bls)
    inbound = list(csv.DictReader(io.StringIO(files["warehouse_inbound.csv"])))
    key = normalize_document_number  # the 3PL types some references its own way (key variants)
    assert {key(r["mbl_no"]) for r in inbound} == {key(r["doc_number"]) for r in bls}
    customs = list(csv.DictReader(io.StringIO(files["customs_entries.csv"])))
    assert {key(r["declaration_no"]) for r in customs} == {key(r["customs_declaration_no"]) for r in inbound}


def test_slow_fault_delays_but_answers():
    with running_sandbox(seed=2, orders=20, faults="slow=1.0,slow_seconds=0.01") as sb, \
            httpx.Client(base_url=sb.base_url, timeout=60) as client:
        shops = client.get("/_sandbox/shops").json()
        shop = first_shop(shops, "tiktok")
        token = fresh_tokens(client, shop)["access_token"]
        reply = tiktok_call(client, shops, "POST", "/order/202309/orders/search",
                            {"page_size": 5, "shop_cipher": shop["shop_cipher"]}, token, body={})
        assert reply.json()["code"] == 0
        assert client.get("/_sandbox/faults").json()["injected"] == {"slow": 1}
