"""Pure mapping of a TikTok statement transaction to canonical settlement lines (+ problems).

One transaction becomes one line per money component, signed as TikTok reports them (fees and
shipping costs negative): ORDER_INCOME (revenue), SHIPPING_FEE (shipping cost), each fee of the
fee/tax breakdown (COMMISSION, TRANSACTION_FEE, SERVICE_FEE, AFFILIATE_COMMISSION, REFERRAL_FEE, TAX,
others as FEE), ADJUSTMENT, and FEE_OTHER for any part of ``fee_tax_amount`` the breakdown does not
name, so the lines always sum to ``settlement_amount`` (a mismatch is reported, never hidden).
"""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from fx.money import Money
from platform_adapters.canonical import Platform, SettlementLine
from platform_adapters.http.values import Problems, epoch, id_str, money

FEE_KINDS = {
    "platform_commission_amount": "COMMISSION",
    "transaction_fee_amount": "TRANSACTION_FEE",
    "sfp_service_fee_amount": "SERVICE_FEE",
    "affiliate_commission_amount": "AFFILIATE_COMMISSION",
    "referral_fee_amount": "REFERRAL_FEE",
}


def raw_settlement_key(raw: Any) -> str:
    tx = raw.get("transaction") if isinstance(raw, Mapping) else None
    return str(tx.get("id")) if isinstance(tx, Mapping) and tx.get("id") else "?"


def map_transaction(raw: Any, shop_id: str) -> tuple[list[SettlementLine], list]:
    """Lines of one ``{"statement", "transaction"}`` record, and the problems found."""
    problems = Problems(location=f"statement transaction {raw_settlement_key(raw)}")
    statement = raw.get("statement") if isinstance(raw, Mapping) else None
    tx = raw.get("transaction") if isinstance(raw, Mapping) else None
    if not isinstance(statement, Mapping) or not isinstance(tx, Mapping):
        problems.add("bad_value", "record needs a statement and a transaction object")
        return [], problems.items
    statement_id = problems.parse(id_str, statement.get("id"), "statement.id")
    tx_id = problems.parse(id_str, tx.get("id"), "transaction.id")
    occurred = problems.parse(epoch, statement.get("statement_time"), "statement.statement_time")
    currency = str(tx.get("currency") or statement.get("currency") or "").upper()
    if len(currency) != 3 or not currency.isalpha():
        problems.add("missing_currency", "no currency on the transaction or statement", field="currency")
        return [], problems.items
    total = problems.parse(money, tx.get("settlement_amount"), "settlement_amount", currency)
    components: list[tuple[str, str, Any]] = [
        ("ORDER_INCOME", "revenue_amount", tx.get("revenue_amount")),
        ("SHIPPING_FEE", "shipping_cost_amount", tx.get("shipping_cost_amount")),
        ("ADJUSTMENT", "adjustment_amount", tx.get("adjustment_amount")),
    ]
    breakdown = tx.get("fee_tax_breakdown") if isinstance(tx.get("fee_tax_breakdown"), Mapping) else {}
    fees = breakdown.get("fee") if isinstance(breakdown.get("fee"), Mapping) else {}
    taxes = breakdown.get("tax") if isinstance(breakdown.get("tax"), Mapping) else {}
    named = Decimal(0)
    for name, value in list(fees.items()) + list(taxes.items()):
        kind = FEE_KINDS.get(name, "TAX" if name in taxes else "FEE")
        components.append((kind, name, value))
        amount = problems.parse(money, value, f"fee_tax_breakdown.{name}", currency)
        named += amount.amount if amount else 0
    fee_total = problems.parse(money, tx.get("fee_tax_amount") or "0", "fee_tax_amount", currency)
    if fee_total is not None and fee_total.amount != named:
        components.append(("FEE_OTHER", "fee_tax_amount - breakdown", fee_total.amount - named))
    if problems.has_errors or None in (statement_id, tx_id, occurred, total):
        return [], problems.items
    lines = []
    payout = str(statement.get("payment_id") or "") or None
    order_id = str(tx.get("order_id") or tx.get("adjustment_order_id") or "") or None
    for kind, name, value in components:
        amount = problems.parse(money, value, name, currency, required=False)
        if amount is None or amount.is_zero():
            continue
        lines.append(SettlementLine(
            platform=Platform.TIKTOK, shop_id=str(shop_id), statement_id=statement_id,
            transaction_id=f"{tx_id}:{name}", kind=kind, amount=amount, occurred_at=occurred, order_id=order_id,
            payout_id=payout, description=str(tx.get("type") or ""), raw_kind=name, updated_at=occurred,
        ))
    summed = sum((line.amount for line in lines), Money.zero(currency))
    if summed != total:
        problems.add("unbalanced", f"lines sum to {summed.amount}, settlement_amount is {total.amount}",
                     field="settlement_amount", severity="warning")
    return lines, problems.items
