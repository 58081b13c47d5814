"""The API's edge (issue 11's API input part): problem+json for every error, bounded integers, control
characters and non-UTF-8 refused, unknown filter values refused, keys never taken from a query string,
ETags, and /api/docs working offline."""
from __future__ import annotations

import logging

import pytest

from tests.api.conftest import World


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def problem(reply, status: int) -> dict:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"] == "application/problem+json"
    body = reply.json()
    assert body["status"] == status and body["title"] and body["type"] == "about:blank"
    return body


@pytest.mark.parametrize("url", [
    "/api/v1/orders?q=A%001", "/api/v1/orders?shop_id=11%0A1", "/api/v1/orders/shopee/111/A%000",
    "/api/v1/orders?q=%FF%FE", "/api/v1/orders?q=%C2%85", "/api/v1/orders/shopee/1%1B1/A0",
])
def test_control_characters_and_bad_utf8_are_422(world: World, url: str) -> None:
    problem(world.client.get(url, headers=auth(world.key_a)), 422)


@pytest.mark.parametrize("url", [
    "/api/v1/orders?limit=9223372036854775808", "/api/v1/orders?limit=-1", "/api/v1/orders?limit=501",
    "/api/v1/orders?status=FOO", "/api/v1/orders?platform=amazon", "/api/v1/orders?shop_id=999",
    "/api/v1/orders?cursor=garbage", "/api/v1/orders?updated_since=2026-11-01T00:00:00",
    "/api/v1/orders?updated_since=99999-01-01T00:00:00Z", "/api/v1/runs?status=sleeping",
    "/api/v1/orders?q=" + "x" * 201,
    # free-text filters that name nothing stored: refused, not an empty page that reads as "nothing there"
    "/api/v1/runs?shop_id=999", "/api/v1/documents?doc_type=BOGUS", "/api/v1/fx/rates?source=BOGUS",
    "/api/v1/audit?entity=bogus&record=1",
    # a period of Arabic-Indic digits ('٢٠٢٦-١٠'): a regex's \d takes them, the period is ASCII digits only
    "/api/v1/exports/settlement?format=csv&period=%D9%A2%D9%A0%D9%A2%D9%A6-%D9%A1%D9%A0", "/api/v1/fx/revaluations?period=%D9%A2%D9%A0%D9%A2%D9%A6-%D9%A1%D9%A0",
    "/api/v1/analytics/ageing?period=%D9%A2%D9%A0%D9%A2%D9%A6-%D9%A1%D9%A0",
])
def test_out_of_range_and_unknown_filter_values_are_422(world: World, url: str) -> None:
    body = problem(world.client.get(url, headers=auth(world.key_a)), 422)
    assert body["detail"]


def test_validation_problems_list_each_refused_input(world: World) -> None:
    body = problem(world.client.get("/api/v1/orders?limit=0&status=FOO", headers=auth(world.key_a)), 422)
    assert {tuple(e["loc"]) for e in body["errors"]} == {("query", "limit"), ("query", "status")}


def test_a_cursor_is_bound_to_its_filters(world: World) -> None:
    first = world.client.get("/api/v1/orders?limit=1", headers=auth(world.key_a)).json()
    other = world.client.get(f"/api/v1/orders?limit=1&status=SHIPPED&cursor={first['next_cursor']}",
                             headers=auth(world.key_a))
    problem(other, 422)


@pytest.mark.parametrize("name", ["key", "api_key", "token", "access_token", "API_KEY"])
def test_keys_in_the_query_string_are_refused_and_not_logged(world: World, name: str, caplog) -> None:
    from aggregator.logging_setup import RedactingFilter

    reply = world.client.get(f"/api/v1/orders?{name}={world.key_a}")
    assert "Authorization" in problem(reply, 400)["detail"]
    record = logging.LogRecord("uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5", "GET", f"/api/v1/orders?{name}={world.key_a}", "1.1", 400), None)
    RedactingFilter().filter(record)
    assert world.key_a not in record.getMessage()


def test_missing_and_not_found_are_problems(world: World) -> None:
    problem(world.client.get("/api/v1/orders"), 401)
    problem(world.client.get("/api/v1/orders/shopee/222/B0", headers=auth(world.key_a)), 404)
    problem(world.client.get("/api/v1/orders?owner=BRAND-B", headers=auth(world.key_a)), 403)


def test_order_detail_has_an_etag(world: World) -> None:
    first = world.client.get("/api/v1/orders/shopee/111/A0", headers=auth(world.key_a))
    etag = first.headers["etag"]
    assert first.status_code == 200 and etag.startswith('"') and "private" in first.headers["cache-control"]
    again = world.client.get("/api/v1/orders/shopee/111/A0", headers={**auth(world.key_a), "If-None-Match": etag})
    assert again.status_code == 304 and not again.content
    other = world.client.get("/api/v1/orders/shopee/111/A1", headers={**auth(world.key_a), "If-None-Match": etag})
    assert other.status_code == 200


def test_openapi_documents_problems_on_every_route(world: World) -> None:
    spec = world.client.get("/api/openapi.json").json()
    assert spec["components"]["schemas"]["Problem"]["properties"]["status"]
    for path, operations in spec["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            for status in ("401", "403", "404", "422"):
                content = operation["responses"][status]["content"]
                assert content == {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}, \
                    (method, path, status)


def test_docs_page_works_offline(world: World) -> None:
    page = world.client.get("/api/docs")
    assert page.status_code == 200
    assert "/api/docs/assets/swagger-ui-bundle.js" in page.text and "cdn" not in page.text.lower()
    script = world.client.get("/api/docs/assets/swagger-ui-bundle.js")
    assert script.status_code == 200 and len(script.content) > 500_000
    assert world.client.get("/api/docs/assets/swagger-ui.css").status_code == 200
