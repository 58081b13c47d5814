"""Lots with their open quantities, read from the stored links of the lots asked for only.

The same quantities as ``matching.open_quantities.open_lots`` (which the ``export lots`` verb computes
over an owner's whole frames; a test holds the two equal): per lot, over its ``lot_receipt`` links,
planned units, good and damaged units received (counted once the receipt line is received:
``matching.frames.RECEIPT_IN_PROGRESS``), units still in receiving; over its ``shipment_lot`` links,
units shipped, units returned (of returned outbounds, or, when the 3PL says nothing, what the
marketplace's return records of the order line say came back) and written off (those its warehouse
disposed of); open = received good − shipped + returned − written off.

Cost: a few statements per page of lots, each an index probe per key (``match_links.right_key`` /
``left_key``, the receipts' and outbounds' natural keys), proportional to the page's lots and their
links, not to the owner's data.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import bindparam, select, tuple_
from sqlalchemy.orm import Session

from aggregator.store.models.matching import MatchLinkRow
from aggregator.store.models.warehouse import WarehouseReceiptLineRow, WarehouseReceiptRow, WarehouseShipmentRow
from matching.frames import RECEIPT_IN_PROGRESS

L, R, RL, S = (MatchLinkRow.__table__.c, WarehouseReceiptRow.__table__.c, WarehouseReceiptLineRow.__table__.c,
               WarehouseShipmentRow.__table__.c)
_BATCH = 900  # keys per statement (SQLite's default bound-parameter limit is 999)

_LINKS_BY_LEFT = select(L.left_key, L.right_key, L.qty).where(
    L.step == bindparam("step"), L.left_key.in_(bindparam("keys", expanding=True)))
_LINKS_BY_RIGHT = select(L.left_key, L.right_key, L.qty).where(
    L.step == bindparam("step"), L.right_key.in_(bindparam("keys", expanding=True)))


@dataclass
class LotQuantities:
    owner_id: str
    warehouse_code: str
    lot_id: str
    sku: str | None = None
    planned: int = 0
    received_good: int = 0
    received_damaged: int = 0
    in_receiving: int = 0
    shipped: int = 0
    returned: int = 0
    written_off: int = 0
    receipts: list[dict] = field(default_factory=list)  # asn_no, line_no, qty linked

    @property
    def open(self) -> int:
        return self.received_good - self.shipped + self.returned - self.written_off


def split_lot_key(key: str) -> tuple[str, str, str] | None:
    parts = key.split("|")
    return (parts[0], parts[1], parts[2]) if len(parts) == 3 else None


def _links(session: Session, statement, step: str, keys: Iterable[str]) -> list:
    keys = sorted(set(keys))
    rows: list = []
    for start in range(0, len(keys), _BATCH):
        rows += session.execute(statement, {"step": step, "keys": keys[start:start + _BATCH]}).all()
    return rows


def _in_batches(session: Session, query, columns: tuple, wanted: list[tuple]) -> list:
    """Rows of ``query`` whose ``columns`` are one of the ``wanted`` tuples (a natural-key probe each)."""
    rows: list = []
    step = _BATCH // len(columns)
    for start in range(0, len(wanted), step):
        rows += session.execute(query.where(tuple_(*columns).in_(wanted[start:start + step]))).all()
    return rows


_RECEIPT_LINES = (select(R.owner_id, R.warehouse_code, R.asn_no, R.status, R.received_at, RL.line_no, RL.sku,
                         RL.planned_qty, RL.received_good_qty, RL.received_damaged_qty)
                  .join_from(WarehouseReceiptRow.__table__, WarehouseReceiptLineRow.__table__, RL.receipt_pk == R.id))
_OUTBOUNDS = select(S.owner_id, S.warehouse_code, S.wms_outbound_no, S.status, S.returned_at)


def _returned_outbounds(session: Session, line_keys: Iterable[str]) -> set[tuple[str, str, str]]:
    """(owner, warehouse, outbound no) of the outbound lines' shipments that came back."""
    wanted = sorted({tuple(k.split("|")[:3]) for k in line_keys if k.count("|") == 3})
    if not wanted:
        return set()
    rows = _in_batches(session, _OUTBOUNDS, (S.owner_id, S.warehouse_code, S.wms_outbound_no), wanted)
    return {(r.owner_id, r.warehouse_code, r.wms_outbound_no) for r in rows
            if r.returned_at is not None or r.status == "RETURNED"}


def lot_quantities(session: Session, lot_keys: list[str]) -> dict[str, LotQuantities]:
    """Open quantities of the given lots (``owner|warehouse|lot`` keys), in the keys' order."""
    out = {}
    for key in lot_keys:
        parts = split_lot_key(key)
        if parts:
            out[key] = LotQuantities(*parts)
    inbound = _links(session, _LINKS_BY_LEFT, "lot_receipt", out)
    lines = _receipt_lines_joined(session, [link.right_key for link in inbound])
    for link in inbound:
        lot, line = out[link.left_key], lines.get(link.right_key)
        if line is None:
            continue
        received = line.received_at is not None and not (
            line.received_good_qty + line.received_damaged_qty == 0 and (line.status or "") in RECEIPT_IN_PROGRESS)
        lot.sku = lot.sku or line.sku
        lot.planned += line.planned_qty
        lot.received_good += line.received_good_qty if received else 0
        lot.received_damaged += line.received_damaged_qty if received else 0
        lot.in_receiving += 0 if received else line.planned_qty
        lot.receipts.append({"asn_no": line.asn_no, "line_no": line.line_no, "planned": line.planned_qty,
                             "received": received})
    outbound = _links(session, _LINKS_BY_RIGHT, "shipment_lot", out)
    returned = _returned_outbounds(session, [link.left_key for link in outbound])
    back = _marketplace_returns(session, [link.left_key for link in outbound])
    given: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # per shipment line: units given to its lots
    for link in sorted(outbound, key=lambda link: (link.left_key, link.right_key)):
        lot = out[link.right_key]
        lot.shipped += link.qty
        units, off = back.get(link.left_key, (0, 0))
        done = given[link.left_key]
        mine = max(0, min(link.qty, units - done[0]))
        mine_off = max(0, min(link.qty, off - done[1]))
        done[0], done[1] = done[0] + mine, done[1] + mine_off
        by_3pl = link.qty if tuple(link.left_key.split("|")[:3]) in returned else 0
        lot.returned += max(by_3pl, mine)
        lot.written_off += min(mine_off, max(by_3pl, mine))
    return out


def _marketplace_returns(session: Session, shipment_line_keys: list[str]) -> dict[str, tuple[int, int]]:
    """Per shipment line: (units back, units written off) from the marketplace's return records of the
    order lines it serves (received or refunded returns of goods; disposition SCRAP written off), each
    capped by the shipment line's own quantity. Returns are looked up by the order ids of the lines'
    keys (the few orders of this page)."""
    from aggregator.api.chain import line_key
    from aggregator.store.models.returns import ReturnLineRow, ReturnRow

    if not shipment_line_keys:
        return {}
    serving = _links(session, _LINKS_BY_RIGHT, "order_shipment", shipment_line_keys)
    order_ids = sorted({link.left_key.split("|")[2] for link in serving if link.left_key.count("|") == 3})
    if not order_ids:
        return {}
    r, ln = ReturnRow, ReturnLineRow
    units: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for start in range(0, len(order_ids), _BATCH):
        for row in session.execute(
                select(r.platform, r.shop_id, r.order_id, r.disposition, ln.order_line_ref, ln.quantity,
                       ln.disposition.label("line_disposition")).join(ln, ln.return_pk == r.id)
                .where(r.order_id.in_(order_ids[start:start + _BATCH]), r.kind == "RETURN",
                       r.status.in_(("RECEIVED", "REFUNDED")), ln.order_line_ref.is_not(None))):
            key = line_key(row, row.order_line_ref)
            units[key][0] += row.quantity
            if (row.line_disposition or row.disposition) == "SCRAP":
                units[key][1] += row.quantity
    out: dict[str, tuple[int, int]] = {}
    for link in serving:
        if link.left_key in units:
            back, off = units[link.left_key]
            had = out.get(link.right_key, (0, 0))
            out[link.right_key] = (had[0] + min(back, link.qty), had[1] + min(off, link.qty))
    return out


def _receipt_lines_joined(session: Session, keys: Iterable[str]) -> dict[str, object]:
    """Receipt line key (``owner|warehouse|asn|line``) → its row (quantities, header status and time)."""
    headers = sorted({tuple(k.split("|")[:3]) for k in keys if k.count("|") == 3 and k.rsplit("|", 1)[1].isdigit()})
    rows = _in_batches(session, _RECEIPT_LINES, (R.owner_id, R.warehouse_code, R.asn_no), headers)
    return {f"{r.owner_id}|{r.warehouse_code}|{r.asn_no}|{r.line_no}": r for r in rows}
