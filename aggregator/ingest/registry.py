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
    TransportContainerRow,
    TransportDocumentLineRow,
    TransportDocumentRow,
    TransportReferenceRow,
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
from platform_adapters.logistics import bl_columns, bl_report
from platform_adapters.warehouse import inbound, inbound_columns, outbound, outbound_columns, stock, stock_columns


@dataclass(frozen=True)
class ColumnarKind:
    """How a kind is mapped a chunk at a time (``platform_adapters.<area>.<kind>_columns``: ``read_columns``
    and ``build_columns``) into one header table and its child tables (its lines, and ``more``)."""

    mapper: ModuleType
    model: Any
    key: tuple[str, ...]
    header: tuple[tuple[str, str], ...]  # (column, record field)
    line_model: Any = None  # None: the kind's records have no lines
    parent_col: str = ""
    line: tuple[tuple[str, str], ...] = ()  # (column, line field)
    #: the records' other child tables (a bill's containers and references): (model, parent column, (column,
    #: field) pairs) each, built by ``build_columns`` after the lines
    more: tuple[tuple[Any, str, tuple[tuple[str, str], ...]], ...] = ()
    #: whether a record longer than a chunk is decided whole once its last part is in (``tabular_import._Parts``);
    #: False: its parts are written as they come, each later one appended (a bill's containers and references,
    #: one row each per bill, added only when new: ``writers.write_transport_document``)
    whole: bool = True

    @property
    def children(self) -> list[tuple[Any, str, tuple[tuple[str, str], ...]]]:
        """Every child table (model, parent column, (column, field) pairs), the lines first; [] for a kind whose
        records have none."""
        return [] if self.line_model is None else [(self.line_model, self.parent_col, self.line), *self.more]


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
        writers.TRANSPORT_KEY, (TransportDocumentLineRow, "document_pk", TransportDocumentRow),
        ColumnarKind(bl_columns, TransportDocumentRow, writers.TRANSPORT_KEY, writers.TRANSPORT_HEADER,
                     TransportDocumentLineRow, "document_pk", writers.TRANSPORT_LINE,
                     ((TransportContainerRow, "document_pk", writers.TRANSPORT_CONTAINER),
                      (TransportReferenceRow, "document_pk", writers.TRANSPORT_REFERENCE)), whole=False)),
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
