"""Over-long values from a marketplace, at every field of every stream's recorded-style payload, get the
same outcome on SQLite and PostgreSQL: stored, or parked with a reason that names the field (never the
database's error, never a value cut short, never an exception out of the batch).

Generated: each text or id leaf of each fixture record (orders of the three platforms, Shopee escrow
details, TikTok statement transactions, Lazada finance rows, the returns of the three) is replaced, one
at a time, by a value of 65, 129 and 300 characters — just past the 64- and 128-character columns and
far past — then mapped by the platform's adapter and written by the sync framework's ``write_batch`` on
both databases. Before ``store.widths``, 100+ of them were stored on SQLite and parked on PostgreSQL
as ``store_error`` (``value too long for type character varying(64)``)."""
from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from aggregator.store.db import session_scope
from aggregator.store.models.exceptions import ExceptionItem
from aggregator.sync.framework import Pulled, write_batch
from aggregator.sync.marketplace import WRITERS
from platform_adapters.http.values import loads
from platform_adapters.registry import ShopContext, get_adapter
from tests.store.factories import make_shop

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "marketplace"
SHOP = "480012345"
#: (platform, stream, fixture, where the one record is in it)
RECORDS = [("shopee", "orders", "order_detail.json", ()), ("lazada", "orders", "order.json", ()),
           ("tiktok", "orders", "order.json", ()), ("shopee", "settlements", "escrow_detail.json", ()),
           ("tiktok", "settlements", "statement_transaction.json", ()),
           ("lazada", "settlements", "transaction_details.json", (0,)),
           ("shopee", "returns", "return_list_page.json", ("response", "return", 0)),
           ("tiktok", "returns", "returns_search.json", ("data", "return_orders", 0)),
           ("lazada", "returns", "reverse_orders_page.json", ("result", "items", 0))]


def leaves(node: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from leaves(value, (*path, index))
    elif isinstance(node, (str, int)) and not isinstance(node, bool):
        yield path, node


def replaced(raw: Any, path: tuple, value: Any) -> Any:
    out = copy.deepcopy(raw)
    node = out
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return out


def mapped(adapter, stream: str, raw: Any) -> list:
    context = ShopContext(SHOP, "SG")
    settings = adapter.settings_for(app_key="100234", app_secret="secret", region="SG", base_url=None)
    if stream == "orders":
        return [adapter.map_order(raw, context, settings)]
    if stream == "returns":
        return [adapter.map_return(raw, context, settings)]
    return list(adapter.map_settlement(raw, context, settings))


def outcomes(engine, platform: str, stream: str, raws: list[Any]) -> list[tuple[int, int, str]]:
    """(stored, failed, parked kind) of each raw record, written alone."""
    adapter = get_adapter(platform)
    writer, batch_writer = WRITERS[stream]
    with session_scope(engine) as session:
        shop = make_shop(session, shop_id=SHOP)
        shop.platform = platform
    out = []
    for raw in raws:
        counts = dict.fromkeys(("created", "updated", "unchanged", "stale", "failed", "unknown_status"), 0)
        with session_scope(engine) as session:
            pulled = [Pulled(raw, result, f"k{n}") for n, result in enumerate(mapped(adapter, stream, raw))]
            write_batch(session, shop, f"{platform}:{stream}", writer, batch_writer, pulled, None, counts)
            parked = session.scalars(select(ExceptionItem)).all()
            out.append((counts["created"] + counts["updated"], counts["failed"],
                        ",".join(sorted({p.kind for p in parked}))))
            assert all(p.kind != "store_error" for p in parked), [p.reason for p in parked]
            for item in parked:
                assert item.kind != "too_long" or "characters, the column holds" in item.reason
            session.rollback()
    return out


@pytest.mark.parametrize("platform,stream,fixture,where", RECORDS, ids=[f"{p}-{s}" for p, s, _, _ in RECORDS])
def test_over_long_values_get_the_same_outcome_on_both_databases(sqlite_engine, pg_engine, platform, stream,
                                                                   fixture, where) -> None:
    record = loads((FIXTURES / platform / fixture).read_bytes())
    for step in where:
        record = record[step]
    assert all(r.record is not None for r in mapped(get_adapter(platform), stream, record))
    raws = [replaced(record, path, ("9" if isinstance(value, int) or str(value).isdigit() else "x") * size)
            for path, value in leaves(record) for size in (65, 129, 300)]
    assert raws
    assert outcomes(sqlite_engine, platform, stream, raws) == outcomes(pg_engine, platform, stream, raws)
