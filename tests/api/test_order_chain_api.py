"""The order endpoint shows the whole chain once matching has run: from the marketplace order back to
the lot, receipt and customs, and forward to dispatch and delivery."""
from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.api.app import create_app
from aggregator.matching_service.queries import timeline
from aggregator.matching_service.service import run_match
from aggregator.sandbox_link import connect_sandbox, import_logistics_dir
from aggregator.store.models import OrderRow, ShopRow
from aggregator.store.vault import Vault
from aggregator.sync.marketplace import sync_shop
from platform_adapters.sandbox import running_sandbox
from platform_adapters.sandbox.logistics import write_logistics


def test_order_detail_carries_the_matched_chain(sqlite_engine, tmp_path: Path) -> None:
    vault = Vault(Fernet.generate_key())
    keys: dict[str, str] = {}
    with running_sandbox(seed=9, orders=40) as sandbox:
        connect_sandbox(sqlite_engine, vault, sandbox.base_url, keys)
        with Session(sqlite_engine) as session:
            shops = session.scalars(select(ShopRow)).all()
        for shop in shops:
            sync_shop(sqlite_engine, shop, vault, "orders")
        write_logistics(sandbox.state.world, sandbox.state.now, tmp_path / "files")
        import_logistics_dir(sqlite_engine, tmp_path / "files")
    run_match(sqlite_engine, full=True)
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
