"""The multi-owner story: BL lines without SKUs, cartons against box ranges, one PO over two containers, a house
bill in a consolidation, one 3PL file per kind for two owners; exact links at document and line level, title
states, and the title position valued in each owner's base currency."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd
import pytest

from aggregator.matching_service.valuation import value_position
from fx.convert import ConversionPolicy, Converter, RateBook
from fx.rates import Rate
from matching.chains import build_chains
from matching.engine import match_prepared, prepare_input
from matching.title import derive_title_events, title_position
from matching.title.position import lot_unit_values
from tests.matching import multi_story

A, B = "AURORA|THLCH-WH01|", "BAMBOO|THLCH-WH01|"


@pytest.fixture(scope="module")
def run():
    prepared = prepare_input(multi_story.story_input())
    outcome = match_prepared(prepared)
    return prepared, outcome


def step(outcome, name: str) -> list[tuple]:
    rows = outcome.links[outcome.links["step"] == name]
    return sorted(zip(rows["left_key"], rows["right_key"], rows["qty"], rows["method"]))


def test_document_level_links(run):
    _, outcome = run
    assert step(outcome, "receipt_transport_doc") == [
        *[(A + f"ASN-AUR-0401|{n}", "AURORA|ZCRU261100001", q, "exact:document") for n, q in ((1, 300), (2, 6),
                                                                                                (3, 1000))],
        # the second container of the same PO and master bill
        *[(A + f"ASN-AUR-0402|{n}", "AURORA|ZCRU261100001", q, "exact:document") for n, q in ((1, 294), (2, 500))],
        # the 3PL names only the consolidation's master: Bamboo's one house bill under it in that container
        *[(B + f"ASN-BMB-0401|{n}", "BAMBOO|SZXHB2604001", q, "rule:master_house") for n, q in ((1, 240), (2, 120))]]
    assert step(outcome, "receipt_customs_entry") == [
        *[(A + f"ASN-AUR-0401|{n}", "AURORA|THA0001", q, "exact:declaration") for n, q in ((1, 300), (2, 6),
                                                                                             (3, 1000))],
        # the second ASN names no declaration: the entry that names the master bill
        *[(A + f"ASN-AUR-0402|{n}", "AURORA|THA0001", q, "rule:document_ref") for n, q in ((1, 294), (2, 500))],
        *[(B + f"ASN-BMB-0401|{n}", "BAMBOO|THB0001", q, "exact:declaration") for n, q in ((1, 240), (2, 120))]]


def test_line_level_links(run):
    _, outcome = run
    # BL lines per container and product, found by PO + the HS code of the customs line; fans of both colours
    # share one line (51 cartons = C0001-C0050 + C0051), the split PO's second container has its own lines
    assert step(outcome, "receipt_document") == [
        (A + "ASN-AUR-0401|1", "AURORA|ZCRU261100001|1", 300, "rule:po_hs"),
        (A + "ASN-AUR-0401|2", "AURORA|ZCRU261100001|1", 6, "rule:po_hs"),
        (A + "ASN-AUR-0401|3", "AURORA|ZCRU261100001|2", 1000, "rule:po_hs"),
        (A + "ASN-AUR-0402|1", "AURORA|ZCRU261100001|3", 294, "rule:po_hs"),
        (A + "ASN-AUR-0402|2", "AURORA|ZCRU261100001|4", 500, "rule:po_hs"),
        (B + "ASN-BMB-0401|1", "BAMBOO|SZXHB2604001|1", 240, "rule:po_hs"),
        (B + "ASN-BMB-0401|2", "BAMBOO|SZXHB2604001|1", 120, "rule:po_hs")]
    # customs: the fans' SKU pattern; the cables' line names none: PO + "USB CABLES" against the product name
    assert step(outcome, "receipt_customs") == [
        (A + "ASN-AUR-0401|1", "AURORA|THA0001|1", 300, "rule:sku_group"),
        (A + "ASN-AUR-0401|2", "AURORA|THA0001|1", 6, "rule:sku_group"),
        (A + "ASN-AUR-0401|3", "AURORA|THA0001|2", 1000, "rule:po_description"),
        (A + "ASN-AUR-0402|1", "AURORA|THA0001|1", 294, "rule:sku_group"),
        (A + "ASN-AUR-0402|2", "AURORA|THA0001|2", 500, "rule:po_description"),
        (B + "ASN-BMB-0401|1", "BAMBOO|THB0001|1", 240, "rule:sku_group"),
        (B + "ASN-BMB-0401|2", "BAMBOO|THB0001|1", 120, "rule:sku_group")]


def test_only_the_short_receipt_is_an_exception(run):
    _, outcome = run
    # cartons on every BL line equal the box ranges; declared units equal the ASN's planned units
    assert outcome.exceptions[["reason", "step", "record_key", "qty"]].values.tolist() == [
        ["quantity_variance", "receipt", A + "ASN-AUR-0402|2", -10]]


def test_every_order_line_chains_to_its_bl_and_customs_entry(run):
    prepared, outcome = run
    chains = build_chains(outcome.links, prepared)
    got = [tuple(r) for r in chains[["order_id", "qty", "lot_id", "container_no", "transport_document_no",
                                     "customs_declaration_no", "transport_document_line", "customs_line"]]
           .itertuples(index=False)]
    assert got == [
        ("7700000000000001", 1, "LOT-TCLU2611115-AUR-FAN-12-WHT", "TCLU2611115", "ZCRU261100001", "THA0001", 1, 1),
        ("7700000000000001", 1, "LOT-TCLU2611115-AUR-CBL-1M-BLK", "TCLU2611115", "ZCRU261100001", "THA0001", 2, 2),
        ("260415AUR0001", 2, "LOT-TCLU2611115-AUR-FAN-12-BLK", "TCLU2611115", "ZCRU261100001", "THA0001", 1, 1),
        # 6 fans: the first container's last 4, then 2 from the second (FIFO; the 3PL named only the first)
        ("260416AUR0002", 4, "LOT-TCLU2611115-AUR-FAN-12-BLK", "TCLU2611115", "ZCRU261100001", "THA0001", 1, 1),
        ("260416AUR0002", 2, "LOT-TCLU2622228-AUR-FAN-12-BLK", "TCLU2622228", "ZCRU261100001", "THA0001", 3, 1),
        ("5700000000000001", 2, "LOT-SEGU2633331-BMB-MUG-350-BLU", "SEGU2633331", "SZXHB2604001", "THB0001", 1, 1),
        ("5700000000000001", 1, "LOT-SEGU2633331-BMB-MUG-350-RED", "SEGU2633331", "SZXHB2604001", "THB0001", 1, 1),
        ("5700000000000002", 1, "LOT-SEGU2633331-BMB-MUG-350-RED", "SEGU2633331", "SZXHB2604001", "THB0001", 1, 1)]


@pytest.fixture(scope="module")
def ledger(run):
    prepared, outcome = run
    return derive_title_events(prepared, outcome.links)


def test_title_states_of_a_lot_of_each_owner(ledger):
    def states(subject: str) -> list[tuple]:
        rows = ledger[ledger["subject_key"] == subject].sort_values("seq")
        return [tuple(r) for r in rows[["kind", "title_holder", "risk_bearer", "title_state",
                                        "location_state"]].itertuples(index=False)]

    shipper = "Ningbo Breeze Appliances Co. Ltd."
    # FOB on a straight bill: title and risk are Aurora's from on board (policy default: the Incoterm point)
    assert states(A + "LOT-TCLU2622228-AUR-FAN-12-BLK") == [
        ("SHIPPED_ON_BOARD", "AURORA", "AURORA", "SELLER_TITLE_IN_TRANSIT", "IN_TRANSIT_OCEAN"),
        ("ARRIVED", "AURORA", "AURORA", "SELLER_TITLE_AT_DESTINATION", "AT_DESTINATION"),
        ("TELEX_RELEASED", "AURORA", "AURORA", "RELEASED_BY_CARRIER", "AT_DESTINATION"),
        ("CUSTOMS_LODGED", "AURORA", "AURORA", "UNDER_CUSTOMS_CONTROL", "UNDER_CUSTOMS_CONTROL"),
        ("CUSTOMS_RELEASED", "AURORA", "AURORA", "CLEARED", "CLEARED"),
        ("ARRIVED_AT_WAREHOUSE", "AURORA", "AURORA", "OWNED_IN_WAREHOUSE", "IN_RECEIVING"),
        ("RECEIVED_AT_WAREHOUSE", "AURORA", "AURORA", "OWNED_IN_WAREHOUSE", "AVAILABLE")]
    assert shipper not in set(ledger["title_holder"])
    mug = states(B + "LOT-SEGU2633331-BMB-MUG-350-RED")
    assert mug[0] == ("SHIPPED_ON_BOARD", "BAMBOO", "BAMBOO", "SELLER_TITLE_IN_TRANSIT", "IN_TRANSIT_OCEAN")
    returned = states(B + "OB-TH-0005|1>" + B + "LOT-SEGU2633331-BMB-MUG-350-RED")
    assert [r[0] for r in returned] == ["ALLOCATED", "DISPATCHED", "RETURN_RECEIVED"]


def _converter() -> Converter:
    rates = [Rate("EUR", q, v, d, "TESTBANK") for d in (date(2026, 4, 3), date(2026, 4, 17))
             for q, v in (("USD", Decimal("1.25")), ("CNY", Decimal("9.00")))]
    return Converter(RateBook(rates), ConversionPolicy(allow_fallback=True))


def _valued(run, ledger, at: str, on: date) -> list[tuple]:
    prepared, outcome = run
    position = title_position(ledger, pd.Timestamp(at), unit_values=lot_unit_values(prepared, outcome.links))
    out = value_position(position, multi_story.BASE_CURRENCY, _converter(), on)
    return [(r.owner_id, r.stage, r.title_holder, r.qty, r.value, r.currency, r.unvalued_qty)
            for r in out.itertuples(index=False)]


def test_on_the_water_each_owner_in_its_base_currency(run, ledger):
    # invoice cost per unit from the customs lines: fans 9.00 USD, cables 0.80 USD, mugs 2.50 USD;
    # Aurora books in CNY (USD -> EUR -> CNY at 9.00 / 1.25 = 7.2), Bamboo in USD. A lot is what its receipt
    # counted: the under-packed carton's 10 cables never sailed.
    assert _valued(run, ledger, "2026-04-05T00:00:00Z", date(2026, 4, 5)) == [
        ("AURORA", "ON_THE_WATER", "AURORA", 2090, Decimal("6592.00") * Decimal("7.2"), "CNY", 0),
        ("AURORA", "TOTAL", "AURORA", 2090, Decimal("47462.4000"), "CNY", 0),
        ("BAMBOO", "ON_THE_WATER", "BAMBOO", 360, Decimal("900.00"), "USD", 0),
        ("BAMBOO", "TOTAL", "BAMBOO", 360, Decimal("900.00"), "USD", 0)]


def test_after_deliveries_and_a_return(run, ledger):
    got = _valued(run, ledger, "2026-04-20T00:00:00Z", date(2026, 4, 20))
    assert got == [
        # 2090 received (10 cables short), 10 picked; the 6 fans of the Shopee order still in last mile
        ("AURORA", "IN_WAREHOUSE", "AURORA", 2080, Decimal("6510.20") * Decimal("7.2"), "CNY", 0),
        ("AURORA", "IN_LAST_MILE", "AURORA", 6, Decimal("54.00") * Decimal("7.2"), "CNY", 0),
        ("AURORA", "DELIVERED", "CONSUMER", 4, Decimal("27.80") * Decimal("7.2"), "CNY", 0),
        ("AURORA", "TOTAL", "AURORA", 2086, Decimal("6564.20") * Decimal("7.2"), "CNY", 0),
        # the failed delivery is back in the warehouse (pending inspection), still Bamboo's
        ("BAMBOO", "IN_WAREHOUSE", "BAMBOO", 357, Decimal("892.50"), "USD", 0),
        ("BAMBOO", "DELIVERED", "CONSUMER", 3, Decimal("7.50"), "USD", 0),
        ("BAMBOO", "TOTAL", "BAMBOO", 357, Decimal("892.50"), "USD", 0)]
