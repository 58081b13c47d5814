"""Settlements of every sandbox shop (Shopee escrows, Lazada transaction details, TikTok statement
transactions) synced through the framework over real loopback HTTP: per order, the stored lines sum
to the net amount the sandbox's ground truth says was released; a second run changes nothing.

The sandbox (issue 4) is built from the same reference as the adapters, so this proves the pieces
agree with each other and with the framework; the per-platform unit tests pin the payload facts."""
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
from platform_adapters.sandbox.snapshot import Snapshot
from platform_adapters.sandbox.tiktok import statement_out, statement_time_of
from platform_adapters.sandbox.wallet import EXTRA_REASONS, wallet_of
from platform_adapters.sandbox.world import World
from tests.world_anchor import anchor_where


def _at(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


def _wallet_fee_and_own_money(world: World, anchor: int) -> bool:
    """A local Shopee shop's wallet holds a completed withdrawal with a fee and money of its own (ads, adjustments)
    by ``anchor``: both follow the calendar (Monday withdrawals and ads), so a world has them at some anchors."""
    snap = Snapshot(world, anchor)
    kinds = {t["transaction_type"] for shop in world.shops if shop.platform == "shopee" and not shop.cross_border
             for t in wallet_of(shop, snap.view(shop).settled, anchor).transactions
             if t["transaction_type"] != "WITHDRAWAL_COMPLETED" or t["transaction_fee"] > 0}
    return "WITHDRAWAL_COMPLETED" in kinds and bool(kinds & set(EXTRA_REASONS))


def test_settlements_of_every_shop_sum_to_the_released_net(sqlite_engine):
    engine, vault = sqlite_engine, Vault(Fernet.generate_key())
    anchor = anchor_where(_wallet_fee_and_own_money, "a withdrawal fee and wallet money of its own", seed=5, orders=120)
    with running_sandbox(seed=5, orders=120, anchor=anchor) as sb, httpx.Client(base_url=sb.base_url, timeout=30) as control:
        ids = connect_sandbox(engine, vault, sb.base_url)
        anchor = control.get("/_sandbox/clock").json()["now"]
        truth = control.get("/_sandbox/truth/settlements").json()["settlements"]

        def run_all():
            summaries = []
            for shop_pk in ids:
                with Session(engine) as session:
                    shop = session.get(ShopRow, shop_pk)
                summaries.append(sync_shop(engine, shop, vault, "settlements", since=_at(anchor - 40 * 86400),
                                           until=_at(anchor + 86400), now=_at(anchor + 86400)))
            return summaries

        first = run_all()
        second = run_all()
    assert truth, "the sandbox world has settled orders"
    assert [s.status for s in first] == ["succeeded"] * len(ids), [s.error for s in first]
    assert sum(s.failed for s in first) == 0
    assert sum(s.created for s in second) == 0 and sum(s.updated for s in second) == 0
    with Session(engine) as session:
        rows = session.scalars(select(SettlementLineRow)).all()
    net: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    currency: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    payout_lines = [row for row in rows if row.kind == "PAYOUT"]  # money leaving the balance, not income
    rows = [row for row in rows if row.kind != "PAYOUT"]
    # a local Shopee shop's withdrawal fees belong to its withdrawals (statements ``withdrawal-…``), no order
    fees = [row for row in rows if row.statement_id.startswith("withdrawal-")]
    assert fees and all(row.kind == "TRANSACTION_FEE" and row.order_id is None and row.amount < 0 for row in fees)
    # and its wallet's own money in and out (ads charges and refunds, adjustments) to statements of their own
    own = [row for row in rows if row.statement_id.startswith("wallet-")]
    assert own and all(row.order_id is None and row.raw_kind in ("PAID_ADS_CHARGE", "PAID_ADS_REFUND",
                                                                  "ADJUSTMENT_ADD") for row in own)
    for row in rows:
        if row in fees or row in own:
            continue
        key = (row.platform, row.shop_id, row.order_id)
        net[key] += row.amount
        currency[key].add(row.currency)
    # TikTok books a day's settlements in the statement issued at the next 00:00 UTC: orders settled
    # today are not in any statement yet
    truth = [t for t in truth if t["platform"] != "tiktok" or statement_out(statement_time_of(t["settled_at"]), anchor)]
    expected = {(t["platform"], t["shop_id"], t["order_id"]): Decimal(t["net_amount"]) for t in truth}
    platforms = {t["platform"] for t in truth}
    assert platforms == {"shopee", "lazada", "tiktok"}
    assert set(net) == set(expected)
    for key, amount in expected.items():
        assert net[key] == amount, key
        assert currency[key] == {next(t["currency"] for t in truth if (t["platform"], t["shop_id"], t["order_id"]) == key)}
    kinds = {row.kind for row in rows}
    assert {"REVENUE", "COMMISSION", "TRANSACTION_FEE", "SHIPPING_BUYER_PAID", "SHIPPING_CHARGED", "REFUND",
            "ADJUSTMENT", "RESERVE_HELD", "RESERVE_RELEASED"} <= kinds
    assert "OTHER" not in kinds  # every cent the sandbox pays is in a documented field
    # every statement the platforms declare is stored, and its stored lines sum to its declared total
    with Session(engine) as session:
        statements = session.scalars(select(StatementRow)).all()
    assert {st.platform for st in statements} == {"shopee", "lazada", "tiktok"}
    by_statement: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for row in rows:
        by_statement[(row.platform, row.shop_id, row.statement_id)] += row.amount
    for st in statements:
        assert by_statement[(st.platform, st.shop_id, st.statement_id)] == st.declared_total, st.statement_id
    # Shopee's cross-border payout batches (every Monday in the sandbox): each pays out exactly its escrows,
    # and every escrow paid out is one the sandbox released
    batches = [st for st in statements if st.platform == "shopee" and st.statement_id.startswith("payout-")]
    assert batches and all(st.payment_status == "PAID" and st.paid_at == st.issued_at for st in batches)
    for st in batches:
        paid = [row for row in payout_lines if (row.shop_id, row.statement_id) == (st.shop_id, st.statement_id)]
        assert -sum(row.amount for row in paid) == st.payout and all(row.order_id for row in paid)
        assert all(expected[("shopee", row.shop_id, row.order_id)] == -row.amount for row in paid)
