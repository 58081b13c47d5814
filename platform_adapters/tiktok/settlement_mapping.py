"""Pure mapping of TikTok Shop statement transactions and statements to canonical records (+ problems).

Source: TikTok Shop Partner API ``GET /finance/202501/statements/{statement_id}/statement_transactions``
and ``GET /finance/202309/statements`` (official reference copy in lazykern/ecommerce-api-docs
``data/raw/tiktok/api-reference/finance/get-transactions-by-statement.doc.json``; reference
marketplace_apis.md §4.6). A transaction is an ``ORDER``, a ``RESERVE`` (reserve funds collected or
released, ``reserve_amount`` / ``reserve_status``) or one of the adjustment types
(``CHARGE_BACK``, ``PLATFORM_PENALTY``, ``SHIPPING_FEE_ADJUSTMENT``, …).

One transaction becomes one line per component of its breakdowns, each in the canonical taxonomy
(``REVENUE_PARTS``, ``SHIPPING_PARTS``, ``FEE_PARTS``; every ``tax`` part is ``TAX_WITHHELD``), signed
as TikTok reports them. ``supplementary_component`` amounts do not contribute to the settlement (the
document says so) and are not lines. Where a breakdown does not add up to its total
(``revenue_amount``, ``shipping_cost_amount``, ``fee_tax_amount``), the rest is one ``OTHER`` line and a
warning; a component name the tables do not know is ``OTHER`` and a warning: nothing is dropped, so
the lines of an order transaction always sum to ``settlement_amount``. A ``RESERVE`` transaction is
one ``RESERVE_HELD`` (collected, negative) or ``RESERVE_RELEASED`` (positive) line.

The statement's declared total is ``payable_amount`` (``total_settlement_amount +
total_reserve_amount``, what is actually paid out), which its lines — reserves included — must sum to.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fx.money import Money
from platform_adapters.canonical import FeeCategory, Platform, SettlementLine, Statement
from platform_adapters.http.values import Problems, epoch, id_str, money

C = FeeCategory
REVENUE_PARTS: dict[str, FeeCategory] = {
    "subtotal_before_discount_amount": C.REVENUE,
    "refund_subtotal_before_discount_amount": C.REFUND,
    "seller_discount_amount": C.VOUCHER_SELLER,
    "seller_discount_refund_amount": C.VOUCHER_SELLER,
    "cod_service_fee_amount": C.REVENUE,
    "refund_cod_service_fee_amount": C.REFUND,
}
SHIPPING_PARTS: dict[str, FeeCategory] = {
    "actual_shipping_fee_amount": C.SHIPPING_CHARGED,
    "shipping_fee_discount_amount": C.SHIPPING_REBATE,
    "customer_paid_shipping_fee_amount": C.SHIPPING_BUYER_PAID,
    "return_shipping_fee_amount": C.SHIPPING_CHARGED,
    "replacement_shipping_fee_amount": C.SHIPPING_CHARGED,
    "exchange_shipping_fee_amount": C.SHIPPING_CHARGED,
    "signature_confirmation_fee_amount": C.SHIPPING_CHARGED,
    "shipping_insurance_fee_amount": C.SHIPPING_CHARGED,
    "fbt_fulfillment_fee_reimbursement_amount": C.SHIPPING_REBATE,
    "return_shipping_label_fee_amount": C.SHIPPING_BUYER_PAID,
    "seller_self_shipping_service_fee_amount": C.SHIPPING_CHARGED,
    "return_shipping_fee_paid_buyer_amount": C.SHIPPING_REBATE,
    "failed_delivery_subsidy_amount": C.SHIPPING_REBATE,
    "shipping_fee_guarantee_reimbursement": C.SHIPPING_REBATE,
    "fbt_free_shipping_fee_amount": C.SHIPPING_CHARGED,
    "free_return_subsidy_amount": C.SHIPPING_REBATE,
}
FEE_PARTS: dict[str, FeeCategory] = {
    "platform_commission_amount": C.COMMISSION, "referral_fee_amount": C.COMMISSION,
    "refund_administration_fee_amount": C.COMMISSION, "dynamic_commission_amount": C.COMMISSION,
    "tsp_commission_amount": C.COMMISSION,
    "transaction_fee_amount": C.TRANSACTION_FEE, "credit_card_handling_fee_amount": C.TRANSACTION_FEE,
    "seller_paylater_handling_fee_amount": C.TRANSACTION_FEE,
    "affiliate_commission_amount": C.MARKETING_FEE, "affiliate_commission_amount_before_pit": C.MARKETING_FEE,
    "affiliate_partner_commission_amount": C.MARKETING_FEE, "affiliate_ads_commission_amount": C.MARKETING_FEE,
    "affiliate_commission_deposit": C.MARKETING_FEE, "affiliate_commission_release": C.MARKETING_FEE,
    "external_affiliate_marketing_fee_amount": C.MARKETING_FEE, "tap_shop_ads_commission": C.MARKETING_FEE,
    "cofunded_creator_bonus_amount": C.MARKETING_FEE, "campaign_resource_fee": C.MARKETING_FEE,
    "bonus_cashback_service_fee_amount": C.MARKETING_FEE, "voucher_xtra_service_fee_amount": C.MARKETING_FEE,
    "flash_sales_service_fee_amount": C.MARKETING_FEE, "cofunded_promotion_service_fee_amount": C.MARKETING_FEE,
    "live_specials_fee_amount": C.MARKETING_FEE,
    "sfp_service_fee_amount": C.SERVICE_FEE, "mall_service_fee_amount": C.SERVICE_FEE,
    "pre_order_service_fee_amount": C.SERVICE_FEE, "dt_handling_fee_amount": C.SERVICE_FEE,
    "epr_pob_service_fee_amount": C.SERVICE_FEE, "fee_per_item_sold_amount": C.SERVICE_FEE,
    "vn_fix_infrastructure_fee": C.SERVICE_FEE, "shipping_fee_guarantee_service_fee": C.SERVICE_FEE,
    "installation_service_fee": C.SERVICE_FEE,
}
RESERVE_STATUS = {"COLLECTED": C.RESERVE_HELD, "RELEASED": C.RESERVE_RELEASED}


def raw_settlement_key(raw: Any) -> str:
    if not isinstance(raw, Mapping):
        return "?"
    tx = raw.get("transaction")
    if isinstance(tx, Mapping) and tx.get("id"):
        return str(tx.get("id"))
    statement = raw.get("statement")
    if "summary" in raw and isinstance(statement, Mapping):
        return f"statement {statement.get('id') or '?'}"
    return "?"


def _currency(*candidates: object) -> str | None:
    for value in candidates:
        if isinstance(value, str) and len(value.strip()) == 3 and value.strip().isalpha():
            return value.strip().upper()
    return None


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
    currency = _currency(tx.get("currency"), statement.get("currency"))
    if currency is None:
        problems.add("missing_currency", "no currency on the transaction or statement", field="currency")
        return [], problems.items
    kind = str(tx.get("type") or "ORDER").upper()
    if kind == "RESERVE":
        components = _reserve(tx, currency, problems)
    else:
        components = _components(tx, kind, currency, problems)
    if problems.has_errors or None in (statement_id, tx_id, occurred):
        return [], problems.items
    payout = str(statement.get("payment_id") or "") or None
    order_id = str(tx.get("order_id") or tx.get("adjustment_order_id") or tx.get("associated_order_id") or "") or None
    lines = [SettlementLine(
        platform=Platform.TIKTOK, shop_id=str(shop_id), statement_id=statement_id, transaction_id=f"{tx_id}:{name}",
        kind=category.value, amount=amount, occurred_at=occurred, order_id=order_id, payout_id=payout,
        description=kind, raw_kind=name, updated_at=occurred,
    ) for category, name, amount in components if not amount.is_zero()]
    return lines, problems.items


def _reserve(tx: Mapping, currency: str, problems: Problems) -> list[tuple[FeeCategory, str, Money]]:
    amount = problems.parse(money, tx.get("reserve_amount"), "reserve_amount", currency)
    status = str(tx.get("reserve_status") or "").upper()
    category = RESERVE_STATUS.get(status)
    if amount is None:
        return []
    if category is None:
        problems.add("unknown_reserve_status", "reserve_status not COLLECTED or RELEASED; kept as OTHER",
                     field="reserve_status", value=status, severity="warning")
        return [(C.OTHER, "reserve_amount", amount)]
    signed = -abs(amount) if category is C.RESERVE_HELD else abs(amount)
    return [(category, "reserve_amount", signed)]


def _breakdown(tx: Mapping, total_field: str, breakdown_field: str, table: Mapping[str, FeeCategory],
               currency: str, problems: Problems, *, unknown: FeeCategory = C.OTHER,
               nested: tuple[str, ...] = ()) -> list[tuple[FeeCategory, str, Money]]:
    """The parts of one breakdown as lines, plus an OTHER line for what they leave of the total."""
    total = problems.parse(money, tx.get(total_field) if tx.get(total_field) not in (None, "") else "0",
                           total_field, currency)
    raw = tx.get(breakdown_field)
    groups: list[tuple[str, Mapping, Mapping[str, FeeCategory], FeeCategory]] = []
    if isinstance(raw, Mapping):
        if nested:
            for group in nested:
                part = raw.get(group)
                if isinstance(part, Mapping):
                    groups.append((f"{breakdown_field}.{group}", part, table if group == "fee" else {},
                                   C.TAX_WITHHELD if group == "tax" else unknown))
        else:
            groups.append((breakdown_field, raw, table, unknown))
    out: list[tuple[FeeCategory, str, Money]] = []
    named = Money.zero(currency)
    for prefix, parts, known, fallback in groups:
        for name, value in parts.items():
            if name == "supplementary_component" or isinstance(value, (Mapping, list)):
                continue
            amount = problems.parse(money, value, f"{prefix}.{name}", currency, required=False)
            if amount is None:
                continue
            category = known.get(name)
            if category is None:
                category = fallback
                if fallback is C.OTHER:
                    problems.add("unknown_fee_type", f"{prefix}.{name} is not in the table; kept as OTHER",
                                 field=f"{prefix}.{name}", value=value, severity="warning")
            out.append((category, name, amount))
            named = named + amount
    if total is not None and total != named:
        if groups:
            problems.add("unmapped_difference", f"{breakdown_field} sums to {named.amount}, {total_field} is "
                         f"{total.amount}; the difference is kept as OTHER", field=total_field,
                         value=total.amount, severity="warning")
            out.append((C.OTHER, f"{total_field} - {breakdown_field}", total - named))
        else:
            out.append((_whole(total_field), total_field, total))
    return out


def _whole(total_field: str) -> FeeCategory:
    return {"revenue_amount": C.REVENUE, "shipping_cost_amount": C.SHIPPING_CHARGED,
            "fee_tax_amount": C.OTHER}.get(total_field, C.OTHER)


def _components(tx: Mapping, kind: str, currency: str, problems: Problems) -> list[tuple[FeeCategory, str, Money]]:
    parts = _breakdown(tx, "revenue_amount", "revenue_breakdown", REVENUE_PARTS, currency, problems)
    parts += _breakdown(tx, "shipping_cost_amount", "shipping_cost_breakdown", SHIPPING_PARTS, currency, problems)
    parts += _breakdown(tx, "fee_tax_amount", "fee_tax_breakdown", FEE_PARTS, currency, problems,
                        nested=("fee", "tax"))
    adjustment = problems.parse(money, tx.get("adjustment_amount") or "0", "adjustment_amount", currency)
    if adjustment is not None and not adjustment.is_zero():
        parts.append((C.ADJUSTMENT, "adjustment_amount", adjustment))
    total = problems.parse(money, tx.get("settlement_amount"), "settlement_amount", currency)
    if total is not None and not problems.has_errors:
        summed = sum((amount for _, _, amount in parts), Money.zero(currency))
        if summed != total:
            problems.add("unbalanced", f"{kind} components sum to {summed.amount}, settlement_amount is "
                         f"{total.amount}; the difference is kept as OTHER", field="settlement_amount",
                         value=total.amount, severity="warning")
            parts.append((C.OTHER, "settlement_amount - components", total - summed))
    return parts


def map_statement(raw: Any, shop_id: str) -> tuple[list[Statement], list]:
    """The statement of a ``{"statement": <list entry>, "summary": <transactions page header>}`` record."""
    problems = Problems(location=f"statement {raw_settlement_key(raw)}")
    statement = raw.get("statement") if isinstance(raw, Mapping) else None
    summary = raw.get("summary") if isinstance(raw, Mapping) else None
    if not isinstance(statement, Mapping) or not isinstance(summary, Mapping):
        problems.add("bad_value", "record needs a statement and its transactions summary")
        return [], problems.items
    statement_id = problems.parse(id_str, statement.get("id"), "statement.id")
    issued = problems.parse(epoch, statement.get("statement_time") or summary.get("create_time"), "statement_time")
    currency = _currency(summary.get("currency"), statement.get("currency"))
    if currency is None:
        problems.add("missing_currency", "no currency on the statement", field="currency")
        return [], problems.items
    settlement = problems.parse(money, summary.get("total_settlement_amount", statement.get("settlement_amount")),
                                "total_settlement_amount", currency)
    reserve = problems.parse(money, summary.get("total_reserve_amount") or "0", "total_reserve_amount", currency)
    payable_raw = summary.get("payable_amount")
    payable = problems.parse(money, payable_raw, "payable_amount", currency) if payable_raw not in (None, "") else None
    if problems.has_errors or None in (statement_id, issued, settlement, reserve):
        return [], problems.items
    expected = settlement + reserve
    if payable is None:
        payable = expected
    elif payable != expected:
        problems.add("unbalanced", f"payable_amount {payable.amount} is not total_settlement_amount + "
                     f"total_reserve_amount = {expected.amount}", field="payable_amount", value=payable.amount,
                     severity="warning")
    breakdown = {name: str(statement.get(name)) for name in (
        "settlement_amount", "revenue_amount", "fee_amount", "adjustment_amount", "shipping_cost_amount",
        "net_sales_amount") if statement.get(name) not in (None, "")}
    totals = summary.get("total_settlement_breakdown")
    if isinstance(totals, Mapping):
        breakdown.update({k: str(v) for k, v in totals.items() if not isinstance(v, (Mapping, list))})
    breakdown["total_reserve_amount"] = str(reserve.amount)
    record = Statement(platform=Platform.TIKTOK, shop_id=str(shop_id), statement_id=statement_id, currency=currency,
                       issued_at=issued, declared_total=payable, updated_at=issued, payout=payable, reserve=reserve,
                       payment_status=str(statement.get("payment_status") or "") or None,
                       payout_id=str(statement.get("payment_id") or "") or None, breakdown=breakdown)
    return [record], problems.items


def map_record(raw: Any, shop_id: str) -> tuple[list[Any], list]:
    """Dispatch one raw settlement record: a statement summary or a transaction."""
    if isinstance(raw, Mapping) and "summary" in raw:
        return map_statement(raw, shop_id)
    return map_transaction(raw, shop_id)

