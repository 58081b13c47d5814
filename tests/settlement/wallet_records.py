"""A local Shopee shop's release days and completed withdrawals, as the writer is given them (the
shapes ``platform_adapters.shopee.mapping`` and ``wallet_mapping`` produce), for the wallet tests."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from fx.money import Money
from platform_adapters.canonical import FeeCategory, Platform, SettlementLine, Statement

SHOP = "L1"


def release_day(day: str, order: str, amount: str) -> list:
    at = datetime.fromisoformat(day).replace(hour=10, tzinfo=timezone.utc)
    sid = f"escrow-{day}"
    return [Statement(platform=Platform.SHOPEE, shop_id=SHOP, statement_id=sid, currency="VND", issued_at=at,
                      declared_total=Money.of(amount, "VND"), updated_at=at, payout=Money.of(amount, "VND")),
            SettlementLine(platform=Platform.SHOPEE, shop_id=SHOP, statement_id=sid, transaction_id=f"{order}:rev",
                           kind="REVENUE", amount=Money.of(amount, "VND"), occurred_at=at, order_id=order, updated_at=at)]


def withdrawal(number: int, at: datetime, amount: str, fee: str = "0", created: datetime | None = None) -> list:
    """As ``platform_adapters.shopee.wallet_mapping`` stores a completed withdrawal (issued when it was
    ``created``, default: ``at``; paid ``at``)."""
    sid = f"withdrawal-{number}"
    records = [Statement(platform=Platform.SHOPEE, shop_id=SHOP, statement_id=sid, currency="VND",
                         issued_at=created or at,
                         declared_total=-Money.of(fee, "VND"), updated_at=at, payout=Money.of(amount, "VND"),
                         payment_status="PAID", payout_id=sid, paid_at=at,
                         breakdown={"withdrawal_id": str(number), "amount": amount, "transaction_fee": fee}),
               SettlementLine(platform=Platform.SHOPEE, shop_id=SHOP, statement_id=sid,
                              transaction_id=f"{sid}:withdrawn", kind=FeeCategory.PAYOUT.value,
                              amount=-Money.of(amount, "VND"), occurred_at=at, updated_at=at, payout_id=sid)]
    if Decimal(fee):
        records.append(SettlementLine(platform=Platform.SHOPEE, shop_id=SHOP, statement_id=sid,
                                      transaction_id=f"{sid}:fee", kind=FeeCategory.TRANSACTION_FEE.value,
                                      amount=-Money.of(fee, "VND"), occurred_at=at, updated_at=at, payout_id=sid,
                                      raw_kind="withdrawal_transaction_fee"))
    return records
