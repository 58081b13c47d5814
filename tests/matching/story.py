"""Test helper: the linked sample story as engine frames (``matching.frames`` contract).

This maps the sample CSVs column by column onto the frame contract; it is not an importer (the
ingestion importers in ``platform_adapters`` / ``aggregator import`` are). Owner of every row is
``LUMINA-HK`` (the WMS owner code of the story).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from matching.crosswalk import SkuCrosswalk
from matching.engine import MatchInput

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SAMPLES = FIXTURES / "samples"
OWNER = "LUMINA-HK"


def _csv(name: str) -> pd.DataFrame:
    return pd.read_csv(SAMPLES / name, dtype=str, keep_default_na=False).replace("", pd.NA)


def _line_numbers(frame: pd.DataFrame, by: str) -> pd.Series:
    return frame.groupby(by, sort=False).cumcount() + 1


def order_lines() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "matching" / "story_orders.csv", dtype=str, keep_default_na=False).replace(
        "", pd.NA)


def shipment_lines() -> pd.DataFrame:
    raw = _csv("warehouse_outbound.csv")
    return pd.DataFrame({
        "owner_id": OWNER, "warehouse_code": raw["warehouse_code"], "wms_outbound_no": raw["wms_outbound_no"],
        "line_no": _line_numbers(raw, "wms_outbound_no"), "sku": raw["sku"], "qty": raw["qty"],
        "platform": raw["platform"], "shop_id": raw["shop_id"], "order_id": raw["marketplace_order_id"],
        "order_line_ref": raw["order_line_ref"], "package_id": raw["package_id"],
        "tracking_number": raw["tracking_number"], "lot_id": raw["stock_lot_id"], "status": raw["status"],
        "carrier_code": raw["carrier_code"],
        "created_at": raw["created_at"], "shipped_at": raw["shipped_at"], "delivered_at": raw["delivered_at"],
        "returned_at": pd.Series([pd.NA] * len(raw)).mask(raw["status"] == "RETURNED",
                                                           "2026-03-21T10:00:00+08:00"),
    })


def receipt_lines() -> pd.DataFrame:
    raw = _csv("warehouse_inbound.csv")
    return pd.DataFrame({
        "owner_id": raw["owner_code"], "warehouse_code": raw["warehouse_code"], "asn_no": raw["asn_no"],
        "line_no": raw["line_no"], "sku": raw["sku"], "planned_qty": raw["planned_qty"],
        "received_good_qty": raw["received_good_qty"], "received_damaged_qty": raw["received_damaged_qty"],
        "arrived_at": raw["arrived_at"], "received_at": raw["received_at"], "mbl_no": raw["mbl_no"],
        "hbl_no": raw["hbl_no"], "awb_no": raw["awb_no"], "container_no": raw["container_no"],
        "customs_declaration_no": raw["customs_declaration_no"], "po_number": raw["po_number"],
        "box_range": raw["box_range"],
        # the ASN is one receipt: its receipt time is the header's (first received line), status as the 3PL says
        "status": raw["status"],
    }).assign(received_at=lambda f: f.groupby("asn_no")["received_at"].transform("first"))


def lots() -> pd.DataFrame:
    raw = _csv("stock_lots_snapshot.csv")
    return pd.DataFrame({
        "owner_id": OWNER, "warehouse_code": raw["warehouse_code"], "lot_id": raw["lot_id"], "sku": raw["sku"],
        "asn_no": raw["asn_no"], "unit_cost": raw["unit_landed_cost_myr"], "cost_currency": "MYR",
    })


def document_lines() -> pd.DataFrame:
    raw = _csv("forwarder_bl.csv")
    return pd.DataFrame({
        "owner_id": OWNER, "doc_number": raw["doc_number"], "line_no": _line_numbers(raw, "doc_number"),
        "master_doc_number": raw["master_doc_number"], "doc_type": raw["doc_type"],
        "doc_level": raw["doc_level"], "mode": raw["record_type"], "is_to_order": raw["is_to_order"],
        "release_type": raw["release_type"], "container_no": raw["container_no"], "po_number": raw["po_number"],
        "hs_code": raw["hs_code"], "packages": raw["packages"], "shipper": raw["shipper"],
        "consignee": raw["consignee"], "incoterm": raw["incoterm"],
        "shipped_on_board_at": raw["shipped_on_board_date"], "eta": raw["eta"],
        "description": raw["description_of_goods"],
    })


def customs_lines() -> pd.DataFrame:
    raw = _csv("customs_entry_my_k1.csv")
    return pd.DataFrame({
        "owner_id": OWNER, "declaration_no": raw["declaration_no"], "line_no": raw["line_no"],
        "country": raw["country"], "mbl_no": raw["mbl_no"], "hbl_no": raw["hbl_no"], "awb_no": raw["awb_no"],
        "container_no": raw["container_no"], "po_number": raw["po_number"], "sku_group": raw["sku_group"],
        "hs_code": raw["hs_code"], "qty": raw["qty"], "customs_value": raw["customs_value_myr"],
        "currency": "MYR", "submitted_at": raw["submitted_at"], "released_at": raw["released_at"],
        "arrival_date": raw["arrival_date"], "description": raw["description"],
        "invoice_value": raw["invoice_value"], "invoice_currency": raw["invoice_currency"],
    })


def crosswalk() -> SkuCrosswalk:
    cross = SkuCrosswalk()
    problems = cross.load_csv(FIXTURES / "matching" / "story_crosswalk.csv")
    assert not problems, problems
    return cross


def story_input(**overrides) -> MatchInput:
    values = {"order_lines": order_lines(), "shipment_lines": shipment_lines(), "receipt_lines": receipt_lines(),
              "lots": lots(), "document_lines": document_lines(), "customs_lines": customs_lines(),
              "crosswalk": crosswalk()}
    values.update(overrides)
    return MatchInput(**values)


def transit_lots() -> pd.DataFrame:
    """Lots the snapshot reports on the water (no warehouse yet)."""
    raw = _csv("stock_lots_snapshot.csv")
    raw = raw[raw["warehouse_code"].isna()]
    return pd.DataFrame({
        "owner_id": OWNER, "lot_id": raw["lot_id"], "sku": raw["sku"], "qty": raw["qty_expected"].astype(int),
        "as_of": raw["snapshot_at"], "title_holder": raw["title_holder"], "risk_bearer": raw["risk_bearer"],
        "custodian": raw["custodian"], "title_state": raw["title_state"], "location_state": raw["location_state"],
        "source_doc_no": raw["source_doc_no"],
    })
