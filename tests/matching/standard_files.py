"""Test helper: files in the standard layouts (the shared samples' column sets) as engine frames.

This maps columns onto the ``matching.frames`` contract; it is not an importer (``aggregator import`` is).
The owner of each row comes from the caller's ``Owners`` (what ``aggregator owners alias`` would hold):
3PL owner codes, legal names (consignee / importer of record), shops, and receipts for stock rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd


@dataclass
class Owners:
    """How the rows of a file name their owner; ``default`` for files that name none (single-owner samples)."""

    codes: dict[str, str] = field(default_factory=dict)  # 3PL owner code -> owner
    names: dict[str, str] = field(default_factory=dict)  # legal name -> owner
    shops: dict[str, str] = field(default_factory=dict)  # shop id -> owner
    default: str | None = None

    def by(self, table: dict[str, str], values: pd.Series) -> pd.Series:
        owners = values.map(table).astype("string")
        return owners.fillna(self.default) if self.default else owners


def read(directory: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(directory / name, dtype=str, keep_default_na=False).replace("", pd.NA)


def line_numbers(frame: pd.DataFrame, by: str) -> pd.Series:
    return frame.groupby(by, sort=False).cumcount() + 1


def shipment_lines(raw: pd.DataFrame, owners: Owners) -> pd.DataFrame:
    returned = raw["returned_at"] if "returned_at" in raw else pd.Series([pd.NA] * len(raw), index=raw.index)
    return pd.DataFrame({
        "owner_id": owners.by(owners.shops, raw["shop_id"]), "warehouse_code": raw["warehouse_code"],
        "wms_outbound_no": raw["wms_outbound_no"], "line_no": line_numbers(raw, "wms_outbound_no"),
        "sku": raw["sku"], "qty": raw["qty"], "platform": raw["platform"], "shop_id": raw["shop_id"],
        "order_id": raw["marketplace_order_id"], "order_line_ref": raw["order_line_ref"],
        "package_id": raw["package_id"], "tracking_number": raw["tracking_number"], "lot_id": raw["stock_lot_id"],
        "status": raw["status"], "carrier_code": raw["carrier_code"], "created_at": raw["created_at"],
        "shipped_at": raw["shipped_at"], "delivered_at": raw["delivered_at"], "returned_at": returned,
    })


def receipt_lines(raw: pd.DataFrame, owners: Owners) -> pd.DataFrame:
    return pd.DataFrame({
        "owner_id": owners.by(owners.codes, raw["owner_code"]), "warehouse_code": raw["warehouse_code"],
        "asn_no": raw["asn_no"], "line_no": raw["line_no"], "sku": raw["sku"], "planned_qty": raw["planned_qty"],
        "received_good_qty": raw["received_good_qty"], "received_damaged_qty": raw["received_damaged_qty"],
        "arrived_at": raw["arrived_at"], "received_at": raw["received_at"], "mbl_no": raw["mbl_no"],
        "hbl_no": raw["hbl_no"], "awb_no": raw["awb_no"], "container_no": raw["container_no"],
        "customs_declaration_no": raw["customs_declaration_no"], "po_number": raw["po_number"],
        "box_range": raw["box_range"], "status": raw["status"],
        # the ASN is one receipt: its receipt time is the header's (first received line)
    }).assign(received_at=lambda f: f.groupby("asn_no")["received_at"].transform("first"))


def lots(raw: pd.DataFrame, receipts: pd.DataFrame, currency: str | None) -> pd.DataFrame:
    owner_of_asn = receipts.drop_duplicates("asn_no").set_index("asn_no")["owner_id"]
    return pd.DataFrame({
        "owner_id": raw["asn_no"].map(owner_of_asn), "warehouse_code": raw["warehouse_code"], "lot_id": raw["lot_id"],
        "sku": raw["sku"], "asn_no": raw["asn_no"], "unit_cost": raw["unit_landed_cost_myr"],
        "cost_currency": currency,
    })


def document_lines(raw: pd.DataFrame, owners: Owners) -> pd.DataFrame:
    owner = owners.by(owners.names, raw["consignee"])
    # a master consigned to the forwarder's agent belongs to the owners of the house bills under it
    houses = raw[raw["master_doc_number"].notna()].assign(owner=owner)
    masters = houses.drop_duplicates(["master_doc_number", "owner"]).set_index("master_doc_number")["owner"]
    owner = owner.fillna(raw["doc_number"].map(masters))
    return pd.DataFrame({
        "owner_id": owner, "doc_number": raw["doc_number"], "line_no": line_numbers(raw, "doc_number"),
        "master_doc_number": raw["master_doc_number"], "doc_type": raw["doc_type"], "doc_level": raw["doc_level"],
        "mode": raw["record_type"], "is_to_order": raw["is_to_order"], "release_type": raw["release_type"],
        "container_no": raw["container_no"], "po_number": raw["po_number"], "hs_code": raw["hs_code"],
        "packages": raw["packages"], "shipper": raw["shipper"], "consignee": raw["consignee"],
        "incoterm": raw["incoterm"], "shipped_on_board_at": raw["shipped_on_board_date"], "eta": raw["eta"],
        "description": raw["description_of_goods"],
    })


def customs_lines(raw: pd.DataFrame, owners: Owners, local_currency: str | None) -> pd.DataFrame:
    return pd.DataFrame({
        "owner_id": owners.by(owners.names, raw["importer_of_record"]), "declaration_no": raw["declaration_no"],
        "line_no": raw["line_no"], "country": raw["country"], "mbl_no": raw["mbl_no"], "hbl_no": raw["hbl_no"],
        "awb_no": raw["awb_no"], "container_no": raw["container_no"], "po_number": raw["po_number"],
        "sku_group": raw["sku_group"], "hs_code": raw["hs_code"], "qty": raw["qty"],
        "customs_value": raw["customs_value_myr"], "currency": local_currency, "submitted_at": raw["submitted_at"],
        "released_at": raw["released_at"], "arrival_date": raw["arrival_date"], "description": raw["description"],
        "invoice_value": raw["invoice_value"], "invoice_currency": raw["invoice_currency"],
    })
