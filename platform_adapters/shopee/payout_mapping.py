"""Pure mapping of one Shopee cross-border payout batch to a statement and its lines (+ problems).

Source: Shopee Open Platform v2 ``payment.get_payout_detail`` (schema copy in congminh1254/shopee-sdk
``schemas/v2.payment.get_payout_detail.json``: "applicable for Cross Border (CB) sellers only … the
payout amount, currency, FX rate, the payout's associated order income and adjustment records"). One
``payout_list[]`` entry is

    {"payout_info": {"from_currency": "VND", "payout_currency": "USD", "from_amount": 591797912,
                     "payout_amount": 25678.64, "exchange_rate": "0.00", "payout_time": 1651842208,
                     "pay_service": "Payoneer", "payee_id": "…"},
     "escrow_list": [{"escrow_amount": 20865, "currency": "VND", "order_sn": "220404NF3CFFNY"}, …],
     "offline_adjustment_list": [{"adjustment_amount": 2, "module": "Commission Fee", "remark": "…",
                                  "scenario": "Commission Fee Adjustment", "adjustment_level": "shop",
                                  "order_sn": "220322JUMMT0S0"}, …]}

A batch pays escrows already released (and stated in their release day's ``escrow-YYYY-MM-DD``
statement) plus offline adjustments that no escrow carries. It becomes the statement
``payout-YYYYMMDDTHHMMSSZ`` (its payout time, UTC; Shopee gives a batch no id here), paid at that time,
in the settlement currency (``from_currency``) with:

* one ``ADJUSTMENT`` line per offline adjustment (its order when it names one), the new money of the
  batch — the statement's ``declared_total`` is their sum;
* one ``PAYOUT`` line per escrow (minus its amount, on its order) and one for the adjustments: the
  money leaving the Shopee balance. PAYOUT lines are outside statement checks and order verdicts;
  they tell which batch paid which order, so the release-day statements are marked paid
  (``aggregator.settlement.payouts``);
* the batch's own figures in ``breakdown`` (payout currency and amount, Shopee's exchange rate, pay
  service; never the payee account).

``from_amount`` should equal the escrows plus the adjustments; a difference is a warning on the
batch (counted, the batch kept), so no cent of a payout goes unexplained silently.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from fx.money import Money
from platform_adapters.canonical import FeeCategory, Platform, SettlementLine, Statement
from platform_adapters.http.values import Problems, as_list, epoch, id_str, money


def payout_statement_id(paid_at: datetime) -> str:
    return "payout-" + paid_at.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def raw_payout_key(raw: Any) -> str:
    body = raw.get("_payout") if isinstance(raw, Mapping) else None
    info = body.get("payout_info") if isinstance(body, Mapping) else None
    return f"payout {info.get('payout_time') if isinstance(info, Mapping) else '?'}"


def _currency(value: Any) -> str:
    if not isinstance(value, str) or len(value.strip()) != 3 or not value.strip().isalpha():
        raise ValueError(f"not a currency code: {value!r}")
    return value.strip().upper()


def map_payout(raw: Any, shop_id: str) -> tuple[list[Statement | SettlementLine], list]:
    """The statement and lines of one ``{"_payout": payout_list entry}`` record."""
    problems = Problems(location=raw_payout_key(raw))
    body = raw.get("_payout") if isinstance(raw, Mapping) else None
    info = body.get("payout_info") if isinstance(body, Mapping) else None
    if not isinstance(info, Mapping):
        problems.add("bad_value", "payout record needs a payout_info object", field="payout_info")
        return [], problems.items
    currency = problems.parse(_currency, info.get("from_currency"), "payout_info.from_currency")
    paid_at = problems.parse(epoch, info.get("payout_time"), "payout_info.payout_time")
    if currency is None or paid_at is None:
        return [], problems.items
    from_amount = problems.parse(money, info.get("from_amount"), "payout_info.from_amount", currency)
    sid = payout_statement_id(paid_at)

    def line(transaction: str, category: FeeCategory, amount: Money, order_sn: str | None, raw_kind: str,
             description: str) -> SettlementLine:
        return SettlementLine(platform=Platform.SHOPEE, shop_id=str(shop_id), statement_id=sid,
                              transaction_id=f"{sid}:{transaction}", kind=category.value, amount=amount,
                              occurred_at=paid_at, order_id=order_sn, raw_kind=raw_kind, description=description,
                              payout_id=sid, updated_at=paid_at)

    lines: list[SettlementLine] = []
    escrows = Money.zero(currency)
    for index, entry in enumerate(as_list(body.get("escrow_list"))):
        where = f"escrow_list[{index}]"
        entry = entry if isinstance(entry, Mapping) else {}
        order_sn = problems.parse(id_str, entry.get("order_sn"), f"{where}.order_sn")
        entry_currency = problems.parse(_currency, entry.get("currency") or currency, f"{where}.currency")
        amount = problems.parse(money, entry.get("escrow_amount"), f"{where}.escrow_amount", currency)
        if entry_currency is not None and entry_currency != currency:
            problems.add("currency_mismatch", f"escrow in {entry_currency}, payout settles {currency}",
                         field=f"{where}.currency", value=entry_currency)
            continue
        if order_sn is None or amount is None:
            continue
        escrows = escrows + amount
        lines.append(line(order_sn, FeeCategory.PAYOUT, -amount, order_sn, "payout_escrow",
                          f"escrow of {order_sn} paid out"))
    adjustments = Money.zero(currency)
    for index, entry in enumerate(as_list(body.get("offline_adjustment_list"))):
        where = f"offline_adjustment_list[{index}]"
        entry = entry if isinstance(entry, Mapping) else {}
        amount = problems.parse(money, entry.get("adjustment_amount"), f"{where}.adjustment_amount", currency)
        order_sn = problems.parse(id_str, entry.get("order_sn"), f"{where}.order_sn", required=False) \
            if entry.get("order_sn") not in (None, "") else None
        if amount is None:
            continue
        adjustments = adjustments + amount
        text = " — ".join(str(entry.get(k)) for k in ("module", "scenario", "remark") if entry.get(k))
        level = str(entry.get("adjustment_level") or "")
        lines.append(line(f"adjustment-{index}", FeeCategory.ADJUSTMENT, amount, order_sn,
                          "offline_adjustment", f"offline adjustment ({level or 'level not given'}): {text}"))
    if problems.has_errors or from_amount is None:
        return [], problems.items
    if not adjustments.is_zero():
        lines.append(line("adjustments", FeeCategory.PAYOUT, -adjustments, None, "payout_offline_adjustments",
                          "offline adjustments paid out"))
    if escrows + adjustments != from_amount:
        problems.add("payout_mismatch", f"escrows {escrows.amount} + offline adjustments {adjustments.amount} = "
                     f"{(escrows + adjustments).amount} {currency}, the batch pays {from_amount.amount}",
                     field="payout_info.from_amount", value=from_amount.amount, severity="warning")
    breakdown = {"from_amount": str(from_amount.amount), "escrows": str(len(as_list(body.get("escrow_list")))),
                 "escrow_total": str(escrows.amount), "adjustments_total": str(adjustments.amount)}
    for key in ("payout_currency", "payout_amount", "exchange_rate", "pay_service"):
        if info.get(key) not in (None, ""):
            breakdown[key] = str(info.get(key))
    statement = Statement(platform=Platform.SHOPEE, shop_id=str(shop_id), statement_id=sid, currency=currency,
                          issued_at=paid_at, declared_total=adjustments, updated_at=paid_at, payout=from_amount,
                          payment_status="PAID", payout_id=sid, paid_at=paid_at, breakdown=breakdown)
    return [statement, *lines], problems.items
