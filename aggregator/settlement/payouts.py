"""Statements paid by a separate payout batch: a statement the platform gives no payment status for
(Shopee's release-day ``escrow-YYYY-MM-DD``) is paid once every order on it has left the marketplace
balance in a paid batch — a ``PAYOUT`` line on that order in another, paid statement (Shopee's
``payout-…`` statements from ``payment.get_payout_detail``).

It is then marked ``PAID`` at the latest of those batches' payment times, with their ids, so booking
settles its receivable on that day (realized FX) at what the batches actually paid for it
(``payout_received``: the batches' own conversion into their payout currency). A statement with a
status of the platform's own (TikTok, Lazada) is never touched, and neither is one with an order no
batch has paid yet. Given ``since`` (the last run), only the status-less statements stored or given
lines since, or with an order some batch paid since, are looked at: the cost follows what changed.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from aggregator.store.models.marketplace import SettlementLineRow
from aggregator.store.models.settlement import StatementRow
from fx.money import Money

PAYOUT = "PAYOUT"
CHUNK = 500


def _touched_since(owner_id: str, since: datetime):
    """Keys of statements that changed since ``since``: stored, given lines, or an order paid out since."""
    key = (SettlementLineRow.platform, SettlementLineRow.shop_id, SettlementLineRow.statement_id)
    paid_out = select(SettlementLineRow.platform, SettlementLineRow.shop_id, SettlementLineRow.order_id).where(
        SettlementLineRow.owner_id == owner_id, SettlementLineRow.kind == PAYOUT, SettlementLineRow.stored_at > since)
    lines = select(*key).where(SettlementLineRow.owner_id == owner_id, SettlementLineRow.kind != PAYOUT, (
        SettlementLineRow.stored_at > since) | tuple_(
        SettlementLineRow.platform, SettlementLineRow.shop_id, SettlementLineRow.order_id).in_(paid_out))
    stored = select(StatementRow.platform, StatementRow.shop_id, StatementRow.statement_id).where(
        StatementRow.owner_id == owner_id, StatementRow.stored_at > since)
    return lines.union(stored)


def mark_paid_by_payouts(session: Session, owner_id: str, *, since: datetime | None = None) -> int:
    """Mark the owner's status-less statements whose every order a paid batch paid out; returns how many.
    ``since``: only those that changed since then (see the module's docstring); None: all of them."""
    query = select(StatementRow).where(StatementRow.owner_id == owner_id, StatementRow.payment_status.is_(None))
    if since is None:
        open_rows = list(session.scalars(query))
    else:
        touched = [tuple(k) for k in session.execute(_touched_since(owner_id, since)).all()]
        statement_key = tuple_(StatementRow.platform, StatementRow.shop_id, StatementRow.statement_id)
        open_rows = [row for start in range(0, len(touched), CHUNK) for row in session.scalars(
            query.where(statement_key.in_(touched[start:start + CHUNK])))]
    if not open_rows:
        return 0
    by_key = {(r.platform, r.shop_id, r.statement_id): r for r in open_rows}
    orders: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    keys = list(by_key)
    line_key = tuple_(SettlementLineRow.platform, SettlementLineRow.shop_id, SettlementLineRow.statement_id)
    for start in range(0, len(keys), CHUNK):
        for platform, shop_id, statement_id, order_id in session.execute(
                select(SettlementLineRow.platform, SettlementLineRow.shop_id, SettlementLineRow.statement_id,
                       SettlementLineRow.order_id)
                .where(SettlementLineRow.owner_id == owner_id, SettlementLineRow.kind != PAYOUT,
                       SettlementLineRow.order_id.is_not(None), line_key.in_(keys[start:start + CHUNK]))).all():
            orders[(platform, shop_id, statement_id)].add(order_id)
    wanted = sorted({(key[0], key[1], order) for key, found in orders.items() for order in found})
    paid: dict[tuple[str, str, str], list[tuple[datetime, str]]] = defaultdict(list)
    for start in range(0, len(wanted), CHUNK):
        for platform, shop_id, order_id, statement_id, paid_at in session.execute(
                select(SettlementLineRow.platform, SettlementLineRow.shop_id, SettlementLineRow.order_id,
                       StatementRow.statement_id, StatementRow.paid_at)
                .join(StatementRow, (StatementRow.platform == SettlementLineRow.platform)
                      & (StatementRow.shop_id == SettlementLineRow.shop_id)
                      & (StatementRow.statement_id == SettlementLineRow.statement_id))
                .where(SettlementLineRow.owner_id == owner_id, SettlementLineRow.kind == PAYOUT,
                       StatementRow.payment_status == "PAID", StatementRow.paid_at.is_not(None),
                       tuple_(SettlementLineRow.platform, SettlementLineRow.shop_id, SettlementLineRow.order_id)
                       .in_(wanted[start:start + CHUNK]))).all():
            paid[(platform, shop_id, order_id)].append((paid_at, statement_id))
    marked = 0
    for key, found in orders.items():
        per_order = [[b for b in paid.get((key[0], key[1], order), []) if b[1] != key[2]] for order in found]
        if not all(per_order):
            continue
        batches = [batch for found_batches in per_order for batch in found_batches]
        row = by_key[key]
        row.payment_status = "PAID"
        row.paid_at = max(at for at, _ in batches)
        row.payout_id = ",".join(sorted({sid for _, sid in batches}))[:64]
        marked += 1
    session.flush()
    return marked


def payout_received(session: Session, row: StatementRow, original: Money) -> Money | None:
    """What a statement paid by payout batches brought in, in the batches' payout currency.

    Each batch that paid orders of ``row`` converted its settlement currency at its own ratio
    (``payout_amount ÷ from_amount``, kept in its breakdown; Shopee's ``exchange_rate`` text can read
    "0.00"); ``original`` is spread over the batches by what each paid of the statement's orders, so
    the result is exact whatever the batches' sizes. None when the statement was not paid by batches,
    a batch lacks those figures, or the batches paid in different currencies (then the rate source's
    rate of the payment day is used, as for any payout)."""
    if not row.payout_id:
        return None
    if row.payout_id == row.statement_id:  # a batch itself (its own offline adjustments): its own ratio
        own = _ratio(row.breakdown or {})
        return None if own is None else Money(original.amount * own[0], own[1])
    batch_ids = [part for part in row.payout_id.split(",") if part]
    batches = {b.statement_id: b for b in session.scalars(select(StatementRow).where(
        StatementRow.owner_id == row.owner_id, StatementRow.platform == row.platform,
        StatementRow.shop_id == row.shop_id, StatementRow.statement_id.in_(batch_ids),
        StatementRow.payment_status == "PAID"))}
    orders = select(SettlementLineRow.order_id).where(
        SettlementLineRow.owner_id == row.owner_id, SettlementLineRow.platform == row.platform,
        SettlementLineRow.shop_id == row.shop_id, SettlementLineRow.statement_id == row.statement_id,
        SettlementLineRow.kind != PAYOUT, SettlementLineRow.order_id.is_not(None))
    paid: dict[str, Decimal] = defaultdict(Decimal)
    for statement_id, amount in session.execute(
            select(SettlementLineRow.statement_id, SettlementLineRow.amount).where(
                SettlementLineRow.owner_id == row.owner_id, SettlementLineRow.platform == row.platform,
                SettlementLineRow.shop_id == row.shop_id, SettlementLineRow.kind == PAYOUT,
                SettlementLineRow.statement_id.in_(list(batches)), SettlementLineRow.order_id.in_(orders))).all():
        paid[statement_id] -= amount
    currencies: set[str] = set()
    weighted, total = Decimal(0), Decimal(0)
    for statement_id, amount in paid.items():
        found = _ratio(batches[statement_id].breakdown or {})
        if found is None:
            return None
        currencies.add(found[1])
        weighted += amount * found[0]
        total += amount
    if len(currencies) != 1 or total == 0:
        return None
    return Money(original.amount * weighted / total, currencies.pop())


def _ratio(figures: dict) -> tuple[Decimal, str] | None:
    """A batch's payout_amount ÷ from_amount and its payout currency (None when not both given)."""
    try:
        return (Decimal(str(figures["payout_amount"])) / Decimal(str(figures["from_amount"])),
                str(figures["payout_currency"]).upper())
    except (KeyError, ArithmeticError, ValueError):
        return None
