"""The cash-cycle report: legs in days per order and their distributions (``legs``) for one owner.

Tables: ``distribution`` (per dimension and group, each leg's orders, mean, p50, p90, std in days, and the
inconsistent count) and ``orders`` (one row per order with every leg in days).
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from aggregator.analytics.facts import lot_facts, order_facts
from aggregator.analytics.legs import DAYS_COLUMNS, DIMENSIONS, leg_distributions, order_legs
from aggregator.analytics.report import Report, rounded, scope

PER_ORDER_COLUMNS = ["platform", "shop_id", "order_id", "country", "month", "ordered_at", *DAYS_COLUMNS]


def owner_legs(session: Session, owner_id: str, first=None, last=None):
    """Per-order legs of the owner's orders placed ``first``..``last`` (``legs.order_legs`` + ``order_id``)."""
    orders = order_facts(session, owner_id, first, last)
    legs = order_legs(orders, lot_facts(session, owner_id, orders))
    legs["order_id"] = orders["order_id"].to_numpy()
    return legs


def cash_cycle(session: Session, owner_id: str, period: str | None = None,
               dimensions: tuple[str, ...] = DIMENSIONS) -> Report:
    where = scope(session, owner_id, period)
    legs = owner_legs(session, owner_id, where.first, where.last)
    distribution = leg_distributions(legs, dimensions)
    report = Report("cash-cycle", owner_id, period, {
        "distribution": rounded(distribution, 3),
        "orders": rounded(legs[PER_ORDER_COLUMNS], 6)})
    report.notes.append(summary_line(distribution, owner_id, len(legs)))
    return report


def summary_line(distribution, owner_id: str, orders: int) -> str:
    """``owner: N orders; order → cash p50 … d, p90 … d; on board → cash …`` (the owner's own rows)."""
    mine = distribution[(distribution["dimension"] == "owner") & (distribution["group"] == owner_id)]
    parts = []
    for leg, words in (("order_to_cash", "order → cash"), ("on_board_to_cash", "on board → cash"),
                       ("order_to_dispatch", "order → dispatch"), ("delivery_to_payout", "delivery → payout")):
        row = mine[mine["leg"] == leg]
        if not row.empty:
            r = row.iloc[0]
            parts.append(f"{words} p50 {r.p50_days:.1f} d, p90 {r.p90_days:.1f} d ({int(r.orders)})")
    return f"{owner_id}: {orders} orders; " + ("; ".join(parts) if parts else "no leg measured yet")


def every_owner_summary(session: Session) -> list[str]:
    """``summary_line`` of every owner (the demo's closing cash-cycle lines)."""
    from sqlalchemy import select

    from aggregator.store.models.tenancy import OwnerRow

    lines = []
    for owner_id in session.scalars(select(OwnerRow.owner_id).order_by(OwnerRow.owner_id)):
        lines.extend(cash_cycle(session, owner_id, dimensions=("owner",)).notes)
    return lines
