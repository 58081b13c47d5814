"""The linked sample story: exact expected links, methods and exceptions."""
from __future__ import annotations

import pandas as pd
import pytest

from matching.chains import build_chains
from matching.engine import match_prepared, prepare_input
from tests.matching import story

W = "LUMINA-HK|MYPKG-WH01|"


@pytest.fixture(scope="module")
def result():
    prepared = prepare_input(story.story_input())
    outcome = match_prepared(prepared)
    return prepared, outcome, build_chains(outcome.links, prepared)


def chain_rows(chains: pd.DataFrame) -> list[tuple]:
    cols = ["platform", "order_id", "order_line_ref", "sku", "qty", "lot_id", "asn_no", "container_no",
            "transport_document_no", "customs_declaration_no", "method"]
    return [tuple(None if pd.isna(v) else v for v in row) for row in chains[cols].itertuples(index=False)]


EXPECTED_CHAINS = [
        # Lazada: one order_item_id per unit, two identical cases -> two lines, exact by order_item_id;
        # the house bill line found by PO + HS code (the customs line's), inside house bill SZXFWD2603001
        ("LAZADA", "8812345670001", "8812345670101", "LMN-PC-IP15-CLR", 1, "LOT-SEGU4812090-PCC",
         "ASN-LMN-260310-02", "SEGU4812090", "SZXFWD2603001", "K1PLACEHOLDER0002", "rule:po_hs"),
        ("LAZADA", "8812345670001", "8812345670102", "LMN-PC-IP15-BLK", 1, "LOT-SEGU4812090-PCB",
         "ASN-LMN-260310-02", "SEGU4812090", "SZXFWD2603001", "K1PLACEHOLDER0002", "rule:po_hs"),
        ("LAZADA", "8812345670001", "8812345670103", "LMN-PC-IP15-CLR", 1, "LOT-SEGU4812090-PCC",
         "ASN-LMN-260310-02", "SEGU4812090", "SZXFWD2603001", "K1PLACEHOLDER0002", "rule:po_hs"),
        # failed delivery returned: still linked to the lot it left
        ("LAZADA", "8812345679999", "8812345679901", "LMN-LMP-USBC-WHT", 1, "LOT-TCLU6543214-LMP",
         "ASN-LMN-260310-01", "TCLU6543214", "ZCRU260301234", "K1PLACEHOLDER0001", "rule:po_hs"),
        # Shopee: split order -> two packages, lines found by order id + SKU
        ("SHOPEE", "260315AB7KXQ2M", "2900001001:3001", "LMN-EB-BT53-BLK", 1, "LOT-SZXAIR260305-EBB",
         "ASN-LMN-260305-03", None, "SZXAIR260305", "K1PLACEHOLDER0003", "rule:order_sku"),
        ("SHOPEE", "260315AB7KXQ9T", "2900001001:3002", "LMN-EB-BT53-WHT", 1, "LOT-TCLU6543214-EBW",
         "ASN-LMN-260310-01", "TCLU6543214", "ZCRU260301234", "K1PLACEHOLDER0001", "rule:order_sku"),
        ("SHOPEE", "260315AB7KXQ9T", "2900002002:4001", "LMN-LMP-USBC-WHT", 1, "LOT-TCLU6543214-LMP",
         "ASN-LMN-260310-01", "TCLU6543214", "ZCRU260301234", "K1PLACEHOLDER0001", "rule:order_sku"),
        # TikTok: one line drawn from the air lot and the sea lot; seller SKU via the crosswalk
        ("TIKTOK", "578000000000000001", "578000000000000001-L1", "LMN-EB-BT53-BLK", 2, "LOT-SZXAIR260305-EBB",
         "ASN-LMN-260305-03", None, "SZXAIR260305", "K1PLACEHOLDER0003", "rule:po_hs"),
        ("TIKTOK", "578000000000000001", "578000000000000001-L1", "LMN-EB-BT53-BLK", 1, "LOT-TCLU6543214-EBB",
         "ASN-LMN-260310-01", "TCLU6543214", "ZCRU260301234", "K1PLACEHOLDER0001", "rule:po_hs"),
    ]


def test_every_order_line_of_the_story_chains_back_to_bl_and_customs(result):
    _, _, chains = result
    assert chain_rows(chains) == EXPECTED_CHAINS


def test_order_to_shipment_methods(result):
    _, outcome, _ = result
    links = outcome.links[outcome.links["step"] == "order_shipment"]
    got = sorted(zip(links["left_key"], links["right_key"], links["qty"], links["method"]))
    assert got == sorted([
        ("LAZADA|LAZADA-MY-100987|8812345670001|8812345670101", W + "OC900260315000004|1", 1, "exact"),
        ("LAZADA|LAZADA-MY-100987|8812345670001|8812345670103", W + "OC900260315000004|2", 1, "exact"),
        ("LAZADA|LAZADA-MY-100987|8812345670001|8812345670102", W + "OC900260315000004|3", 1, "exact"),
        ("LAZADA|LAZADA-MY-100987|8812345679999|8812345679901", W + "OC900260315000007|1", 1, "exact"),
        ("SHOPEE|SHOPEE-MY-480012345|260315AB7KXQ2M|29000010013001", W + "OC900260315000001|1", 1,
         "rule:order_sku"),
        ("SHOPEE|SHOPEE-MY-480012345|260315AB7KXQ9T|29000010013002", W + "OC900260315000002|1", 1,
         "rule:order_sku"),
        ("SHOPEE|SHOPEE-MY-480012345|260315AB7KXQ9T|29000020024001", W + "OC900260315000003|1", 1,
         "rule:order_sku"),
        ("TIKTOK|TTS-MY-7300000001|578000000000000001|578000000000000001L1", W + "OC900260315000005|1", 2,
         "exact"),
        ("TIKTOK|TTS-MY-7300000001|578000000000000001|578000000000000001L1", W + "OC900260315000005|2", 1,
         "exact"),
    ])
    # the cancelled outbound (buyer cancelled before pick) links nothing
    assert not links["right_key"].str.contains("OC900260315000006").any()


def test_receipts_link_to_their_document_and_entry_at_both_levels(result):
    _, outcome, chains = result
    links = outcome.links

    def step(name):
        rows = links[links["step"] == name]
        return sorted(zip(rows["left_key"].str.replace(W, ""), rows["right_key"].str.replace("LUMINA-HK|", ""),
                          rows["qty"], rows["method"]))

    assert step("receipt_transport_doc") == [
        ("ASN-LMN-260305-03|1", "SZXAIR260305", 240, "exact:document"),  # the house air waybill it names
        ("ASN-LMN-260310-01|1", "ZCRU260301234", 10000, "exact:document"),
        ("ASN-LMN-260310-01|2", "ZCRU260301234", 6400, "exact:document"),
        ("ASN-LMN-260310-01|3", "ZCRU260301234", 1860, "exact:document"),
        ("ASN-LMN-260310-02|1", "SZXFWD2603001", 3000, "exact:document"),  # house bill, not the master SWB
        ("ASN-LMN-260310-02|2", "SZXFWD2603001", 2500, "exact:document"),
        ("ASN-LMN-260310-02|3", "SZXFWD2603001", 1500, "exact:document")]
    assert {(k, v, m) for k, v, _, m in step("receipt_customs_entry")} == {
        ("ASN-LMN-260305-03|1", "K1PLACEHOLDER0003", "exact:declaration"),
        *{(f"ASN-LMN-260310-01|{n}", "K1PLACEHOLDER0001", "exact:declaration") for n in (1, 2, 3)},
        *{(f"ASN-LMN-260310-02|{n}", "K1PLACEHOLDER0002", "exact:declaration") for n in (1, 2, 3)}}
    # BL lines carry no SKU: description, HS code, PO and cartons; earbuds BLK + WHT share one BL line of
    # 820 cartons (box ranges C0001-C0500 + C0501-C0820), the lamps have their own (HS 940521)
    assert step("receipt_document") == [
        ("ASN-LMN-260305-03|1", "SZXAIR260305|1", 240, "rule:po_hs"),
        ("ASN-LMN-260310-01|1", "ZCRU260301234|1", 10000, "rule:po_hs"),
        ("ASN-LMN-260310-01|2", "ZCRU260301234|1", 6400, "rule:po_hs"),
        ("ASN-LMN-260310-01|3", "ZCRU260301234|2", 1860, "rule:po_hs"),
        ("ASN-LMN-260310-02|1", "SZXFWD2603001|1", 3000, "rule:po_hs"),
        ("ASN-LMN-260310-02|2", "SZXFWD2603001|1", 2500, "rule:po_hs"),
        ("ASN-LMN-260310-02|3", "SZXFWD2603001|1", 1500, "rule:po_hs")]
    # customs lines by SKU pattern (LMN-EB-BT53-* covers both earbud colours) or the exact SKU
    assert step("receipt_customs") == [
        ("ASN-LMN-260305-03|1", "K1PLACEHOLDER0003|1", 240, "exact"),
        ("ASN-LMN-260310-01|1", "K1PLACEHOLDER0001|1", 10000, "rule:sku_group"),
        ("ASN-LMN-260310-01|2", "K1PLACEHOLDER0001|1", 6400, "rule:sku_group"),
        ("ASN-LMN-260310-01|3", "K1PLACEHOLDER0001|2", 1860, "rule:sku_group"),
        ("ASN-LMN-260310-02|1", "K1PLACEHOLDER0002|1", 3000, "rule:sku_group"),
        ("ASN-LMN-260310-02|2", "K1PLACEHOLDER0002|1", 2500, "rule:sku_group"),
        ("ASN-LMN-260310-02|3", "K1PLACEHOLDER0002|1", 1500, "rule:sku_group")]
    assert chains[["transport_document_line", "customs_line"]].astype(int).values.tolist() == [
        [1, 1], [1, 1], [1, 1], [2, 2], [1, 1], [1, 1], [2, 2], [1, 1], [1, 1]]


def test_lots_and_consol_house_bill(result):
    _, outcome, _ = result
    links = outcome.links
    docs = links[links["step"] == "receipt_document"].set_index("left_key")["right_key"].to_dict()
    # telex-released consol: the ASN names the house bill inside master SWB ZCRU260304417
    assert docs[W + "ASN-LMN-260310-02|1"] == "LUMINA-HK|SZXFWD2603001|1"
    # FCL on the negotiable eBL: earbuds and lamps are two lines of one BL, told apart by HS code
    assert docs[W + "ASN-LMN-260310-01|1"] == "LUMINA-HK|ZCRU260301234|1"
    assert docs[W + "ASN-LMN-260310-01|3"] == "LUMINA-HK|ZCRU260301234|2"
    assert docs[W + "ASN-LMN-260305-03|1"] == "LUMINA-HK|SZXAIR260305|1"
    lots = links[links["step"] == "lot_receipt"].set_index("left_key")["qty"].to_dict()
    assert lots[W + "LOT-SEGU4812090-PCC"] == 2980  # short receipt: received, not planned
    assert lots[W + "LOT-TCLU6543214-LMP"] == 1860  # 1848 good + 12 box-damaged


def test_story_exceptions_are_exactly_the_short_receipt(result):
    _, outcome, _ = result
    exc = outcome.exceptions
    assert exc[["reason", "step", "record_key", "qty"]].values.tolist() == [
        ["quantity_variance", "receipt", W + "ASN-LMN-260310-02|1", -20]]


def test_fifo_across_air_and_sea_lots_when_the_3pl_names_no_lot():
    ships = story.shipment_lines().assign(lot_id=pd.NA)
    outcome = match_prepared(prepare_input(story.story_input(shipment_lines=ships)))
    sl = outcome.links[outcome.links["step"] == "shipment_lot"]
    blk = sl[sl["right_key"].str.contains("EBB")]
    # the air lot (received 7 March) is consumed before the sea lot (13 March)
    assert set(blk["right_key"]) == {W + "LOT-SZXAIR260305-EBB"}
    assert set(blk["method"]) == {"rule:fifo"}
    assert blk["qty"].sum() == 4


def test_fifo_spills_into_the_sea_lot_when_the_air_lot_runs_out():
    receipts = story.receipt_lines()
    air = receipts["asn_no"] == "ASN-LMN-260305-03"
    receipts.loc[air, ["planned_qty", "received_good_qty"]] = "2"
    ships = story.shipment_lines().assign(lot_id=pd.NA)
    outcome = match_prepared(prepare_input(story.story_input(shipment_lines=ships, receipt_lines=receipts)))
    sl = outcome.links[outcome.links["step"] == "shipment_lot"]
    blk = sl[sl["right_key"].str.contains("EBB")]
    got = sorted(zip(blk["left_key"], blk["right_key"], blk["qty"]))
    assert got == [
        (W + "OC900260315000001|1", W + "LOT-SZXAIR260305-EBB", 1),  # shipped 15 Mar 16:20
        (W + "OC900260315000005|1", W + "LOT-SZXAIR260305-EBB", 1),  # shipped 16 Mar: 1 left in air lot
        (W + "OC900260315000005|1", W + "LOT-TCLU6543214-EBB", 1),
        (W + "OC900260315000005|2", W + "LOT-TCLU6543214-EBB", 1),
    ]
