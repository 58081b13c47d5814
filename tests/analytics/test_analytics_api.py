"""The analytics routes answer the same tables as the reports, for the caller's owner only."""
from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from aggregator.analytics.cash_cycle import cash_cycle
from aggregator.api.app import create_app
from aggregator.api.keys import create_key
from aggregator.store.db import session_scope


def test_reports_over_the_api_are_the_owners_own(analytics_world) -> None:
    owner, other = analytics_world.world.owners[0][0], analytics_world.world.owners[1][0]
    client = TestClient(create_app(analytics_world.engine))
    mine = {"Authorization": f"Bearer {analytics_world.keys[owner]}"}
    body = client.get("/api/v1/analytics/cash-cycle", headers=mine).json()
    assert body["owner_id"] == owner and list(body["tables"]) == ["distribution", "orders"]
    with Session(analytics_world.engine) as session:
        expected = cash_cycle(session, owner).tables["distribution"]
    table = body["tables"]["distribution"]
    assert table["columns"] == list(expected.columns) and len(table["rows"]) == len(expected)
    assert table["rows"][0][:3] == list(expected.iloc[0][:3])
    assert body["notes"][0].startswith(owner)
    for route in ("in-transit", "ageing", "demand", "collaboration", "resilience"):
        reply = client.get(f"/api/v1/analytics/{route}", headers=mine)
        assert reply.status_code == 200, (route, reply.text)
        assert other not in reply.text, route
    assert client.get("/api/v1/analytics/cash-cycle", headers=mine, params={"owner": other}).status_code == 403
    assert client.get("/api/v1/analytics/cash-cycle", headers=mine, params={"period": "2026-13"}).status_code == 422
    with session_scope(analytics_world.engine) as session:
        _, admin = create_key(session, role="admin", name="analytics test admin")
    staff = {"Authorization": f"Bearer {admin}"}
    unnamed = client.get("/api/v1/analytics/cash-cycle", headers=staff)
    assert unnamed.status_code == 422 and "?owner=" in unnamed.json()["detail"]
    named = client.get("/api/v1/analytics/cash-cycle", headers=staff, params={"owner": other}).json()
    assert named["owner_id"] == other
    assert client.get("/api/v1/analytics/cash-cycle").status_code == 401
