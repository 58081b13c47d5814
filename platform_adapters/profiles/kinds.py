"""The tabular import kinds and their canonical column sets.

A kind's **standard columns** are exactly the header of the matching sample file (the standard
profile imports such a file as it is). ``optional_columns`` are further canonical columns a
profile may map. ``required`` columns must be present (mapped or given a default) or the file is
refused before any row is read. Row-level requirements (a value must be present) are checked by the
mappers.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TabularKind:
    name: str
    description: str
    standard_columns: tuple[str, ...]
    required: tuple[str, ...]
    optional_columns: tuple[str, ...] = ()

    @property
    def all_columns(self) -> tuple[str, ...]:
        return self.standard_columns + tuple(c for c in self.optional_columns if c not in self.standard_columns)


def _cols(text: str) -> tuple[str, ...]:
    return tuple(text.split(","))


KINDS: dict[str, TabularKind] = {
    "bl": TabularKind(
        "bl",
        "forwarder bill-of-lading report: one row per document x container x goods line",
        _cols("record_type,doc_level,doc_number,master_doc_number,doc_type,is_to_order,is_electronic,"
              "release_type,carrier_scac,carrier_booking_ref,shipper,consignee,notify_party,place_of_receipt,"
              "port_of_loading,port_of_discharge,place_of_delivery,vessel_or_flight,voyage,etd,"
              "shipped_on_board_date,eta,container_no,iso_equipment_code,seal_no,seal_source,packages,"
              "package_code,gross_weight_kg,volume_cbm,description_of_goods,hs_code,po_number,incoterm,"
              "incoterm_place,freight_term"),
        required=("doc_number",),
        optional_columns=("issue_date", "status", "quantity", "sku", "source_updated_at"),
    ),
    "customs": TabularKind(
        "customs",
        "import declaration lines (SG/MY/TH/ID style): one row per declaration line",
        _cols("country,regime,form,declaration_no,declaration_type,submitted_at,released_at,status,"
              "importer_of_record,importer_registration_no,customs_agent,mbl_no,hbl_no,awb_no,container_no,"
              "vessel_or_flight,port_of_discharge,arrival_date,line_no,hs_code,description,origin_country,"
              "qty,uom,valuation_basis,invoice_currency,invoice_value,fx_rate_to_myr,customs_value_myr,"
              "import_duty_rate,import_duty_myr,sales_tax_rate,sales_tax_myr,preference_scheme,"
              "preference_doc_no,po_number,sku_group"),
        required=("country", "declaration_no"),
        optional_columns=("local_currency", "source_updated_at"),
    ),
    "inbound": TabularKind(
        "inbound",
        "3PL ASN and receipt confirmation: one row per ASN line",
        _cols("asn_no,wms_receipt_no,warehouse_code,owner_code,importer_of_record,inbound_type,status,mbl_no,"
              "hbl_no,awb_no,container_no,seal_no,customs_declaration_no,expected_arrival,arrived_at,"
              "received_at,putaway_at,line_no,box_range,sku,barcode,planned_qty,received_good_qty,"
              "received_damaged_qty,damage_type,putaway_qty,variance_qty,batch_no,po_number,remark"),
        required=("asn_no", "warehouse_code", "sku", "planned_qty"),
        optional_columns=("confirm_type", "lot_id", "expiry_date", "source_updated_at"),
    ),
    "outbound": TabularKind(
        "outbound",
        "3PL fulfilment record per marketplace package: one row per outbound line",
        _cols("wms_outbound_no,outbound_type,status,platform,shop_id,marketplace_order_id,order_line_ref,"
              "package_id,sku,qty,stock_lot_id,warehouse_code,carrier_code,tracking_number,"
              "first_mile_tracking_number,created_at,shipped_at,delivered_at,weight_g,remark"),
        required=("wms_outbound_no", "warehouse_code", "sku", "qty"),
        optional_columns=("returned_at", "batch_no", "owner_code", "source_updated_at"),
    ),
    "stock": TabularKind(
        "stock",
        "stock snapshot per lot/SKU with title, risk and custody kept apart",
        _cols("snapshot_at,lot_id,sku,title_holder,risk_bearer,custodian,title_state,location_state,"
              "warehouse_code,source_doc_kind,source_doc_no,container_no,customs_declaration_no,asn_no,"
              "received_at,qty_expected,qty_in_receiving,qty_available,qty_allocated,qty_in_last_mile,"
              "qty_delivered,qty_defective,qty_box_damaged,unit_landed_cost_myr,cost_basis_note"),
        required=("snapshot_at", "sku"),
        optional_columns=("unit_landed_cost_currency", "owner_code", "batch_no", "expiry_date"),
    ),
}

JSON_KINDS = ("dcsa-ebl", "dcsa-events")
ALL_KINDS = tuple(KINDS) + JSON_KINDS


def guess_kind(header_keys: set[str]) -> str | None:
    """The tabular kind whose standard columns overlap ``header_keys`` most (half of them at least)."""
    best, best_score = None, 0.0
    for kind in KINDS.values():
        score = len(header_keys & set(kind.standard_columns)) / len(kind.standard_columns)
        if score > best_score:
            best, best_score = kind.name, score
    return best if best_score >= 0.5 else None
