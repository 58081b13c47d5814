"""Pure mapping of a Lazada transaction-detail row to one canonical settlement line, and of a payout
status entry to a statement (+ problems).

Source: Lazada Open Platform ``GET /finance/transaction/details/get`` and ``/finance/payout/status/get``
(official documentation copy in lazykern/ecommerce-api-docs: ``data/raw/lazada/apis/finance-api/*.json``
and the guide "QueryTransactionDetails fee_type field enum list"; reference marketplace_apis.md §3.6).
Rows carry a signed decimal ``amount`` and a ``fee_type`` id but no currency: the venture's currency
is used. ``transaction_date`` (e.g. ``17 May 2016``) is a local calendar day, stored as its local
midnight in UTC.

``fee_types.csv`` beside this module is the documented enum list in full (316 fee types: id,
transaction type, fee name) with the canonical category of each; a ``fee_type`` not in it becomes
``OTHER`` with a warning (counted, never dropped). A statement's declared total is
``closing_balance − opening_balance`` (the movement its transaction rows make; our reading of the
payout-status fields, which the documentation does not define by formula), its payout ``payout``.
"""
from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from importlib import resources
from typing import Any

from platform_adapters.canonical import FeeCategory, Platform, SettlementLine, Statement
from platform_adapters.http.values import Problems, id_str, iso_time, money


@dataclass(frozen=True, slots=True)
class FeeType:
    fee_type: str
    transaction_type: str
    fee_name: str
    category: FeeCategory


def _load_fee_types() -> dict[str, FeeType]:
    text = resources.files("platform_adapters.lazada").joinpath("fee_types.csv").read_text(encoding="utf-8")
    return {row["fee_type"]: FeeType(row["fee_type"], row["transaction_type"], row["fee_name"],
                                     FeeCategory(row["category"])) for row in csv.DictReader(text.splitlines())}


FEE_TYPES: dict[str, FeeType] = _load_fee_types()
DATE_FORMATS = ("%d %b %Y", "%Y-%m-%d", "%d %B %Y")


def raw_settlement_key(raw: Any) -> str:
    if isinstance(raw, Mapping) and isinstance(raw.get("_payout"), Mapping):
        return f"statement {raw['_payout'].get('statement_number') or '?'}"
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
    fee_type = str(raw.get("fee_type") or "").strip()
    known = FEE_TYPES.get(fee_type)
    kind = known.category.value if known else FeeCategory.OTHER.value
    if known is None:
        problems.add("unknown_fee_type", "fee_type not in the documented enum list; kept as OTHER", field="fee_type",
                     value=fee_type, severity="warning")
    if problems.has_errors or None in (number, amount, occurred):
        return [], problems.items
    line = SettlementLine(
        platform=Platform.LAZADA, shop_id=str(shop_id), statement_id=str(raw.get("statement") or "unassigned"),
        transaction_id=number, kind=kind, amount=amount, occurred_at=occurred,
        order_id=str(raw.get("order_no") or "") or None, payout_id=str(raw.get("payment_ref_id") or "") or None,
        description=str(raw.get("fee_name") or (known.fee_name if known else "") or raw.get("transaction_type") or ""),
        raw_kind=fee_type or None,
        updated_at=occurred,
        extra={k: str(raw[k]) for k in ("orderItem_no", "seller_sku", "paid_status") if raw.get(k)},
    )
    return [line], problems.items


def map_payout(raw: Any, shop_id: str, currency: str | None) -> tuple[list[Statement], list]:
    """The statement of one ``/finance/payout/status/get`` entry (yielded as ``{"_payout": entry}``)."""
    problems = Problems(location=f"payout {raw_settlement_key(raw)}")
    entry = raw.get("_payout") if isinstance(raw, Mapping) else None
    if not isinstance(entry, Mapping):
        problems.add("not_an_object", "payout status entry is not an object")
        return [], problems.items
    if not currency:
        problems.add("missing_currency", "no venture currency for this shop", field="currency")
        return [], problems.items
    number = problems.parse(id_str, entry.get("statement_number"), "statement_number")
    created = problems.parse(iso_time, entry.get("created_at"), "created_at")
    updated = problems.parse(iso_time, entry.get("updated_at") or entry.get("created_at"), "updated_at")
    opening = problems.parse(money, entry.get("opening_balance") or "0", "opening_balance", currency)
    closing = problems.parse(money, entry.get("closing_balance"), "closing_balance", currency)
    payout = problems.parse(money, entry.get("payout"), "payout", currency, required=False)
    if problems.has_errors or None in (number, created, updated, opening, closing):
        return [], problems.items
    paid = str(entry.get("paid") or "0").strip() in ("1", "true", "True")
    breakdown = {name: str(entry.get(name)) for name in (
        "opening_balance", "closing_balance", "item_revenue", "shipment_fee", "shipment_fee_credit",
        "other_revenue_total", "fees_total", "refunds", "fees_on_refunds_total", "subtotal1", "subtotal2",
        "guarantee_deposit", "payout") if entry.get(name) not in (None, "")}
    record = Statement(platform=Platform.LAZADA, shop_id=str(shop_id), statement_id=number, currency=currency,
                       issued_at=created, declared_total=closing - opening, updated_at=updated, payout=payout,
                       payment_status="PAID" if paid else "UNPAID", paid_at=updated if paid else None,
                       breakdown=breakdown)
    return [record], problems.items
