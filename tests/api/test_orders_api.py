"""REST API: every route needs a key and sees only its owner's data; amounts are exact strings."""
from __future__ import annotations

import pytest

from tests.api.conftest import OPERATOR_KEY, World


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.parametrize("path", ["/api/v1/orders", "/api/v1/orders/shopee/111/A0", "/api/v1/shops",
                                  "/api/v1/runs", "/api/v1/exceptions"])
def test_every_route_refuses_a_missing_or_wrong_key(world: World, path: str) -> None:
    assert world.client.get(path).status_code == 401
    assert world.client.get(path, headers=auth("agk_not-a-key")).status_code == 401


def test_an_owner_sees_only_its_own_orders(world: World) -> None:
    page = world.client.get("/api/v1/orders", headers=auth(world.key_a)).json()
    assert page["count"] == 3 and page["count_exact"] and {o["order_id"] for o in page["items"]} == {"A0", "A1", "A2"}
    other = world.client.get("/api/v1/orders", headers=auth(world.key_b)).json()
    assert [o["order_id"] for o in other["items"]] == ["B0"]
    assert world.client.get("/api/v1/orders/shopee/222/B0", headers=auth(world.key_a)).status_code == 404
    assert world.client.get("/api/v1/orders?owner=BRAND-B", headers=auth(world.key_a)).status_code == 403
    shops = world.client.get("/api/v1/shops", headers=auth(world.key_b)).json()
    assert [s["shop_id"] for s in shops] == ["222"]


def test_an_unscoped_staff_key_counts_every_owners_rows(world: World) -> None:
    page = world.client.get("/api/v1/orders?limit=2", headers=auth(OPERATOR_KEY)).json()
    assert page["count"] == 4 and page["count_exact"] and len(page["items"]) == 2 and page["next_cursor"]
    runs = world.client.get("/api/v1/runs", headers=auth(OPERATOR_KEY)).json()
    assert runs["count"] == len(runs["items"])


def test_order_detail_has_exact_amounts_lines_and_timeline(world: World) -> None:
    body = world.client.get("/api/v1/orders/shopee/222/B0", headers=auth(world.key_b)).json()
    assert body["total_amount"] == "7.10" and body["currency"] == "MYR"
    assert body["lines"][0]["unit_price"] == "7.10" and body["lines"][0]["seller_sku"] == "LMN-EB-BT53-BLK"
    assert [s["step"] for s in body["timeline"]][0] == "ordered"
    assert body["source_updated_at"].endswith(("Z", "+00:00"))


def test_filters_and_paging(world: World) -> None:
    shipped = world.client.get("/api/v1/orders?status=SHIPPED", headers=auth(world.key_a)).json()
    assert {o["order_id"] for o in shipped["items"]} == {"A1", "A2"}
    first = world.client.get("/api/v1/orders?limit=1", headers=auth(world.key_a)).json()
    assert first["count"] == 3 and [o["order_id"] for o in first["items"]] == ["A2"]  # newest update first
    second = world.client.get(f"/api/v1/orders?limit=1&cursor={first['next_cursor']}", headers=auth(world.key_a))
    assert [o["order_id"] for o in second.json()["items"]] == ["A1"]
    assert world.client.get("/api/v1/orders?q=A1", headers=auth(world.key_a)).json()["count"] == 1
    assert world.client.get("/api/v1/orders?limit=0", headers=auth(world.key_a)).status_code == 422
    naive = world.client.get("/api/v1/orders?updated_since=2026-11-01T00:00:00", headers=auth(world.key_a))
    assert naive.status_code == 422


def test_operator_key_sees_every_owner_or_the_one_it_names(world: World) -> None:
    every = world.client.get("/api/v1/orders", headers=auth(OPERATOR_KEY)).json()
    assert {o["owner_id"] for o in every["items"]} == {"BRAND-A", "BRAND-B"}
    page = world.client.get("/api/v1/orders?owner=BRAND-B", headers=auth(OPERATOR_KEY)).json()
    assert [o["order_id"] for o in page["items"]] == ["B0"]
    unknown = world.client.get("/api/v1/orders?owner=NOBODY", headers=auth(OPERATOR_KEY))
    assert unknown.status_code == 422 and "NOBODY" in unknown.json()["detail"]


def test_openapi_lists_the_routes(world: World) -> None:
    spec = world.client.get("/api/openapi.json").json()
    assert {"/api/v1/orders", "/api/v1/orders/{platform}/{shop_id}/{order_id}", "/api/v1/shops"} <= set(spec["paths"])
    assert world.client.get("/healthz").json()["status"] == "ok"


def test_reads_do_not_wait_for_a_writer_on_sqlite(sqlite_engine) -> None:
    from fastapi.testclient import TestClient

    from aggregator.api.app import create_app
    from tests.api.conftest import seed

    key_a, _ = seed(sqlite_engine)
    client = TestClient(create_app(sqlite_engine))
    with sqlite_engine.connect() as writer:
        writer.begin()  # BEGIN IMMEDIATE: this connection now holds SQLite's write lock
        writer.exec_driver_sql("UPDATE orders SET raw_status = raw_status")
        reply = client.get("/api/v1/orders", headers=auth(key_a))  # a deferred read runs beside it
        assert reply.status_code == 200 and reply.json()["count"] == 3
        writer.rollback()
