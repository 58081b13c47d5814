"""Store reads for the order legs: one owner's orders of a period with the facts of each, and the lots
each order drew from with theirs, as the DataFrames ``legs.order_legs`` takes.

The facts come from the stored records and links (the same chain ``aggregator.api.chain`` walks for one
order, read here set-wise for the owner's orders of the period):

* order: ``orders.ordered_at``; dispatch and delivery from the warehouse shipments naming the order
  (cancelled ones ignored; dispatched = the last package shipped, delivered = the last delivered, unknown
  while a dispatched package is not delivered); payout = the earliest settlement line of the order;
* lots: order lines → ``order_shipment`` → ``shipment_lot`` (units) → ``lot_receipt`` → receipt
  (``received_at``) → ``receipt_document`` / ``receipt_transport_doc`` (on board: the container's DCSA
  ``LOAD`` actual, else the bill's shipped-on-board date) and ``receipt_customs`` /
  ``receipt_customs_entry`` (arrival: the DCSA ``ARRI`` / ``DISC`` actual at the port of discharge, else the
  declaration's arrival date; release: ``released_at``). An ETA is an estimate and never an arrival.

Date-only facts (on-board and arrival dates) count from 00:00 UTC of their day. Every query is filtered
by the owner; lists of keys are sent in chunks.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aggregator.analytics.legs import LOT_COLUMNS, ORDER_COLUMNS
from aggregator.api.chain import line_key
from aggregator.store.models.logistics import (
    CustomsEntryRow,
    TransportDocumentLineRow,
    TransportDocumentRow,
    TransportMilestoneRow,
)
from aggregator.store.models.marketplace import OrderLineRow, OrderRow, SettlementLineRow
from aggregator.store.models.matching import MatchLinkRow
from aggregator.store.models.tenancy import ShopRow
from aggregator.store.models.warehouse import WarehouseReceiptRow, WarehouseShipmentRow

CHUNK = 500
_DOC_STEPS = ("receipt_document", "receipt_transport_doc")
_CUSTOMS_STEPS = ("receipt_customs", "receipt_customs_entry")


def chunks(values: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    """``values`` (deduplicated, sorted) in lists of at most ``size``: bounded ``IN (…)`` parameters."""
    ordered = sorted(set(values))
    for start in range(0, len(ordered), size):
        yield ordered[start:start + size]


def day_start(value: date | datetime | None) -> datetime | None:
    """A date as 00:00 UTC of that day; an instant as it is."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.combine(value, time(), tzinfo=UTC)


def period_range(first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    """[first 00:00 UTC, the day after last 00:00 UTC) for instant comparisons."""
    start = day_start(first) if first else None
    end = day_start(date.fromordinal(last.toordinal() + 1)) if last else None
    return start, end


def order_facts(session: Session, owner_id: str, first: date | None = None,
                last: date | None = None) -> pd.DataFrame:
    """The owner's orders placed ``first``..``last`` (inclusive; all when absent) with their instants
    (``legs.ORDER_COLUMNS``) plus ``order_pk`` and ``order_id``."""
    start, end = period_range(first, last)
    query = (select(OrderRow.id, OrderRow.platform, OrderRow.shop_id, OrderRow.order_id, OrderRow.ordered_at,
                    OrderRow.buyer_country, ShopRow.region)
             .outerjoin(ShopRow, (ShopRow.platform == OrderRow.platform) & (ShopRow.shop_id == OrderRow.shop_id))
             .where(OrderRow.owner_id == owner_id))
    if start is not None:
        query = query.where(OrderRow.ordered_at >= start)
    if end is not None:
        query = query.where(OrderRow.ordered_at < end)
    rows = session.execute(query.order_by(OrderRow.id)).all()
    by_id: dict[str, list[Any]] = defaultdict(list)
    records = []
    for row in rows:
        record = {"order_pk": row.id, "order_key": f"{row.platform}|{row.shop_id}|{row.order_id}",
                  "order_id": row.order_id, "owner_id": owner_id, "platform": row.platform,
                  "shop_id": row.shop_id, "country": row.region or row.buyer_country or "",
                  "ordered_at": row.ordered_at, "dispatched_at": None, "delivered_at": None, "paid_out_at": None}
        records.append(record)
        by_id[row.order_id].append(record)
    for ids in chunks(by_id):
        _shipments(session, owner_id, ids, by_id)
        _payouts(session, owner_id, ids, by_id)
    return pd.DataFrame(records, columns=["order_pk", "order_id", *ORDER_COLUMNS])


def _same_order(record: dict, platform: str | None, shop_id: str | None) -> bool:
    return (not platform or platform.lower() == record["platform"]) and (not shop_id or shop_id == record["shop_id"])


def _shipments(session: Session, owner_id: str, ids: Sequence[str], by_id: dict[str, list[dict]]) -> None:
    S = WarehouseShipmentRow
    found: dict[str, list[Any]] = defaultdict(list)
    for s in session.execute(select(S.platform, S.shop_id, S.order_id, S.status, S.shipped_at, S.delivered_at)
                             .where(S.owner_id == owner_id, S.order_id.in_(ids))):
        for record in by_id.get(s.order_id, ()):
            if _same_order(record, s.platform, s.shop_id) and (s.status or "").upper() != "CANCELLED":
                found[record["order_key"]].append(s)
    for record in (r for rs in by_id.values() for r in rs if r["order_key"] in found):
        shipments = found[record["order_key"]]
        shipped = [s.shipped_at for s in shipments]
        if shipped and all(shipped):
            record["dispatched_at"] = max(shipped)
            delivered = [s.delivered_at for s in shipments]
            if all(delivered):
                record["delivered_at"] = max(delivered)


def _payouts(session: Session, owner_id: str, ids: Sequence[str], by_id: dict[str, list[dict]]) -> None:
    L = SettlementLineRow
    for platform, shop_id, order_id, first_at in session.execute(
            select(L.platform, L.shop_id, L.order_id, func.min(L.occurred_at))
            .where(L.owner_id == owner_id, L.order_id.in_(ids)).group_by(L.platform, L.shop_id, L.order_id)):
        for record in by_id.get(order_id, ()):
            if _same_order(record, platform, shop_id):
                record["paid_out_at"] = _aware(first_at)


def _aware(value: datetime | None) -> datetime | None:
    """An aggregate over a ``UTCDateTime`` column comes back without its type on some drivers."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _links(session: Session, owner_id: str, steps: Sequence[str], lefts: Iterable[str]) -> list[Any]:
    L = MatchLinkRow
    out: list[Any] = []
    for part in chunks(lefts):
        out.extend(session.execute(select(L.step, L.left_key, L.right_key, L.qty)
                                   .where(L.owner_id == owner_id, L.step.in_(steps), L.left_key.in_(part))
                                   .order_by(L.left_key, L.right_key)).all())
    return out


def lot_facts(session: Session, owner_id: str, orders: pd.DataFrame) -> pd.DataFrame:
    """The lots each order of ``orders`` (``order_facts``) drew from, with units and upstream instants
    (``legs.LOT_COLUMNS``)."""
    order_of_line: dict[str, str] = {}
    by_pk = dict(zip(orders["order_pk"], orders.itertuples(index=False)))
    for part in chunks(by_pk):
        for pk, ref in session.execute(select(OrderLineRow.order_pk, OrderLineRow.line_ref)
                                       .where(OrderLineRow.order_pk.in_(part))):
            order = by_pk[pk]
            order_of_line[line_key(order, ref)] = order.order_key
    order_of_shipment = {link.right_key: order_of_line[link.left_key]
                         for link in _links(session, owner_id, ["order_shipment"], order_of_line)}
    units: dict[tuple[str, str], int] = defaultdict(int)
    for link in _links(session, owner_id, ["shipment_lot"], order_of_shipment):
        units[(order_of_shipment[link.left_key], link.right_key)] += link.qty
    receipt_of: dict[str, str] = {}
    for link in _links(session, owner_id, ["lot_receipt"], {lot for _, lot in units}):
        receipt_of.setdefault(link.left_key, link.right_key)
    doc_of: dict[str, str] = {}
    customs_of: dict[str, str] = {}
    for link in sorted(_links(session, owner_id, [*_DOC_STEPS, *_CUSTOMS_STEPS], set(receipt_of.values())),
                       key=lambda link: ((_DOC_STEPS + _CUSTOMS_STEPS).index(link.step), link.right_key)):
        (doc_of if link.step in _DOC_STEPS else customs_of).setdefault(link.left_key, link.right_key)
    received = _received(session, owner_id, set(receipt_of.values()))
    documents = _documents(session, owner_id, {key.split("|")[1] for key in doc_of.values()})
    entries = _entries(session, owner_id, {key.split("|")[1] for key in customs_of.values()})
    milestones = _milestones(session, owner_id) if documents else {}
    rows = []
    for (order_key, lot), count in sorted(units.items()):
        receipt = receipt_of.get(lot)
        document = documents.get(doc_of[receipt].split("|")[1]) if receipt in doc_of else None
        entry = entries.get(customs_of[receipt].split("|")[1]) if receipt in customs_of else None
        on_board, arrived = None, None
        if document is not None:
            on_board = _actual(milestones, "LOAD", document, document["port_of_loading"]) or \
                day_start(document["on_board_date"])
            arrived = _actual(milestones, "ARRI", document, document["port_of_discharge"]) or \
                _actual(milestones, "DISC", document, document["port_of_discharge"])
        if arrived is None and entry is not None:
            arrived = day_start(entry.arrival_date)
        rows.append({"order_key": order_key, "lot_key": lot, "units": count, "on_board_at": on_board,
                     "arrived_at": arrived, "released_at": entry.released_at if entry is not None else None,
                     "received_at": received.get("|".join(receipt.split("|")[:3])) if receipt else None})
    return pd.DataFrame(rows, columns=LOT_COLUMNS)


def _received(session: Session, owner_id: str, receipt_lines: set[str]) -> dict[str, datetime | None]:
    R = WarehouseReceiptRow
    wanted = {tuple(key.split("|")[1:3]) for key in receipt_lines if key.count("|") >= 2}
    out: dict[str, datetime | None] = {}
    for part in chunks(asn for _, asn in wanted):
        for wh, asn, at in session.execute(select(R.warehouse_code, R.asn_no, R.received_at)
                                           .where(R.owner_id == owner_id, R.asn_no.in_(part))):
            if (wh, asn) in wanted:
                out[f"{owner_id}|{wh}|{asn}"] = at
    return out


def _documents(session: Session, owner_id: str, numbers: set[str]) -> dict[str, dict[str, Any]]:
    D, DL = TransportDocumentRow, TransportDocumentLineRow
    out: dict[str, dict[str, Any]] = {}
    for part in chunks(numbers):
        for row in session.execute(select(D.id, D.doc_number, D.shipped_on_board_date, D.port_of_loading,
                                          D.port_of_discharge).where(D.owner_id == owner_id,
                                                                     D.doc_number.in_(part))):
            out[row.doc_number] = {"pk": row.id, "number": row.doc_number, "on_board_date": row.shipped_on_board_date,
                                   "port_of_loading": row.port_of_loading,
                                   "port_of_discharge": row.port_of_discharge, "containers": set()}
    by_pk = {doc["pk"]: doc for doc in out.values()}
    for part in chunks(by_pk):
        for pk, container in session.execute(select(DL.document_pk, DL.container_no)
                                             .where(DL.document_pk.in_(part), DL.container_no.is_not(None))):
            by_pk[pk]["containers"].add(container)
    return out


def _entries(session: Session, owner_id: str, numbers: set[str]) -> dict[str, Any]:
    C = CustomsEntryRow
    out: dict[str, Any] = {}
    for part in chunks(numbers):
        for row in session.execute(select(C.declaration_no, C.arrival_date, C.released_at)
                                   .where(C.owner_id == owner_id, C.declaration_no.in_(part))):
            out[row.declaration_no] = row
    return out


def _milestones(session: Session, owner_id: str) -> dict[tuple[str, str], list[tuple[datetime, str | None]]]:
    """The owner's actual LOAD / ARRI / DISC milestones by (code, container or document number)."""
    M = TransportMilestoneRow
    out: dict[tuple[str, str], list[tuple[datetime, str | None]]] = defaultdict(list)
    for row in session.execute(select(M.code, M.event_at, M.equipment_no, M.location, M.document_refs)
                               .where(M.owner_id == owner_id, M.classifier == "ACT",
                                      M.code.in_(("LOAD", "ARRI", "DISC")))):
        subjects = {row.equipment_no} if row.equipment_no else set()
        subjects |= {ref.split(":", 1)[1] for ref in (row.document_refs or "").split() if ":" in ref}
        for subject in subjects:
            out[(row.code, subject)].append((row.event_at, row.location))
    return out


def _actual(milestones: dict, code: str, document: dict[str, Any], port: str | None) -> datetime | None:
    """The earliest actual ``code`` milestone of the document or one of its containers at ``port``."""
    seen = [at for subject in (document["number"], *sorted(document["containers"]))
            for at, location in milestones.get((code, subject), ()) if not port or not location or location == port]
    return min(seen) if seen else None


# -- stock ----------------------------------------------------------------------------------------
def stock_picture(session: Session, owner_id: str, as_of: datetime) -> tuple[pd.DataFrame, datetime | None]:
    """The owner's lots on hand per warehouse at its latest stock snapshot at or before ``as_of`` (a snapshot
    file is the 3PL's whole picture of the warehouse at that instant), as ``ageing.LOT_COLUMNS`` plus the
    snapshot's quantities, batch and expiry date (the snapshot's, else the lot's receipt line's); and the
    latest snapshot instant used (None: no snapshot)."""
    from aggregator.analytics.ageing import LOT_COLUMNS as AGEING_LOT_COLUMNS
    from aggregator.store.models.matching import LotValueRow
    from aggregator.store.models.warehouse import StockSnapshotRow as K
    from matching.keys import normalize_code

    latest = (select(K.warehouse_code, func.max(K.snapshot_at).label("at"))
              .where(K.owner_id == owner_id, K.snapshot_at <= as_of, K.warehouse_code != "")
              .group_by(K.warehouse_code).subquery())
    rows = session.execute(
        select(K.warehouse_code, K.lot_id, K.lot_or_sku, K.sku, K.received_at, K.snapshot_at, K.qty_in_receiving,
               K.qty_available, K.qty_allocated, K.qty_in_last_mile, K.qty_expected, K.unit_landed_cost,
               K.cost_currency, K.batch_no, K.expiry_date)
        .join(latest, (latest.c.warehouse_code == K.warehouse_code) & (latest.c.at == K.snapshot_at))
        .where(K.owner_id == owner_id).order_by(K.warehouse_code, K.lot_or_sku)).all()
    values = {key: (unit, currency) for key, unit, currency in session.execute(
        select(LotValueRow.lot_key, LotValueRow.unit_value, LotValueRow.currency)
        .where(LotValueRow.owner_id == owner_id))}
    records, used = [], None
    for r in rows:
        unit, currency = r.unit_landed_cost, r.cost_currency
        if unit is None:
            unit, currency = values.get(f"{owner_id}|{normalize_code(r.warehouse_code)}|"
                                        f"{normalize_code(r.lot_id or r.lot_or_sku)}", (None, None))
        records.append({"warehouse_code": r.warehouse_code, "lot_id": r.lot_id or r.lot_or_sku, "sku": r.sku,
                        "received_at": r.received_at,
                        "on_hand": r.qty_in_receiving + r.qty_available + r.qty_allocated,
                        "in_last_mile": r.qty_in_last_mile, "expected": r.qty_expected,
                        "unit_cost": unit, "currency": currency or "", "batch_no": r.batch_no,
                        "expiry_date": r.expiry_date})
        used = max(used, r.snapshot_at) if used else r.snapshot_at
    columns = [*AGEING_LOT_COLUMNS, "in_last_mile", "expected", "batch_no", "expiry_date"]
    frame = pd.DataFrame(records, columns=columns)
    _receipt_expiry(session, owner_id, frame)
    return frame, used


def _receipt_expiry(session: Session, owner_id: str, frame: pd.DataFrame) -> None:
    """A lot the snapshot gives no expiry (or batch) for takes its receipt line's (same warehouse and lot)."""
    from aggregator.store.models.warehouse import WarehouseReceiptLineRow as RL

    missing = frame[frame["expiry_date"].isna()]
    if missing.empty:
        return
    R = WarehouseReceiptRow
    found: dict[tuple[str, str], tuple[Any, Any]] = {}
    for part in chunks(missing["lot_id"]):
        for wh, lot, expiry, batch in session.execute(
                select(R.warehouse_code, RL.lot_id, RL.expiry_date, RL.batch_no).join(RL, RL.receipt_pk == R.id)
                .where(R.owner_id == owner_id, RL.lot_id.in_(part), RL.expiry_date.is_not(None))):
            found.setdefault((wh, lot), (expiry, batch))
    for index in missing.index:
        hit = found.get((frame.at[index, "warehouse_code"], frame.at[index, "lot_id"]))
        if hit is not None:
            frame.at[index, "expiry_date"] = hit[0]
            if pd.isna(frame.at[index, "batch_no"]):
                frame.at[index, "batch_no"] = hit[1]


def lot_sales(session: Session, owner_id: str, since: datetime, until: datetime) -> pd.DataFrame:
    """Units dispatched per outbound line naming its lot (the 3PL's ``stock_lot_id``) with ``since`` <
    shipped_at <= ``until``; cancelled and returned shipments (a return time or status) left out (``ageing.SOLD_COLUMNS`` + ``sku``)."""
    from aggregator.store.models.warehouse import WarehouseShipmentLineRow as SL

    S = WarehouseShipmentRow
    rows = session.execute(
        select(S.warehouse_code, SL.lot_id, SL.sku, SL.quantity, S.shipped_at)
        .join(SL, SL.shipment_pk == S.id)
        .where(S.owner_id == owner_id, S.shipped_at > since, S.shipped_at <= until, S.returned_at.is_(None),
               func.upper(func.coalesce(S.status, "")).not_in(("CANCELLED", "RETURNED")))).all()
    return pd.DataFrame([{"warehouse_code": r.warehouse_code, "lot_id": r.lot_id or "", "sku": r.sku,
                          "qty": r.quantity, "shipped_at": r.shipped_at} for r in rows],
                        columns=["warehouse_code", "lot_id", "sku", "qty", "shipped_at"])


def outbound_sales(session: Session, owner_id: str, since: datetime | None, until: datetime) -> pd.DataFrame:
    """Units of the owner's outbound lines (cancelled ones left out) at their allocation (the 3PL's creation
    time, else the dispatch), ``since`` < at <= ``until`` (``demand.SALES_COLUMNS``)."""
    from aggregator.store.models.warehouse import WarehouseShipmentLineRow as SL

    S = WarehouseShipmentRow
    at = func.coalesce(S.wms_created_at, S.shipped_at)
    query = (select(S.warehouse_code, SL.sku, SL.quantity, S.wms_created_at, S.shipped_at)
             .join(SL, SL.shipment_pk == S.id)
             .where(S.owner_id == owner_id, at.is_not(None), at <= until,
                    func.upper(func.coalesce(S.status, "")) != "CANCELLED"))
    if since is not None:
        query = query.where(at > since)
    rows = session.execute(query).all()
    return pd.DataFrame([{"warehouse_code": r.warehouse_code, "sku": r.sku, "qty": r.quantity,
                          "at": r.wms_created_at or r.shipped_at} for r in rows],
                        columns=["warehouse_code", "sku", "qty", "at"])


def inbound_open(session: Session, owner_id: str) -> pd.DataFrame:
    """Units announced to the owner's warehouses and not received yet, per warehouse and SKU: each ASN line's
    planned units less those received good or damaged, on ASNs not received in full (``is_final`` false or
    no receipt time)."""
    from aggregator.store.models.warehouse import WarehouseReceiptLineRow as RL

    R = WarehouseReceiptRow
    rows = session.execute(
        select(R.warehouse_code, RL.sku, RL.planned_qty, RL.received_good_qty, RL.received_damaged_qty)
        .join(RL, RL.receipt_pk == R.id)
        .where(R.owner_id == owner_id, (R.received_at.is_(None)) | (R.is_final.is_(False)))).all()
    frame = pd.DataFrame([{"warehouse_code": r.warehouse_code, "sku": r.sku,
                           "in_transit": max(0, r.planned_qty - r.received_good_qty - r.received_damaged_qty)}
                          for r in rows], columns=["warehouse_code", "sku", "in_transit"])
    return frame.groupby(["warehouse_code", "sku"], as_index=False)["in_transit"].sum()


# -- exceptions -----------------------------------------------------------------------------------
def exception_facts(session: Session, owner_id: str, since: datetime | None = None,
                    until: datetime | None = None) -> pd.DataFrame:
    """The owner's exceptions first seen before ``until`` that were open at some time after ``since``
    (``collaboration.EXCEPTION_COLUMNS``): match exceptions and parked records, a resolution after ``until``
    read as still open then."""
    from aggregator.store.models.exceptions import ExceptionItem as E

    records = []
    for row in session.execute(select(E.queue, E.source, E.kind, E.status, E.created_at, E.resolved_at,
                                      E.last_seen_at).where(E.owner_id == owner_id)):
        if row.queue == "match":
            done = row.resolved_at if row.status == "resolved" else row.last_seen_at if row.status == "gone" else None
            records.append({"queue": "match", "kind": f"match:{row.kind}", "first_seen_at": row.created_at,
                            "resolved_at": done})
        else:
            records.append({"queue": "queue", "kind": f"{row.source}:{row.kind}", "first_seen_at": row.created_at,
                            "resolved_at": row.resolved_at if row.status == "resolved" else None})
    frame = pd.DataFrame(records, columns=["queue", "kind", "first_seen_at", "resolved_at"])
    if frame.empty:
        return frame
    first = pd.to_datetime(frame["first_seen_at"], utc=True)
    done = pd.to_datetime(frame["resolved_at"], utc=True)
    if until is not None:
        frame = frame[first < pd.Timestamp(until)]
        done = done[frame.index]
        frame = frame.assign(resolved_at=done.where(done < pd.Timestamp(until)))
        done = pd.to_datetime(frame["resolved_at"], utc=True)
    if since is not None:
        frame = frame[done.isna() | (done >= pd.Timestamp(since))]
    return frame.reset_index(drop=True)
