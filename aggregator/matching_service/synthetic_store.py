"""Write a ``matching.synthetic`` world (the engine's input frames) into the store, as the importers would
leave it: order headers and lines, outbound and receipt headers with lines, transport documents and
customs entries with lines, the crosswalk, one owner row per owner. Bare executemany inserts
(``aggregator.store.prepared_insert``): for benchmarks and tests of the database path at scale.

``orders_only`` writes orders and outbound only (a later batch of new orders). A record the world holds
twice (its duplicate noise) is stored once: the store keeps one row per key."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.store.models.logistics import (
    CustomsEntryLineRow,
    CustomsEntryRow,
    TransportDocumentLineRow,
    TransportDocumentRow,
)
from aggregator.store.models.marketplace import OrderLineRow, OrderRow, order_key
from aggregator.store.models.matching import SkuCrosswalkRow
from aggregator.store.models.tenancy import OwnerRow
from aggregator.store.models.warehouse import (
    WarehouseReceiptLineRow,
    WarehouseReceiptRow,
    WarehouseShipmentLineRow,
    WarehouseShipmentRow,
)
from aggregator.store.prepared_insert import insert_rows
from matching import keys
from matching.engine import MatchInput


def _value(v):
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    return v.item() if hasattr(v, "item") else v


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _column(values: pd.Series) -> list:
    """A column as plain Python values (None for a missing one), converted column-wise."""
    if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(values.dtype):
        missing = values.isna().to_numpy()
        return [None if gone else v for v, gone in zip(values.dt.to_pydatetime().tolist(), missing)]
    if values.dtype == object:
        return [_value(v) for v in values.tolist()]
    return values.astype(object).where(values.notna(), None).tolist()


def _records(frame: pd.DataFrame) -> list[dict]:
    names = list(frame.columns)
    return [dict(zip(names, row)) for row in zip(*(_column(frame[name]) for name in names))]


def _headers(session: Session, model, frame: pd.DataFrame, key: list[str], values) -> dict[tuple, int]:
    """Insert one header per distinct ``key`` of ``frame`` (``values(first_row)``); key -> id."""
    firsts = frame.drop_duplicates(key)
    rows = [values(row) for row in _records(firsts)]
    insert_rows(session, model.__table__, rows)
    ids = {}
    owners = sorted(firsts["owner_id"].unique()) if "owner_id" in key else None
    query = select(model.id, *[getattr(model, k) for k in key])
    if owners is not None:
        query = query.where(model.owner_id.in_(owners))
    wanted = {tuple(r[k] for k in key) for r in rows}
    for pk, *k in session.execute(query):
        if tuple(k) in wanted:
            ids[tuple(k)] = pk
    return ids


def store_world(session: Session, inp: MatchInput, *, stored_at: datetime | None = None,
                orders_only: bool = False) -> None:
    """Write ``inp``'s frames (lots and manual links are not part of a synthetic world)."""
    now = stored_at or datetime.now(UTC)
    frames = [f for f in (inp.order_lines, inp.shipment_lines, inp.receipt_lines, inp.document_lines,
                          inp.customs_lines) if f is not None and not f.empty]
    owners = sorted({o for f in frames for o in f["owner_id"].unique()})
    known = set(session.scalars(select(OwnerRow.owner_id)))
    insert_rows(session, OwnerRow.__table__, [{"owner_id": o, "name": o, "base_currency": "CNY"}
                                              for o in owners if o not in known])
    _orders(session, inp.order_lines, now)
    _shipments(session, inp.shipment_lines, now)
    if orders_only:
        return
    _receipts(session, inp.receipt_lines, now)
    _documents(session, inp.document_lines, now)
    _customs(session, inp.customs_lines, now)
    if inp.crosswalk is not None:
        insert_rows(session, SkuCrosswalkRow.__table__, [
            {"owner_id": r.owner_id, "platform": r.platform or "", "platform_sku": r.platform_sku or "",
             "merchant_sku": r.merchant_sku or "", "warehouse_sku": r.warehouse_sku or "", "hs_code": r.hs_code,
             "created_at": now} for r in inp.crosswalk.rows])


def split_new_orders(inp: MatchInput, owner_id: str, count: int) -> tuple[MatchInput, MatchInput]:
    """(``inp`` without the last ``count`` orders of ``owner_id`` and the outbound carrying them, those
    orders and outbound): a world as it was, and the batch that arrives later."""
    orders = inp.order_lines
    new = list(orders.loc[orders["owner_id"] == owner_id, "order_id"].drop_duplicates().iloc[-count:])
    ships = inp.shipment_lines
    outbound = ["owner_id", "warehouse_code", "wms_outbound_no"]
    carrying = (ships["owner_id"] == owner_id) & keys.order_ids(ships["order_id"]).isin(
        keys.order_ids(pd.Series(new, dtype="string")))
    late = ships.set_index(outbound).index.isin(ships.loc[carrying, outbound].drop_duplicates().set_index(outbound).index)
    fresh = orders["order_id"].isin(new).to_numpy()
    before = MatchInput(order_lines=orders[~fresh], shipment_lines=ships[~late], receipt_lines=inp.receipt_lines,
                        document_lines=inp.document_lines, customs_lines=inp.customs_lines, crosswalk=inp.crosswalk)
    return before, MatchInput(order_lines=orders[fresh], shipment_lines=ships[late])


def _aggregates(session: Session, frame: pd.DataFrame | None, header_model, key: list[str], line_key: str,
                header, line_model, parent: str, line) -> None:
    """One header per distinct ``key`` (``header(first row)``) and one line per row (``line(row)`` plus the
    header's id in ``parent``); a row repeating a (key, ``line_key``) is stored once."""
    if frame is None or frame.empty:
        return
    frame = frame.drop_duplicates([*key, line_key])
    ids = _headers(session, header_model, frame, key, header)
    insert_rows(session, line_model.__table__, [{parent: ids[tuple(r[k] for k in key)], **line(r)}
                                                for r in _records(frame)])


def _orders(session: Session, frame: pd.DataFrame | None, now: datetime) -> None:
    _aggregates(session, frame, OrderRow, ["platform", "shop_id", "order_id"], "line_ref", lambda r: {
        "owner_id": r["owner_id"], "platform": r["platform"], "shop_id": r["shop_id"], "order_id": r["order_id"],
        "order_key": order_key(r["platform"], r["shop_id"], r["order_id"]), "status": r.get("order_status") or "PAID",
        "raw_status": r.get("order_status") or "PAID", "currency": "MYR", "buyer_country": r.get("country"),
        "ordered_at": r.get("ordered_at") or now, "paid_at": r.get("paid_at"),
        "source_updated_at": r.get("ordered_at") or now, "content_hash": "synthetic", "first_seen_at": now,
        "stored_at": now}, OrderLineRow, "order_pk", lambda r: {
        "line_ref": r["line_ref"], "seller_sku": r["sku"], "quantity": int(r["qty"]),
        "product_name": r.get("product_name"), "package_id": r.get("package_id"),
        "tracking_number": r.get("tracking_number")})


def _shipments(session: Session, frame: pd.DataFrame | None, now: datetime) -> None:
    key = ["owner_id", "warehouse_code", "wms_outbound_no"]
    _aggregates(session, frame, WarehouseShipmentRow, key, "line_no", lambda r: {
        **{k: r[k] for k in key}, "status": r.get("status"), "platform": r.get("platform"),
        "shop_id": r.get("shop_id"), "order_id": r.get("order_id"), "package_id": r.get("package_id"),
        "tracking_number": r.get("tracking_number"), "carrier_code": r.get("carrier_code"),
        "wms_created_at": r.get("created_at"), "shipped_at": r.get("shipped_at"),
        "delivered_at": r.get("delivered_at"), "returned_at": r.get("returned_at"), "content_hash": "synthetic",
        "first_seen_at": now, "stored_at": now}, WarehouseShipmentLineRow, "shipment_pk", lambda r: {
        "line_no": int(r["line_no"]), "sku": r["sku"], "quantity": int(r["qty"]),
        "order_line_ref": r.get("order_line_ref"), "lot_id": r.get("lot_id")})


def _receipts(session: Session, frame: pd.DataFrame | None, now: datetime) -> None:
    key = ["owner_id", "warehouse_code", "asn_no"]
    _aggregates(session, frame, WarehouseReceiptRow, key, "line_no", lambda r: {
        **{k: r[k] for k in key}, "status": r.get("status"), "mbl_no": r.get("mbl_no"), "hbl_no": r.get("hbl_no"),
        "awb_no": r.get("awb_no"), "container_no": r.get("container_no"),
        "customs_declaration_no": r.get("customs_declaration_no"), "arrived_at": r.get("arrived_at"),
        "received_at": r.get("received_at"), "content_hash": "synthetic", "first_seen_at": now, "stored_at": now},
        WarehouseReceiptLineRow, "receipt_pk", lambda r: {
        "line_no": int(r["line_no"]), "sku": r["sku"], "planned_qty": int(r["planned_qty"]),
        "received_good_qty": int(r.get("received_good_qty") or 0),
        "received_damaged_qty": int(r.get("received_damaged_qty") or 0), "po_number": r.get("po_number"),
        "lot_id": r.get("lot_id"), "box_range": r.get("box_range")})


def _documents(session: Session, frame: pd.DataFrame | None, now: datetime) -> None:
    key = ["owner_id", "doc_number"]

    def to_order(value) -> bool | None:
        return None if value is None else str(value).strip().lower() in ("true", "1", "yes")

    def count(value) -> int | None:
        return None if value is None else int(value)

    _aggregates(session, frame, TransportDocumentRow, key, "line_no", lambda r: {
        **{k: r[k] for k in key}, "doc_type": r.get("doc_type") or "BOL", "mode": r.get("mode") or "OCEAN",
        "doc_level": r.get("doc_level") or "HOUSE", "master_doc_number": r.get("master_doc_number"),
        "is_to_order": to_order(r.get("is_to_order")), "release_type": r.get("release_type"),
        "shipper": r.get("shipper"), "consignee": r.get("consignee"), "incoterm": r.get("incoterm"),
        "shipped_on_board_date": r.get("shipped_on_board_at"), "eta": r.get("eta"), "content_hash": "synthetic",
        "first_seen_at": now, "stored_at": now}, TransportDocumentLineRow, "document_pk", lambda r: {
        "line_no": int(r["line_no"]), "container_no": r.get("container_no"), "description": r.get("description"),
        "hs_code": r.get("hs_code"), "packages": count(r.get("packages")), "quantity": count(r.get("quantity")),
        "sku": r.get("sku"), "po_numbers": r.get("po_numbers") or r.get("po_number") or ""})


def _customs(session: Session, frame: pd.DataFrame | None, now: datetime) -> None:
    key = ["owner_id", "country", "declaration_no"]

    def refs(r) -> str:
        return " ".join(f"{kind}:{r[col]}" for kind, col in (("MBL", "mbl_no"), ("HBL", "hbl_no"), ("AWB", "awb_no"))
                        if r.get(col))

    _aggregates(session, None if frame is None else frame.assign(country=frame["country"].fillna("MY")),
                CustomsEntryRow, key, "line_no", lambda r: {
        **{k: r[k] for k in key}, "submitted_at": r.get("submitted_at"), "released_at": r.get("released_at"),
        "arrival_date": r.get("arrival_date"), "transport_doc_refs": refs(r), "currency": r.get("currency"),
        "content_hash": "synthetic", "first_seen_at": now, "stored_at": now}, CustomsEntryLineRow, "entry_pk",
        lambda r: {
        "line_no": int(r["line_no"]), "hs_code": r.get("hs_code"), "description": r.get("description"),
        "quantity": None if r.get("qty") is None else int(r["qty"]), "currency": r.get("currency"),
        "customs_value": _decimal(r.get("customs_value")), "invoice_currency": r.get("invoice_currency"),
        "invoice_value": _decimal(r.get("invoice_value")), "po_number": r.get("po_number"),
        "sku_group": r.get("sku_group"), "container_no": r.get("container_no")})
