"""Pure mapping of a Lazada transaction-detail row to one canonical settlement line (+ problems).

Rows carry a signed decimal ``amount`` and a ``fee_type`` id but no currency: the venture's currency
is used. ``transaction_date`` (e.g. ``17 May 2016``) is a local calendar day, stored as its local
midnight in UTC.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from platform_adapters.canonical import Platform, SettlementLine
from platform_adapters.http.values import Problems, id_str, money

FEE_TYPES = {
    "13": "ORDER_INCOME",  # Item Price Credit
    "59": "SUBSIDY",  # Item Price Subsidy
    "14": "REFUND",  # Reversal Item Price
    "16": "COMMISSION",
    "15": "COMMISSION",  # Reversal Commission
    "3": "TRANSACTION_FEE",  # Payment Fee
    "8": "SHIPPING_FEE",  # Shipping Fee (Paid By Customer)
    "7": "SHIPPING_FEE",  # Shipping Fee Paid by Seller
    "21": "SHIPPING_FEE",  # Shipping Fee (Charged By 3P)
    "117": "PROMOTION", "118": "PROMOTION", "119": "PROMOTION",
}
DATE_FORMATS = ("%d %b %Y", "%Y-%m-%d", "%d %B %Y")


def raw_settlement_key(raw: Any) -> str:
    return str(raw.get("transaction_number")) if isinstance(raw, Mapping) and raw.get("transaction_number") else "?"


def local_day(value: object, offset_hours: int) -> datetime:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("missing date")
    for fmt in DATE_FORMATS:
        try:
            day = datetime.strptime(value.strip(), fmt)
        except ValueError:
            continue
        return day.replace(tzinfo=timezone(timedelta(hours=offset_hours))).astimezone(timezone.utc)
    raise ValueError(f"not a transaction date: {value!r}")


def map_row(raw: Any, shop_id: str, currency: str | None, offset_hours: int) -> tuple[list[SettlementLine], list]:
    problems = Problems(location=f"transaction {raw_settlement_key(raw)}")
    if not isinstance(raw, Mapping):
        problems.add("not_an_object", "transaction row is not an object")
        return [], problems.items
    if not currency:
        problems.add("missing_currency", "no venture currency for this shop", field="currency")
        return [], problems.items
    number = problems.parse(id_str, raw.get("transaction_number"), "transaction_number")
    amount = problems.parse(money, raw.get("amount"), "amount", currency)
    occurred = problems.parse(local_day, raw.get("transaction_date"), "transaction_date", offset_hours)
    fee_type = str(raw.get("fee_type") or "")
    kind = FEE_TYPES.get(fee_type, "OTHER")
    if kind == "OTHER":
        problems.add("unknown_fee_type", "fee_type not in the table; kept as OTHER", field="fee_type",
                     value=fee_type, severity="warning")
    if problems.has_errors or None in (number, amount, occurred):
        return [], problems.items
    line = SettlementLine(
        platform=Platform.LAZADA, shop_id=str(shop_id), statement_id=str(raw.get("statement") or "unassigned"),
        transaction_id=number, kind=kind, amount=amount, occurred_at=occurred,
        order_id=str(raw.get("order_no") or "") or None, payout_id=str(raw.get("payment_ref_id") or "") or None,
        description=str(raw.get("fee_name") or raw.get("transaction_type") or ""), raw_kind=fee_type or None,
        updated_at=occurred,
        extra={k: str(raw[k]) for k in ("orderItem_no", "seller_sku", "paid_status") if raw.get(k)},
    )
    return [line], problems.items
