"""Settlement mapping per platform: exact decimals, signs, currencies, local dates, balancing."""
from __future__ import annotations

from decimal import Decimal

from platform_adapters.lazada.settlement_mapping import map_row
from platform_adapters.registry import ShopContext, get_adapter
from platform_adapters.shopee.settlement_mapping import map_escrow
from platform_adapters.tiktok.settlement_mapping import map_transaction
from tests.adapters.helpers import fixture_json


def amounts(lines):
    return {line.kind: line.amount.amount for line in lines}


def test_tiktok_transaction_components_sum_to_the_settlement_amount():
    lines, problems = map_transaction(fixture_json("tiktok", "statement_transaction.json"), "7494")
    assert problems == []
    assert amounts(lines) == {"ORDER_INCOME": Decimal("1220.00"), "SHIPPING_FEE": Decimal("-40.00"),
                              "COMMISSION": Decimal("-97.60"), "TRANSACTION_FEE": Decimal("-24.40"),
                              "SERVICE_FEE": Decimal("-12.20"), "TAX": Decimal("-10.00")}
    assert sum(line.amount.amount for line in lines) == Decimal("1035.80")
    first = lines[0]
    assert (first.statement_id, first.order_id, first.payout_id) == ("7403522313200199467", "577086512123755123",
                                                                     "7403522313200199999")
    assert first.amount.currency == "THB" and first.occurred_at.isoformat() == "2024-11-25T00:00:00+00:00"
    assert len({line.transaction_id for line in lines}) == len(lines)


def test_tiktok_unnamed_fees_become_fee_other_and_imbalance_is_reported():
    raw = fixture_json("tiktok", "statement_transaction.json")
    raw["transaction"]["fee_tax_amount"] = "-145.20"  # 1.00 not in the breakdown
    lines, problems = map_transaction(raw, "7494")
    assert amounts(lines)["FEE_OTHER"] == Decimal("-1.00") and [p.code for p in problems] == ["unbalanced"]
    raw["transaction"]["currency"] = None
    raw["statement"]["currency"] = None
    lines, problems = map_transaction(raw, "7494")
    assert lines == [] and problems[0].code == "missing_currency"


def test_shopee_escrow_fees_are_negative_whatever_their_sign_and_lines_sum_to_escrow():
    raw = fixture_json("shopee", "escrow_detail.json")
    lines, problems = map_escrow(raw, "900719925474099312", "MYR")
    assert problems == []
    got = amounts(lines)
    assert got["COMMISSION"] == Decimal("-14.19") and got["SHIPPING_FEE"] == Decimal("-5.10")
    assert sum(got.values()) == Decimal("131.36")
    assert lines[0].statement_id == "escrow-2024-12-01" and lines[0].amount.currency == "MYR"
    raw["order_income"]["commission_fee"] = Decimal("-14.19")  # a payload that signs fees itself
    assert amounts(map_escrow(raw, "1", "MYR")[0]) == got
    assert map_escrow({**raw, "order_income": None}, "1", "MYR")[0] == []
    assert map_escrow(raw, "1", None)[1][0].code == "missing_currency"


def test_lazada_rows_use_venture_currency_and_local_dates():
    rows = fixture_json("lazada", "transaction_details.json")
    results = [map_row(row, "1001", "SGD", 8) for row in rows]
    (credit,), _ = results[0]
    assert credit.kind == "ORDER_INCOME" and credit.amount.amount == Decimal("59.90") and credit.amount.currency == "SGD"
    assert credit.occurred_at.isoformat() == "2024-11-30T16:00:00+00:00"  # 1 Dec 00:00 in Singapore
    assert credit.extra["seller_sku"] == "TWL-SET-GRY-L" and credit.statement_id == "2024-W48"
    (other,), problems = results[2]
    assert other.kind == "OTHER" and other.order_id is None and [p.code for p in problems] == ["unknown_fee_type"]
    lines, problems = map_row({**rows[0], "transaction_date": "yesterday"}, "1001", "SGD", 8)
    assert lines == [] and problems[0].field == "transaction_date"


def test_adapter_turns_an_unusable_record_into_one_parkable_result():
    adapter = get_adapter("tiktok")
    results = adapter.map_settlement({"statement": {}, "transaction": {}}, ShopContext("7494", "TH"), None)
    assert len(results) == 1 and results[0].record is None and results[0].problems
    ok = adapter.map_settlement(fixture_json("tiktok", "statement_transaction.json"), ShopContext("7494", "TH"), None)
    assert len(ok) == 6 and all(r.ok for r in ok)
