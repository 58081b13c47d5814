"""Overseas-warehouse (3PL) tables: receipts (+ lines), shipments (+ lines) and stock snapshots.

Keys: receipts (owner_id, warehouse_code, asn_no); shipments (owner_id, warehouse_code,
wms_outbound_no); snapshots (owner_id, snapshot_at, lot_or_sku, warehouse_code). Headers carry a
``content_hash`` of the whole canonical record; lines are replaced when it changes.

A line is keyed by its header's id and its line number (a record's line numbers are unique), its primary
key: no surrogate ``id``. Nothing identifies a line otherwise (matching, the API and the inventory feed
join lines by header id and line number), and the id cost its serial default per row and a second unique
index to write (a COPY of 50k outbound lines: 349 ms of the server's CPU with both, 244 ms keyed so). The
transport document and customs entry lines (``models.logistics``) are keyed alike. A database made by an
earlier build keeps its lines' ``id`` column, its primary key and the unique (header, line number)
constraint: rows written without an id get one from the column's default (``store/catch_up``).

A line's header id (``receipt_pk``, ``shipment_pk``) has no foreign key: PostgreSQL checks one by a query
per inserted line, which was a third of the server's work of an outbound import. Lines are written only
by their header's writer, in the transaction that wrote or found the header: the bulk COPY after the
headers' COPY with the ids drawn for them, the staged insert from the headers it created, the per-record
writer and the merge from the header's id (``aggregator.ingest.bulk``, ``writers``); no code deletes a
header. ``tests/ingest/test_import_lines_have_headers.py`` checks every path leaves no line without
its header.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from aggregator.store.base import Base
from aggregator.store.models.common import created_at_column, updated_at_column
from aggregator.store.types import ExactDecimal, UTCDateTime


def code(length: int) -> String:
    """A ``String(length)`` for an identifier or code that a key or index holds (an owner, a warehouse, a
    document number, a lot, a platform, a shop, an order): on PostgreSQL in the "C" collation, so comparing
    two of them is a byte comparison (``memcmp``). In the database's collation (``C.UTF-8`` here,
    ``en_US.UTF-8`` on many servers: neither is "C" to PostgreSQL 15) each comparison copied both texts and
    called ``strcoll``, and writing a row into a btree index makes several comparisons per index. SQLite
    compares texts bytewise already: byte order is what identifiers want, and now both databases sort them
    alike. Compared with a column or value of the database's collation, this one is used (a non-default
    collation wins over the default): equalities and ``IN`` lists answer as before and still seek these
    indexes, and so does a join with a column of the database's collation on this side; on the other side
    an index of that column (in the database's collation) cannot answer a comparison made in "C", so such a
    join reads that table another way (a hash join, a scan). No such join exists today: these columns are
    compared with values and with one another. A database created by an earlier build keeps its columns'
    collation (``store/catch_up`` changes no type) and works as before."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


def given_index(table: str, column: str, on: tuple[str, ...] = (), name: str = "") -> Index:
    """An index of ``column``'s values (or of the columns ``on``, named ``name``) where it has one
    (``… WHERE column IS NOT NULL``), for a nullable column every query of which asks for values (``=``,
    ``IN``: a strict comparison, so PostgreSQL and SQLite both use a partial index for it; or ``IS NOT
    NULL``): a row without a value costs no index entry when written. A receipt names a master or a house
    bill or an air waybill, seldom all three; a line, a snapshot or an outbound names no lot or order on
    many files (a 50k-row inbound import without lots: 0.07 s less of the server's CPU). Named ``…_given``
    so a database indexed in full by an earlier build gets the partial index and loses the full one
    (``store/catch_up``)."""
    return Index(name or f"ix_{table}_{column}_given", *(on or (column,)),
                 postgresql_where=text(f"{column} IS NOT NULL"), sqlite_where=text(f"{column} IS NOT NULL"))


class WarehouseReceiptRow(Base):
    __tablename__ = "warehouse_receipts"
    # the document numbers: the records that name one (``api/reach``, ``api/routes/lookup``, ``logistics``)
    __table_args__ = (UniqueConstraint("owner_id", "warehouse_code", "asn_no"),
                      Index("ix_warehouse_receipts_owner_stored", "owner_id", "stored_at"),
                      *(given_index("warehouse_receipts", column) for column in (
                          "mbl_no", "hbl_no", "awb_no", "container_no", "customs_declaration_no")))

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[str] = mapped_column(code(64))  # (indexed as the first column of the two above)
    warehouse_code: Mapped[str] = mapped_column(code(64))
    asn_no: Mapped[str] = mapped_column(code(64), index=True)  # the API's q: an ASN names its orders
    wms_receipt_no: Mapped[str | None] = mapped_column(String(64), nullable=True)
    inbound_type: Mapped[str | None] = mapped_column(String(16), nullable=True)
    status: Mapped[str | None] = mapped_column(String(24), nullable=True)
    raw_status: Mapped[str | None] = mapped_column(String(64), nullable=True)
    importer_of_record: Mapped[str | None] = mapped_column(Text, nullable=True)
    mbl_no: Mapped[str | None] = mapped_column(code(64), nullable=True)  # (``given_index``)
    hbl_no: Mapped[str | None] = mapped_column(code(64), nullable=True)  # (``given_index``)
    awb_no: Mapped[str | None] = mapped_column(code(64), nullable=True)  # (``given_index``)
    container_no: Mapped[str | None] = mapped_column(code(16), nullable=True)  # (``given_index``)
    container_no_valid: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    seal_no: Mapped[str | None] = mapped_column(String(32), nullable=True)
    customs_declaration_no: Mapped[str | None] = mapped_column(code(64), nullable=True)  # (``given_index``)
    expected_arrival: Mapped[date | None] = mapped_column(Date, nullable=True)
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    putaway_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    is_final: Mapped[bool] = mapped_column(Boolean, default=True)
    source_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = created_at_column()
    stored_at: Mapped[datetime] = updated_at_column()
    audit_batch_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # (``store/audit_batch``)


class WarehouseReceiptLineRow(Base):
    __tablename__ = "warehouse_receipt_lines"
    __table_args__ = (given_index("warehouse_receipt_lines", "lot_id"),)

    # keyed by (receipt, line number): no surrogate id (see the module's docstring); the receipt's id has no
    # foreign key (see the module's docstring)
    receipt_pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    line_no: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    sku: Mapped[str] = mapped_column(String(128))  # (no query filters receipt lines by SKU)
    planned_qty: Mapped[int] = mapped_column(Integer)
    received_good_qty: Mapped[int] = mapped_column(Integer, default=0)
    received_damaged_qty: Mapped[int] = mapped_column(Integer, default=0)
    putaway_qty: Mapped[int] = mapped_column(Integer, default=0)
    barcode: Mapped[str | None] = mapped_column(String(64), nullable=True)
    batch_no: Mapped[str | None] = mapped_column(String(64), nullable=True)
    po_number: Mapped[str | None] = mapped_column(String(64), nullable=True)  # (no query filters on it)
    lot_id: Mapped[str | None] = mapped_column(code(128), nullable=True)  # (``given_index``)
    damage_type: Mapped[str | None] = mapped_column(String(16), nullable=True)
    box_range: Mapped[str | None] = mapped_column(String(64), nullable=True)
    remark: Mapped[str | None] = mapped_column(Text, nullable=True)
    expiry_date: Mapped[date | None] = mapped_column(Date, nullable=True)


class WarehouseShipmentRow(Base):
    __tablename__ = "warehouse_shipments"
    # (owner, stored_at): what changed since matching last ran; (owner, platform, shop): a shop's outbound
    __table_args__ = (UniqueConstraint("owner_id", "warehouse_code", "wms_outbound_no"),
                      Index("ix_warehouse_shipments_owner_stored", "owner_id", "stored_at"),
                      Index("ix_warehouse_shipments_owner_shop", "owner_id", "platform", "shop_id"),
                      given_index("warehouse_shipments", "order_id"))  # (an order's outbound)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[str] = mapped_column(code(64))  # (indexed as the first column of the three above)
    warehouse_code: Mapped[str] = mapped_column(code(64))
    wms_outbound_no: Mapped[str] = mapped_column(code(64))
    outbound_type: Mapped[str | None] = mapped_column(String(16), nullable=True)
    status: Mapped[str | None] = mapped_column(String(24), nullable=True)
    raw_status: Mapped[str | None] = mapped_column(String(64), nullable=True)
    platform: Mapped[str | None] = mapped_column(code(16), nullable=True)
    shop_id: Mapped[str | None] = mapped_column(code(64), nullable=True)
    order_id: Mapped[str | None] = mapped_column(code(64), nullable=True)  # (``given_index``)
    package_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    carrier_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    tracking_number: Mapped[str | None] = mapped_column(String(64), nullable=True)  # (no query filters on it)
    first_mile_tracking_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    wms_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    weight_g: Mapped[int | None] = mapped_column(Integer, nullable=True)
    remark: Mapped[str | None] = mapped_column(Text, nullable=True)
    source_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = created_at_column()
    stored_at: Mapped[datetime] = updated_at_column()
    #: the import batch's ``audit_log`` entry that records this row's creation (``store/audit_batch``); NULL
    #: once the row has a ``create`` entry of its own (written by the per-record path or at its first change)
    audit_batch_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class WarehouseShipmentLineRow(Base):
    __tablename__ = "warehouse_shipment_lines"
    __table_args__ = (given_index("warehouse_shipment_lines", "lot_id"),)

    # keyed by (shipment, line number): no surrogate id (see the module's docstring); the shipment's id has
    # no foreign key (see the module's docstring)
    shipment_pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    line_no: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    sku: Mapped[str] = mapped_column(String(128))  # (no query filters outbound lines by SKU)
    quantity: Mapped[int] = mapped_column(Integer)
    order_line_ref: Mapped[str | None] = mapped_column(String(128), nullable=True)
    lot_id: Mapped[str | None] = mapped_column(code(128), nullable=True)  # (``given_index``)
    batch_no: Mapped[str | None] = mapped_column(String(64), nullable=True)


class StockSnapshotRow(Base):
    __tablename__ = "stock_snapshots"
    # (owner, stored_at): what changed since matching last ran; (lot, owner, time) of the rows naming a lot
    # (every query of lot_id asks for values: ``=``, ``IN``, ``IS NOT NULL``): where a lot is (``api/reach``,
    # no owner), an owner's lots (``changes``, ``loader.load_transit_lots``) and a lot's latest snapshot
    # (``loader.load_lots``), one index where an (owner, lot, time) index and a lot index were (the lot first:
    # a comparison the first column decides reads no further column, cheaper to write than the owner first);
    # (owner, warehouse, lot): the warehouses of the owner's lots (``scope.RawCodes``), the lots a warehouse
    # reported (``loader.load_lots``), a warehouse's snapshot on SQLite (``analytics.facts.stock_picture``).
    # No index on owner_id alone (the unique key and the others begin with it) nor on sku (no query filters
    # snapshots by SKU): each index is written for every imported row (``tests/store/test_3pl_index_paths``
    # checks every query keeps an index path on both databases)
    __table_args__ = (UniqueConstraint("owner_id", "snapshot_at", "lot_or_sku", "warehouse_code"),
                      Index("ix_stock_snapshots_owner_stored", "owner_id", "stored_at"),
                      given_index("stock_snapshots", "lot_id", on=("lot_id", "owner_id", "snapshot_at"),
                                  name="ix_stock_snapshots_lot_owner_at_given"),
                      Index("ix_stock_snapshots_owner_wh_lot", "owner_id", "warehouse_code", "lot_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[str] = mapped_column(code(64))
    snapshot_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lot_or_sku: Mapped[str] = mapped_column(code(128))
    warehouse_code: Mapped[str] = mapped_column(code(64), default="")  # '' while in transit
    sku: Mapped[str] = mapped_column(String(128))
    lot_id: Mapped[str | None] = mapped_column(code(128), nullable=True)  # (``given_index``)
    title_holder: Mapped[str | None] = mapped_column(String(128), nullable=True)
    risk_bearer: Mapped[str | None] = mapped_column(String(128), nullable=True)
    custodian: Mapped[str | None] = mapped_column(String(128), nullable=True)
    title_state: Mapped[str | None] = mapped_column(String(48), nullable=True)
    location_state: Mapped[str | None] = mapped_column(String(48), nullable=True)
    source_doc_kind: Mapped[str | None] = mapped_column(String(16), nullable=True)
    source_doc_no: Mapped[str | None] = mapped_column(String(64), nullable=True)
    container_no: Mapped[str | None] = mapped_column(String(16), nullable=True)
    customs_declaration_no: Mapped[str | None] = mapped_column(String(64), nullable=True)
    asn_no: Mapped[str | None] = mapped_column(String(64), nullable=True)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    qty_expected: Mapped[int] = mapped_column(Integer, default=0)
    qty_in_receiving: Mapped[int] = mapped_column(Integer, default=0)
    qty_available: Mapped[int] = mapped_column(Integer, default=0)
    qty_allocated: Mapped[int] = mapped_column(Integer, default=0)
    qty_in_last_mile: Mapped[int] = mapped_column(Integer, default=0)
    qty_delivered: Mapped[int] = mapped_column(Integer, default=0)
    qty_defective: Mapped[int] = mapped_column(Integer, default=0)
    qty_box_damaged: Mapped[int] = mapped_column(Integer, default=0)
    unit_landed_cost: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    cost_currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    cost_basis_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    batch_no: Mapped[str | None] = mapped_column(String(64), nullable=True)
    expiry_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    stored_at: Mapped[datetime] = updated_at_column()
    audit_batch_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # (``store/audit_batch``)
