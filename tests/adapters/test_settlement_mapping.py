"""Settlement mapping per platform, on fixtures in the platforms' documented shapes, checked by hand:
every cent in the canonical taxonomy, adjustments, reserves, bundles and refunds, statements whose
lines sum to their declared total, unknown types kept as OTHER (counted, never dropped)."""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from fx.money import Money
from platform_adapters.canonical import OrderLine, Statement
from platform_adapters.lazada.settlement_mapping import FEE_TYPES, map_payout, map_row
from platform_adapters.registry import ShopContext, get_adapter
from platform_adapters.shopee.mapping import allocate_lines
from platform_adapters.shopee.settlement_mapping import map_escrow, map_release_day
from platform_adapters.tiktok.settlement_mapping import map_record, map_transaction
from tests.adapters.helpers import fixture_json


def by_kind(lines):
    out: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        out[line.kind] += line.amount.amount
    return dict(out)


def codes(problems):
    return [p.code for p in problems]


# ---------------------------------------------------------------- Shopee
def test_shopee_escrow_maps_every_formula_term_and_sums_to_escrow():
    lines, problems = map_escrow(fixture_json("shopee", "escrow_detail.json"), "900719925474099312", "MYR")
    assert problems == []
    # 157.70 + 4.90 - 5.10 + 0.20 - 14.19 - 9.46 - 2.69 = 131.36 (no adjustments)
    assert by_kind(lines) == {"REVENUE": Decimal("157.70"), "SHIPPING_BUYER_PAID": Decimal("4.90"),
                              "SHIPPING_CHARGED": Decimal("-5.10"), "SHIPPING_REBATE": Decimal("0.20"),
                              "COMMISSION": Decimal("-14.19"), "SERVICE_FEE": Decimal("-9.46"),
                              "TRANSACTION_FEE": Decimal("-2.69")}
    assert sum(line.amount.amount for line in lines) == Decimal("131.36")
    assert lines[0].statement_id == "escrow-2024-12-01" and lines[0].amount.currency == "MYR"


def test_shopee_bundle_refund_voucher_and_adjustments_checked_by_hand():
    raw = fixture_json("shopee", "escrow_bundle_refund_adjusted.json")
    lines, problems = map_escrow(raw, "900719925474099312", "MYR")
    assert problems == []
    # 142.02 (goods after the 15.78 bundle deal) - 45.00 refund - 3.00 seller voucher + 4.90 - 5.10 + 0.20
    # - 2.94 - 2.84 - 8.52 - 1.42 = 78.30 escrow; adjustments -2.50 + 1.00 = -1.50; after = 76.80
    assert by_kind(lines) == {
        "REVENUE": Decimal("142.02"), "REFUND": Decimal("-45.00"), "VOUCHER_SELLER": Decimal("-3.00"),
        "SHIPPING_BUYER_PAID": Decimal("4.90"), "SHIPPING_CHARGED": Decimal("-5.10"),
        "SHIPPING_REBATE": Decimal("0.20"), "TRANSACTION_FEE": Decimal("-2.94"), "SERVICE_FEE": Decimal("-2.84"),
        "COMMISSION": Decimal("-8.52"), "MARKETING_FEE": Decimal("-1.42"), "ADJUSTMENT": Decimal("-1.50")}
    assert sum(line.amount.amount for line in lines) == Decimal("76.80")
    adjustments = [line for line in lines if line.kind == "ADJUSTMENT"]
    assert [a.description for a in adjustments] == ["logistic issue deduction", "marketing fee refund"]
    assert adjustments[0].occurred_at.isoformat() == "2024-12-04T00:00:00+00:00"  # its own date
    assert len({line.transaction_id for line in lines}) == len(lines)
    # a fee sign the payload gets "wrong" is still a deduction
    raw["order_income"]["commission_fee"] = Decimal("-8.52")
    assert by_kind(map_escrow(raw, "1", "MYR")[0]) == by_kind(lines)


def test_shopee_unexplained_escrow_and_inconsistent_adjustments_are_kept_and_reported():
    raw = fixture_json("shopee", "escrow_bundle_refund_adjusted.json")
    raw["order_income"]["escrow_amount"] = Decimal("79.30")  # 1.00 the documented terms do not explain
    lines, problems = map_escrow(raw, "1", "MYR")
    assert by_kind(lines)["OTHER"] == Decimal("1.00")
    assert codes(problems) == ["unmapped_difference", "adjustments_mismatch"]  # after-adjustment 76.80 != 77.80
    assert sum(line.amount.amount for line in lines) == Decimal("77.80")
    assert map_escrow({**raw, "order_income": None}, "1", "MYR")[0] == []
    assert codes(map_escrow(raw | {"order_income": {"escrow_amount": 1}}, "1", None)[1]) == ["missing_currency"]


def test_shopee_release_day_statement_declares_the_sum_of_payouts():
    entries = [{"order_sn": "A", "payout_amount": Decimal("76.80"), "escrow_release_time": 1733184000},
               {"order_sn": "B", "payout_amount": Decimal("131.36"), "escrow_release_time": 1733200000}]
    (statement,), problems = map_release_day({"_statement": {"day": "2024-12-03", "escrow_list": entries}}, "1", "MYR")
    assert problems == [] and isinstance(statement, Statement)
    assert statement.statement_id == "escrow-2024-12-03" and statement.declared_total == Money.of("208.16", "MYR")


def test_shopee_bundle_lines_are_allocated_to_what_the_buyer_paid():
    lines = [OrderLine("1:1", "TWL", 2, Money.of("49.90", "MYR"), Money.of("99.80", "MYR")),
             OrderLine("2:0", "MAT", 1, Money.of("58.00", "MYR"), Money.of("58.00", "MYR"))]
    allocated = allocate_lines(lines, Money.of("142.02", "MYR"))  # 157.80 less a 10 % bundle deal
    # 142.02 x 99.80/157.80 = 89.8200 -> 89.82 ; 142.02 x 58/157.80 = 52.1998.. -> 52.20 (largest remainder)
    assert [line.paid_amount.amount for line in allocated] == [Decimal("89.82"), Decimal("52.20")]
    assert sum(line.paid_amount.amount for line in allocated) == Decimal("142.02")


# ---------------------------------------------------------------- TikTok
def _tiktok_records():
    data = fixture_json("tiktok", "statement_transactions_page.json")
    statement, page = data["statement"], data["page"]
    records = [{"statement": statement, "transaction": tx} for tx in page["transactions"]]
    records.append({"statement": statement, "summary": {k: v for k, v in page.items() if k != "transactions"}})
    return records


def test_tiktok_statement_with_order_refund_adjustments_and_reserve_checked_by_hand():
    lines, statements, problems = [], [], []
    for record in _tiktok_records():
        got, found = map_record(record, "7494")
        problems += found
        (statements if "summary" in record else lines).extend(got)
    assert problems == []
    order = [line for line in lines if line.order_id == "577086512123755123" and line.kind != "RESERVE_HELD"]
    # revenue 1300 - 60 seller discount - 60 refund; shipping -80 + 40 buyer-paid; fees -97.60 -24.40 -12.20;
    # VAT -10: 995.80
    assert by_kind(order) == {"REVENUE": Decimal("1300.00"), "VOUCHER_SELLER": Decimal("-60.00"),
                              "REFUND": Decimal("-60.00"), "SHIPPING_CHARGED": Decimal("-80.00"),
                              "SHIPPING_BUYER_PAID": Decimal("40.00"), "COMMISSION": Decimal("-97.60"),
                              "TRANSACTION_FEE": Decimal("-24.40"), "SERVICE_FEE": Decimal("-12.20"),
                              "TAX_WITHHELD": Decimal("-10.00")}
    assert sum(line.amount.amount for line in order) == Decimal("995.80")
    reserve = [line for line in lines if line.kind == "RESERVE_HELD"]
    assert [(r.amount.amount, r.order_id) for r in reserve] == [(Decimal("-50.00"), "577086512123755123")]
    adjustments = {line.order_id: line.amount.amount for line in lines if line.kind == "ADJUSTMENT"}
    assert adjustments == {"577086512123755999": Decimal("-20.00"), "577086512123755888": Decimal("150.00")}
    (statement,) = statements
    # payable = total_settlement 1125.80 + reserve -50.00 = 1075.80, and so do the lines
    assert statement.declared_total == Money.of("1075.80", "THB") and statement.reserve == Money.of("-50.00", "THB")
    assert sum(line.amount.amount for line in lines) == statement.declared_total.amount
    assert statement.payout_id == "7403522313200199999" and statement.payment_status == "PAID"


def test_tiktok_unknown_parts_and_gaps_are_kept_as_other_with_warnings():
    record = _tiktok_records()[0]
    tx = record["transaction"]
    tx["fee_tax_breakdown"]["fee"]["brand_new_fee_amount"] = "-1.00"
    tx["fee_tax_amount"] = "-146.20"  # 1.00 more that no part names
    tx["settlement_amount"] = "993.80"
    lines, problems = map_transaction(record, "7494")
    assert codes(problems) == ["unknown_fee_type", "unmapped_difference"]
    assert by_kind(lines)["OTHER"] == Decimal("-2.00")
    assert sum(line.amount.amount for line in lines) == Decimal("993.80")
    record["transaction"]["currency"] = None
    record["statement"]["currency"] = None
    lines, problems = map_transaction(record, "7494")
    assert lines == [] and problems[0].code == "missing_currency"


def test_tiktok_reserve_release_is_positive_and_unknown_status_is_other():
    record = _tiktok_records()[3]
    record["transaction"].update(reserve_status="RELEASED", reserve_amount="50.00")
    (line,), problems = map_transaction(record, "7494")
    assert (line.kind, line.amount.amount, problems) == ("RESERVE_RELEASED", Decimal("50.00"), [])
    record["transaction"]["reserve_status"] = "FROZEN"
    (line,), problems = map_transaction(record, "7494")
    assert line.kind == "OTHER" and codes(problems) == ["unknown_reserve_status"]


# ---------------------------------------------------------------- Lazada
def test_lazada_fee_type_table_is_the_documented_enum_list():
    assert len(FEE_TYPES) == 316
    assert FEE_TYPES["13"].category.value == "REVENUE" and FEE_TYPES["14"].category.value == "REFUND"
    assert FEE_TYPES["8"].category.value == "SHIPPING_BUYER_PAID" and FEE_TYPES["21"].category.value == "SHIPPING_CHARGED"
    assert FEE_TYPES["118"].category.value == "VOUCHER_SELLER" and FEE_TYPES["59"].category.value == "VOUCHER_PLATFORM"
    assert FEE_TYPES["294"].category.value == "TAX_WITHHELD" and FEE_TYPES["16"].fee_name == "Commission"


def test_lazada_rows_refund_unknown_type_and_statement_checked_by_hand():
    data = fixture_json("lazada", "transactions_and_payout.json")
    results = [map_row(row, "1001", "SGD", 8) for row in data["rows"]]
    lines = [line for got, _ in results for line in got]
    assert len(lines) == len(data["rows"])  # nothing dropped
    unknown = [p for _, found in results for p in found]
    assert [(p.code, p.value) for p in unknown] == [("unknown_fee_type", "999")]
    assert by_kind(lines) == {"REVENUE": Decimal("89.90"), "COMMISSION": Decimal("-1.35"),
                              "TRANSACTION_FEE": Decimal("-1.20"), "SHIPPING_BUYER_PAID": Decimal("2.99"),
                              "SHIPPING_CHARGED": Decimal("-2.99"), "REFUND": Decimal("-30.00"),
                              "OTHER": Decimal("-1.00"), "SERVICE_FEE": Decimal("-5.00")}
    credit = lines[0]
    assert credit.amount == Money.of("59.90", "SGD") and credit.occurred_at.isoformat() == "2024-11-30T16:00:00+00:00"
    assert credit.extra["seller_sku"] == "TWL-SET-GRY-L" and credit.statement_id == "2024-W48"
    (statement,), problems = map_payout({"_payout": data["payout"]}, "1001", "SGD")
    # closing 61.35 - opening 10.00 = 51.35 = the rows
    assert problems == [] and statement.declared_total == Money.of("51.35", "SGD")
    assert sum(line.amount.amount for line in lines) == statement.declared_total.amount
    assert statement.payment_status == "PAID" and statement.payout == Money.of("61.35", "SGD")
    bad, problems = map_row({**data["rows"][0], "transaction_date": "yesterday"}, "1001", "SGD", 8)
    assert bad == [] and problems[0].field == "transaction_date"


def test_adapter_turns_an_unusable_record_into_one_parkable_result():
    adapter = get_adapter("tiktok")
    results = adapter.map_settlement({"statement": {}, "transaction": {}}, ShopContext("7494", "TH"), None)
    assert len(results) == 1 and results[0].record is None and results[0].problems
    ok = adapter.map_settlement(fixture_json("tiktok", "statement_transaction.json"), ShopContext("7494", "TH"), None)
    assert len(ok) == 6 and all(r.ok for r in ok)
