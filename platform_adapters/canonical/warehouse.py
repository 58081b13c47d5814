"""Overseas-warehouse (3PL) records: receipts (ASN + confirmations), shipments, stock snapshots."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from fx.money import Money
from platform_adapters.canonical.common import require_aware


@dataclass(frozen=True, slots=True)
class WarehouseReceiptLine:
    """One SKU line of an inbound receipt, with planned, good, damaged and put-away quantities."""

    line_no: int
    sku: str
    planned_qty: int
    received_good_qty: int = 0
    received_damaged_qty: int = 0
    putaway_qty: int = 0
    barcode: str | None = None
    batch_no: str | None = None
    po_number: str | None = None
    lot_id: str | None = None
    damage_type: str | None = None
    box_range: str | None = None
    remark: str | None = None
    expiry_date: date | None = None  # best-before / expiry of the batch, when the 3PL or supplier gives it


@dataclass(frozen=True, slots=True)
class WarehouseReceipt:
    """An inbound ASN and its receipt confirmation. Key: (owner_id, warehouse_code, asn_no)."""

    owner_id: str
    warehouse_code: str
    asn_no: str
    wms_receipt_no: str | None = None
    inbound_type: str | None = None
    status: str | None = None  # CREATED, IN_TRANSIT, ARRIVED, RECEIVING, PARTIALLY_RECEIVED, RECEIVED, ...
    raw_status: str | None = None
    importer_of_record: str | None = None
    mbl_no: str | None = None
    hbl_no: str | None = None
    awb_no: str | None = None
    container_no: str | None = None
    seal_no: str | None = None
    customs_declaration_no: str | None = None
    expected_arrival: date | None = None
    arrived_at: datetime | None = None
    received_at: datetime | None = None
    putaway_at: datetime | None = None
    is_final: bool = True
    confirm_seq: int = 0
    lines: tuple[WarehouseReceiptLine, ...] = ()
    source_updated_at: datetime | None = None

    def __post_init__(self) -> None:
        require_aware(self, "arrived_at", "received_at", "putaway_at", "source_updated_at")


@dataclass(frozen=True, slots=True)
class WarehouseShipmentLine:
    """One SKU line of an outbound fulfilment, optionally naming the lot it was picked from."""

    line_no: int
    sku: str
    quantity: int
    order_line_ref: str | None = None
    lot_id: str | None = None
    batch_no: str | None = None


@dataclass(frozen=True, slots=True)
class WarehouseShipment:
    """A 3PL outbound record for one marketplace package. Key: (owner_id, warehouse_code, wms_outbound_no)."""

    owner_id: str
    warehouse_code: str
    wms_outbound_no: str
    outbound_type: str | None = None
    status: str | None = None  # CREATED, PICKED, SHIPPED, DELIVERED, RETURNED, CANCELLED, ...
    raw_status: str | None = None
    platform: str | None = None
    shop_id: str | None = None
    order_id: str | None = None
    package_id: str | None = None
    carrier_code: str | None = None
    tracking_number: str | None = None
    first_mile_tracking_number: str | None = None
    created_at: datetime | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    returned_at: datetime | None = None
    weight_g: int | None = None
    remark: str | None = None
    lines: tuple[WarehouseShipmentLine, ...] = ()
    source_updated_at: datetime | None = None

    def __post_init__(self) -> None:
        require_aware(self, "created_at", "shipped_at", "delivered_at", "returned_at", "source_updated_at")


@dataclass(frozen=True, slots=True)
class StockSnapshot:
    """Stock of one lot/SKU in one place at one instant, with title, risk and custody kept apart.

    Key: (owner_id, snapshot_at, lot_id or sku, warehouse_code).
    """

    owner_id: str
    snapshot_at: datetime
    sku: str
    lot_id: str | None = None
    warehouse_code: str | None = None
    title_holder: str | None = None
    risk_bearer: str | None = None
    custodian: str | None = None
    title_state: str | None = None
    location_state: str | None = None
    source_doc_kind: str | None = None
    source_doc_no: str | None = None
    container_no: str | None = None
    customs_declaration_no: str | None = None
    asn_no: str | None = None
    received_at: datetime | None = None
    qty_expected: int = 0
    qty_in_receiving: int = 0
    qty_available: int = 0
    qty_allocated: int = 0
    qty_in_last_mile: int = 0
    qty_delivered: int = 0
    qty_defective: int = 0
    qty_box_damaged: int = 0
    unit_landed_cost: Money | None = None
    cost_basis_note: str | None = None
    batch_no: str | None = None
    expiry_date: date | None = None  # best-before / expiry of the lot, when the 3PL gives it

    def __post_init__(self) -> None:
        require_aware(self, "snapshot_at", "received_at")
