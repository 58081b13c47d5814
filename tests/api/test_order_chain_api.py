"""The order endpoint shows the whole chain once matching has run: from the marketplace order back to
the lot, receipt and customs, and forward to dispatch and delivery."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.api.app import create_app
from aggregator.matching_service.queries import load_ledger, timeline
from aggregator.store.models import OrderRow
from aggregator.store.models.returns import ReturnRow
from matching.title import title_position
from platform_adapters.sandbox.truth import write_off_truth
from platform_adapters.sandbox.world import World
from tests.api.matched_world import matched_world
from tests.world_anchor import anchor_where


def test_order_detail_carries_the_matched_chain(sqlite_engine, tmp_path: Path) -> None:
    keys, _ = matched_world(sqlite_engine, tmp_path, streams=("orders",))
    with Session(sqlite_engine) as session:
        order = session.scalars(select(OrderRow).where(OrderRow.status.in_(["DELIVERED", "COMPLETED"]))
                                .order_by(OrderRow.id)).first()
    client = TestClient(create_app(sqlite_engine))
    body = client.get(f"/api/v1/orders/{order.platform}/{order.shop_id}/{order.order_id}",
                      headers={"Authorization": f"Bearer {keys[order.owner_id]}"}).json()
    steps = [s["step"] for s in body["timeline"]]
    assert {"ordered", "lot", "received", "dispatched", "delivered"} <= set(steps), steps
    assert steps.index("received") < steps.index("dispatched") < steps.index("delivered")
    engine_view = timeline(sqlite_engine, platform=order.platform, shop_id=order.shop_id, order_id=order.order_id,
                           owner_id=order.owner_id)  # the matching engine's whole-frame timeline: same facts
    # (the engine repeats dispatch and delivery once per outbound line; the API tells each once)
    assert {(s["step"], s["at"]) for s in body["timeline"]} == {
        (r.step, r.at.isoformat().replace("+00:00", "Z")) for r in engine_view.itertuples()}
    assert len([s for s in body["timeline"] if s["step"] == "dispatched"]) == 1
    assert body["chain"] and all(link["lot_id"] and link["asn_no"] for link in body["chain"])
    other = next(k for owner, k in keys.items() if owner != order.owner_id)
    assert client.get(f"/api/v1/orders/{order.platform}/{order.shop_id}/{order.order_id}",
                      headers={"Authorization": f"Bearer {other}"}).status_code == 404


def _one_write_off(world: World, anchor: int) -> bool:
    return len(write_off_truth(world, anchor)) == 1


def test_a_scrapped_return_writes_the_goods_off_on_the_chain_and_in_the_title(sqlite_engine, tmp_path: Path) -> None:
    """Seed 9's world (at an anchor that has one) has a Shopee return whose goods the platform's warehouse scrapped: the order's timeline
    shows the write-off, the lot's title events end that allocation's units with a WRITTEN_OFF event (units
    and time from the return), and the position from the stored ledger (matching's incremental title store,
    warehouse partition by partition) no longer counts them."""
    anchor = anchor_where(_one_write_off, "one scrapped return", seed=9, orders=40)
    keys, state = matched_world(sqlite_engine, tmp_path, anchor=anchor)
    [scrapped] = write_off_truth(state.world, state.now)
    now = datetime.fromtimestamp(state.now, timezone.utc)
    with Session(sqlite_engine) as session:
        order = session.scalars(select(OrderRow).where(OrderRow.order_id == scrapped["order_id"])).one()
        returned = session.scalars(select(ReturnRow).where(ReturnRow.order_id == order.order_id,
                                                           ReturnRow.disposition == "SCRAP")).one()
    client = TestClient(create_app(sqlite_engine))
    client.headers["Authorization"] = f"Bearer {keys[order.owner_id]}"
    body = client.get(f"/api/v1/orders/{order.platform}/{order.shop_id}/{order.order_id}").json()
    written = [s for s in body["timeline"] if s["step"] == "written_off"]
    assert [(s["record"], s["detail"].split(" ")[0]) for s in written] == [
        (f"return {returned.return_id}", str(scrapped["qty"]))]
    assert written[0]["at"] == returned.source_updated_at.isoformat().replace("+00:00", "Z")
    link = next(c for c in body["chain"] if c["lot_id"] == scrapped["lot_id"])
    events = client.get(f"/api/v1/title/lots/{order.owner_id}/{link['warehouse_code']}/{link['lot_id']}/events",
                        params={"shipment": link["shipment_line_key"]}).json()
    assert [e["subject_kind"] for e in events][-1] == "WRITE_OFF"  # the lot's, its allocation's, then this
    off = events[-1]
    assert (off["kind"], off["qty"], off["title_holder"], off["title_state"], off["location_state"]) == (
        "WRITTEN_OFF", scrapped["qty"], order.owner_id, "WRITTEN_OFF", "DISPOSED")
    assert off["stage"] == "WRITTEN_OFF"  # its own stage, not OTHER
    assert off["effective_at"] == written[0]["at"]
    with Session(sqlite_engine) as session:
        ledger, _ = load_ledger(session, order.owner_id)
    held = title_position(ledger, now)["qty"].sum()
    unwritten = title_position(ledger[ledger["kind"] != "WRITTEN_OFF"], now)["qty"].sum()
    assert held == unwritten - scrapped["qty"]
    offs = ledger[ledger["subject_kind"] == "WRITE_OFF"]  # one subject: the allocation to this shipment line
    assert [key.split(">")[0] for key in offs["parent_key"]] == [link["shipment_line_key"]]
