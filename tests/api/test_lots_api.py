"""Lots, the orders upstream records fed, and ``q`` by upstream identifiers, over a matched sandbox world:
the API's indexed answers equal what the matching engine derives from the owner's whole frames
(``open_lots`` for quantities, ``link_chains`` for which orders a container, bill, entry, ASN or lot fed)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.api.app import create_app
from aggregator.matching_service.queries import link_chains, open_quantities, valued_position_at
from aggregator.store.models.logistics import TransportDocumentRow
from tests.api.matched_world import matched_world


def _world(engine, tmp_path: Path) -> dict[str, str]:
    # returns synced too: units the marketplace says came back count on their lots
    return matched_world(engine, tmp_path, streams=("orders", "returns"))[0]


def _all(client: TestClient, path: str, headers: dict, **params) -> list[dict]:
    items, cursor = [], None
    while True:
        body = client.get(path, headers=headers, params={**params, "limit": 7, **({"cursor": cursor} if cursor else {})}
                          ).json()
        items += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            return items


def test_lots_orders_fed_and_upstream_search_agree_with_the_engine(sqlite_engine, tmp_path: Path) -> None:
    keys = _world(sqlite_engine, tmp_path)
    client = TestClient(create_app(sqlite_engine))
    owner = sorted(keys)[0]
    auth = {"Authorization": f"Bearer {keys[owner]}"}

    columns = ["planned", "received_good", "received_damaged", "in_receiving", "shipped", "returned", "written_off",
               "open"]
    came_back = 0
    for each in sorted(keys):  # every owner: some have units the marketplace says came back or were disposed of
        expected = open_quantities(sqlite_engine, "lots", each)
        want = {(r.warehouse_code, r.lot_id): tuple(int(getattr(r, c)) for c in columns)
                for r in expected.itertuples()}
        lots = _all(client, "/api/v1/lots", {"Authorization": f"Bearer {keys[each]}"})  # paged across pages
        assert want and {(x["warehouse_code"], x["lot_id"]): tuple(x[c] for c in columns) for x in lots} == want
        assert all(x["owner_id"] == each for x in lots)
        came_back += int(expected["returned"].sum()) + int(expected["written_off"].sum())
    assert came_back > 0
    lots = _all(client, "/api/v1/lots", auth)

    chains = link_chains(sqlite_engine, owner)
    fed: dict[tuple[str, str], set[str]] = {}
    for row in chains.itertuples():
        for kind in ("container_no", "transport_document_no", "customs_declaration_no", "asn_no", "lot_id"):
            value = getattr(row, kind)
            if isinstance(value, str) and value:
                fed.setdefault((kind, value), set()).add(row.order_id)
    assert {kind for kind, _ in fed} == {"container_no", "transport_document_no", "customs_declaration_no",
                                         "asn_no", "lot_id"}
    for (kind, value), orders in sorted(fed.items())[:40]:
        found = {o["order_id"] for o in _all(client, "/api/v1/orders", auth, q=value)}
        assert orders <= found, (kind, value)

    one_lot = lots[0]
    detail = client.get(f"/api/v1/lots/{owner}/{one_lot['warehouse_code']}/{one_lot['lot_id']}", headers=auth).json()
    assert {o["order_id"] for o in detail["orders"]} == {r.order_id for r in chains.itertuples()
                                                         if r.lot_id == one_lot["lot_id"]
                                                         and r.warehouse_code == one_lot["warehouse_code"]}
    container, its_orders = next((v, o) for (k, v), o in sorted(fed.items()) if k == "container_no")
    body = client.get(f"/api/v1/containers/{container}/orders", headers=auth).json()
    assert {o["order_id"] for o in body["orders"]["items"]} >= its_orders and body["lots"]
    with Session(sqlite_engine) as session:
        bill = session.scalars(select(TransportDocumentRow.doc_number).where(
            TransportDocumentRow.owner_id == owner, TransportDocumentRow.doc_number.in_(
                [v for k, v in fed if k == "transport_document_no"]))).first()
    body = client.get(f"/api/v1/documents/{owner}/{bill}/orders", headers=auth).json()
    assert {o["order_id"] for o in body["orders"]["items"]} >= fed[("transport_document_no", bill)]
    typed = f" {bill[:4].lower()}-{bill[4:]} "  # as a person types it: case, a dash, spaces
    assert {o["order_id"] for o in _all(client, "/api/v1/orders", auth, q=typed)} >= fed[("transport_document_no", bill)]

    other = next(k for o, k in keys.items() if o != owner)
    assert client.get(f"/api/v1/lots/{owner}/{one_lot['warehouse_code']}/{one_lot['lot_id']}",
                      headers={"Authorization": f"Bearer {other}"}).status_code == 404

    now = datetime.now(timezone.utc).replace(microsecond=0)
    position = client.get("/api/v1/title/position", params={"at": now.isoformat()}, headers=auth).json()
    frame = valued_position_at(sqlite_engine, pd.Timestamp(now), owner)
    assert position["rows"] and [(r["stage"], r["title_holder"], r["qty"], r["value"], r["currency"])
                                 for r in position["rows"]] == [
        (r.stage, r.title_holder, int(r.qty), format(r.value, "f"), r.currency) for r in frame.itertuples()]
    series = client.get("/api/v1/title/series", headers=auth, params={
        "from": (now - timedelta(days=65)).isoformat(), "to": now.isoformat(), "step": "month"}).json()
    assert [p["at"] for p in series["points"]][-1] <= now.isoformat().replace("+00:00", "Z")
    assert len(series["points"]) == 3 and series["points"][-1]["rows"]
    too_long = client.get("/api/v1/title/series", headers=auth, params={
        "from": "2000-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z", "step": "day"})
    assert too_long.status_code == 422
