"""Receipt -> transport document -> customs entry on what real documents carry: document level first, line level
where the documents allow it, ambiguity as an exception with its candidates (variations of the sample story)."""
from __future__ import annotations

import pandas as pd

from matching.chains import build_chains
from matching.engine import match_prepared, prepare_input
from tests.matching import story

W = "LUMINA-HK|MYPKG-WH01|"
O = "LUMINA-HK|"


def run(**frames):
    prepared = prepare_input(story.story_input(**frames))
    outcome = match_prepared(prepared)
    return outcome, build_chains(outcome.links, prepared)


def step(outcome, name: str, asn: str | None = None) -> list[tuple]:
    rows = outcome.links[outcome.links["step"] == name]
    if asn:
        rows = rows[rows["left_key"].str.contains(asn, regex=False)]
    return sorted(zip(rows["left_key"].str.replace(W, ""), rows["right_key"].str.replace(O, ""), rows["method"]))


def exceptions(outcome, reason: str) -> list[tuple]:
    exc = outcome.exceptions[outcome.exceptions["reason"] == reason]
    return sorted(zip(exc["step"], exc["record_key"].str.replace(W, ""), exc["related_keys"].str.replace(O, "")))


def test_document_level_link_holds_when_no_bl_line_matches():
    docs = story.document_lines()
    docs.loc[docs["doc_number"] == "ZCRU260301234", "po_number"] = "PO-SOMEONE-ELSE"
    outcome, chains = run(document_lines=docs)
    assert step(outcome, "receipt_transport_doc", "ASN-LMN-260310-01") == [
        (f"ASN-LMN-260310-01|{n}", "ZCRU260301234", "exact:document") for n in (1, 2, 3)]
    assert step(outcome, "receipt_document", "ASN-LMN-260310-01") == []
    assert exceptions(outcome, "unmatched_line") == [
        ("receipt_document", f"ASN-LMN-260310-01|{n}", "ZCRU260301234") for n in (1, 2, 3)]
    lamp = chains[chains["order_line_ref"] == "8812345679901"]
    assert lamp[["transport_document_no", "customs_declaration_no", "method"]].values.tolist() == [
        ["ZCRU260301234", "K1PLACEHOLDER0001", "rule:sku_group"]]  # the BL is carried
    assert lamp["transport_document_line"].isna().all()


def test_master_bill_alone_finds_the_house_bill_by_container_and_po():
    receipts = story.receipt_lines()
    receipts.loc[receipts["asn_no"] == "ASN-LMN-260310-02", "hbl_no"] = pd.NA
    outcome, chains = run(receipt_lines=receipts)
    # two house bills of the owner sit under ZCRU260304417 in SEGU4812090; only one carries PO-LMN-2026-0044
    assert step(outcome, "receipt_transport_doc", "ASN-LMN-260310-02") == [
        (f"ASN-LMN-260310-02|{n}", "SZXFWD2603001", "rule:master_house_po") for n in (1, 2, 3)]
    assert set(chains.loc[chains["asn_no"] == "ASN-LMN-260310-02", "transport_document_no"]) == {"SZXFWD2603001"}


def test_container_alone_with_no_po_is_ambiguous_and_lists_the_house_bills():
    receipts = story.receipt_lines()
    receipts.loc[receipts["asn_no"] == "ASN-LMN-260310-02", ["mbl_no", "hbl_no", "po_number"]] = pd.NA
    outcome, _ = run(receipt_lines=receipts)
    assert step(outcome, "receipt_transport_doc", "ASN-LMN-260310-02") == []
    assert exceptions(outcome, "ambiguous") == [
        ("receipt_transport_doc", "ASN-LMN-260310-02", "SZXFWD2603001 SZXFWD2603002")]
    assert exceptions(outcome, "unlinked_receipt") == []  # one problem, reported once
    # the customs entry is still found: the ASN names its declaration
    assert {m for *_, m in step(outcome, "receipt_customs_entry", "ASN-LMN-260310-02")} == {"exact:declaration"}


def test_container_alone_with_a_po_picks_the_one_document():
    receipts = story.receipt_lines()
    receipts.loc[receipts["asn_no"] == "ASN-LMN-260310-02", ["mbl_no", "hbl_no"]] = pd.NA
    outcome, _ = run(receipt_lines=receipts)
    assert {(r, m) for _, r, m in step(outcome, "receipt_transport_doc", "ASN-LMN-260310-02")} == {
        ("SZXFWD2603001", "rule:container_po")}


def test_a_manual_link_settles_the_ambiguity():
    receipts = story.receipt_lines()
    receipts.loc[receipts["asn_no"] == "ASN-LMN-260310-02", ["mbl_no", "hbl_no", "po_number"]] = pd.NA
    manual = pd.DataFrame([{"step": "receipt_transport_doc", "left_key": W + f"ASN-LMN-260310-02|{n}",
                            "right_key": O + "SZXFWD2603001", "qty": q, "note": "forwarder confirmed"}
                           for n, q in ((1, 3000), (2, 2500), (3, 1500))])
    outcome, chains = run(receipt_lines=receipts, manual_links=manual)
    assert step(outcome, "receipt_transport_doc", "ASN-LMN-260310-02") == [
        (f"ASN-LMN-260310-02|{n}", "SZXFWD2603001", "manual") for n in (1, 2, 3)]
    assert set(chains.loc[chains["asn_no"] == "ASN-LMN-260310-02", "transport_document_no"]) == {"SZXFWD2603001"}


def test_customs_entry_found_through_the_document_when_the_asn_names_no_declaration():
    receipts = story.receipt_lines()
    receipts.loc[receipts["asn_no"] == "ASN-LMN-260310-01", "customs_declaration_no"] = pd.NA
    outcome, _ = run(receipt_lines=receipts)
    assert step(outcome, "receipt_customs_entry", "ASN-LMN-260310-01") == [
        (f"ASN-LMN-260310-01|{n}", "K1PLACEHOLDER0001", "rule:document_ref") for n in (1, 2, 3)]


def test_missing_customs_line_keeps_the_entry_and_is_reported():
    customs = story.customs_lines()
    customs = customs[~((customs["declaration_no"] == "K1-PLACEHOLDER-0001") & (customs["line_no"] == "2"))]
    outcome, chains = run(customs_lines=customs)
    assert exceptions(outcome, "unmatched_line") == [("receipt_customs", "ASN-LMN-260310-01|3", "K1PLACEHOLDER0001")]
    # the lamps' BL line is still found (PO + description tokens against the SKU's parts) and the chain
    # still carries the customs entry
    assert step(outcome, "receipt_document", "ASN-LMN-260310-01|3") == [
        ("ASN-LMN-260310-01|3", "ZCRU260301234|2", "rule:po_hs")]
    lamp = chains[chains["order_line_ref"] == "8812345679901"]
    assert lamp[["customs_declaration_no", "customs_line"]].values.tolist() == [["K1PLACEHOLDER0001", pd.NA]]


def test_cartons_on_the_bill_reconcile_with_the_box_ranges():
    docs = story.document_lines()
    docs.loc[(docs["doc_number"] == "ZCRU260301234") & (docs["hs_code"] == "851830"), "packages"] = "800"
    outcome, _ = run(document_lines=docs)
    exc = outcome.exceptions[outcome.exceptions["step"] == "document_vs_receipt"]
    assert exc[["record_key", "qty"]].values.tolist() == [[O + "ZCRU260301234|1", 20]]
    assert "800 cartons on the bill vs 820" in exc["detail"].item()


def test_bl_lines_with_one_description_each_are_told_apart_by_description_without_hs_or_po():
    docs = story.document_lines()
    docs["hs_code"] = pd.NA
    docs["po_number"] = pd.NA
    docs.loc[docs["doc_number"] == "ZCRU260301234", "description"] = pd.Series(
        ["WIRELESS EARBUDS BT5.3", "LED DESK LAMP USB-C"], index=docs.index[docs["doc_number"] == "ZCRU260301234"])
    customs = story.customs_lines().assign(hs_code=pd.NA, description=pd.NA)
    outcome, _ = run(document_lines=docs, customs_lines=customs)
    assert step(outcome, "receipt_document", "ASN-LMN-260310-01") == [
        ("ASN-LMN-260310-01|1", "ZCRU260301234|1", "rule:description"),  # BT53 from the SKU's parts
        ("ASN-LMN-260310-01|2", "ZCRU260301234|1", "rule:description"),
        ("ASN-LMN-260310-01|3", "ZCRU260301234|2", "rule:description")]  # USBC
