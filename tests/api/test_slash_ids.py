"""Identifiers holding '/' (an ASN 'ASN/2026/7' in warehouse 'WH/1', a lot 'LOT/7', as a 3PL file writes them;
an order or a statement id a marketplace sends) open their records: the key the API hands out, each part
percent-encoded as the web app's ``encodeURIComponent`` writes it (``/`` as ``%2F``), names the record, on the
in-process client and through a real uvicorn (which decodes the path before routing)."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient

from aggregator.api.app import create_app
from aggregator.store.db import session_scope
from aggregator.store.marketplace_writer import write_order
from aggregator.store.models import SettlementLineRow, ShopRow
from aggregator.api.reach import lot_key
from aggregator.store.models.matching import MatchLinkRow, TitleEventRow
from aggregator.store.models.settlement import StatementRow
from aggregator.store.models.warehouse import WarehouseReceiptLineRow, WarehouseReceiptRow
from aggregator.tenancy import add_owner
from tests.api.server import serving
from tests.store.factories import T0, make_order

OWNER, WAREHOUSE, ASN, LOT, SHOP = "BRAND-A", "WH/1", "ASN/2026/7", "LOT/7", "SHOP/9"
AT = datetime(2026, 10, 20, tzinfo=timezone.utc)


def enc(*parts: str) -> str:
    return "/".join(quote(p, safe="") for p in parts)


@pytest.fixture
def slashed(engine) -> str:
    with session_scope(engine) as session:
        _, key = add_owner(session, OWNER, "Brand A")
        session.add(ShopRow(owner_id=OWNER, platform="shopee", shop_id=SHOP, region="MY", name="A MY"))
        receipt = WarehouseReceiptRow(owner_id=OWNER, warehouse_code=WAREHOUSE, asn_no=ASN, content_hash="x",
                                      is_final=True, received_at=T0)
        session.add(receipt)
        session.flush()
        session.add(WarehouseReceiptLineRow(receipt_pk=receipt.id, line_no=1, sku="SKU-A", planned_qty=5, lot_id=LOT))
        session.add(MatchLinkRow(owner_id=OWNER, partition=f"wh|{OWNER}|{WAREHOUSE}", step="lot_receipt",
                                 left_key=f"{OWNER}|{WAREHOUSE}|{LOT}", right_key=f"{OWNER}|{WAREHOUSE}|{ASN}|1",
                                 qty=5, method="exact", confidence=1.0))
        session.add(TitleEventRow(event_id="TE1", owner_id=OWNER, subject_kind="LOT",
                                  subject_key=lot_key(OWNER, WAREHOUSE, LOT), seq=1, qty=5, kind="RECEIVED",
                                  effective_at=T0, title_holder=OWNER, risk_bearer=OWNER, custodian=WAREHOUSE,
                                  title_state="OWNER_IN_WAREHOUSE", location_state="IN_WAREHOUSE", basis="INCOTERM",
                                  confidence="HIGH"))
        write_order(session, make_order("A/1", shop_id=SHOP), OWNER)
        session.add(StatementRow(owner_id=OWNER, platform="shopee", shop_id=SHOP, statement_id="S/1", currency="MYR",
                                 issued_at=AT, declared_total=Decimal("9.00"), breakdown={}, source_updated_at=AT,
                                 content_hash="s"))
        session.add(SettlementLineRow(owner_id=OWNER, platform="shopee", shop_id=SHOP, statement_id="S/1",
                                      transaction_id="T/1", kind="REVENUE", amount=Decimal("9.00"), currency="MYR",
                                      occurred_at=AT, order_id="A/1", content_hash="s", raw_kind="x"))
    return key


def _opened(get) -> None:
    """Every record named by its key as the API hands it out (lookup, lists) opens, and its parts are its own."""
    hit = get("/api/v1/lookup", params={"q": ASN}).json()["hits"][0]
    assert hit["kind"] == "receipt" and hit["key"] == [OWNER, WAREHOUSE, ASN]
    receipt = get("/api/v1/receipts/" + enc(*hit["key"]))
    assert receipt.status_code == 200, receipt.text
    assert (receipt.json()["warehouse_code"], receipt.json()["asn_no"]) == (WAREHOUSE, ASN)
    lot = next(x for x in get("/api/v1/lots").json()["items"] if x["lot_id"] == LOT)
    detail = get("/api/v1/lots/" + enc(lot["owner_id"], lot["warehouse_code"], lot["lot_id"]))
    assert detail.status_code == 200 and detail.json()["lot_id"] == LOT, detail.text
    events = get(f"/api/v1/title/lots/{enc(OWNER, WAREHOUSE, LOT)}/events")
    assert events.status_code == 200 and [e["kind"] for e in events.json()] == ["RECEIVED"], events.text
    order = get("/api/v1/orders/" + enc("shopee", SHOP, "A/1"))
    assert order.status_code == 200 and order.json()["order_id"] == "A/1", order.text
    statement = get("/api/v1/settlements/statements/" + enc("shopee", SHOP, "S/1"))
    assert statement.status_code == 200 and statement.json()["statement"]["statement_id"] == "S/1", statement.text
    # a key that names nothing is the record's 404, not a route that matched nothing
    missing = get("/api/v1/receipts/" + enc(OWNER, WAREHOUSE, "ASN/2026/8"))
    assert missing.status_code == 404 and missing.json()["detail"] != "Not Found"
    assert missing.json()["instance"] == "/api/v1/receipts/" + enc(OWNER, WAREHOUSE, "ASN/2026/8")  # as sent
    assert get("/api/v1/receipts/" + enc(OWNER, "WH", "1/ASN/2026/7")).status_code == 404  # other parts: no record


def test_ids_with_a_slash_open_in_process(engine, slashed: str) -> None:
    client = TestClient(create_app(engine))
    _opened(lambda path, **kw: client.get(path, headers={"Authorization": f"Bearer {slashed}"}, **kw))


def test_ids_with_a_slash_open_through_a_real_server(engine, slashed: str) -> None:
    with serving(create_app(engine)) as base, httpx.Client(base_url=base, timeout=60) as client:
        _opened(lambda path, **kw: client.get(path, headers={"Authorization": f"Bearer {slashed}"}, **kw))
