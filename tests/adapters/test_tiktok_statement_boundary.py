"""A TikTok statement issued at exactly the sync's ``now`` counts the same in the sandbox's truth and in the store.

TikTok filters its statement list by ``statement_time_ge`` / ``statement_time_lt`` (reference §4.6 Finance): a
sync up to ``now`` reads the half-open window [since, now), so a statement issued at exactly ``now`` is the next
window's. The truth (``/_sandbox/truth/settlements``) counted it at ``now`` (its reserve held, or released), the
sync did not: for that instant the two disagreed. One rule now, ``sandbox.tiktok.statement_out``. The world is
anchored at 00:00 UTC, when a day's statement is issued, holding both a reserve collected and one released by the
statement at the anchor; then the clock moves one second and both sides take the statement together. Real
loopback HTTP to the sandbox."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from decimal import Decimal

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.sandbox_link import connect_sandbox
from aggregator.store.models import SettlementLineRow, ShopRow
from aggregator.store.models.settlement import StatementRow
from aggregator.store.vault import Vault
from aggregator.sync.marketplace import sync_shop
from platform_adapters.sandbox import running_sandbox
from platform_adapters.sandbox.snapshot import Snapshot, settlement_of
from platform_adapters.sandbox.tiktok import DAY, RESERVE_DAYS, statement_id, statement_out, statement_time_of
from platform_adapters.sandbox.world import World
from tests.world_anchor import anchor_where

SEED, ORDERS = 7, 160


def _at(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


def _issues_a_reserve_and_a_release(world: World, anchor: int) -> bool:
    """Whether TikTok statements issued at ``anchor`` collect a reserve and release another (orders settled the
    day before, and RESERVE_DAYS days before that)."""
    snap = Snapshot(world, anchor)
    reserved = {statement_time_of(o.settled_at) for shop in world.shops if shop.platform == "tiktok"
                for o in snap.view(shop).settled if settlement_of(o).reserve}
    return anchor in reserved and anchor - RESERVE_DAYS * DAY in reserved


def _boundary_anchor() -> int:
    """The latest 00:00 UTC before the default anchor at which a TikTok statement collects a reserve and releases
    another."""
    return anchor_where(_issues_a_reserve_and_a_release, "a 00:00 UTC with a reserve collected and one released",
                        seed=SEED, orders=ORDERS, step=DAY)


def test_the_predicate_is_the_published_half_open_window() -> None:
    assert statement_out(DAY, DAY + 1) and not statement_out(DAY, DAY) and not statement_out(DAY, DAY - 1)
    assert statement_time_of(DAY) == 2 * DAY and statement_time_of(2 * DAY - 1) == 2 * DAY


def test_a_statement_issued_at_now_is_counted_alike_by_the_truth_and_the_sync(sqlite_engine) -> None:
    engine, vault = sqlite_engine, Vault(Fernet.generate_key())
    anchor = _boundary_anchor()
    with running_sandbox(seed=SEED, orders=ORDERS, anchor=anchor) as sb, \
            httpx.Client(base_url=sb.base_url, timeout=30) as control:
        ids = connect_sandbox(engine, vault, sb.base_url)
        with Session(engine) as session:
            shops = [shop for shop in (session.get(ShopRow, pk) for pk in ids) if shop.platform == "tiktok"]
        assert control.get("/_sandbox/clock").json()["now"] == anchor

        def sync_to(since: int, now: int) -> None:
            for shop in shops:
                summary = sync_shop(engine, shop, vault, "settlements", since=_at(since), until=_at(now),
                                    now=_at(now))
                assert summary.status == "succeeded", summary.error

        def compare(now: int) -> dict[tuple[str, str], tuple[Decimal, str]]:
            """Per order whose statement is out at ``now``: the truth's net (reserve held taken off) equal to
            the store's lines; returns the truth's (net, reserve held) for the orders settled by then."""
            truth = control.get("/_sandbox/truth/settlements", params={"platform": "tiktok"}).json()
            assert truth["now"] == now
            with Session(engine) as session:
                lines = session.scalars(select(SettlementLineRow).where(SettlementLineRow.platform == "tiktok",
                                                                        SettlementLineRow.kind != "PAYOUT")).all()
            stored: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
            for line in lines:
                stored[(line.shop_id, line.order_id)] += line.amount
            counted = {(t["shop_id"], t["order_id"]): t for t in truth["settlements"]
                       if statement_out(statement_time_of(t["settled_at"]), now)}
            assert set(stored) == set(counted)
            for key, t in counted.items():
                assert stored[key] == Decimal(t["net_amount"]), (key, stored[key], t)
            return {(t["shop_id"], t["order_id"]): (Decimal(t["net_amount"]), t["reserve_held"])
                    for t in truth["settlements"]}

        sync_to(anchor - 40 * DAY, anchor)
        before = compare(anchor)
        with Session(engine) as session:
            issued = {(s.shop_id, s.statement_id) for s in session.scalars(select(StatementRow))}
        world_shops = {s.shop_id: s for s in sb.state.world.shops if s.platform == "tiktok"}
        at_anchor = {(shop.shop_id, statement_id(world_shops[shop.shop_id], anchor // DAY - 1)) for shop in shops}
        assert not issued & at_anchor  # the statement issued at now is the next window's, on both sides

        assert control.post("/_sandbox/clock/advance", params={"seconds": 1}).json()["now"] == anchor + 1
        sync_to(anchor, anchor + 1)
        after = compare(anchor + 1)
        with Session(engine) as session:
            issued = {(s.shop_id, s.statement_id) for s in session.scalars(select(StatementRow))}
        assert issued & at_anchor  # one second later both take it
        changed = {key for key in before if before[key] != after.get(key)}
        # the statement at the anchor moved money on both sides: a reserve newly held, another released
        assert any(after[k][1] != "0" and before[k][1] == "0" for k in changed)
        assert any(after[k][1] == "0" and before[k][1] != "0" for k in changed)
