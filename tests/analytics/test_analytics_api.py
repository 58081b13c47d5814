"""The analytics routes answer the same tables as the reports, for the caller's owner only."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from aggregator.analytics.cash_cycle import cash_cycle
from aggregator.analytics.collaboration_report import collaboration
from aggregator.analytics.demand_report import demand
from aggregator.analytics.expiry_report import expiry
from aggregator.analytics.resilience_report import resilience
from aggregator.analytics.stock_ageing import ageing
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
    at = datetime.fromtimestamp(analytics_world.now, UTC).isoformat()  # the world's now, not the wall clock
    for route in ("in-transit", "ageing", "demand", "collaboration", "resilience"):
        reply = client.get(f"/api/v1/analytics/{route}", headers=mine, params={"at": at})
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


AS_OF = {"ageing": ageing, "expiry": expiry, "demand": demand, "collaboration": collaboration,
         "resilience": resilience}


def _client(analytics_world) -> tuple[TestClient, dict[str, str], str]:
    owner = analytics_world.world.owners[0][0]
    return (TestClient(create_app(analytics_world.engine)),
            {"Authorization": f"Bearer {analytics_world.keys[owner]}"}, owner)


@pytest.mark.parametrize("route", sorted(AS_OF))
def test_a_report_over_the_api_is_as_of_at(analytics_world, route: str) -> None:
    """``?at=`` is the report's now, as ``aggregator report … --at``: the same tables as the library's report
    at that instant (given in +08:00, the same instant in UTC); 40 days back the resilience month follows it."""
    client, mine, owner = _client(analytics_world)
    now = datetime.fromtimestamp(analytics_world.now, UTC)
    for when in (now, now - timedelta(days=40)):
        reply = client.get(f"/api/v1/analytics/{route}", headers=mine,
                           params={"at": when.astimezone(timezone(timedelta(hours=8))).isoformat()})
        assert reply.status_code == 200, reply.text
        with Session(analytics_world.engine) as session:
            report = AS_OF[route](session, owner, now=when)
        body = reply.json()
        assert body["notes"] == report.notes and list(body["tables"]) == list(report.tables)
        for name, frame in report.tables.items():
            assert body["tables"][name]["columns"] == [str(c) for c in frame.columns], (route, name)
            assert len(body["tables"][name]["rows"]) == len(frame), (route, name)
        if route == "resilience":
            history = body["tables"]["history"]
            assert history["rows"][-1][history["columns"].index("month")] == when.strftime("%Y-%m")


@pytest.mark.parametrize("route", ["in-transit", *sorted(AS_OF)])
@pytest.mark.parametrize(("at", "says"), [
    ("2026-10-01T00:00:00", "needs a time zone"),
    ("0001-01-01T00:00:00+14:00", "out of range"),
    ("9999-12-31T23:59:59-14:00", "out of range"),
    ("1st of October", None),
])
def test_a_bad_at_is_refused(analytics_world, route: str, at: str, says: str | None) -> None:
    client, mine, _ = _client(analytics_world)
    reply = client.get(f"/api/v1/analytics/{route}", headers=mine, params={"at": at})
    assert reply.status_code == 422, reply.text
    if says is not None:
        assert says in reply.json()["detail"]
