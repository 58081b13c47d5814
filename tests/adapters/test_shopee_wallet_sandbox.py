"""A local Shopee shop's wallet (``payment.get_wallet_transaction_list``) read from the sandbox over real
loopback HTTP: the shop is found local by the documented refusal of ``get_payout_detail``, its wallet is
read in ≤ 15-day windows of numbered pages while ``more`` (every request signed like the other payment
calls, which the sandbox verifies), and, synced through the framework and reconciled in the database,
its release days are paid by its withdrawals exactly as the sandbox's truth (``/_sandbox/truth/payouts``)
says — a cancelled withdrawal paying nothing, a day paid in part left open for the rest — and a second
run changes nothing."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from urllib.parse import parse_qs

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.exceptions_queue.queries import Filters, count_by_kind
from aggregator.sandbox_link import connect_sandbox, sandbox_directory
from aggregator.settlement.service import reconcile_owner
from aggregator.settlement.wallet import wallet_position
from aggregator.store.db import session_scope
from aggregator.store.models import ShopRow
from aggregator.store.models.settlement import StatementRow
from aggregator.store.vault import Vault
from aggregator.sync.marketplace import sync_shop
from platform_adapters.auth import StaticTokenProvider, TokenSet
from platform_adapters.http.transport import Transport
from platform_adapters.registry import ShopContext, get_adapter
from platform_adapters.sandbox import running_sandbox
from platform_adapters.sandbox.snapshot import Snapshot
from platform_adapters.sandbox.wallet import Wallet, wallet_of
from platform_adapters.sandbox.world import World
from tests.world_anchor import anchor_where

DAY = 86400


def _at(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


def _wall() -> datetime:
    return datetime.now(timezone.utc)


def _source(sb, directory: dict, shop: dict, calls: list[dict]):  # noqa: ANN001
    """The adapter's settlements source for ``shop`` (any platform), its requests recorded (path and query)."""
    app = directory["apps"][shop["platform"]]
    adapter = get_adapter(shop["platform"])
    settings = adapter.settings_for(app_key=app["app_key"], app_secret=app["app_secret"], region=shop["region"],
                                    base_url=sb.base_url + ("/rest" if shop["platform"] == "lazada" else ""))
    pair = shop["initial_tokens"]  # the sandbox's tokens and request timestamps follow the wall clock
    tokens = TokenSet(pair["access_token"], pair["refresh_token"], _at(pair["access_expires_at"]),
                      _at(pair["refresh_expires_at"]))

    def record(request: httpx.Request) -> None:
        calls.append({"path": request.url.path, **{k: v[0] for k, v in parse_qs(request.url.query.decode()).items()}})

    transport = Transport(httpx.Client(timeout=30, event_hooks={"request": [record]}), platform=shop["platform"])
    return adapter.settlement_source(settings, ShopContext(shop["shop_id"], shop["region"]),
                                     StaticTokenProvider(shop["shop_id"], tokens, clock=_wall), transport, _wall)


def test_a_local_shop_is_found_by_the_refusal_and_its_wallet_read_in_windows_and_pages():
    with running_sandbox(seed=7, orders=6000) as sb:
        directory = sandbox_directory(sb.base_url)
        world = {s.shop_id: s for s in sb.state.world.shops}
        local = [s for s in directory["shops"] if s["platform"] == "shopee" and not world[s["shop_id"]].cross_border]
        crossed = next(s for s in directory["shops"] if s["platform"] == "shopee" and world[s["shop_id"]].cross_border)
        assert len(local) == 2
        now = sb.state.now
        start, end = _at(now - 20 * DAY), _at(now)
        busiest = max(local, key=lambda s: len(wallet_of(world[s["shop_id"]], sb.state.snapshot().view(
            world[s["shop_id"]]).settled, now).transactions))
        calls: list[dict] = []
        source = _source(sb, directory, busiest, calls)
        assert list(source.payouts(start, end)) == [] and source.local is True  # refused: a local shop
        got = list(source.wallet(start, end))
        truth = [t for t in wallet_of(world[busiest["shop_id"]], sb.state.snapshot().view(world[busiest["shop_id"]])
                                      .settled, now).transactions if now - 20 * DAY <= t["create_time"] < now]
        assert len(truth) > 100, "the busiest local shop needs more than one page in a window"
        assert sorted((t["create_time"], t["transaction_type"], t["order_sn"], t["withdrawal_id"]) for t in got) == \
            sorted((t["create_time"], t["transaction_type"], t["order_sn"], t["withdrawal_id"]) for t in truth)
        wallet = [c for c in calls if c["path"].endswith("/payment/get_wallet_transaction_list")]
        windows = sorted({(int(c["create_time_from"]), int(c["create_time_to"])) for c in wallet})
        assert windows == [(now - 20 * DAY, now - 5 * DAY - 1), (now - 5 * DAY, now - 1)]  # ≤ 15 days, no overlap
        assert {c["page_size"] for c in wallet} == {"100"} and "2" in {c["page_no"] for c in wallet}
        assert all(c["partner_id"] and c["sign"] and c["access_token"] and c["shop_id"] == busiest["shop_id"]
                   for c in wallet)
        # the settlements run of a local shop maps its completed withdrawals to paid statements, nothing parked
        records = list(_source(sb, directory, busiest, []).iter_settlements(start, end))
        mapped = [m for raw in records if "_wallet" in raw
                  for m in get_adapter("shopee").map_settlement(raw, ShopContext(busiest["shop_id"], busiest["region"]),
                                                                None)]
        assert mapped and all(not m.problems for m in mapped)
        statements = [m.record for m in mapped if m.record.__class__.__name__ == "Statement"]
        # each creation a pending statement, each completion a paid one, each cancellation a cancelled one
        for status, kind, sign in (("PENDING", "WITHDRAWAL_CREATED", -1), ("PAID", "WITHDRAWAL_COMPLETED", -1),
                                   ("CANCELLED", "WITHDRAWAL_CANCELLED", 1)):
            assert sorted((s.statement_id, s.payout.amount) for s in statements if s.statement_id.startswith(
                "withdrawal-") and s.payment_status == status) == sorted(
                (f"withdrawal-{t['withdrawal_id']}", sign * t["amount"]) for t in truth if t["transaction_type"] == kind)
        # every kind the window's truth holds, each as its status (the sandbox's world moves with the day: on
        # 2026-12-01 the window held no cancelled withdrawal; the cancellation's mapping alone:
        # ``test_shopee_wallet_mapping``)
        kinds = {"WITHDRAWAL_CREATED": "PENDING", "WITHDRAWAL_COMPLETED": "PAID", "WITHDRAWAL_CANCELLED": "CANCELLED"}
        assert {s.payment_status for s in statements if s.statement_id.startswith("withdrawal-")} == {
            kinds[t["transaction_type"]] for t in truth if t["transaction_type"] in kinds} >= {"PENDING", "PAID"}
        # the wallet's own money in and out (ads, adjustments): a statement each, of its signed amount
        own = [t for t in truth if t["transaction_type"] in ("PAID_ADS_CHARGE", "PAID_ADS_REFUND", "ADJUSTMENT_ADD")]
        assert own and sorted((s.breakdown["transaction_type"], s.declared_total.amount) for s in statements
                              if s.statement_id.startswith("wallet-")) == sorted(
            (t["transaction_type"], t["amount"]) for t in own)
        # a cross-border shop is never asked for its wallet
        calls.clear()
        other = _source(sb, directory, crossed, calls)
        list(other.iter_settlements(start, end))
        assert other.local is False and not any(c["path"].endswith("wallet_transaction_list") for c in calls)


def _local_wallets(world: World, anchor: int) -> list[Wallet]:
    snap = Snapshot(world, anchor)
    return [wallet_of(shop, snap.view(shop).settled, anchor) for shop in world.shops
            if shop.platform == "shopee" and not shop.cross_border]


def _a_day_part_paid(world: World, anchor: int) -> bool:
    """A local release day is part paid, part open (the withdrawals follow the calendar: Mondays 02:00), and each
    local shop has a withdrawal paid and one cancelled by the anchor (what the test checks of every local shop:
    at some anchors a shop's only completed withdrawal is still pending)."""
    wallets = _local_wallets(world, anchor)
    return (any(day.open and day.paid for wallet in wallets for day in wallet.days.values())
            and all(any(w.ends <= anchor and not w.cancelled for w in wallet.withdrawals)
                    and any(w.ends <= anchor and w.cancelled for w in wallet.withdrawals) for wallet in wallets))


def _a_withdrawal_pays_its_own_day(world: World, anchor: int) -> bool:
    """Besides: a withdrawal pays of the day it is created on (money released that morning, before 02:00)."""
    wallets = _local_wallets(world, anchor)
    created = {w.withdrawal_id: w.created // DAY for wallet in wallets for w in wallet.withdrawals}
    return _a_day_part_paid(world, anchor) and any(
        created.get(paid_by) == day.day for wallet in wallets for day in wallet.days.values() if not day.kind
        for paid_by in day.paid_by)


@pytest.mark.parametrize("seed", [5, 8])  # seed 8: a withdrawal pays part of its own day, released before 02:00
def test_local_release_days_are_paid_by_withdrawals_as_the_truth_says_and_a_rerun_changes_nothing(sqlite_engine, seed):
    engine, vault = sqlite_engine, Vault(Fernet.generate_key())
    if seed == 8:
        anchor = anchor_where(_a_withdrawal_pays_its_own_day, "a withdrawal paying its own day", seed=seed, orders=400)
    else:
        anchor = anchor_where(_a_day_part_paid, "a release day part paid", seed=seed, orders=400)
    with running_sandbox(seed=seed, orders=400, anchor=anchor) as sb, httpx.Client(base_url=sb.base_url, timeout=30) as control:
        ids = connect_sandbox(engine, vault, sb.base_url)
        now = sb.state.now
        truth = control.get("/_sandbox/truth/payouts").json()["release_days"]
        with Session(engine) as session:
            shops = [s for s in session.scalars(select(ShopRow).where(ShopRow.id.in_(ids))) if s.platform == "shopee"]

        def run() -> list:  # reads [since, until): until a second after now, for the truth holds what is paid at now
            # (whole-hour anchors meet the withdrawals' 02:00 completions: at 2026-12-01 02:00 one paid at the anchor)
            out = [sync_shop(engine, shop, vault, "settlements", since=_at(now - 60 * DAY), until=_at(now + 1),
                             now=_at(now)) for shop in shops]
            with session_scope(engine) as session:
                for owner in sorted({s.owner_id for s in shops}):
                    reconcile_owner(session, owner, now=_at(now))
            return out

        first, second = run(), run()
    assert [s.status for s in first] == ["succeeded"] * len(shops) and sum(s.failed for s in first) == 0
    assert sum(s.created + s.updated for s in second) == 0
    local = {t["shop_id"] for t in truth if not t["cross_border"]}
    if seed == 8:  # money released the morning of a withdrawal's creation, before it: the rule's edge is met
        with session_scope(engine) as session:
            created = {r.statement_id: r.issued_at.date() for r in session.scalars(select(StatementRow).where(
                StatementRow.statement_id.like("withdrawal-%")))}
        assert any(t["statement_id"] == f"escrow-{created.get(f'withdrawal-{w}')}" for t in truth for w in t["paid_by"])
    assert len(local) == 2 and any(Decimal(t["open"]) and Decimal(t["paid"]) for t in truth if not t["cross_border"])
    with session_scope(engine) as session:
        rows = {(r.shop_id, r.statement_id): r for r in session.scalars(select(StatementRow).where(
            StatementRow.platform == "shopee"))}
        positions = {shop: wallet_position(session, rows[next(k for k in rows if k[0] == shop)].owner_id, shop)
                     for shop in local}
        assert count_by_kind(session, Filters(kind="settlement", status="open")).get("withdrawal_exceeds_open") is None
    named = {(k[0], f"wallet-{int(r.issued_at.timestamp())}-{r.breakdown['transaction_type']}"): k
             for k, r in rows.items() if k[1].startswith("wallet-")}  # as the truth names them
    assert {t["kind"] for t in truth if not t["cross_border"]} >= {"escrow", "PAID_ADS_CHARGE", "ADJUSTMENT_ADD"}
    for t in truth:
        key = named.get((t["shop_id"], t["statement_id"]), (t["shop_id"], t["statement_id"]))
        row = rows[key]
        assert row.declared_total == Decimal(t["released"]), t
        paid_at = _at(t["paid_at"]) if t["paid_at"] else None
        if t["cross_border"]:
            assert (row.payment_status == "PAID", row.paid_at) == (paid_at is not None, paid_at), t
            continue
        day = positions[t["shop_id"]].days[key[1]]
        assert (day.paid, day.open, day.held, day.paid_at) == (
            Decimal(t["paid"]), Decimal(t["open"]), Decimal(t["held"]), paid_at), t
        assert day.paid + day.open == row.declared_total and (min(day.paid, day.open) >= 0 if row.declared_total > 0
                                                               else max(day.paid, day.open) <= 0)
        status = "PAID" if not Decimal(t["open"]) else "PARTIALLY_PAID" if Decimal(t["paid"]) else \
            "PENDING" if Decimal(t["held"]) else None
        assert (row.payment_status, row.paid_at) == (status, paid_at), t
        payers = day.paid_by
        named_payers = payers if status != "PENDING" else day.held_by
        assert (row.payout_id or "") == ",".join(named_payers)[:64]  # the row names them as far as its column holds
        assert day.held_by == [f"withdrawal-{w}" for w in t["held_by"]], t
        assert [p for p in payers if p.startswith("withdrawal-")] == [f"withdrawal-{w}" for w in t["paid_by"]], t
        assert [p for p in payers if not p.startswith("withdrawal-")] == [
            named.get((t["shop_id"], n), (None, n))[1] for n in dict.fromkeys(t["netted_with"])], t
    withdrawals = [r for k, r in rows.items() if k[1].startswith("withdrawal-")]
    assert withdrawals and all(r.check_status == "balanced" for r in withdrawals)
    assert {r.shop_id for r in withdrawals if r.payment_status == "PAID"} == local
    # each shop's first withdrawal was cancelled: a statement that pays nothing
    assert {r.shop_id for r in withdrawals if r.payment_status == "CANCELLED"} == local
