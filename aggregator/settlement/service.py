"""Reconciliation in the database: per statement (lines against the declared total) and per order
(``reconcile.reconcile_order``), for one owner, touching only what changed since the last run.

What changed: statements whose row or lines were stored after their last check, and orders whose row
or settlement lines were stored after their last verdict (a verdict row is rewritten with the time it
was computed, so unchanged data is never read twice). ``full=True`` recomputes everything.
For Shopee, the escrow's ``buyer_paid_shipping_fee`` becomes the order's ``shipping_fee`` and the goods
total the buyer paid (``original_cost_of_goods_sold``) is spread over the order lines by largest
remainder (``platform_adapters.shopee.mapping.allocate_lines``): bundle-deal lines then sum to it.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from aggregator.settlement.exceptions import clear_finding, raise_finding
from aggregator.settlement.payouts import mark_paid_by_payouts
from aggregator.settlement.wallet import mark_paid_by_withdrawals
from aggregator.settlement.reconcile import (
    LineFacts, OrderFacts, ReconStatus, reconcile_order, reconcile_statement,
)
from aggregator.store.models.marketplace import OrderLineRow, OrderRow, SettlementLineRow
from aggregator.store.models.settlement import ReconciliationRow, StatementRow
from aggregator.store.upsert import insert_for
from fx.money import Money
from platform_adapters.canonical import OrderLine
from platform_adapters.shopee.mapping import allocate_lines

OrderKey = tuple[str, str, str]
PAYOUT = "PAYOUT"
#: how far back of the last verdict a run looks again (writers commit a little after they stamp rows)
SAFETY = timedelta(minutes=10)
CHUNK = 500


@dataclass
class ReconcileSummary:
    owner_id: str
    statements_checked: int = 0
    statements_paid: int = 0  # marked paid by a separate payout batch (``payouts.mark_paid_by_payouts``)
    withdrawal_days: int = 0  # release days whose paid state local wallet withdrawals changed (``wallet``)
    statements_mismatched: int = 0
    orders_checked: int = 0
    by_status: Counter = field(default_factory=Counter)

    def describe(self) -> str:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(self.by_status.items())) or "nothing new"
        paid = f", {self.statements_paid} paid by a payout batch" if self.statements_paid else ""
        paid += (f", {self.withdrawal_days} release day(s) paid (in full or in part) by wallet withdrawals"
                 if self.withdrawal_days else "")
        return (f"{self.owner_id}: {self.statements_checked} statement(s) checked "
                f"({self.statements_mismatched} mismatched){paid}, {self.orders_checked} order(s): {counts}")


def reconcile_owner(session: Session, owner_id: str, *, full: bool = False,
                    now: datetime | None = None) -> ReconcileSummary:
    """Check the owner's changed statements and orders; the caller commits."""
    now = now or datetime.now(timezone.utc)
    summary = ReconcileSummary(owner_id)
    _check_statements(session, owner_id, full, now, summary)
    since = _since_last_run(session, owner_id, full)
    summary.statements_paid = mark_paid_by_payouts(session, owner_id, since=since)
    summary.withdrawal_days = mark_paid_by_withdrawals(session, owner_id, since=since)
    keys = _changed_orders(session, owner_id, since)
    for start in range(0, len(keys), CHUNK):
        _reconcile_orders(session, owner_id, keys[start:start + CHUNK], now, summary)
    return summary


# -- statements -----------------------------------------------------------------------------------
def _check_statements(session: Session, owner_id: str, full: bool, now: datetime, summary: ReconcileSummary) -> None:
    query = select(StatementRow).where(StatementRow.owner_id == owner_id)
    rows = session.scalars(query).all()
    if not rows:
        return
    latest_line = _latest_line_per_statement(session, owner_id)
    for row in rows:
        key = (row.platform, row.shop_id, row.statement_id)
        changed = row.checked_at is None or row.stored_at > row.checked_at - SAFETY or (
            key in latest_line and latest_line[key] > row.checked_at - SAFETY)
        if not (full or changed):
            continue
        amounts = session.scalars(select(SettlementLineRow.amount).where(
            SettlementLineRow.platform == row.platform, SettlementLineRow.shop_id == row.shop_id,
            SettlementLineRow.statement_id == row.statement_id, SettlementLineRow.kind != PAYOUT)).all()
        verdict = reconcile_statement(row.declared_total, amounts)
        row.lines_total, row.lines_count, row.difference = verdict.lines_total, verdict.lines_count, verdict.difference
        row.check_status, row.checked_at = ("balanced" if verdict.balanced else "mismatch"), now
        summary.statements_checked += 1
        finding = f"statement:{row.platform}:{row.shop_id}:{row.statement_id}"
        if verdict.balanced:
            clear_finding(session, key=finding, note=f"lines now sum to {row.declared_total} {row.currency}")
        else:
            summary.statements_mismatched += 1
            raise_finding(session, owner_id=owner_id, kind="statement_mismatch", key=finding, reason=(
                f"{row.platform} statement {row.statement_id} of shop {row.shop_id}: {verdict.lines_count} line(s) "
                f"sum to {verdict.lines_total} {row.currency}, the platform declares {row.declared_total} "
                f"(difference {verdict.difference})"), details={
                "declared_total": str(row.declared_total), "lines_total": str(verdict.lines_total),
                "difference": str(verdict.difference), "lines": verdict.lines_count})
    session.flush()


def _latest_line_per_statement(session: Session, owner_id: str) -> dict[tuple[str, str, str], datetime]:
    rows = session.execute(
        select(SettlementLineRow.platform, SettlementLineRow.shop_id, SettlementLineRow.statement_id,
               func.max(SettlementLineRow.stored_at))
        .where(SettlementLineRow.owner_id == owner_id)
        .group_by(SettlementLineRow.platform, SettlementLineRow.shop_id, SettlementLineRow.statement_id)).all()
    return {(p, s, st): at for p, s, st, at in rows if at is not None}


# -- orders ---------------------------------------------------------------------------------------
def _since_last_run(session: Session, owner_id: str, full: bool) -> datetime | None:
    """When the owner's last verdicts were written, less ``SAFETY`` (None: a full or first run)."""
    watermark = None if full else session.scalar(
        select(func.max(ReconciliationRow.updated_at)).where(ReconciliationRow.owner_id == owner_id))
    return None if watermark is None else watermark - SAFETY


def _changed_orders(session: Session, owner_id: str, since: datetime | None) -> list[OrderKey]:
    order_q = select(OrderRow.platform, OrderRow.shop_id, OrderRow.order_id).where(OrderRow.owner_id == owner_id)
    line_q = select(SettlementLineRow.platform, SettlementLineRow.shop_id, SettlementLineRow.order_id).where(
        SettlementLineRow.owner_id == owner_id, SettlementLineRow.order_id.is_not(None)).distinct()
    if since is not None:
        order_q = order_q.where(OrderRow.stored_at > since)
        line_q = line_q.where(SettlementLineRow.stored_at > since)
    keys = {tuple(k) for k in session.execute(order_q).all()} | {tuple(k) for k in session.execute(line_q).all()}
    return sorted(keys)  # type: ignore[arg-type]


def _reconcile_orders(session: Session, owner_id: str, keys: list[OrderKey], now: datetime,
                      summary: ReconcileSummary) -> None:
    orders = {(o.platform, o.shop_id, o.order_id): o for o in session.scalars(select(OrderRow).where(
        OrderRow.owner_id == owner_id, tuple_(OrderRow.platform, OrderRow.shop_id, OrderRow.order_id).in_(keys)))}
    lines: dict[OrderKey, list[SettlementLineRow]] = defaultdict(list)
    for line in session.scalars(select(SettlementLineRow).where(
            SettlementLineRow.owner_id == owner_id, SettlementLineRow.kind != PAYOUT,
            tuple_(SettlementLineRow.platform, SettlementLineRow.shop_id, SettlementLineRow.order_id).in_(keys))):
        lines[(line.platform, line.shop_id, line.order_id)].append(line)
    order_pks = [o.id for o in orders.values()]
    order_lines: dict[int, list[OrderLineRow]] = defaultdict(list)
    if order_pks:
        for row in session.scalars(select(OrderLineRow).where(OrderLineRow.order_pk.in_(order_pks))
                                   .order_by(OrderLineRow.id)):
            order_lines[row.order_pk].append(row)
    values = []
    for key in keys:
        order, found = orders.get(key), lines.get(key, [])
        if order is not None and order.platform == "shopee" and found:
            _apply_shopee_escrow(order, order_lines[order.id], found)
        facts = None if order is None else OrderFacts(
            order.status, order.currency, order.total_amount, _lines_total(order_lines[order.id]), order.shipping_fee)
        if order is None and not found:
            continue
        verdict = reconcile_order(facts, [LineFacts(li.kind, li.amount, li.currency) for li in found])
        summary.orders_checked += 1
        summary.by_status[verdict.status.value] += 1
        values.append({
            "owner_id": owner_id, "platform": key[0], "shop_id": key[1], "order_id": key[2],
            "currency": verdict.currency, "status": verdict.status.value, "order_gross": verdict.order_gross,
            "deductions": verdict.deductions, "expected_net": verdict.expected_net, "settled": verdict.settled,
            "difference": verdict.difference, "by_category": verdict.by_category,
            "statements": " ".join(sorted({li.statement_id for li in found}))[:512],
            "last_settled_at": max((li.occurred_at for li in found), default=None),
            "computed_at": now, "updated_at": now})
        _finding(session, owner_id, key, verdict)
    if values:
        statement = insert_for(session, ReconciliationRow.__table__)
        columns = {c: getattr(statement.excluded, c) for c in values[0] if c not in ("platform", "shop_id", "order_id")}
        session.execute(statement.on_conflict_do_update(index_elements=["platform", "shop_id", "order_id"],
                                                        set_=columns), values)
    session.flush()


def _lines_total(rows: list[OrderLineRow]) -> Decimal | None:
    amounts = [r.paid_amount for r in rows]
    return None if not amounts or any(a is None for a in amounts) else sum(amounts, Decimal(0))


def _finding(session: Session, owner_id: str, key: OrderKey, verdict) -> None:  # noqa: ANN001
    finding = f"order:{key[0]}:{key[1]}:{key[2]}"
    if verdict.status in (ReconStatus.OVER_PAID, ReconStatus.UNDER_PAID, ReconStatus.SETTLED_WITHOUT_ORDER):
        raise_finding(session, owner_id=owner_id, kind=f"order_{verdict.status.value}", key=finding,
                      reason=f"{key[0]} order {key[2]} of shop {key[1]}: {verdict.reason}", details={
                          "expected_net": str(verdict.expected_net), "settled": str(verdict.settled),
                          "difference": str(verdict.difference), "by_category": verdict.by_category})
    else:
        clear_finding(session, key=finding, note=f"now {verdict.status.value}")


def _apply_shopee_escrow(order: OrderRow, lines: list[OrderLineRow], settled: list[SettlementLineRow]) -> None:
    """Buyer-paid shipping and the goods total the buyer paid, from the escrow, onto the order."""
    shipping = [li.amount for li in settled if li.raw_kind == "buyer_paid_shipping_fee"]
    goods = [li.amount for li in settled if li.raw_kind == "original_cost_of_goods_sold"]
    if shipping and order.shipping_fee != sum(shipping, Decimal(0)):
        order.shipping_fee = sum(shipping, Decimal(0))
    if not goods or not lines:
        return
    canonical = [OrderLine(r.line_ref, r.seller_sku, r.quantity,
                           Money(r.unit_price, r.currency or order.currency) if r.unit_price is not None else None,
                           Money(r.paid_amount, r.currency or order.currency) if r.paid_amount is not None else None)
                 for r in lines]
    allocated = allocate_lines(canonical, Money(sum(goods, Decimal(0)), order.currency))
    for row, line in zip(lines, allocated):
        if line.paid_amount is not None and row.paid_amount != line.paid_amount.amount:
            row.paid_amount = line.paid_amount.amount

