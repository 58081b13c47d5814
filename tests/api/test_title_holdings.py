"""The lots behind the title position (GET /api/v1/title/holdings): each lot an owner's goods sit in at an
instant with its stage, holder, states and unit cost; a stage filter; rows that add up to the position;
another owner's lots never shown."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from aggregator.api.app import create_app
from tests.api.test_owner_isolation_walk import build_world

AT = "2100-01-01T00:00:00Z"


@pytest.fixture
def viewer(engine) -> TestClient:
    keys = build_world(engine)
    client = TestClient(create_app(engine))
    client.headers["Authorization"] = f"Bearer {keys['viewer']}"
    return client


def test_the_lots_behind_a_stage_add_up_to_the_position(viewer: TestClient) -> None:
    answer = viewer.get("/api/v1/title/holdings", params={"at": AT, "stage": "ON_THE_WATER"}).json()
    assert [(h["owner_id"], h["lot_id"], h["warehouse_code"], h["qty"], h["stage"], h["title_holder"],
             h["location_state"], h["unit_value"], h["currency"]) for h in answer["items"]] == [
        ("ALPHA", "ALPHA-LOT1", "WH1", 5, "ON_THE_WATER", "ALPHA", "IN_TRANSIT_OCEAN", "2.50", "CNY")]
    assert answer["truncated"] is False
    position = viewer.get("/api/v1/title/position", params={"at": AT}).json()["rows"]
    on_water = [r for r in position if r["stage"] == "ON_THE_WATER"]
    assert sum(r["qty"] for r in on_water) == sum(h["qty"] for h in answer["items"])
    assert viewer.get("/api/v1/title/holdings", params={"at": AT, "stage": "IN_WAREHOUSE"}).json()["items"] == []


def test_bad_instants_and_stages_are_refused(viewer: TestClient) -> None:
    assert viewer.get("/api/v1/title/holdings", params={"at": "2100-01-01T00:00:00"}).status_code == 422
    assert viewer.get("/api/v1/title/holdings", params={"at": AT, "stage": "ON_THE_MOON"}).status_code == 422
    assert viewer.get("/api/v1/title/holdings", params={"at": "1900-01-01T00:00:00Z"}).status_code == 422


def test_a_lots_title_events_in_order(viewer: TestClient) -> None:
    events = viewer.get("/api/v1/title/lots/ALPHA/WH1/ALPHA-LOT1/events").json()
    assert [(e["kind"], e["title_holder"], e["risk_bearer"], e["custodian"], e["stage"]) for e in events] == [
        ("SHIPPED_ON_BOARD", "ALPHA", "ALPHA", "ALPHA carrier", "ON_THE_WATER")]
    assert viewer.get("/api/v1/title/lots/BRAVO-CO/WH1/BRAVO-LOT1/events").status_code == 404
    assert viewer.get("/api/v1/title/lots/ALPHA/WH1/NO-SUCH-LOT/events").status_code == 404
