"""A local Shopee shop's release days and completed withdrawals, as the writer is given them (the
shapes ``platform_adapters.shopee.mapping`` and ``wallet_mapping`` produce), for the wallet tests."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from fx.money import Money
from platform_adapters.canonical import FeeCategory, Platform, SettlementLine, Statement

SHOP = "L1"
#: Booking runs a day after what it books: the weekly NBP rates these tests use have nothing on most
#: days, and a day not over never takes an earlier day's rate (``fx.convert.RateNotPublished``).
NEXT_DAY = timedelta(days=1)


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


def wallet_withdrawal(kind: str, number: int, at: datetime, amount: str, *, created: datetime | None = None,
                      fee: str = "0") -> list:
    """A withdrawal's ``WITHDRAWAL_CREATED`` / ``_COMPLETED`` / ``_CANCELLED`` transaction as
    ``platform_adapters.shopee.wallet_mapping`` maps it (``created``: the creation read with a completion or
    cancellation): the pending, paid or cancelled ``withdrawal-<number>`` statement and its lines."""
    from platform_adapters.shopee.wallet_mapping import map_wallet_transaction

    def body(kind: str, when: datetime) -> dict:
        back = kind == "WITHDRAWAL_CANCELLED"
        return {"status": "COMPLETED", "transaction_type": kind, "amount": Decimal(amount) * (1 if back else -1),
                "create_time": int(when.timestamp()), "withdrawal_id": number, "order_sn": "",
                "transaction_fee": Decimal(fee if kind == "WITHDRAWAL_COMPLETED" else "0"),
                "money_flow": "MONEY_IN" if back else "MONEY_OUT"}

    raw = {"_wallet": body(kind, at)}
    if created is not None:
        raw["_created"] = body("WITHDRAWAL_CREATED", created)
    records, problems = map_wallet_transaction(raw, SHOP, "VND")
    assert not problems, problems
    return records
