"""Inbound rows (ASN + receipt confirmation) → ``WarehouseReceipt``: one per (warehouse, ASN no.).

One row per ASN line with planned / good / damaged / put-away quantities, and the batch's expiry date when
the 3PL gives it (``expiry_date``; a date before the receipt is flagged ``expired_on_receipt``). A stated ``variance_qty``
that disagrees with good − planned is flagged. ``confirm_type`` 1 (Qimen intermediate) or a partial
status marks the receipt as not final.
"""
from __future__ import annotations

from platform_adapters.canonical.common import Problem, Severity
from platform_adapters.canonical.identifiers import clean_text
from platform_adapters.canonical.tenancy import OwnerClaim
from platform_adapters.canonical.warehouse import WarehouseReceipt, WarehouseReceiptLine
from platform_adapters.tabular.rows import (
    CanonicalRow,
    GroupResult,
    ReadOptions,
    RowView,
    build_group,
    claim,
    header_value,
    line_number,
)
from platform_adapters.warehouse.statuses import RECEIPT_STATUSES, status_or_unknown

KIND = "inbound"
#: Part of every stored record's content hash: bump it when a change here maps the same rows differently.
MAPPING_VERSION = 1
#: The columns ``owner_claims`` reads (the import resolves each distinct combination of them once).
OWNER_COLUMNS = ("owner_code", "warehouse_code", "importer_of_record")
#: The columns ``record_key`` reads besides the owner.
KEY_COLUMNS = ("warehouse_code", "asn_no")
_PARTIAL = {"PARTIALLY_RECEIVED", "RECEIVING", "ARRIVED", "IN_TRANSIT", "CREATED"}


def is_final(confirm_type: str | None, status: str | None) -> bool:
    """A receipt is final unless Qimen's ``confirm_type`` says intermediate (1) or, without one, its status is partial."""
    return confirm_type != "1" if confirm_type is not None else status not in _PARTIAL


def expired_on_receipt(expiry, received) -> bool:
    return expiry is not None and received is not None and expiry < received.date()


def variance_mismatch(stated: int | None, good: int | None, planned: int | None) -> bool:
    return stated is not None and good is not None and planned is not None and stated != good - planned


def owner_claims(values: dict[str, str]) -> tuple[OwnerClaim, ...]:
    """The 3PL's owner code (per warehouse), else the importer of record's legal name."""
    return (claim(values, "owner_code", "owner_code", "warehouse_code"),
            claim(values, "legal_name", "importer_of_record"))


def record_key(values: dict[str, str], owner_id: str) -> tuple[str, ...] | None:
    warehouse, asn = clean_text(values.get("warehouse_code")), clean_text(values.get("asn_no"))
    if not warehouse or not asn:
        return None
    return (owner_id, warehouse, asn)


def _read(view: RowView) -> dict:
    container, container_valid = view.container("container_no")
    data = {
        "asn_no": view.text("asn_no", required=True),
        "warehouse_code": view.text("warehouse_code", required=True),
        "owner_code": view.text("owner_code"),
        "wms_receipt_no": view.text("wms_receipt_no"),
        "inbound_type": view.upper("inbound_type"),
        "raw_status": view.text("status"),
        "importer_of_record": view.text("importer_of_record"),
        "mbl_no": view.doc("mbl_no"), "hbl_no": view.doc("hbl_no"), "awb_no": view.doc("awb_no"),
        "container_no": container, "container_no_valid": container_valid,
        "seal_no": view.doc("seal_no"), "customs_declaration_no": view.doc("customs_declaration_no"),
        "expected_arrival": view.date("expected_arrival"),
        "arrived_at": view.datetime("arrived_at"), "received_at": view.datetime("received_at"),
        "putaway_at": view.datetime("putaway_at"),
        "confirm_type": view.text("confirm_type"),
        "line_no": view.quantity("line_no"),
        "sku": view.text("sku", required=True),
        "planned_qty": view.quantity("planned_qty", required=True),
        "received_good_qty": view.quantity("received_good_qty"),
        "received_damaged_qty": view.quantity("received_damaged_qty"),
        "putaway_qty": view.quantity("putaway_qty"),
        "variance_qty": view.signed_int("variance_qty"),
        "barcode": view.text("barcode"), "batch_no": view.text("batch_no"), "po_number": view.text("po_number"),
        "lot_id": view.text("lot_id"), "damage_type": view.upper("damage_type"), "box_range": view.text("box_range"),
        "remark": view.text("remark"), "source_updated_at": view.datetime("source_updated_at"),
        "expiry_date": view.date("expiry_date"),
    }
    expiry, received = data["expiry_date"], data["received_at"]
    if expired_on_receipt(expiry, received):
        view.problem("expiry_date", "expired_on_receipt",
                     f"expiry {expiry.isoformat()} is before the receipt on {received.date().isoformat()}",
                     Severity.WARNING)
    good, planned, stated = data["received_good_qty"], data["planned_qty"], data["variance_qty"]
    if variance_mismatch(stated, good, planned):
        view.problem("variance_qty", "variance_mismatch",
                     f"stated variance {stated} differs from received good − planned = {good - planned}",
                     Severity.WARNING)
    return data


def map_rows(rows: list[CanonicalRow], options: ReadOptions, line_offset: int = 0) -> GroupResult[WarehouseReceipt]:
    def build(accepted: list[tuple[RowView, dict]]):
        problems: list[Problem] = []
        first_view = accepted[0][0]

        def head(name):
            return header_value(accepted, name)

        raw_status = head("raw_status")
        status = status_or_unknown(raw_status, RECEIPT_STATUSES, "receipt", options.source_name("status"),
                                   first_view.location, problems)
        confirm_type = head("confirm_type")
        final = is_final(confirm_type, status)
        seen_line_nos: dict[int, int] = {}
        lines = []
        for index, (view, data) in enumerate(accepted, start=1):
            line_no = line_number(data["line_no"], line_offset, index)
            if line_no in seen_line_nos:
                problems.append(Problem("duplicate_line_no", f"line_no {line_no} repeats line {seen_line_nos[line_no]}",
                                        Severity.ERROR, options.source_name("line_no"), str(line_no), view.location))
                continue
            seen_line_nos[line_no] = view.row.line
            lines.append(WarehouseReceiptLine(
                line_no=line_no, sku=data["sku"], planned_qty=data["planned_qty"],
                received_good_qty=data["received_good_qty"] or 0, received_damaged_qty=data["received_damaged_qty"] or 0,
                putaway_qty=data["putaway_qty"] or 0, barcode=data["barcode"], batch_no=data["batch_no"],
                po_number=data["po_number"], lot_id=data["lot_id"], damage_type=data["damage_type"],
                box_range=data["box_range"], remark=data["remark"], expiry_date=data["expiry_date"]))
        record = WarehouseReceipt(
            owner_id=options.owner_id, warehouse_code=head("warehouse_code"),
            asn_no=head("asn_no"), wms_receipt_no=head("wms_receipt_no"), inbound_type=head("inbound_type"),
            status=status, raw_status=raw_status, importer_of_record=head("importer_of_record"),
            mbl_no=head("mbl_no"), hbl_no=head("hbl_no"), awb_no=head("awb_no"), container_no=head("container_no"),
            seal_no=head("seal_no"), customs_declaration_no=head("customs_declaration_no"),
            expected_arrival=head("expected_arrival"), arrived_at=head("arrived_at"), received_at=head("received_at"),
            putaway_at=head("putaway_at"), is_final=final, lines=tuple(lines),
            source_updated_at=head("source_updated_at"),
        )
        return record, problems

    return build_group(rows, options, _read, build)
