"""The title position in the owner's base currency, per stage, with rate paths (sample story + fixed rates)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd
import pytest

from aggregator.matching_service.valuation import MissingBaseCurrency, value_position
from fx.convert import Converter, RateBook
from fx.money import Money
from fx.rates import Rate
from matching.engine import match_prepared, prepare_input
from matching.title import derive_title_events, title_position
from matching.title.position import lot_unit_values
from tests.matching import story
from tests.matching.title_story import endorsements, policy_book

EUR_MYR, EUR_CNY = Decimal("5.0000"), Decimal("8.0000")


@pytest.fixture(scope="module")
def position():
    prepared = prepare_input(story.story_input())
    links = match_prepared(prepared).links
    ledger = derive_title_events(prepared, links, policy_book(), endorsements(), story.transit_lots())
    values = lot_unit_values(prepared, links)
    return lambda at: title_position(ledger, pd.Timestamp(at), unit_values=values)


def book(*days: date) -> Converter:
    return Converter(RateBook([Rate("EUR", q, v, d, "TESTBANK") for d in days
                               for q, v in (("MYR", EUR_MYR), ("CNY", EUR_CNY))]))


def test_position_per_stage_in_the_owners_base_currency(position):
    out = value_position(position("2026-03-22T00:00:00Z"), {"LUMINA-HK": "CNY"}, book(date(2026, 3, 20)),
                         date(2026, 3, 22))
    rows = [(r.stage, r.title_holder, r.qty, r.value, r.currency, r.unvalued_qty) for r in out.itertuples()]
    assert rows == [
        ("ON_THE_WATER", "SUPPLIER-BRIGHTWAY", 8000, Decimal(0), "CNY", 8000),  # snapshot: no cost, counted
        ("IN_WAREHOUSE", "LUMINA-HK", 25471, Decimal("596275.07") * 8 / 5, "CNY", 0),
        ("IN_LAST_MILE", "LUMINA-HK", 1, Decimal("38.72") * 8 / 5, "CNY", 0),
        ("DELIVERED", "CONSUMER", 8, Decimal("171.21") * 8 / 5, "CNY", 0),
        ("TOTAL", "LUMINA-HK", 25472, Decimal("596313.79") * 8 / 5, "CNY", 0),
    ]
    # Sunday 22 March: the last published rates (Friday 20th) are used, and the path says so
    assert set(out.loc[out["value"] > 0, "rate_path"]) == {"MYR→EUR→CNY (TESTBANK 2026-03-20)"}
    assert (out["unconverted"] == "").all()


def test_stages_before_arrival(position):
    out = value_position(position("2026-03-08T00:00:00Z"), {"LUMINA-HK": "MYR"}, book(date(2026, 3, 6)),
                         date(2026, 3, 8))
    stages = {(r.stage, r.title_holder): r.qty for r in out.itertuples()}
    assert stages == {("ON_THE_WATER", "LUMINA-HK"): 25240, ("IN_WAREHOUSE", "LUMINA-HK"): 240,
                      ("TOTAL", "LUMINA-HK"): 25480}
    assert set(out["rate_path"]) == {""}  # booked in MYR: nothing to convert


def test_no_rate_leaves_the_value_unconverted_and_says_why(position):
    out = value_position(position("2026-03-22T00:00:00Z"), {"LUMINA-HK": "CNY"}, book(date(2026, 1, 5)),
                         date(2026, 3, 22))
    warehouse = out[out["stage"] == "IN_WAREHOUSE"].iloc[0]
    assert warehouse["value"] == 0
    assert "587521.35 MYR not converted: last published MYR/CNY rate is from 2026-01-05" in warehouse["unconverted"]


def test_an_owner_without_a_base_currency_is_refused(position):
    with pytest.raises(MissingBaseCurrency, match="LUMINA-HK"):
        value_position(position("2026-03-22T00:00:00Z"), {}, book(date(2026, 3, 20)), date(2026, 3, 22))


def test_total_row_lists_each_rate_path_once_and_the_summary_counts_each_unit_once():
    from aggregator.cli.title import position_summary, shown_values

    position = pd.DataFrame([
        # owner, holder, title state, location, qty, value, currency, unvalued
        ("LUMINA-HK", "LUMINA-HK", "SELLER_TITLE_IN_TRANSIT", "IN_TRANSIT_OCEAN", 10, Decimal(0), "", 10),
        ("LUMINA-HK", "LUMINA-HK", "OWNED_IN_WAREHOUSE", "AVAILABLE", 5, Decimal("50"), "MYR", 0),
        ("LUMINA-HK", "LUMINA-HK", "OWNED_IN_WAREHOUSE", "AVAILABLE", 4, Decimal("40"), "EUR", 1),
        ("LUMINA-HK", "LUMINA-HK", "IN_LAST_MILE", "IN_LAST_MILE", 2, Decimal("20"), "MYR", 2),
        ("LUMINA-HK", "CONSUMER", "CONSUMER_OWNED", "DELIVERED", 3, Decimal("30"), "MYR", 3),
    ], columns=["owner_id", "title_holder", "title_state", "location_state", "qty", "value", "currency",
                "unvalued_qty"])
    out = value_position(position, {"LUMINA-HK": "CNY"}, book(date(2026, 3, 20)), date(2026, 3, 20))
    total = out[out["stage"] == "TOTAL"].iloc[0]
    paths = total["rate_path"].split("; ")
    assert sorted(paths) == ["EUR→CNY (TESTBANK 2026-03-20)", "MYR→EUR→CNY (TESTBANK 2026-03-20)"]
    assert (total["qty"], total["unvalued_qty"]) == (21, 13)
    # 10 + 1 + 2 held by the owner, 3 delivered: 16 units without a cost, not 16 + the TOTAL row's 13
    assert position_summary(out) == [
        f"LUMINA-HK: holds title to {Money(total['value'], 'CNY').round()} at cost; 16 unit(s) without a cost; "
        "0 value(s) not converted"]
    # the table for people: a stage none of whose units has a cost is "—", not 0.00; csv / json keep the number
    shown = dict(zip(out["stage"], shown_values(out, blank_unvalued=True)))
    assert shown["ON_THE_WATER"] == "—" and shown["TOTAL"] != "—"
    assert dict(zip(out["stage"], shown_values(out, blank_unvalued=False)))["ON_THE_WATER"] == "0.00"
