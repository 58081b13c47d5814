"""Pure reconciliation verdicts: one order against its settlement lines, one statement against its lines.

Per order (reference fx_settlement.md §5.4, "expected net per order"):

* ``order_gross`` — what the buyer paid for the order (``total_amount``: goods after discounts plus
  buyer-paid shipping), or the sum of its lines plus shipping when the platform gives no total;
* ``deductions`` — every line the platform adds or takes around the sale: commission, transaction,
  service and marketing fees, shipping charged and rebated, taxes withheld, adjustments, reserves
  (``canonical.settlement.DEDUCTION_CATEGORIES``);
* ``expected_net = order_gross + deductions`` and ``settled`` = the sum of all the order's lines;
  ``difference = settled − expected_net`` is what the sale lines (revenue, buyer shipping, vouchers,
  refunds) credit more or less than the buyer paid.

Statuses: ``unsettled`` (no line yet), ``settled_without_order`` (lines for an order the store does
not know), ``refunded`` (refund lines, or a cancelled/returned order with lines), ``partially_settled``
(a reserve still withheld, or less credited than paid while the order is not final), ``settled``
(nothing left), ``over_paid`` / ``under_paid`` (a difference on a final order).

Per statement: the lines' sum against the declared total; any difference is a ``mismatch``.
"""
from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from platform_adapters.canonical.settlement import DEDUCTION_CATEGORIES, FeeCategory

FINAL_ORDER_STATUSES = frozenset({"COMPLETED", "DELIVERED"})
REFUNDED_ORDER_STATUSES = frozenset({"CANCELLED", "RETURNED"})
_DEDUCTIONS = frozenset(c.value for c in DEDUCTION_CATEGORIES)


class ReconStatus(str, enum.Enum):
    UNSETTLED = "unsettled"
    PARTIALLY_SETTLED = "partially_settled"
    SETTLED = "settled"
    OVER_PAID = "over_paid"
    UNDER_PAID = "under_paid"
    SETTLED_WITHOUT_ORDER = "settled_without_order"
    REFUNDED = "refunded"


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """What the store knows of one order (None when the order was never synced)."""

    status: str
    currency: str
    total_amount: Decimal | None
    lines_total: Decimal | None
    shipping_fee: Decimal | None

    @property
    def gross(self) -> Decimal | None:
        if self.total_amount is not None:
            return self.total_amount
        if self.lines_total is None:
            return None
        return self.lines_total + (self.shipping_fee or Decimal(0))


@dataclass(frozen=True, slots=True)
class LineFacts:
    kind: str
    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class OrderVerdict:
    status: ReconStatus
    currency: str
    order_gross: Decimal | None
    deductions: Decimal
    expected_net: Decimal | None
    settled: Decimal
    difference: Decimal | None
    by_category: dict[str, str] = field(default_factory=dict)
    reason: str = ""


def reconcile_order(order: OrderFacts | None, lines: Iterable[LineFacts]) -> OrderVerdict:
    """The verdict for one order (``order`` None: lines for an order the store does not have)."""
    lines = list(lines)
    currency = order.currency if order is not None else (lines[0].currency if lines else "")
    foreign = sorted({line.currency for line in lines if line.currency != currency})
    by_category: dict[str, Decimal] = {}
    for line in lines:
        by_category[line.kind] = by_category.get(line.kind, Decimal(0)) + line.amount
    settled = sum((line.amount for line in lines), Decimal(0))
    deductions = sum((amount for kind, amount in by_category.items() if kind in _DEDUCTIONS), Decimal(0))
    shown = {kind: str(amount) for kind, amount in sorted(by_category.items())}
    if foreign:
        raise ValueError(f"order lines in {foreign} besides the order's {currency}")
    if order is None:
        return OrderVerdict(ReconStatus.SETTLED_WITHOUT_ORDER, currency, None, deductions, None, settled, None, shown,
                            "settlement lines for an order that was never synced")
    gross = order.gross
    if not lines:
        return OrderVerdict(ReconStatus.UNSETTLED, currency, gross, deductions, None, settled, None, shown,
                            "no settlement line yet")
    expected = gross + deductions if gross is not None else None
    difference = settled - expected if expected is not None else None
    held = by_category.get(FeeCategory.RESERVE_HELD.value, Decimal(0)) + by_category.get(
        FeeCategory.RESERVE_RELEASED.value, Decimal(0))
    status, reason = _status(order, by_category, difference, held)
    return OrderVerdict(status, currency, gross, deductions, expected, settled, difference, shown, reason)


def _status(order: OrderFacts, by_category: dict[str, Decimal], difference: Decimal | None,
            held: Decimal) -> tuple[ReconStatus, str]:
    refunds = by_category.get(FeeCategory.REFUND.value, Decimal(0))
    if refunds != 0 or order.status in REFUNDED_ORDER_STATUSES:
        return ReconStatus.REFUNDED, f"refunded {-refunds}" if refunds else f"order {order.status.lower()}"
    if held < 0:
        return ReconStatus.PARTIALLY_SETTLED, f"reserve {-held} still withheld"
    if difference is None:
        return ReconStatus.PARTIALLY_SETTLED, "the order has no total to compare with"
    if difference == 0:
        return ReconStatus.SETTLED, ""
    if difference < 0 and order.status not in FINAL_ORDER_STATUSES:
        return ReconStatus.PARTIALLY_SETTLED, f"{-difference} not credited yet (order {order.status.lower()})"
    if difference > 0:
        return ReconStatus.OVER_PAID, f"credited {difference} more than the buyer paid"
    return ReconStatus.UNDER_PAID, f"credited {-difference} less than the buyer paid"


@dataclass(frozen=True, slots=True)
class StatementVerdict:
    lines_total: Decimal
    lines_count: int
    difference: Decimal
    balanced: bool


def reconcile_statement(declared_total: Decimal, line_amounts: Iterable[Decimal]) -> StatementVerdict:
    """A statement's lines against its declared total (exact: no tolerance)."""
    amounts = list(line_amounts)
    total = sum(amounts, Decimal(0))
    difference = total - declared_total
    return StatementVerdict(total, len(amounts), difference, difference == 0)
