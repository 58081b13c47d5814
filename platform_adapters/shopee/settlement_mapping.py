"""Pure mapping of a Shopee escrow detail to canonical settlement lines, and of one day's escrow
releases to a statement (+ problems).

Source: Shopee Open Platform v2 ``payment.get_escrow_detail`` (schema copy in
congminh1254/shopee-sdk ``schemas/v2.payment.get_escrow_detail.json``; reference
marketplace_apis.md §2.6). Its documented formula for non-SIP shops is

    escrow_amount = original_cost_of_goods_sold − original_shopee_discount + seller_return_refund
      + shopee_discount − voucher_from_seller − seller_coin_cash_back + buyer_paid_shipping_fee
      − actual_shipping_fee + shopee_shipping_rebate + shipping_fee_discount_from_3pl
      − reverse_shipping_fee + rsf_seller_protection_fee_claim_amount
      − final_return_to_seller_shipping_fee − seller_transaction_fee − service_fee − commission_fee
      − campaign_fee − shipping_seller_protection_fee_amount − delivery_seller_protection_fee_premium_amount
      − final_escrow_product_gst − order_ams_commission_fee − escrow_tax − sales_tax_on_lvg
      − reverse_shipping_fee_sst − shipping_fee_sst − withholding_tax − overseas_return_service_fee
      − vat_on_imported_goods − withholding_vat_tax − withholding_pit_tax − withholding_cit_tax
      − seller_order_processing_fee + buyer_paid_packaging_fee − trade_in_bonus_by_seller − fbs_fee
      − ads_escrow_top_up_fee_or_technical_support_fee − th_import_duty

Every term becomes its own line in the canonical taxonomy (``ESCROW_TERMS``): a subtracted term is
a deduction whatever sign the payload uses; an added term keeps its sign (``seller_return_refund``
is negative). What the terms do not explain of ``escrow_amount`` becomes one ``OTHER`` line and a
warning (counted, never dropped). Each ``order_adjustment[]`` entry is an ``ADJUSTMENT`` line at its
own date; ``total_adjustment_amount`` and ``escrow_amount_after_adjustment`` are checked against
them, so the lines of an order sum to ``escrow_amount_after_adjustment`` (what the seller finally
gets). SIP affiliate shops report ``*_pri`` amounts and ``escrow_amount = escrow_amount_pri ×
exchange_rate``: their escrow is mapped from the same affiliate-currency terms.

Shopee publishes no statement per release: the aggregator's statement of a shop is the UTC day of
release (``escrow-YYYY-MM-DD``) and its declared total the sum of that day's ``payout_amount`` in
``payment.get_escrow_list``. Local shops' escrow has no currency: it comes from the shop's region. The
day's statement keeps when its money came (``breakdown["release_times"]``: a JSON list of [epoch second,
amount], the day's ``escrow_release_time``s with their ``payout_amount`` summed per second, in order), so
a local shop's withdrawal is only given the money released before it was created
(``aggregator.settlement.wallet_allocation``).
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from fx.money import Money
from platform_adapters.canonical import FeeCategory, Platform, SettlementLine, Statement
from platform_adapters.http.values import Problems, as_list, epoch, id_str, money

C = FeeCategory
#: (field, sign, category): sign −1 = the formula subtracts it (always a deduction), +1 = added as given.
ESCROW_TERMS: tuple[tuple[str, int, FeeCategory], ...] = (
    ("original_cost_of_goods_sold", +1, C.REVENUE),
    ("original_shopee_discount", -1, C.VOUCHER_PLATFORM),
    ("seller_return_refund", +1, C.REFUND),
    ("shopee_discount", +1, C.VOUCHER_PLATFORM),
    ("voucher_from_seller", -1, C.VOUCHER_SELLER),
    ("seller_coin_cash_back", -1, C.VOUCHER_SELLER),
    ("buyer_paid_shipping_fee", +1, C.SHIPPING_BUYER_PAID),
    ("actual_shipping_fee", -1, C.SHIPPING_CHARGED),
    ("shopee_shipping_rebate", +1, C.SHIPPING_REBATE),
    ("shipping_fee_discount_from_3pl", +1, C.SHIPPING_REBATE),
    ("reverse_shipping_fee", -1, C.SHIPPING_CHARGED),
    ("rsf_seller_protection_fee_claim_amount", +1, C.SHIPPING_REBATE),
    ("final_return_to_seller_shipping_fee", -1, C.SHIPPING_CHARGED),
    ("seller_transaction_fee", -1, C.TRANSACTION_FEE),
    ("service_fee", -1, C.SERVICE_FEE),
    ("commission_fee", -1, C.COMMISSION),
    ("campaign_fee", -1, C.MARKETING_FEE),
    ("shipping_seller_protection_fee_amount", -1, C.SERVICE_FEE),
    ("delivery_seller_protection_fee_premium_amount", -1, C.SERVICE_FEE),
    ("final_escrow_product_gst", -1, C.TAX_WITHHELD),
    ("order_ams_commission_fee", -1, C.MARKETING_FEE),
    ("escrow_tax", -1, C.TAX_WITHHELD),
    ("sales_tax_on_lvg", -1, C.TAX_WITHHELD),
    ("reverse_shipping_fee_sst", -1, C.TAX_WITHHELD),
    ("shipping_fee_sst", -1, C.TAX_WITHHELD),
    ("withholding_tax", -1, C.TAX_WITHHELD),
    ("overseas_return_service_fee", -1, C.SERVICE_FEE),
    ("vat_on_imported_goods", -1, C.TAX_WITHHELD),
    ("withholding_vat_tax", -1, C.TAX_WITHHELD),
    ("withholding_pit_tax", -1, C.TAX_WITHHELD),
    ("withholding_cit_tax", -1, C.TAX_WITHHELD),
    ("seller_order_processing_fee", -1, C.SERVICE_FEE),
    ("buyer_paid_packaging_fee", +1, C.REVENUE),
    ("trade_in_bonus_by_seller", -1, C.VOUCHER_SELLER),
    ("fbs_fee", -1, C.SERVICE_FEE),
    ("ads_escrow_top_up_fee_or_technical_support_fee", -1, C.MARKETING_FEE),
    ("th_import_duty", -1, C.TAX_WITHHELD),
)


def raw_settlement_key(raw: Any) -> str:
    if isinstance(raw, Mapping):
        if isinstance(raw.get("_statement"), Mapping):
            return f"statement {raw['_statement'].get('day') or '?'}"
        release = raw.get("_release") if isinstance(raw.get("_release"), Mapping) else {}
        return str(raw.get("order_sn") or release.get("order_sn") or "?")
    return "?"


def statement_id_for(released_at: datetime) -> str:
    """The aggregator's statement of a Shopee release: its UTC day."""
    return "escrow-" + released_at.astimezone(timezone.utc).strftime("%Y-%m-%d")


def map_escrow(raw: Any, shop_id: str, currency: str | None) -> tuple[list[SettlementLine], list]:
    """The lines of one escrow detail (with its escrow-list entry under ``_release``)."""
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
    currency = _income_currency(income, currency)
    if not currency:
        problems.add("missing_currency", "no currency for the shop's region", field="currency")
    if problems.has_errors or None in (order_sn, released_at) or income is None or not currency:
        return [], problems.items
    escrow = problems.parse(money, income.get("escrow_amount"), "order_income.escrow_amount", currency)
    terms: list[tuple[FeeCategory, str, Money]] = []
    for name, sign, category in ESCROW_TERMS:
        value = problems.parse(money, income.get(name, 0) if income.get(name) is not None else 0,
                               f"order_income.{name}", currency)
        if value is None or value.is_zero():
            continue
        terms.append((category, name, -abs(value) if sign < 0 else value))
    if problems.has_errors or escrow is None:
        return [], problems.items
    explained = sum((amount for _, _, amount in terms), Money.zero(currency))
    if explained != escrow:
        problems.add("unmapped_difference", f"escrow_amount {escrow.amount} is not explained by the documented "
                     f"terms (they sum to {explained.amount}); the difference is kept as OTHER",
                     field="order_income.escrow_amount", value=escrow.amount, severity="warning")
        terms.append((C.OTHER, "escrow_amount - documented terms", escrow - explained))
    statement_id = statement_id_for(released_at)
    lines = [_line(shop_id, statement_id, order_sn, f"{order_sn}:{name}", category, name, amount, released_at)
             for category, name, amount in terms]
    lines += _adjustments(income, shop_id, statement_id, order_sn, currency, released_at, escrow, problems)
    if problems.has_errors:  # an unreadable adjustment amount: the escrow is parked whole, never half-stored
        return [], problems.items
    return lines, problems.items


def _income_currency(income: Mapping | None, fallback: str | None) -> str | None:
    """SIP affiliate escrow is in ``aff_currency``; adjustments name theirs; else the region's."""
    if income is None:
        return fallback
    for candidate in (income.get("aff_currency"),
                      *(a.get("currency") for a in as_list(income.get("order_adjustment")) if isinstance(a, Mapping))):
        if isinstance(candidate, str) and len(candidate.strip()) == 3 and candidate.strip().isalpha():
            return candidate.strip().upper()
    return fallback


def _adjustments(income: Mapping, shop_id: str, statement_id: str, order_sn: str, currency: str,
                 released_at: datetime, escrow: Money, problems: Problems) -> list[SettlementLine]:
    lines = []
    total = Money.zero(currency)
    for index, entry in enumerate(as_list(income.get("order_adjustment"))):
        field = f"order_income.order_adjustment[{index}]"
        if not isinstance(entry, Mapping):
            problems.add("bad_value", "adjustment is not an object", field=field, severity="warning")
            continue
        amount = problems.parse(money, entry.get("amount"), f"{field}.amount", currency)
        at = problems.parse(epoch, entry.get("date"), f"{field}.date", required=False) or released_at
        if amount is None:
            continue
        total = total + amount
        reason = str(entry.get("adjustment_reason") or "order adjustment")
        lines.append(_line(shop_id, statement_id, order_sn, f"{order_sn}:order_adjustment:{index}", C.ADJUSTMENT,
                           "order_adjustment", amount, at, reason))
    declared = income.get("total_adjustment_amount")
    if declared not in (None, ""):
        stated = problems.parse(money, declared, "order_income.total_adjustment_amount", currency)
        if stated is not None and stated != total:
            problems.add("adjustments_mismatch", f"order_adjustment[] sums to {total.amount}, "
                         f"total_adjustment_amount is {stated.amount}", field="order_income.total_adjustment_amount",
                         value=stated.amount, severity="warning")
    after = income.get("escrow_amount_after_adjustment")
    if after not in (None, ""):
        final = problems.parse(money, after, "order_income.escrow_amount_after_adjustment", currency)
        if final is not None and final != escrow + total:
            problems.add("adjustments_mismatch", f"escrow_amount + adjustments = {(escrow + total).amount}, "
                         f"escrow_amount_after_adjustment is {final.amount}",
                         field="order_income.escrow_amount_after_adjustment", value=final.amount, severity="warning")
    return lines


def _line(shop_id: str, statement_id: str, order_sn: str, transaction_id: str, category: FeeCategory,
          raw_kind: str, amount: Money, at: datetime, description: str = "") -> SettlementLine:
    return SettlementLine(platform=Platform.SHOPEE, shop_id=str(shop_id), statement_id=statement_id,
                          transaction_id=transaction_id, kind=category.value, amount=amount, occurred_at=at,
                          order_id=order_sn, raw_kind=raw_kind, description=description or raw_kind, updated_at=at)


def map_release_day(raw: Any, shop_id: str, currency: str | None) -> tuple[list[Statement], list]:
    """The statement of one UTC day of releases: ``{"_statement": {"day", "escrow_list": [...]}}``."""
    problems = Problems(location=f"escrow {raw_settlement_key(raw)}")
    body = raw.get("_statement") if isinstance(raw, Mapping) else None
    if not isinstance(body, Mapping) or not currency:
        problems.add("bad_value", "release-day record needs a day, its escrow list and a currency")
        return [], problems.items
    total = Money.zero(currency)
    latest: datetime | None = None
    times: dict[int, Money] = {}
    for index, entry in enumerate(as_list(body.get("escrow_list"))):
        amount = problems.parse(money, entry.get("payout_amount") if isinstance(entry, Mapping) else None,
                                f"escrow_list[{index}].payout_amount", currency)
        at = problems.parse(epoch, entry.get("escrow_release_time") if isinstance(entry, Mapping) else None,
                            f"escrow_list[{index}].escrow_release_time")
        if amount is None or at is None:
            continue
        total = total + amount
        second = int(at.timestamp())
        times[second] = times[second] + amount if second in times else amount
        latest = at if latest is None or at > latest else latest
    if problems.has_errors or latest is None:
        return [], problems.items
    statement = Statement(platform=Platform.SHOPEE, shop_id=str(shop_id), statement_id=statement_id_for(latest),
                          currency=currency, issued_at=latest, declared_total=total, updated_at=latest,
                          payout=total, breakdown={
                              "releases": str(len(as_list(body.get("escrow_list")))),
                              "release_times": json.dumps([[at, str(amount.amount)] for at, amount in sorted(times.items())],
                                                          separators=(",", ":"))})
    return [statement], problems.items
