"""Pure mapping of a Shopee escrow detail to canonical settlement lines (+ problems).

``escrow_amount`` is what Shopee releases for the order. Fees are emitted as their own negative lines
— COMMISSION (``commission_fee``), SERVICE_FEE (``service_fee``), TRANSACTION_FEE
(``seller_transaction_fee``), SHIPPING_FEE (``actual_shipping_fee``) — whatever sign the payload
uses (the official formula subtracts them as positive numbers), and ORDER_INCOME is the rest
(goods, buyer-paid shipping, rebates, vouchers, refunds), so the lines sum to ``escrow_amount``
exactly. Local shops' escrow has no currency: it comes from the shop's region.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from fx.money import Money
from platform_adapters.canonical import Platform, SettlementLine
from platform_adapters.http.values import Problems, epoch, id_str, money

FEES = (("commission_fee", "COMMISSION"), ("service_fee", "SERVICE_FEE"),
        ("seller_transaction_fee", "TRANSACTION_FEE"), ("actual_shipping_fee", "SHIPPING_FEE"))


def raw_settlement_key(raw: Any) -> str:
    if isinstance(raw, Mapping):
        release = raw.get("_release") if isinstance(raw.get("_release"), Mapping) else {}
        return str(raw.get("order_sn") or release.get("order_sn") or "?")
    return "?"


def map_escrow(raw: Any, shop_id: str, currency: str | None) -> tuple[list[SettlementLine], list]:
    problems = Problems(location=f"escrow {raw_settlement_key(raw)}")
    if not isinstance(raw, Mapping):
        problems.add("not_an_object", "escrow payload is not an object")
        return [], problems.items
    release = raw.get("_release") if isinstance(raw.get("_release"), Mapping) else {}
    income = raw.get("order_income") if isinstance(raw.get("order_income"), Mapping) else None
    order_sn = problems.parse(id_str, raw.get("order_sn"), "order_sn")
    released_at = problems.parse(epoch, release.get("escrow_release_time"), "escrow_release_time")
    if income is None:
        problems.add("missing_order_income", "no order_income object", field="order_income")
    if not currency:
        problems.add("missing_currency", "no currency for the shop's region", field="currency")
    if problems.has_errors or None in (order_sn, released_at) or income is None or not currency:
        return [], problems.items
    escrow = problems.parse(money, income.get("escrow_amount"), "order_income.escrow_amount", currency)
    fees = []
    for field, kind in FEES:
        value = problems.parse(money, income.get(field, 0), f"order_income.{field}", currency)
        if value is not None and not value.is_zero():
            fees.append((kind, field, -abs(value)))
    if problems.has_errors or escrow is None:
        return [], problems.items
    rest = escrow - sum((amount for _, _, amount in fees), Money.zero(currency))
    statement_id = "escrow-" + released_at.astimezone(timezone.utc).strftime("%Y-%m-%d")
    lines = [_line(shop_id, statement_id, order_sn, "ORDER_INCOME", "escrow_amount - fees", rest, released_at)]
    lines += [_line(shop_id, statement_id, order_sn, kind, field, amount, released_at) for kind, field, amount in fees]
    return [line for line in lines if not line.amount.is_zero()], problems.items


def _line(shop_id: str, statement_id: str, order_sn: str, kind: str, raw_kind: str, amount: Money,
          at: datetime) -> SettlementLine:
    return SettlementLine(platform=Platform.SHOPEE, shop_id=str(shop_id), statement_id=statement_id,
                          transaction_id=f"{order_sn}:{kind}", kind=kind, amount=amount, occurred_at=at,
                          order_id=order_sn, raw_kind=raw_kind, updated_at=at)
