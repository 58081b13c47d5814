"""Which pure mapper and which writer serve each tabular import kind (one line per kind)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from aggregator.ingest import writers
from aggregator.store.models.logistics import (
    CustomsEntryLineRow,
    CustomsEntryRow,
    TransportDocumentLineRow,
    TransportDocumentRow,
)
from aggregator.store.models.warehouse import (
    WarehouseReceiptLineRow,
    WarehouseReceiptRow,
    WarehouseShipmentLineRow,
    WarehouseShipmentRow,
)
from platform_adapters.customs import mapping as customs_mapping
from platform_adapters.logistics import bl_report
from platform_adapters.warehouse import inbound, outbound, stock


@dataclass(frozen=True)
class TabularKindHandler:
    # has owner_claims(values) (pure: what in the row names its owner), record_key(values, owner) and
    # map_rows(rows, options, offset) (the owner is options.owner_id)
    mapper: ModuleType
    write: Callable  # (session, record, append) -> UpsertResult: the one-record path (also for appended groups)
    aggregate: Callable  # record -> writers.Aggregate: the batch path for records met once
    key_columns: tuple[str, ...]
    # (line model, parent column, header model) to continue line numbers when a group is met again; None:
    # the kind has one row per record, so meeting its key again is a duplicate.
    lines: tuple | None


TABULAR: dict[str, TabularKindHandler] = {
    "bl": TabularKindHandler(
        bl_report, writers.write_transport_document, writers.transport_document_aggregate,
        ("owner_id", "doc_number"), (TransportDocumentLineRow, "document_pk", TransportDocumentRow)),
    "customs": TabularKindHandler(
        customs_mapping, writers.write_customs_entry, writers.customs_entry_aggregate,
        ("owner_id", "country", "declaration_no"), (CustomsEntryLineRow, "entry_pk", CustomsEntryRow)),
    "inbound": TabularKindHandler(
        inbound, writers.write_receipt, writers.receipt_aggregate,
        ("owner_id", "warehouse_code", "asn_no"), (WarehouseReceiptLineRow, "receipt_pk", WarehouseReceiptRow)),
    "outbound": TabularKindHandler(
        outbound, writers.write_shipment, writers.shipment_aggregate,
        ("owner_id", "warehouse_code", "wms_outbound_no"),
        (WarehouseShipmentLineRow, "shipment_pk", WarehouseShipmentRow)),
    "stock": TabularKindHandler(stock, writers.write_stock_snapshot, writers.stock_snapshot_aggregate, (), None),
}
