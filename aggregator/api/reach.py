"""Walk the stored links backwards from upstream records to the orders they fed, by indexed lookups.

Upstream identifiers (a container, a transport document — master or house bill, air waybill —, a
customs declaration, an ASN, a lot) lead to receipt lines; receipt lines to lots (``lot_receipt``);
lots to outbound lines (``shipment_lot``); outbound lines to order lines (``order_shipment``); order
lines to orders. Every step is one statement on an index (the links' ``right_key`` index, the records'
natural keys), so the cost is that of the answer — the records the identifier touches — never the
owner's whole data. Keys follow ``matching.frames`` (``owner|warehouse|asn|line``, ``owner|warehouse|lot``,
``owner|doc_number[|line]``, ``platform|shop|order|line``, normalised by ``matching.keys``).

``owner_id`` (None for an unscoped staff key) limits every record read to that owner: a container is
physical and shared between brands, its lots and orders are not.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from aggregator.store.models.logistics import (
    CustomsEntryLineRow, CustomsEntryRow, TransportContainerRow, TransportDocumentLineRow, TransportDocumentRow,
)
from aggregator.store.models.marketplace import OrderRow
from aggregator.store.models.matching import MatchLinkRow
from aggregator.store.models.warehouse import (
    StockSnapshotRow, WarehouseReceiptLineRow, WarehouseReceiptRow, WarehouseShipmentLineRow, WarehouseShipmentRow,
)
from matching import keys
from platform_adapters.canonical.identifiers import normalize_container_number, normalize_document_number

L = MatchLinkRow.__table__.c
R, RL = WarehouseReceiptRow.__table__.c, WarehouseReceiptLineRow.__table__.c
D, DL, DC = TransportDocumentRow.__table__.c, TransportDocumentLineRow.__table__.c, TransportContainerRow.__table__.c
C, CL = CustomsEntryRow.__table__.c, CustomsEntryLineRow.__table__.c
S, SL, SN = (WarehouseShipmentRow.__table__.c, WarehouseShipmentLineRow.__table__.c,
             StockSnapshotRow.__table__.c)
O = OrderRow.__table__.c

#: the most records one step follows (an identifier touching more is answered with the first ones, flagged)
CAP = 5_000

_LEFTS_OF = (select(L.step, L.left_key, L.right_key, L.qty)
             .where(L.step.in_(bindparam("steps", expanding=True)), L.right_key.in_(bindparam("rights", expanding=True)))
             .order_by(L.left_key, L.right_key).limit(CAP))
_RECEIPT_LINE_KEYS = (select(R.owner_id, R.warehouse_code, R.asn_no, RL.line_no)
                      .join_from(WarehouseReceiptRow.__table__, WarehouseReceiptLineRow.__table__, RL.receipt_pk == R.id))
_DOCS_BY_NUMBER = select(D.id, D.owner_id, D.doc_number).where(D.doc_number.in_(bindparam("numbers", expanding=True)))
_HOUSES_OF = select(D.id, D.owner_id, D.doc_number).where(D.master_doc_number.in_(bindparam("numbers", expanding=True)))
_DOC_LINES = select(DL.document_pk, DL.line_no).where(DL.document_pk.in_(bindparam("pks", expanding=True)))
_DOC_LINES_OF_CONTAINER = (select(D.owner_id, D.doc_number, DL.line_no)
                           .join_from(TransportDocumentLineRow.__table__, TransportDocumentRow.__table__,
                                      DL.document_pk == D.id).where(DL.container_no == bindparam("no")))
_DOCS_OF_CONTAINER = (select(D.id, D.owner_id, D.doc_number)
                      .join_from(TransportContainerRow.__table__, TransportDocumentRow.__table__, DC.document_pk == D.id)
                      .where(DC.container_no == bindparam("no")))
_ENTRIES = select(C.id, C.owner_id, C.declaration_no).where(C.declaration_no.in_(bindparam("numbers", expanding=True)))
_ENTRY_LINES = select(CL.entry_pk, CL.line_no).where(CL.entry_pk.in_(bindparam("pks", expanding=True)))
# where a lot id is written: receipt lines, outbound lines and stock snapshots (each indexed on lot_id)
_LOT_PLACES = (
    select(R.owner_id, R.warehouse_code).join_from(WarehouseReceiptLineRow.__table__, WarehouseReceiptRow.__table__,
                                                   RL.receipt_pk == R.id).where(RL.lot_id == bindparam("lot")),
    select(S.owner_id, S.warehouse_code).join_from(WarehouseShipmentLineRow.__table__, WarehouseShipmentRow.__table__,
                                                   SL.shipment_pk == S.id).where(SL.lot_id == bindparam("lot")),
    select(SN.owner_id, SN.warehouse_code).where(SN.lot_id == bindparam("lot")),
)
_ORDERS_BY_KEY = select(O.id, O.owner_id).where(O.order_key.in_(bindparam("keys", expanding=True)))


@dataclass
class Reach:
    """What an upstream identifier fed: lots (``owner|warehouse|lot``) with the units that came in through
    the identifier's receipt lines, and the orders (``orders.id``) that drew from those lots."""

    receipt_lines: set[str] = field(default_factory=set)
    lots: dict[str, int] = field(default_factory=dict)
    order_ids: list[int] = field(default_factory=list)
    truncated: bool = False


def _owned(owner_id: str | None, record_owner: str) -> bool:
    """Whether a record (or a key's owner part, already normalised) is ``owner_id``'s."""
    return owner_id is None or keys.normalize_code(record_owner) == keys.normalize_code(owner_id)


def _key(*parts: object) -> str:
    return "|".join("" if p is None else str(p) for p in parts)


def _code(value: object) -> str:
    return keys.normalize_code(value) or ""


def receipt_line_key(owner_id: str, warehouse_code: str, asn_no: str, line_no: int) -> str:
    return _key(_code(owner_id), _code(warehouse_code), _code(asn_no), line_no)


def document_key(owner_id: str, number: str, line_no: int | None = None) -> str:
    """``owner|number`` or ``owner|number|line`` of a transport document or a customs declaration."""
    return _key(_code(owner_id), normalize_document_number(number), *(() if line_no is None else (line_no,)))


def lot_key(owner_id: str, warehouse_code: str, lot_id: str) -> str:
    return _key(_code(owner_id), _code(warehouse_code), _code(lot_id))


def _lefts(session: Session, steps: tuple[str, ...], rights: Iterable[str]) -> list:
    rights = sorted(set(rights))
    rows: list = []
    for start in range(0, len(rights), 900):  # SQLite binds at most 999 parameters per statement
        rows += session.execute(_LEFTS_OF, {"steps": list(steps), "rights": rights[start:start + 900]}).all()
    return rows


def _spellings(number: str) -> list[str]:
    """A document or declaration number as typed and in the key form importers store it in
    (``"ZCRU-2603 01234"`` → also ``"ZCRU260301234"``)."""
    return sorted({number, normalize_document_number(number)} - {""})


def receipt_lines_of_receipts(session: Session, owner_id: str | None, where) -> set[str]:
    query = _RECEIPT_LINE_KEYS.where(where).limit(CAP)
    if owner_id is not None:
        query = query.where(R.owner_id == owner_id)
    return {receipt_line_key(r.owner_id, r.warehouse_code, r.asn_no, r.line_no) for r in session.execute(query)}


def _documents(session: Session, owner_id: str | None, docs: list) -> set[str]:
    """Receipt lines linked to these transport documents (document level or one of their lines)."""
    docs = [d for d in docs if _owned(owner_id, d.owner_id)]
    if not docs:
        return set()
    rights = {document_key(d.owner_id, d.doc_number) for d in docs}
    by_pk = {d.id: d for d in docs}
    for line in session.execute(_DOC_LINES, {"pks": list(by_pk)}):
        doc = by_pk[line.document_pk]
        rights.add(document_key(doc.owner_id, doc.doc_number, line.line_no))
    return {r.left_key for r in _lefts(session, ("receipt_transport_doc", "receipt_document"), rights)}


def receipt_lines_of_document(session: Session, owner_id: str | None, number: str) -> set[str]:
    """A bill of lading (master or house) or air waybill: its own receipt lines and its house bills'."""
    numbers = _spellings(number)
    docs = session.execute(_DOCS_BY_NUMBER, {"numbers": numbers}).all()
    masters = [d.doc_number for d in docs]
    houses = session.execute(_HOUSES_OF, {"numbers": masters}).all() if masters else []
    found = _documents(session, owner_id, [*docs, *houses])
    return found | receipt_lines_of_receipts(session, owner_id, R.mbl_no.in_(numbers) | R.hbl_no.in_(numbers)
                                             | R.awb_no.in_(numbers))


def receipt_lines_of_container(session: Session, owner_id: str | None, container_no: str) -> set[str]:
    no = normalize_container_number(container_no)
    found = receipt_lines_of_receipts(session, owner_id, R.container_no == no)
    doc_lines = [r for r in session.execute(_DOC_LINES_OF_CONTAINER, {"no": no}) if _owned(owner_id, r.owner_id)]
    rights = {document_key(r.owner_id, r.doc_number, r.line_no) for r in doc_lines}
    found |= {r.left_key for r in _lefts(session, ("receipt_document",), rights)}
    whole = [d for d in session.execute(_DOCS_OF_CONTAINER, {"no": no})]
    return found | _documents(session, owner_id, whole)


def receipt_lines_of_declaration(session: Session, owner_id: str | None, number: str) -> set[str]:
    numbers = _spellings(number)
    entries = [e for e in session.execute(_ENTRIES, {"numbers": numbers}) if _owned(owner_id, e.owner_id)]
    if not entries:
        return set()
    by_pk = {e.id: e for e in entries}
    rights = {document_key(e.owner_id, e.declaration_no) for e in entries}
    for line in session.execute(_ENTRY_LINES, {"pks": list(by_pk)}):
        entry = by_pk[line.entry_pk]
        rights.add(document_key(entry.owner_id, entry.declaration_no, line.line_no))
    found = {r.left_key for r in _lefts(session, ("receipt_customs_entry", "receipt_customs"), rights)}
    return found | receipt_lines_of_receipts(session, owner_id, R.customs_declaration_no.in_(numbers))


def lots_named(session: Session, owner_id: str | None, lot_id: str) -> set[str]:
    """Lot keys of a lot id as receipt lines carry it."""
    places = {(r.owner_id, r.warehouse_code) for statement in _LOT_PLACES
              for r in session.execute(statement.distinct().limit(CAP), {"lot": lot_id})}
    return {lot_key(owner, warehouse, lot_id) for owner, warehouse in places if warehouse and _owned(owner_id, owner)}


def lots_of_receipt_lines(session: Session, receipt_lines: Iterable[str]) -> dict[str, int]:
    """Lot key → units linked from these receipt lines (``lot_receipt``: lot on the left)."""
    lots: dict[str, int] = {}
    for row in _lefts(session, ("lot_receipt",), receipt_lines):
        lots[row.left_key] = lots.get(row.left_key, 0) + row.qty
    return lots


def order_line_keys_of_lots(session: Session, lots: Iterable[str]) -> set[str]:
    outbound = {r.left_key for r in _lefts(session, ("shipment_lot",), lots)}
    return {r.left_key for r in _lefts(session, ("order_shipment",), outbound)}


def orders_of_line_keys(session: Session, owner_id: str | None, line_keys: Iterable[str]) -> list[int]:
    """``orders.id`` of the order line keys' orders (those of ``owner_id`` when given)."""
    wanted = sorted({k.rsplit("|", 1)[0] for k in line_keys if k.count("|") == 3})
    found: set[int] = set()
    for start in range(0, len(wanted), 900):
        found |= {row.id for row in session.execute(_ORDERS_BY_KEY, {"keys": wanted[start:start + 900]})
                  if _owned(owner_id, row.owner_id)}
    return sorted(found)


def reach_of_receipt_lines(session: Session, owner_id: str | None, receipt_lines: set[str],
                           extra_lots: Iterable[str] = ()) -> Reach:
    out = Reach(receipt_lines={k for k in receipt_lines if _owned(owner_id, k.split("|")[0])})
    out.lots = lots_of_receipt_lines(session, out.receipt_lines)
    for lot in extra_lots:
        if _owned(owner_id, lot.split("|")[0]):
            out.lots.setdefault(lot, 0)
    out.order_ids = orders_of_line_keys(session, owner_id, order_line_keys_of_lots(session, out.lots))
    out.truncated = len(receipt_lines) >= CAP or len(out.order_ids) >= CAP
    return out


def upstream_reach(session: Session, owner_id: str | None, identifier: str) -> Reach:
    """What ``identifier`` fed, whichever upstream record it names (container, BL/HBL/AWB, declaration,
    ASN, lot)."""
    text = identifier.strip()
    lines = (receipt_lines_of_container(session, owner_id, text) | receipt_lines_of_document(session, owner_id, text)
             | receipt_lines_of_declaration(session, owner_id, text)
             | receipt_lines_of_receipts(session, owner_id, R.asn_no == text))
    return reach_of_receipt_lines(session, owner_id, lines, lots_named(session, owner_id, text))
