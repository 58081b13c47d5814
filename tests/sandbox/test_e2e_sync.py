"""End to end: authorize every sandbox shop through the adapters, sync all of them into the database
with ~10% injected faults (429 with Retry-After, 5xx) and each shop's token expiring once mid-run,
and check the database equals the sandbox's ground truth: no order lost, none duplicated, every status
current, then again after the simulated clock moved two days (incremental run from the cursor)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aggregator.sandbox_link import connect_sandbox
from aggregator.store.models import OrderLineRow, OrderPackageRow, OrderRow, ShopCredential, ShopRow, SyncRun
from aggregator.store.vault import Vault
from aggregator.sync.marketplace import limiter_for, sync_shop_orders
from platform_adapters.http.retry import RetryPolicy
from platform_adapters.http.transport import Transport
from platform_adapters.registry import get_adapter
from platform_adapters.sandbox import running_sandbox

FAULTS = "429=0.02,5xx=0.06,truncate=0.02,expire=once"  # 10% faulty responses


def _at(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


def _authorize_all(engine, vault: Vault, base_url: str, info: dict) -> list[int]:
    """Register owners and shops and exchange each shop's one-time code through its adapter (the
    production path); TikTok shops must end with the cipher the sandbox issued them."""
    ids = connect_sandbox(engine, vault, base_url)
    with Session(engine) as session:
        ciphers = {c.shop_pk: c.shop_cipher for c in session.scalars(select(ShopCredential))}
        shops = {s.id: s for s in session.scalars(select(ShopRow))}
    for entry in info["shops"]:
        if entry["platform"] == "tiktok":
            pk = next(k for k, s in shops.items() if s.platform == "tiktok" and s.shop_id == entry["shop_id"])
            assert ciphers[pk] == entry["shop_cipher"]
    return ids


def _transport(platform: str) -> Transport:
    """The production transport (retries, per-shop limiter) with a shorter backoff base to keep the test quick;
    a 429's Retry-After is still honoured as sent."""
    return Transport(httpx.Client(timeout=30), retry=RetryPolicy(base_wait=0.05),
                     limiter=limiter_for(get_adapter(platform)), platform=platform)


def _sync_all(engine, vault: Vault, shop_ids: list[int], until: datetime, since: datetime | None) -> list:
    summaries = []
    for shop_id in shop_ids:
        with Session(engine) as session:
            shop = session.get(ShopRow, shop_id)
        transport = _transport(shop.platform)
        try:
            summaries.append(sync_shop_orders(engine, shop, vault, since=since, until=until, transport=transport,
                                              now=until + timedelta(minutes=1)))
        finally:
            transport.close()
    return summaries


def _assert_database_equals_truth(engine, truth: list[dict]) -> None:
    with Session(engine) as session:
        rows = session.execute(select(OrderRow.platform, OrderRow.shop_id, OrderRow.order_id, OrderRow.raw_status,
                                      OrderRow.source_updated_at, OrderRow.id)).all()
        line_counts = dict(session.execute(select(OrderLineRow.order_pk, func.count())
                                           .group_by(OrderLineRow.order_pk)).all())
        tracking: dict[int, set[str]] = {}
        for order_pk, number in session.execute(select(OrderPackageRow.order_pk, OrderPackageRow.tracking_number)):
            if number:
                tracking.setdefault(order_pk, set()).add(number)
    stored = {(r.platform, r.shop_id, r.order_id): r for r in rows}
    assert len(stored) == len(rows)  # no duplicates
    expected = {(o["platform"], o["shop_id"], o["order_id"]): o for o in truth}
    assert set(stored) - set(expected) == set()
    assert set(expected) - set(stored) == set(), "orders lost"
    for key, order in expected.items():
        row = stored[key]
        assert row.raw_status == order["raw_status"], key
        assert row.source_updated_at == _at(order["update_time"]), key
        assert line_counts.get(row.id) == len(order["lines"]), key
        # Shopee's from order/get_package_detail (one call per detail batch), the others' from the order
        shipped = {p["tracking_number"] for p in order["packages"] if p["tracking_number"]}
        assert shipped <= tracking.get(row.id, set()), key


@pytest.mark.slow
def test_sync_every_shop_under_faults_equals_ground_truth(engine):
    vault = Vault(Fernet.generate_key())
    with running_sandbox(seed=11, orders=240, faults=FAULTS) as sb, \
            httpx.Client(base_url=sb.base_url, timeout=30) as control:
        info = control.get("/_sandbox/shops").json()
        shop_ids = _authorize_all(engine, vault, sb.base_url, info)
        anchor = control.get("/_sandbox/clock").json()["now"]

        first = _sync_all(engine, vault, shop_ids, until=_at(anchor), since=_at(anchor - 32 * 86400))
        assert [s.status for s in first] == ["succeeded"] * len(shop_ids), [s.error for s in first]
        truth = control.get("/_sandbox/truth/orders").json()["orders"]
        assert len(truth) > 150
        _assert_database_equals_truth(engine, truth)

        now = control.post("/_sandbox/clock/advance", params={"seconds": 2 * 86400}).json()["now"]
        second = _sync_all(engine, vault, shop_ids, until=_at(now), since=None)  # incremental, from the cursor
        assert [s.status for s in second] == ["succeeded"] * len(shop_ids), [s.error for s in second]
        later = control.get("/_sandbox/truth/orders").json()["orders"]
        assert sum(s.created for s in second) == len(later) - len(truth) > 0
        assert sum(s.updated for s in second) > 0
        _assert_database_equals_truth(engine, later)

        injected = control.get("/_sandbox/faults").json()["injected"]
    assert injected.get("expire") == len(shop_ids)  # every shop's token expired once mid-run
    assert injected.get("429", 0) > 0 and injected.get("5xx", 0) > 0
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(SyncRun).where(SyncRun.status == "succeeded")) \
            == 2 * len(shop_ids)
