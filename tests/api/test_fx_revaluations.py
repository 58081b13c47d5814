"""Revaluation runs over the API: the caller's owner's runs newest first with the exact unrealized
total, each item's figures on request, a period filter; another owner's runs never listed."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from aggregator.api.app import create_app
from tests.api.test_owner_isolation_walk import build_world


@pytest.fixture
def viewer(engine) -> TestClient:
    keys = build_world(engine)
    client = TestClient(create_app(engine))
    client.headers["Authorization"] = f"Bearer {keys['viewer']}"
    return client


def test_an_owners_revaluation_runs(viewer: TestClient) -> None:
    page = viewer.get("/api/v1/fx/revaluations").json()
    assert [(r["owner_id"], r["period"], r["book_currency"], r["sequence"], r["items_count"], r["total_unrealized"],
             r["details"]) for r in page["items"]] == [("ALPHA", "2026-11", "CNY", 1, 1, "0.42", None)]
    detailed = viewer.get("/api/v1/fx/revaluations", params={"details": "true"}).json()["items"][0]
    assert detailed["details"] == [{"item_id": "ALPHA-ITEM", "unrealized": "0.42"}]
    assert viewer.get("/api/v1/fx/revaluations", params={"period": "2026-10"}).json()["items"] == []
    assert viewer.get("/api/v1/fx/revaluations", params={"period": "Nov 2026"}).status_code == 422
