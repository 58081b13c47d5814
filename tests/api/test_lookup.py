"""Search anything (GET /api/v1/lookup): each kind of identifier finds its record with the key its own
route reads it by; a house bill is found by its master's number; nothing found is an empty answer; an
owner-viewer finds only its owner's records (the isolation walk covers every parameter)."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from aggregator.api.app import create_app
from aggregator.api.keys import create_key
from aggregator.store.db import session_scope
from aggregator.store.models.logistics import TransportDocumentRow
from aggregator.store.models.warehouse import WarehouseShipmentLineRow, WarehouseShipmentRow
from tests.api.test_owner_isolation_walk import build_world


@pytest.fixture
def client(engine):
    keys = build_world(engine)
    with session_scope(engine) as session:
        session.add(TransportDocumentRow(owner_id="ALPHA", doc_number="ALPHA-HBL7", doc_type="BL", mode="SEA",
                                         doc_level="HOUSE", master_doc_number="ALPHA-BL1", content_hash="x"))
        shipment = WarehouseShipmentRow(owner_id="ALPHA", warehouse_code="WH2", wms_outbound_no="OUT-1", content_hash="x")
        session.add(shipment)
        session.flush()
        session.add(WarehouseShipmentLineRow(shipment_pk=shipment.id, line_no=1, sku="SKU-ALPHA", quantity=1,
                                             lot_id="ALPHA-LOT-OUT"))
        keys["admin"] = create_key(session, role="admin")[1]
    c = TestClient(create_app(engine))
    c.keys = keys
    return c


def hits(client: TestClient, q: str, who: str = "admin") -> list[tuple]:
    reply = client.get("/api/v1/lookup", params={"q": q}, headers={"Authorization": f"Bearer {client.keys[who]}"})
    assert reply.status_code == 200, reply.text
    return [(h["kind"], h["owner_id"], tuple(h["key"])) for h in reply.json()["hits"]]


def test_every_kind_of_identifier_finds_its_record(client: TestClient) -> None:
    assert hits(client, "ALPHAU0000001") == [("container", None, ("ALPHAU0000001",))]
    assert hits(client, "alphau0000001") == [("container", None, ("ALPHAU0000001",))]  # typed in lower case
    assert hits(client, "ALPHA-BL1") == [("transport_document", "ALPHA", ("ALPHA", "ALPHA-BL1")),
                                         ("transport_document", "ALPHA", ("ALPHA", "ALPHA-HBL7"))]
    assert hits(client, "ALPHA-DECL1") == [("customs_entry", "ALPHA", ("ALPHA", "MY", "ALPHA-DECL1"))]
    assert hits(client, "ALPHA-ASN1") == [("receipt", "ALPHA", ("ALPHA", "WH1", "ALPHA-ASN1"))]
    assert hits(client, "ALPHA-LOT1") == [("lot", "ALPHA", ("ALPHA", "WH1", "ALPHA-LOT1"))]
    assert hits(client, "ALPHA-LOT-OUT") == [("lot", "ALPHA", ("ALPHA", "WH2", "ALPHA-LOT-OUT"))]  # seen leaving only
    assert hits(client, "SKU-ALPHA") == [("sku", "ALPHA", ("ALPHA", "SKU-ALPHA"))]
    assert hits(client, "  BRAVO-BL1 ") == [("transport_document", "BRAVO-CO", ("BRAVO-CO", "BRAVO-BL1"))]
    assert hits(client, "NOTHING-CARRIES-THIS") == []


def test_an_owner_viewer_finds_only_its_own(client: TestClient) -> None:
    assert hits(client, "BRAVO-BL1", "viewer") == []
    assert hits(client, "BRAVOU0000001", "viewer") == []
    assert hits(client, "ALPHA-LOT1", "viewer") == [("lot", "ALPHA", ("ALPHA", "WH1", "ALPHA-LOT1"))]


def test_a_missing_or_blank_identifier_is_refused_or_empty(client: TestClient) -> None:
    auth = {"Authorization": f"Bearer {client.keys['admin']}"}
    assert client.get("/api/v1/lookup", headers=auth).status_code == 422
    assert client.get("/api/v1/lookup", params={"q": "   "}, headers=auth).json() == {"hits": []}
