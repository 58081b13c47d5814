"""Every exception reason on small changes to the sample story: reason, step, record and quantity."""
from __future__ import annotations

import pandas as pd

from matching.engine import match
from tests.matching import story

W = "LUMINA-HK|MYPKG-WH01|"


def reasons(result, reason: str) -> list[tuple]:
    exc = result.exceptions[result.exceptions["reason"] == reason]
    return sorted(zip(exc["step"], exc["record_key"], exc["qty"]))


def test_duplicate_outbound_row_is_used_once_and_reported():
    ships = story.shipment_lines()
    doubled = pd.concat([ships, ships.iloc[[0]]], ignore_index=True)
    result = match(story.story_input(shipment_lines=doubled))
    assert reasons(result, "duplicate") == [("input", W + "OC900260315000001|1", 0)]
    assert (result.links["right_key"] == W + "OC900260315000001|1").sum() == 1


def test_order_without_warehouse_record_and_shipment_without_order():
    ships = story.shipment_lines()
    ships = ships[ships["wms_outbound_no"] != "OC900260315000001"]  # Shopee 2M's package never reported
    orders = story.order_lines()
    orders = orders[orders["order_id"] != "8812345679999"]  # Lazada order not synced yet
    result = match(story.story_input(shipment_lines=ships, order_lines=orders))
    assert reasons(result, "order_without_shipment") == [
        ("order_shipment", "SHOPEE|SHOPEE-MY-480012345|260315AB7KXQ2M|29000010013001", 1)]
    assert reasons(result, "shipment_without_order") == [("order_shipment", W + "OC900260315000007|1", 1)]


def test_unknown_lot_reference_falls_back_to_fifo_and_is_reported():
    ships = story.shipment_lines()
    ships.loc[ships["wms_outbound_no"] == "OC900260315000002", "lot_id"] = "LOT-SEGU4812090-PCC"  # wrong SKU
    result = match(story.story_input(shipment_lines=ships))
    assert reasons(result, "conflicting_reference") == [("shipment_lot", W + "OC900260315000002|1", 1)]
    link = result.links[result.links["left_key"] == W + "OC900260315000002|1"]
    assert link[["right_key", "method"]].values.tolist() == [[W + "LOT-TCLU6543214-EBW", "rule:fifo"]]


def test_more_shipped_than_received_is_over_allocation():
    receipts = story.receipt_lines()
    receipts.loc[receipts["sku"] == "LMN-LMP-USBC-WHT", ["received_good_qty", "received_damaged_qty"]] = "0"
    receipts.loc[receipts["sku"] == "LMN-LMP-USBC-WHT", "planned_qty"] = "0"
    ships = story.shipment_lines().assign(lot_id=pd.NA)
    result = match(story.story_input(shipment_lines=ships, receipt_lines=receipts))
    assert reasons(result, "over_allocation") == [
        ("shipment_lot", W + "OC900260315000003|1", 1), ("shipment_lot", W + "OC900260315000007|1", 1)]


def test_customs_quantity_variance_and_received_before_release():
    customs = story.customs_lines()
    customs.loc[customs["declaration_no"] == "K1-PLACEHOLDER-0002", "qty"] = "6900"
    customs.loc[customs["declaration_no"] == "K1-PLACEHOLDER-0003", "released_at"] = "2026-03-08T09:00:00+08:00"
    result = match(story.story_input(customs_lines=customs))
    assert reasons(result, "quantity_variance") == [
        ("customs_vs_asn", "LUMINA-HK|K1PLACEHOLDER0002|1", 100),
        ("receipt", W + "ASN-LMN-260310-02|1", -20)]
    assert reasons(result, "timeline_violation") == [("receipt_customs", W + "ASN-LMN-260305-03|1", 0)]


def test_house_bill_under_another_master_is_a_conflicting_reference():
    receipts = story.receipt_lines()
    receipts.loc[receipts["asn_no"] == "ASN-LMN-260310-02", "mbl_no"] = "ZCRU260301234"
    result = match(story.story_input(receipt_lines=receipts))
    got = reasons(result, "conflicting_reference")
    assert got == [("receipt_transport_doc", W + "ASN-LMN-260310-02", 0)]


def test_received_before_the_declared_arrival():
    customs = story.customs_lines()
    customs.loc[customs["declaration_no"] == "K1-PLACEHOLDER-0003", "arrival_date"] = "2026-03-10"
    result = match(story.story_input(customs_lines=customs))
    assert reasons(result, "timeline_violation") == [("arrival", W + "ASN-LMN-260305-03|1", 0)]
