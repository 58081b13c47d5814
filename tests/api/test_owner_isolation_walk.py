"""Every route of the OpenAPI document, walked as an owner-viewer of owner ALPHA over data of owners
ALPHA and BRAVO: nothing of BRAVO comes back, in bodies, searches, counts, downloads or the event stream.

The walk is generated from the document: each GET operation under /api/v1 is called with ALPHA's
identifiers in its path (and must answer), with BRAVO's (and must answer 404 or refuse), and with each
of its query parameters set to a BRAVO value (and must not answer anything of BRAVO). A new route or
parameter with no entry in the catalogue below fails the walk until one is added, so it grows with the
API. Every BRAVO identifier contains "BRAVO", so one text search finds any leak.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from aggregator.api.app import create_app
from aggregator.api.keys import create_key
from aggregator.store.db import session_scope
from aggregator.exceptions_queue.writes import park
from aggregator.store.marketplace_writer import write_order
from aggregator.store.models import ShopRow, SyncRun
from aggregator.store.models.logistics import (
    CustomsEntryRow, TransportContainerRow, TransportDocumentLineRow, TransportDocumentRow, TransportMilestoneRow,
)
from aggregator.store.models.matching import MatchLinkRow
from aggregator.store.models.warehouse import WarehouseReceiptLineRow, WarehouseReceiptRow
from aggregator.tenancy import add_owner
from platform_adapters.canonical import Order, OrderLine, OrderStatus, Package, Platform
from fx.money import Money
from tests.store.factories import T0

LEAK = "BRAVO"


def order(order_id: str, shop_id: str, status: OrderStatus, hours: int, tracking: str, sku: str) -> Order:
    return Order(platform=Platform.SHOPEE, shop_id=shop_id, order_id=order_id, status=status, raw_status=status.value,
                 created_at=T0, updated_at=T0 + timedelta(hours=hours), currency="MYR",
                 total_amount=Money.of("10", "MYR"),
                 lines=(OrderLine(line_ref=f"{order_id}-L1", seller_sku=sku, quantity=1,
                                  unit_price=Money.of("10", "MYR"), package_id=f"{order_id}-PKG",
                                  tracking_number=tracking),),
                 packages=(Package(package_id=f"{order_id}-PKG", tracking_number=tracking, line_refs=(f"{order_id}-L1",)),))


def build_world(engine) -> dict[str, str]:
    with session_scope(engine) as session:
        add_owner(session, "ALPHA", "Alpha brand")
        add_owner(session, "BRAVO-CO", "BRAVO brand")
        session.add_all([ShopRow(owner_id="ALPHA", platform="shopee", shop_id="ALPHA-SHOP", region="MY", name="Alpha MY"),
                         ShopRow(owner_id="BRAVO-CO", platform="shopee", shop_id="BRAVO-SHOP", region="SG",
                                 name="BRAVO SG")])
        session.flush()
        shops = {s.shop_id: s for s in session.query(ShopRow)}
        for i in range(3):
            write_order(session, order(f"ALPHA-{i}", "ALPHA-SHOP", OrderStatus.SHIPPED, i, f"TRK-ALPHA-{i}",
                                       "SKU-ALPHA"), "ALPHA")
            write_order(session, order(f"BRAVO-{i}", "BRAVO-SHOP", OrderStatus.SHIPPED, i, f"TRK-BRAVO-{i}",
                                       "SKU-BRAVO"), "BRAVO-CO")
        for shop_id in ("ALPHA-SHOP", "BRAVO-SHOP"):
            session.add(SyncRun(shop_pk=shops[shop_id].id, stream="orders", status="failed",
                                error=f"upstream refused {shop_id}", started_at=T0))
            park(session, owner_id="ALPHA" if shop_id.startswith("ALPHA") else "BRAVO-CO", source="shopee:orders",
                 kind="mapping_error", reason=f"bad record of {shop_id}", raw_payload={"shop": shop_id},
                 record_key=f"{shop_id}:REC")
        _settlements(session)
        for owner, tag in (("ALPHA", "ALPHA"), ("BRAVO-CO", "BRAVO")):
            logistics(session, owner, tag)
            money_and_title(session, owner, tag)
        _, viewer = create_key(session, role="owner-viewer", owner_id="ALPHA")
    return {"viewer": viewer}


def _settlements(session) -> None:
    """A statement with one line per owner, reconciled (settlement routes)."""
    from decimal import Decimal

    from aggregator.settlement.service import reconcile_owner
    from aggregator.store.models import SettlementLineRow
    from aggregator.store.models.settlement import StatementRow

    for owner, side in (("ALPHA", "ALPHA"), ("BRAVO-CO", "BRAVO")):
        session.add(StatementRow(owner_id=owner, platform="shopee", shop_id=f"{side}-SHOP", statement_id=f"{side}-STMT",
                                 currency="MYR", issued_at=T0, declared_total=Decimal("9.00"), breakdown={},
                                 source_updated_at=T0, content_hash=side))
        session.add(SettlementLineRow(owner_id=owner, platform="shopee", shop_id=f"{side}-SHOP",
                                      statement_id=f"{side}-STMT", transaction_id=f"{side}-1:REV", kind="REVENUE",
                                      amount=Decimal("9.00"), currency="MYR", occurred_at=T0, order_id=f"{side}-1",
                                      content_hash=side, raw_kind="original_cost_of_goods_sold"))
        session.flush()
        reconcile_owner(session, owner, now=T0)
def logistics(session, owner: str, tag: str) -> None:
    """A bill of lading with its container and milestone, a receipt and a customs entry of one owner."""
    doc = TransportDocumentRow(owner_id=owner, doc_number=f"{tag}-BL1", doc_type="BL", mode="SEA", doc_level="MASTER",
                               content_hash="x", vessel_or_flight=f"{tag} STAR")
    session.add(doc)
    session.flush()
    container = f"{tag}U0000001"
    session.add_all([
        TransportDocumentLineRow(document_pk=doc.id, line_no=1, container_no=container, description=f"{tag} goods"),
        TransportContainerRow(document_pk=doc.id, container_no=container),
        TransportMilestoneRow(owner_id=owner, milestone_key=f"{tag}-LOAD", event_type="EQUIPMENT", code="LOAD",
                              classifier="ACT", event_at=T0, event_id=f"{tag}-EV1", equipment_no=container),
        CustomsEntryRow(owner_id=owner, country="MY", declaration_no=f"{tag}-DECL1", content_hash="x",
                        importer_of_record=f"{tag} importer"),
    ])
    receipt = WarehouseReceiptRow(owner_id=owner, warehouse_code="WH1", asn_no=f"{tag}-ASN1", container_no=container,
                                  content_hash="x", is_final=True, received_at=T0)
    session.add(receipt)
    session.flush()
    session.add(WarehouseReceiptLineRow(receipt_pk=receipt.id, line_no=1, sku=f"SKU-{tag}", planned_qty=5,
                                        lot_id=f"{tag}-LOT1"))
    matched(session, owner, tag)


def matched(session, owner: str, tag: str) -> None:
    """The links a matching run would store: order line 1 → outbound → lot → receipt → bill line and entry."""
    lot, receipt_line = f"{owner}|WH1|{tag}-LOT1", f"{owner}|WH1|{tag}-ASN1|1"
    outbound = f"{owner}|WH1|OUT-{tag}|1"
    order_line = f"SHOPEE|{tag}-SHOP|{tag}1|{tag}1L1"  # platform|shop|order|line in key form (matching.keys)
    links = [("order_shipment", order_line, outbound), ("shipment_lot", outbound, lot),
             ("lot_receipt", lot, receipt_line), ("receipt_document", receipt_line, f"{owner}|{tag}BL1|1"),
             ("receipt_customs_entry", receipt_line, f"{owner}|{tag}DECL1")]
    session.add_all([MatchLinkRow(owner_id=owner, partition=f"wh|{owner}|WH1", step=step, left_key=left,
                                  right_key=right, qty=2, method="exact", confidence=1.0)
                     for step, left, right in links])


def money_and_title(session, owner: str, tag: str) -> None:
    """A rate lock, an FX receivable and a lot held in transit (title ledger + unit cost) of one owner."""
    from decimal import Decimal

    from aggregator.store.models.fx import FxLockRow, FxOpenItemRow, FxRevaluationRun
    from aggregator.store.models.matching import LotValueRow, TitleEventRow

    session.add_all([
        FxLockRow(owner_id=owner, lock_id=f"{tag}-LOCK", kind="forward", provider=f"{tag} bank", sell_currency="MYR",
                  buy_currency="CNY", rate_base="MYR", client_rate=Decimal("1.52"), notional_amount=Decimal("1000"),
                  notional_currency="MYR", tolerance=Decimal("0"), usage="multi_use", valid_from=T0,
                  valid_to=T0 + timedelta(days=30), used_amount=Decimal("0")),
        FxOpenItemRow(owner_id=owner, item_id=f"{tag}-ITEM", account="1200", original_amount=Decimal("9.00"),
                      original_currency="MYR", carrying_amount=Decimal("13.68"), book_currency="CNY",
                      carrying_rate=Decimal("1.52"), recognised_on=T0.date(), rate_source=f"{tag}-RATES"),
        TitleEventRow(event_id=f"{tag}-TE1", owner_id=owner, subject_kind="LOT", subject_key=f"{owner}|WH1|{tag}-LOT1",
                      seq=1, qty=5, kind="SHIPPED_ON_BOARD", effective_at=T0, title_holder=owner,
                      risk_bearer=owner, custodian=f"{tag} carrier", title_state="OWNER_IN_TRANSIT",
                      location_state="IN_TRANSIT_OCEAN", basis="INCOTERM", confidence="HIGH"),
        LotValueRow(owner_id=owner, lot_key=f"{owner}|WH1|{tag}-LOT1", unit_value=Decimal("2.50"), currency="CNY",
                    basis="INVOICE"),
        FxRevaluationRun(owner_id=owner, period="2026-11", book_currency="CNY", sequence=1, rounding="HALF_UP",
                         items_count=1, total_unrealized=Decimal("0.42"),
                         details=[{"item_id": f"{tag}-ITEM", "unrealized": "0.42"}]),
    ])


#: a value of ALPHA and one of BRAVO for every path parameter
PATH_VALUES = {
    "platform": ("shopee", "shopee"),
    "shop_id": ("ALPHA-SHOP", "BRAVO-SHOP"),
    "order_id": ("ALPHA-1", "BRAVO-1"),
    "statement_id": ("ALPHA-STMT", "BRAVO-STMT"),
    "owner_id": ("ALPHA", "BRAVO-CO"),
    "doc_number": ("ALPHA-BL1", "BRAVO-BL1"),
    "container_no": ("ALPHAU0000001", "BRAVOU0000001"),
    "warehouse_code": ("WH1", "WH1"),
    "asn_no": ("ALPHA-ASN1", "BRAVO-ASN1"),
    "country": ("MY", "MY"),
    "declaration_no": ("ALPHA-DECL1", "BRAVO-DECL1"),
    "lot_id": ("ALPHA-LOT1", "BRAVO-LOT1"),
    "lock_id": ("ALPHA-LOCK", "BRAVO-LOCK"),
    "exception_id": ("1", "2"),  # the parked records of build_world, ALPHA's first
}
#: BRAVO values for every query parameter ("ALPHA-OK" = a parameter that names nothing of an owner)
QUERY_VALUES = {
    "owner": ["BRAVO-CO"], "shop_id": ["BRAVO-SHOP"], "q": ["BRAVO-1", "TRK-BRAVO-1", "BRAVO-1-PKG", "BRAVO-1-L1",
                                             "BRAVOU0000001", "BRAVO-BL1", "BRAVO-DECL1", "BRAVO-ASN1", "BRAVO-LOT1",
                                             "SKU-BRAVO"],
    "sku": ["SKU-BRAVO"], "status": ["SHIPPED"], "platform": ["shopee"], "limit": ["500"],
    "ordered_from": ["2000-01-01T00:00:00Z"], "ordered_to": ["2100-01-01T00:00:00Z"],
    "updated_since": ["2000-01-01T00:00:00Z"], "cursor": [None], "stream": ["orders"], "after": ["0"],
    "follow": ["false"], "topics": [None], "kind": ["parked", "mapping_error"], "older_than": ["1s"],
    "newer_than": ["2w"],
    "check": ["balanced", "mismatch"], "issued_since": ["2000-01-01T00:00:00Z"],
    "issued_before": ["2100-01-01T00:00:00Z"], "offset": ["0"], "doc_type": ["BL"], "warehouse_code": ["WH1"],
    "country": ["MY"], "entity": ["orders"], "record": ["shopee|BRAVO-SHOP|BRAVO-1"],
    "at": ["2100-01-01T00:00:00Z"], "detail": ["true"], "details": ["true"],
    "stage": ["ON_THE_WATER", "IN_WAREHOUSE"], "from": ["2000-01-01T00:00:00Z"],
    "to": ["2000-03-01T00:00:00Z"], "step": ["month"], "base": ["MYR"], "quote": ["CNY"], "source": ["BRAVO-RATES"],
    "since": ["2000-01-01"], "until": ["2100-01-01"], "layout": ["csv", "xero"], "period": ["2026-11"],
    "format": ["csv"], "job": ["match-owners", "book-settlements"], "lead_days": ["10"],
    "shipment": ["BRAVO-CO|WH1|BRAVO-OUT1|1"],
}
#: parameters every call of an operation carries (a live stream is read in its catch-up form)
ALWAYS = {"/api/v1/events": {"follow": "false", "after": "0"},
          "/api/v1/audit": {"entity": "orders", "record": "shopee|ALPHA-SHOP|ALPHA-1"},
          "/api/v1/lookup": {"q": "ALPHA-BL1"},
          "/api/v1/title/position": {"at": "2100-01-01T00:00:00Z"},
          "/api/v1/title/holdings": {"at": "2100-01-01T00:00:00Z"},
          "/api/v1/title/series": {"from": "2026-01-01T00:00:00Z", "to": "2026-12-31T00:00:00Z", "step": "month"},
          "/api/v1/exports/journals": {"layout": "csv", "from": "2026-01-01", "to": "2026-12-31"},
          "/api/v1/exports/settlement": {"period": "2026-11", "format": "csv"},
          "/api/v1/analytics/demand": {"lead_days": "10"}}


@pytest.fixture
def walk(engine):
    keys = build_world(engine)
    client = TestClient(create_app(engine))
    client.headers["Authorization"] = f"Bearer {keys['viewer']}"
    return client


def operations(spec: dict):
    for path, ops in spec["paths"].items():
        if path.startswith("/api/v1/") and "get" in ops:
            yield path, ops["get"]


def fill(path: str, side: int) -> str:
    for name, values in PATH_VALUES.items():
        path = path.replace("{" + name + "}", values[side])
    assert "{" not in path, f"add the path parameters of {path} to PATH_VALUES"
    return path


def test_an_owner_viewer_sees_nothing_of_another_owner_anywhere(walk: TestClient) -> None:
    spec = walk.get("/api/openapi.json").json()
    walked = 0
    for template, operation in operations(spec):
        always = ALWAYS.get(template, {})
        mine = walk.get(fill(template, 0), params=always)
        assert mine.status_code == 200, (template, mine.text)
        assert LEAK not in mine.text, (template, mine.text)
        if "{" in template:
            theirs = walk.get(fill(template, 1), params=always)
            assert theirs.status_code == 404, (template, theirs.status_code)
        for param in operation.get("parameters", []):
            if param["in"] != "query":
                continue
            assert param["name"] in QUERY_VALUES, f"add query parameter {param['name']!r} of {template} to QUERY_VALUES"
            for value in QUERY_VALUES[param["name"]]:
                if value is None:
                    continue
                reply = walk.get(fill(template, 0), params={**always, param["name"]: value})
                walked += 1
                if reply.status_code == 200:
                    assert LEAK not in reply.text, (template, param["name"], value, reply.text)
                else:  # refused: 403 for another owner, 422 for a reference it may not name
                    assert reply.status_code in (403, 404, 422), (template, param["name"], value, reply.status_code)
                    assert reply.headers["content-type"] == "application/problem+json"
    assert walked > 20


def test_the_walk_sees_alpha_data_so_it_would_see_a_leak(walk: TestClient) -> None:
    body = walk.get("/api/v1/orders", params={"q": "TRK-ALPHA-1"}).json()
    assert [o["order_id"] for o in body["items"]] == ["ALPHA-1"] and body["count"] == 1
    events = walk.get("/api/v1/events", params={"follow": "false", "after": "0"}).text
    assert "ALPHA-0" in events and LEAK not in events
    assert walk.get("/api/v1/exceptions").json()["count"] == 1
    container = walk.get("/api/v1/containers/ALPHAU0000001").json()
    assert [d["doc_number"] for d in container["documents"]] == ["ALPHA-BL1"] and container["milestones"]
    audit = walk.get("/api/v1/audit", params={"entity": "orders", "record": "shopee|ALPHA-SHOP|ALPHA-1"}).json()
    assert audit["items"] and audit["items"][0]["action"] == "create"


def test_upstream_identifiers_find_the_orders_they_fed(walk: TestClient) -> None:
    for q in ("ALPHAU0000001", "ALPHA-BL1", "ALPHA-DECL1", "ALPHA-ASN1", "ALPHA-LOT1"):
        body = walk.get("/api/v1/orders", params={"q": q}).json()
        assert [o["order_id"] for o in body["items"]] == ["ALPHA-1"], (q, body)
    lot = walk.get("/api/v1/lots/ALPHA/WH1/ALPHA-LOT1").json()
    assert (lot["planned"], lot["shipped"], lot["in_receiving"]) == (5, 2, 0) and lot["received_good"] == 0
    assert [o["order_id"] for o in lot["orders"]] == ["ALPHA-1"]
    for path in ("/api/v1/containers/ALPHAU0000001/orders", "/api/v1/documents/ALPHA/ALPHA-BL1/orders",
                 "/api/v1/customs-entries/ALPHA/MY/ALPHA-DECL1/orders"):
        fed = walk.get(path).json()
        assert [(x["lot_id"], x["units_in"]) for x in fed["lots"]] == [("ALPHA-LOT1", 2)], (path, fed)
        assert [o["order_id"] for o in fed["orders"]["items"]] == ["ALPHA-1"], path
    assert [x["lot_id"] for x in walk.get("/api/v1/lots").json()["items"]] == ["ALPHA-LOT1"]


def test_the_walk_sees_alpha_money_and_title(walk: TestClient) -> None:
    position = walk.get("/api/v1/title/position", params={"at": "2100-01-01T00:00:00Z"}).json()
    total = next(r for r in position["rows"] if r["stage"] == "TOTAL")
    assert (total["owner_id"], total["qty"], total["value"], total["currency"]) == ("ALPHA", 5, "12.50", "CNY")
    assert [x["lock_id"] for x in walk.get("/api/v1/fx/locks").json()["items"]] == ["ALPHA-LOCK"]
    assert [x["item_id"] for x in walk.get("/api/v1/fx/receivables").json()["items"]] == ["ALPHA-ITEM"]
