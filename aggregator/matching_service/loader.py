"""Load the engine's input frames (``matching.frames`` contract) from the store's tables.

Reads only: orders + order lines (marketplace), warehouse shipments / receipts (+ lines), the latest
stock snapshot row per lot (lot names and landed costs), transport documents (+ lines, endorsements),
customs entries (+ lines), manual links and the SKU crosswalk. ``owner_id`` restricts every frame to
one tenant.
"""
from __future__ import annotations

import pandas as pd
from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session, aliased

from aggregator.store.models.logistics import (
    CustomsEntryLineRow,
    CustomsEntryRow,
    TransportDocumentLineRow,
    TransportDocumentRow,
    TransportEndorsementRow,
)
from aggregator.store.models.marketplace import OrderLineRow, OrderRow
from aggregator.store.models.returns import ReturnLineRow, ReturnRow
from aggregator.store.models.matching import ManualLinkRow, MatchLinkRow, SkuCrosswalkRow
from aggregator.store.models.warehouse import (
    StockSnapshotRow,
    WarehouseReceiptLineRow,
    WarehouseReceiptRow,
    WarehouseShipmentLineRow,
    WarehouseShipmentRow,
)
from aggregator.store.types import UTCDateTime
from matching.crosswalk import CrosswalkRow, SkuCrosswalk
from matching.engine import MatchInput
from matching.linker import LINK_COLUMNS


def _fetched(session: Session, query: Select) -> tuple[list[str], list[tuple], list]:
    """(column names, the driver's rows as it fetched them, each column's result conversion or None): the
    conversion is the one SQLAlchemy applies to every value of the column's type."""
    connection = session.connection()
    dialect = connection.dialect
    result = connection.execute(query)
    names = list(result.keys())
    try:
        codes = [d[1] for d in result.cursor.description]  # the driver's type code of each column
        rows = result.cursor.fetchall()
    finally:
        result.close()
    converts = [column.type.dialect_impl(dialect).result_processor(dialect, code)
                for column, code in zip(query.selected_columns, codes)]
    return names, rows, converts


def _converted(cells, convert) -> list:
    """``cells`` through ``convert`` (a value repeated in the column is converted once; None stays None)."""
    done: dict = {}
    return [None if v is None else done[v] if v in done else done.setdefault(v, convert(v)) for v in cells]


def driver_rows(session: Session, query: Select) -> list[tuple]:
    """The rows of ``query`` as tuples of the values ``session.execute(query)`` gives, without its per-row
    Row objects: the driver's own rows when no column's type converts its values (text, integer and float
    columns), else built column by column."""
    _, rows, converts = _fetched(session, query)
    if not rows or all(c is None for c in converts):
        return rows
    return list(zip(*(cells if c is None else _converted(cells, c) for cells, c in zip(zip(*rows), converts))))


def _frame(session: Session, query: Select) -> pd.DataFrame:
    """The rows of ``query`` as a frame, built column by column: the driver's rows fetched as they are, each
    column through its type's result conversion (``_fetched``), then one list per column (no per-row Row
    objects, no nested-list frame construction). Same values and dtypes as
    ``pd.DataFrame(session.execute(query).all())``."""
    names, rows, converts = _fetched(session, query)
    if not rows:
        return pd.DataFrame([], columns=names)
    dialect = session.connection().dialect
    data = {}
    for name, cells, column, convert in zip(names, zip(*rows), query.selected_columns, converts):
        stamps = _sqlite_stamps(dialect, column, cells) if convert is not None else None
        if stamps is not None:
            data[name] = stamps
            continue
        data[name] = list(cells) if convert is None else _converted(cells, convert)
    return pd.DataFrame(data, columns=names)


#: how SQLAlchemy's SQLite dialect writes a datetime (``sqlalchemy.dialects.sqlite.DATETIME``)
_SQLITE_STAMP = "%Y-%m-%d %H:%M:%S.%f"


def _sqlite_stamps(dialect, column, cells: tuple) -> pd.Series | None:
    """A ``UTCDateTime`` column of SQLite (text as SQLAlchemy writes it) parsed at once: the instants its result
    processor gives, in the column the frame builds of them (``datetime64[us, UTC]``, NaT for NULL). None for
    another column, one of NULLs only, or a value written in another form: those go value by value."""
    if dialect.name != "sqlite" or not isinstance(column.type, UTCDateTime) or all(v is None for v in cells):
        return None
    try:
        return pd.to_datetime(pd.Series(cells, dtype=object), format=_SQLITE_STAMP, utc=True)
    except (TypeError, ValueError):
        return None


def _owned(query: Select, column, owner_id: str | None) -> Select:
    return query if owner_id is None else query.where(column == owner_id)


def load_order_lines(session: Session, owner_id: str | None = None, *where, returns_where=()) -> pd.DataFrame:
    """Order lines (``where``: further filters on orders / lines; ``returns_where``: on the returns read
    for their returned units)."""
    q = (select(OrderRow.owner_id, OrderRow.platform, OrderRow.shop_id, OrderRow.order_id, OrderLineRow.line_ref,
                OrderLineRow.seller_sku.label("sku"), OrderLineRow.quantity.label("qty"),
                OrderRow.status.label("order_status"), OrderRow.ordered_at, OrderRow.paid_at, OrderLineRow.package_id,
                OrderLineRow.tracking_number, OrderRow.buyer_country.label("country"), OrderLineRow.product_name)
         .join(OrderLineRow, OrderLineRow.order_pk == OrderRow.id))
    lines = _frame(session, _owned(q, OrderRow.owner_id, owner_id).where(*where))
    back = _returned_units(session, owner_id, *returns_where)
    key = ["platform", "shop_id", "order_id", "line_ref"]
    if back.empty:
        return lines.assign(returned_qty=0, written_off_qty=0, written_off_at=pd.NaT)
    return lines.merge(back, on=key, how="left").fillna({"returned_qty": 0, "written_off_qty": 0})


def _returned_units(session: Session, owner_id: str | None, *where) -> pd.DataFrame:
    """Per order line, the units the marketplace's return records say came back (received or refunded
    returns of goods) and those of them its warehouse disposed of (disposition SCRAP), with the latest update
    time of a return reporting that (``written_off_at``: when the write-off is known)."""
    r, ln = ReturnRow, ReturnLineRow
    scrap = func.coalesce(ln.disposition, r.disposition) == "SCRAP"
    scrapped = case((scrap, ln.quantity), else_=0)
    q = (select(r.platform, r.shop_id, r.order_id, ln.order_line_ref.label("line_ref"),
                func.sum(ln.quantity).label("returned_qty"), func.sum(scrapped).label("written_off_qty"),
                func.max(case((scrap, r.source_updated_at)), type_=UTCDateTime()).label("written_off_at"))
         .join(ln, ln.return_pk == r.id)
         .where(r.kind == "RETURN", r.status.in_(("RECEIVED", "REFUNDED")), ln.order_line_ref.is_not(None))
         .where(*where).group_by(r.platform, r.shop_id, r.order_id, ln.order_line_ref))
    return _frame(session, _owned(q, r.owner_id, owner_id))


def load_shipment_lines(session: Session, owner_id: str | None = None, *where) -> pd.DataFrame:
    s, ln = WarehouseShipmentRow, WarehouseShipmentLineRow
    q = select(s.owner_id, s.warehouse_code, s.wms_outbound_no, ln.line_no, ln.sku, ln.quantity.label("qty"),
               s.platform, s.shop_id, s.order_id, ln.order_line_ref, s.package_id, s.tracking_number, ln.lot_id,
               s.status, s.wms_created_at.label("created_at"), s.shipped_at, s.delivered_at, s.returned_at,
               s.carrier_code).join(ln, ln.shipment_pk == s.id).where(*where)
    return _frame(session, _owned(q, s.owner_id, owner_id))


def load_receipt_lines(session: Session, owner_id: str | None = None, *where) -> pd.DataFrame:
    r, ln = WarehouseReceiptRow, WarehouseReceiptLineRow
    q = select(r.owner_id, r.warehouse_code, r.asn_no, ln.line_no, ln.sku, ln.planned_qty, ln.received_good_qty,
               ln.received_damaged_qty, r.arrived_at, r.received_at, r.mbl_no, r.hbl_no, r.awb_no, r.container_no,
               r.customs_declaration_no, ln.po_number, ln.lot_id, r.status, ln.box_range).join(ln, ln.receipt_pk == r.id)
    q = q.where(*where)
    return _frame(session, _owned(q, r.owner_id, owner_id))


def load_lots(session: Session, owner_id: str | None = None, *, warehouses: list | None = None) -> pd.DataFrame:
    """The latest snapshot row of every named lot (its ASN, SKU and landed cost); with ``warehouses``
    (raw codes) only lots some snapshot places in one of them (their latest may be elsewhere)."""
    s = StockSnapshotRow
    named = s.lot_id.is_not(None)  # (the lot indexes hold only rows naming a lot: ``models.warehouse``)
    if warehouses is not None:
        there = aliased(StockSnapshotRow)
        named = named & s.lot_id.in_(_owned(select(there.lot_id).where(there.warehouse_code.in_(warehouses)),
                                            there.owner_id, owner_id).distinct())
    latest = (_owned(select(s.owner_id, s.lot_id, func.max(s.snapshot_at).label("at")), s.owner_id, owner_id)
              .where(named).group_by(s.owner_id, s.lot_id).subquery())
    q = (select(s.owner_id, s.warehouse_code, s.lot_id, s.sku, s.asn_no, s.unit_landed_cost.label("unit_cost"),
                s.cost_currency)
         .join(latest, (latest.c.owner_id == s.owner_id) & (latest.c.lot_id == s.lot_id)
               & (latest.c.at == s.snapshot_at)))
    frame = _frame(session, _owned(q, s.owner_id, owner_id))
    frame = frame[frame["warehouse_code"].fillna("") != ""]
    return frame.astype({"unit_cost": "string"})


def load_transit_lots(session: Session, owner_id: str | None = None, lot_ids: list[str] | None = None
                      ) -> pd.DataFrame:
    """Lots the latest snapshot reports in transit (no warehouse yet), with their title facts (with
    ``lot_ids``: only of those lots)."""
    s = StockSnapshotRow
    named = s.lot_id.is_not(None) if lot_ids is None else s.lot_id.in_(lot_ids)
    latest = (_owned(select(s.owner_id, s.lot_id, func.max(s.snapshot_at).label("at")), s.owner_id, owner_id)
              .where(named).group_by(s.owner_id, s.lot_id).subquery())
    q = (select(s.owner_id, s.lot_id, s.sku, s.qty_expected.label("qty"), s.snapshot_at.label("as_of"),
                s.title_holder, s.risk_bearer, s.custodian, s.title_state, s.location_state, s.source_doc_no,
                s.warehouse_code)
         .join(latest, (latest.c.owner_id == s.owner_id) & (latest.c.lot_id == s.lot_id)
               & (latest.c.at == s.snapshot_at)))
    frame = _frame(session, _owned(q, s.owner_id, owner_id))
    return frame[frame["warehouse_code"].fillna("") == ""].drop(columns="warehouse_code")


def load_document_lines(session: Session, owner_id: str | None = None) -> pd.DataFrame:
    d, ln = TransportDocumentRow, TransportDocumentLineRow
    q = select(d.owner_id, d.doc_number, ln.line_no, d.master_doc_number, d.doc_type, d.doc_level, d.mode,
               d.is_to_order, d.release_type, ln.container_no, ln.po_numbers, ln.hs_code, ln.packages, ln.quantity,
               d.shipper, d.consignee, d.incoterm, d.shipped_on_board_date.label("shipped_on_board_at"),
               d.eta, ln.description, ln.sku).join(ln, ln.document_pk == d.id)
    frame = _frame(session, _owned(q, d.owner_id, owner_id))
    frame["po_number"] = frame["po_numbers"].fillna("").str.split().str[0]
    frame["is_to_order"] = frame["is_to_order"].map({True: "true", False: "false"})
    return frame


def load_customs_lines(session: Session, owner_id: str | None = None) -> pd.DataFrame:
    e, ln = CustomsEntryRow, CustomsEntryLineRow
    q = select(e.owner_id, e.declaration_no, ln.line_no, e.country, e.transport_doc_refs, e.container_nos,
               ln.container_no, ln.po_number, ln.sku_group, ln.hs_code, ln.quantity.label("qty"), ln.customs_value,
               ln.currency, e.submitted_at, e.released_at, e.arrival_date, ln.description, ln.invoice_value,
               ln.invoice_currency).join(ln, ln.entry_pk == e.id)
    frame = _frame(session, _owned(q, e.owner_id, owner_id))
    refs = frame["transport_doc_refs"].fillna("").str.split()
    for kind, column in (("MBL", "mbl_no"), ("HBL", "hbl_no"), ("AWB", "awb_no")):
        frame[column] = refs.map(lambda items, k=kind: next((i.split(":", 1)[1] for i in items
                                                             if i.startswith(k + ":")), None))
    first_container = frame["container_nos"].fillna("").str.split().str[0]  # the entry's first, for lines naming none
    frame["container_no"] = frame["container_no"].where(frame["container_no"].notna(), first_container)
    frame["customs_value"] = frame["customs_value"].astype("string")
    frame["invoice_value"] = frame["invoice_value"].astype("string")
    return frame.drop(columns=["transport_doc_refs", "container_nos"])


def load_endorsements(session: Session, owner_id: str | None = None) -> pd.DataFrame:
    d, en = TransportDocumentRow, TransportEndorsementRow
    q = select(d.owner_id, d.doc_number, en.seq, en.action_code, en.actor, en.recipient, en.action_at,
               en.reference).join(en, en.document_pk == d.id)
    return _frame(session, _owned(q, d.owner_id, owner_id))


def load_manual_links(session: Session, owner_id: str | None = None) -> pd.DataFrame:
    m = ManualLinkRow
    q = select(m.step, m.left_key, m.right_key, m.qty, m.note).where(m.active.is_(True))
    return _frame(session, _owned(q, m.owner_id, owner_id))


def load_links(session: Session, partition: str) -> pd.DataFrame:
    """The stored links of one partition (``matching.linker.LINK_COLUMNS``)."""
    columns = [getattr(MatchLinkRow, c) for c in LINK_COLUMNS]
    return _frame(session, select(*columns).where(MatchLinkRow.partition == partition))


def load_crosswalk(session: Session, owner_id: str | None = None) -> SkuCrosswalk:
    c = SkuCrosswalkRow
    rows = session.execute(_owned(select(c).order_by(c.id), c.owner_id, owner_id)).scalars().all()
    cross = SkuCrosswalk()
    cross.extend([CrosswalkRow(owner_id=r.owner_id, platform_sku=r.platform_sku or None,
                               merchant_sku=r.merchant_sku or None, warehouse_sku=r.warehouse_sku or None,
                               platform=r.platform or None, hs_code=r.hs_code) for r in rows], source="sku_crosswalk")
    return cross


def load_input(session: Session, owner_id: str | None = None) -> MatchInput:
    return MatchInput(
        order_lines=load_order_lines(session, owner_id), shipment_lines=load_shipment_lines(session, owner_id),
        receipt_lines=load_receipt_lines(session, owner_id), lots=load_lots(session, owner_id),
        document_lines=load_document_lines(session, owner_id), customs_lines=load_customs_lines(session, owner_id),
        manual_links=load_manual_links(session, owner_id), crosswalk=load_crosswalk(session, owner_id))


#: ``MatchInput`` field -> its loader (``load_frames`` reads only the fields asked for)
FRAME_LOADERS = {
    "order_lines": load_order_lines, "shipment_lines": load_shipment_lines, "receipt_lines": load_receipt_lines,
    "lots": load_lots, "document_lines": load_document_lines, "customs_lines": load_customs_lines,
    "manual_links": load_manual_links, "crosswalk": load_crosswalk,
}


def load_frames(session: Session, owner_id: str, names: set[str]) -> MatchInput:
    """A ``MatchInput`` of one owner holding only the frames ``names`` (the rest empty)."""
    return MatchInput(**{name: FRAME_LOADERS[name](session, owner_id) for name in sorted(names)})
