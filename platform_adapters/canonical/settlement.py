"""Settlement records: the canonical fee taxonomy and a marketplace statement.

Every money movement a marketplace reports becomes a ``SettlementLine`` (``canonical.marketplace``)
whose ``kind`` is one ``FeeCategory``, signed from the seller's side (money in +, money out −).
Each platform's own fee names stay on the line (``raw_kind``, ``description``); a platform type the
tables do not know becomes ``OTHER`` and is counted as a warning, never dropped.

A ``Statement`` is the platform's own grouping of lines with the total it declares for them
(TikTok ``payable_amount``; Lazada ``closing_balance − opening_balance`` of
``/finance/payout/status/get``; Shopee: the sum of the ``payout_amount`` of one UTC day's escrow
releases, since Shopee publishes no statement per release, and each cross-border payout batch of
``payment.get_payout_detail`` as a paid ``payout-…`` statement whose PAYOUT lines name the orders it
paid). The lines of a statement must sum to its ``declared_total``; a difference is a reconciliation
exception.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from fx.money import Money
from platform_adapters.canonical.common import Platform, require_aware


class FeeCategory(str, enum.Enum):
    """Where a settlement line's money comes from or goes to (seller's sign)."""

    REVENUE = "REVENUE"  # goods (and other buyer-paid items) credited to the seller
    SHIPPING_BUYER_PAID = "SHIPPING_BUYER_PAID"  # shipping fee the buyer paid, passed to the seller
    SHIPPING_CHARGED = "SHIPPING_CHARGED"  # shipping charged by the platform / its carrier (forward, return)
    SHIPPING_REBATE = "SHIPPING_REBATE"  # platform or 3PL shipping subsidies, shipping claims
    COMMISSION = "COMMISSION"
    TRANSACTION_FEE = "TRANSACTION_FEE"  # payment / card / transaction fees
    SERVICE_FEE = "SERVICE_FEE"  # programme, fulfilment, handling, processing fees
    MARKETING_FEE = "MARKETING_FEE"  # affiliate commissions, ads, campaign and promotional charges
    VOUCHER_SELLER = "VOUCHER_SELLER"  # discounts and vouchers funded by the seller
    VOUCHER_PLATFORM = "VOUCHER_PLATFORM"  # discounts and vouchers funded by the platform (credited back)
    ADJUSTMENT = "ADJUSTMENT"  # later corrections, penalties, compensations, claims
    RESERVE_HELD = "RESERVE_HELD"  # withheld by the platform's reserve policy (negative)
    RESERVE_RELEASED = "RESERVE_RELEASED"  # a reserve paid back (positive)
    TAX_WITHHELD = "TAX_WITHHELD"  # taxes and duties the platform withholds or remits for the seller
    REFUND = "REFUND"  # goods refunded to the buyer (negative)
    PAYOUT = "PAYOUT"  # money leaving the marketplace balance to the seller's account
    OTHER = "OTHER"  # a platform type none of the tables knows (counted, kept)


#: Categories that describe the sale itself (compared with the order in reconciliation).
SALES_CATEGORIES = frozenset({FeeCategory.REVENUE, FeeCategory.SHIPPING_BUYER_PAID, FeeCategory.VOUCHER_SELLER,
                              FeeCategory.VOUCHER_PLATFORM, FeeCategory.REFUND})
#: Categories the platform deducts or credits around the sale ("known fees", reserves, adjustments).
DEDUCTION_CATEGORIES = frozenset(set(FeeCategory) - SALES_CATEGORIES - {FeeCategory.PAYOUT, FeeCategory.OTHER})


@dataclass(frozen=True, slots=True)
class Statement:
    """A marketplace statement: the platform's grouping of settlement lines and its declared total.

    ``declared_total`` is what the statement's lines must sum to; ``payout`` what is (to be) paid out
    (TikTok ``payable_amount``, Lazada ``payout``); ``reserve`` what the platform holds back.
    ``breakdown`` keeps the platform's own totals (strings) for display.
    """

    platform: Platform
    shop_id: str
    statement_id: str
    currency: str
    issued_at: datetime
    declared_total: Money
    updated_at: datetime
    payout: Money | None = None
    reserve: Money | None = None
    payment_status: str | None = None
    payout_id: str | None = None
    paid_at: datetime | None = None
    breakdown: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        require_aware(self, "issued_at", "updated_at", "paid_at")
        if self.declared_total.currency != self.currency:
            raise ValueError(f"statement {self.statement_id}: total in {self.declared_total.currency}, "
                             f"statement in {self.currency}")

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.platform.value, self.shop_id, self.statement_id)
