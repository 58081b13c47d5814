"""Settlement routes: a key is required, an owner sees only its own statements and verdicts (another
owner's statement is a 404), amounts are exact strings, bad filters are 422s."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from aggregator.settlement.service import reconcile_owner
from aggregator.store.db import session_scope
from aggregator.store.models import SettlementLineRow
from aggregator.store.models.settlement import StatementRow
from tests.api.conftest import World

AT = datetime(2026, 10, 20, tzinfo=timezone.utc)


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _seed(engine) -> None:
    with session_scope(engine) as session:
        for owner, shop, statement, amount in (("BRAND-A", "111", "escrow-2026-10-20", "76.80"),
                                               ("BRAND-B", "222", "escrow-2026-10-20", "5.00")):
            session.add(StatementRow(owner_id=owner, platform="shopee", shop_id=shop, statement_id=statement,
                                     currency="MYR", issued_at=AT, declared_total=Decimal(amount), breakdown={},
                                     source_updated_at=AT, content_hash=owner))
            session.add(SettlementLineRow(owner_id=owner, platform="shopee", shop_id=shop, statement_id=statement,
                                          transaction_id=f"{owner}:1", kind="REVENUE", amount=Decimal(amount),
                                          currency="MYR", occurred_at=AT, order_id="A0" if owner == "BRAND-A" else "B0",
                                          content_hash=owner, raw_kind="original_cost_of_goods_sold"))
        session.flush()
        reconcile_owner(session, "BRAND-A", now=AT)
        reconcile_owner(session, "BRAND-B", now=AT)


@pytest.mark.parametrize("path", ["/api/v1/settlements/statements", "/api/v1/settlements/orders",
                                  "/api/v1/settlements/statements/shopee/111/escrow-2026-10-20"])
def test_settlement_routes_need_a_key(world: World, path: str) -> None:
    assert world.client.get(path).status_code == 401


def test_an_owner_sees_only_its_statements_and_verdicts(world: World, engine) -> None:
    _seed(engine)
    page = world.client.get("/api/v1/settlements/statements", headers=auth(world.key_a)).json()
    assert [s["statement"] for s in page["items"]] == ["shopee:111:escrow-2026-10-20"]
    assert page["items"][0]["declared_total"] == "76.80" and page["items"][0]["check"] == "balanced"
    one = world.client.get("/api/v1/settlements/statements/shopee/111/escrow-2026-10-20", headers=auth(world.key_a))
    assert one.status_code == 200 and one.json()["by_category"] == {"REVENUE": "76.80"}
    assert world.client.get("/api/v1/settlements/statements/shopee/222/escrow-2026-10-20",
                            headers=auth(world.key_a)).status_code == 404
    verdicts = world.client.get("/api/v1/settlements/orders", headers=auth(world.key_b)).json()
    assert {v["order_id"] for v in verdicts["items"]} == {"B0"} and sum(verdicts["counts"].values()) == 1
    assert world.client.get("/api/v1/settlements/orders?status=bogus", headers=auth(world.key_a)).status_code == 422
    assert world.client.get("/api/v1/settlements/statements?platform=ebay", headers=auth(world.key_a)).status_code == 422
    assert world.client.get("/api/v1/settlements/statements?issued_since=2026-10-01T00:00:00",
                            headers=auth(world.key_a)).status_code == 422
