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


def _seed_many(engine, n: int) -> None:
    """``n`` statements of BRAND-A on shop 111, one a day, each paying one order (A0, A1, … and unknowns)."""
    from datetime import timedelta

    with session_scope(engine) as session:
        for i in range(n):
            at = AT + timedelta(days=i)
            statement = f"escrow-{at.date()}"
            session.add(StatementRow(owner_id="BRAND-A", platform="shopee", shop_id="111", statement_id=statement,
                                     currency="MYR", issued_at=at, declared_total=Decimal("10.00"), breakdown={},
                                     source_updated_at=at, content_hash=statement))
            session.add(SettlementLineRow(owner_id="BRAND-A", platform="shopee", shop_id="111", statement_id=statement,
                                          transaction_id=f"T{i}", kind="REVENUE", amount=Decimal("10.00"),
                                          currency="MYR", occurred_at=at, order_id=f"A{i}", content_hash=statement,
                                          raw_kind="original_cost_of_goods_sold"))
        session.flush()
        reconcile_owner(session, "BRAND-A", now=AT + timedelta(days=n))


def _walk(world: World, path: str, key: str) -> tuple[list[dict], list[dict]]:
    pages, items, cursor = [], [], None
    while True:
        url = path + ("&" if "?" in path else "?") + "limit=3" + (f"&cursor={cursor}" if cursor else "")
        response = world.client.get(url, headers=auth(key))
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page)
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages, items


def test_statement_and_verdict_lists_page_by_keyset_newest_first(world: World, engine) -> None:
    _seed_many(engine, 8)
    pages, items = _walk(world, "/api/v1/settlements/statements", world.key_a)
    assert [len(p["items"]) for p in pages] == [3, 3, 2] and all(p["count"] == 8 and p["count_exact"] for p in pages)
    issued = [s["issued_at"] for s in items]
    assert issued == sorted(issued, reverse=True) and len({s["statement"] for s in items}) == 8
    assert items[0]["statement"] == "shopee:111:escrow-2026-10-27" and items[0]["check"] == "balanced"
    # a statement written between two pages never shifts the next page (it is newer than the cursor)
    first = world.client.get("/api/v1/settlements/statements?limit=3", headers=auth(world.key_a)).json()
    _seed_late(engine)
    second = world.client.get(f"/api/v1/settlements/statements?limit=3&cursor={first['next_cursor']}",
                              headers=auth(world.key_a)).json()
    assert [s["statement"] for s in second["items"]] == [s["statement"] for s in items[3:6]]
    filtered, _ = _walk(world, "/api/v1/settlements/statements?shop_id=111&check=balanced", world.key_a)
    assert sum(len(p["items"]) for p in filtered) == 9
    _, verdicts = _walk(world, "/api/v1/settlements/orders", world.key_a)
    assert len(verdicts) == len({(v["shop_id"], v["order_id"]) for v in verdicts}) == 9  # A0…A7 + the late one
    counts = world.client.get("/api/v1/settlements/orders", headers=auth(world.key_a)).json()["counts"]
    assert sum(counts.values()) == 9
    for status, n in counts.items():
        pages, verdicts = _walk(world, f"/api/v1/settlements/orders?status={status}", world.key_a)
        assert pages[0]["count"] == len(verdicts) == n and {v["status"] for v in verdicts} == {status}
    other = world.client.get("/api/v1/settlements/statements", headers=auth(world.key_b)).json()
    assert other["items"] == [] and other["count"] == 0 and other["next_cursor"] is None


def _seed_late(engine) -> None:
    with session_scope(engine) as session:
        at = datetime(2026, 12, 1, tzinfo=timezone.utc)
        session.add(StatementRow(owner_id="BRAND-A", platform="shopee", shop_id="111", statement_id="escrow-late",
                                 currency="MYR", issued_at=at, declared_total=Decimal("1.00"), breakdown={},
                                 source_updated_at=at, content_hash="late"))
        session.add(SettlementLineRow(owner_id="BRAND-A", platform="shopee", shop_id="111", statement_id="escrow-late",
                                      transaction_id="TL", kind="REVENUE", amount=Decimal("1.00"), currency="MYR",
                                      occurred_at=at, order_id="LATE", content_hash="late",
                                      raw_kind="original_cost_of_goods_sold"))
        session.flush()
        reconcile_owner(session, "BRAND-A", now=at)


def test_list_cursors_are_checked_and_unknown_shops_refused(world: World, engine) -> None:
    _seed_many(engine, 4)
    first = world.client.get("/api/v1/settlements/statements?limit=2", headers=auth(world.key_a)).json()
    other_filters = world.client.get(f"/api/v1/settlements/statements?limit=2&check=mismatch&cursor="
                                     f"{first['next_cursor']}", headers=auth(world.key_a))
    assert other_filters.status_code == 422 and "invalid cursor" in other_filters.text
    for path in ("/api/v1/settlements/statements?cursor=bm90LWEtY3Vyc29y", "/api/v1/settlements/orders?cursor=!!"):
        assert world.client.get(path, headers=auth(world.key_a)).status_code == 422
    for path in ("/api/v1/settlements/statements?shop_id=222", "/api/v1/settlements/orders?shop_id=999",
                 "/api/v1/settlements/statements?shop_id=111&platform=lazada"):
        response = world.client.get(path, headers=auth(world.key_a))
        assert response.status_code == 422 and "unknown shop" in response.text, path
    assert world.client.get("/api/v1/settlements/orders?limit=0", headers=auth(world.key_a)).status_code == 422


@pytest.mark.parametrize("name", ["issued_since", "issued_before"])
@pytest.mark.parametrize(("value", "says"), [
    ("2026-10-01T00:00:00", "needs a time zone"),
    ("0001-01-01T00:00:00+14:00", "out of range"),
    ("9999-12-31T23:59:59-14:00", "out of range"),
    ("1969-12-31T23:59:59Z", "out of range"),
    ("1970-01-01T00:00:00+14:00", "out of range"),  # 1969-12-31T10:00Z: the range bounds the UTC instant
    ("1st of October", None),
])
def test_a_bad_issued_instant_is_a_422_by_the_one_rule(world: World, engine, name: str, value: str,
                                                       says: str | None) -> None:
    """``issued_since`` / ``issued_before`` follow ``aggregator.instants`` as the analytics routes' ``at=`` do:
    naive, out of range (which overflowed converting to UTC) or garbage → 422 problem+json saying why, never 500."""
    _seed(engine)
    reply = world.client.get("/api/v1/settlements/statements", params={name: value}, headers=auth(world.key_a))
    assert reply.status_code == 422, reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")
    if says is not None:
        assert says in reply.json()["detail"] and name in reply.json()["detail"], reply.text


def test_issued_bounds_keep_their_meaning_in_any_offset(world: World, engine) -> None:
    """A valid bound is the same instant in any offset: since is inclusive, before exclusive (AT = 2026-10-20Z)."""
    _seed(engine)

    def listed(**params: str) -> list[str]:
        reply = world.client.get("/api/v1/settlements/statements", params=params, headers=auth(world.key_a))
        assert reply.status_code == 200, reply.text
        return [s["statement"] for s in reply.json()["items"]]

    assert listed(issued_since="2026-10-20T08:00:00+08:00") == ["shopee:111:escrow-2026-10-20"]
    assert listed(issued_since="2026-10-20T00:00:01Z") == []
    assert listed(issued_before="2026-10-20T08:00:00+08:00") == []
    assert listed(issued_before="2026-10-19T19:00:01-05:00") == ["shopee:111:escrow-2026-10-20"]
    # the range's edges are UTC instants: 1970-01-01Z written in -04:00 (year 1969 there) and 9000-12-31Z in +14:00
    assert listed(issued_since="1969-12-31T20:00:00-04:00") == ["shopee:111:escrow-2026-10-20"]
    assert listed(issued_before="9001-01-01T13:59:59+14:00") == ["shopee:111:escrow-2026-10-20"]
