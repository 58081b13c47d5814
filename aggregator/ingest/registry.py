"""Which pure mapper and which writer serve each tabular import kind (one line per kind)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from aggregator.ingest import writers
from aggregator.store.models.logistics import (
    CustomsEntryLineRow,
    CustomsEntryRow,
    TransportDocumentLineRow,
    TransportDocumentRow,
)
from aggregator.store.models.warehouse import (
    StockSnapshotRow,
    WarehouseReceiptLineRow,
    WarehouseReceiptRow,
    WarehouseShipmentLineRow,
    WarehouseShipmentRow,
)
from platform_adapters.customs import customs_columns
from platform_adapters.customs import mapping as customs_mapping
from platform_adapters.logistics import bl_report
from platform_adapters.warehouse import inbound, inbound_columns, outbound, outbound_columns, stock, stock_columns


@dataclass(frozen=True)
class ColumnarKind:
    """How a kind is mapped a chunk at a time (``platform_adapters.<area>.<kind>_columns``: ``read_columns``
    and ``build_columns``) into one header table and one line table."""

    mapper: ModuleType
    model: Any
    key: tuple[str, ...]
    header: tuple[tuple[str, str], ...]  # (column, record field)
    line_model: Any = None  # None: the kind's records have no lines
    parent_col: str = ""
    line: tuple[tuple[str, str], ...] = ()  # (column, line field)


@dataclass(frozen=True)
class TabularKindHandler:
    # has owner_claims(values) (pure: what in the row names its owner), record_key(values, owner) and
    # map_rows(rows, options, offset) (the owner is options.owner_id)
    mapper: ModuleType
    write: Callable  # (session, record, append, raw_hash) -> UpsertResult: the one-record path (appended groups)
    aggregate: Callable  # (record, raw_hash) -> writers.Aggregate: the batch path for records met once
    key_columns: tuple[str, ...]
    # (line model, parent column, header model) to continue line numbers when a group is met again; None:
    # the kind has one row per record, so meeting its key again is a duplicate.
    lines: tuple | None
    columnar: ColumnarKind | None = None  # the chunk-at-a-time mapping, where the kind has one


TABULAR: dict[str, TabularKindHandler] = {
    "bl": TabularKindHandler(
        bl_report, writers.write_transport_document, writers.transport_document_aggregate,
        ("owner_id", "doc_number"), (TransportDocumentLineRow, "document_pk", TransportDocumentRow)),
    "customs": TabularKindHandler(
        customs_mapping, writers.write_customs_entry, writers.customs_entry_aggregate,
        writers.CUSTOMS_KEY, (CustomsEntryLineRow, "entry_pk", CustomsEntryRow),
        ColumnarKind(customs_columns, CustomsEntryRow, writers.CUSTOMS_KEY, writers.CUSTOMS_HEADER,
                     CustomsEntryLineRow, "entry_pk", writers.CUSTOMS_LINE)),
    "inbound": TabularKindHandler(
        inbound, writers.write_receipt, writers.receipt_aggregate,
        writers.RECEIPT_KEY, (WarehouseReceiptLineRow, "receipt_pk", WarehouseReceiptRow),
        ColumnarKind(inbound_columns, WarehouseReceiptRow, writers.RECEIPT_KEY, writers.RECEIPT_HEADER,
                     WarehouseReceiptLineRow, "receipt_pk", writers.RECEIPT_LINE)),
    "outbound": TabularKindHandler(
        outbound, writers.write_shipment, writers.shipment_aggregate,
        writers.SHIPMENT_KEY, (WarehouseShipmentLineRow, "shipment_pk", WarehouseShipmentRow),
        ColumnarKind(outbound_columns, WarehouseShipmentRow, writers.SHIPMENT_KEY, writers.SHIPMENT_HEADER,
                     WarehouseShipmentLineRow, "shipment_pk", writers.SHIPMENT_LINE)),
    "stock": TabularKindHandler(stock, writers.write_stock_snapshot, writers.stock_snapshot_aggregate, (), None,
                                ColumnarKind(stock_columns, StockSnapshotRow, writers.STOCK_KEY, writers.STOCK_HEADER)),
}
