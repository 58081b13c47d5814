"""The reads an order's detail is made of, one prebuilt statement each: the reference path (and SQLite's).

``StatementReads`` answers each question the assembly (``api/order_detail.py``, ``api/chain.py``) asks
— the order, its lines and packages, the links of one rung for some left keys, one warehouse shipment,
receipt, transport document or customs entry by its key, the order's settlements and returns — with one
indexed statement on the given connection. ``api/order_prefetch.py`` answers the same questions from one
combined statement read beforehand (PostgreSQL), and falls back to these statements for any question it
did not foresee, so both paths feed the same assembly the same rows.

Statements are built once, with bound parameters (``expanding`` for key lists), and read as rows, not
ORM entities; each has a total order, so both paths give rows in the same order.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, select

from aggregator.api.schemas import OrderLineOut, OrderOut
from aggregator.store.models.logistics import CustomsEntryRow, TransportDocumentLineRow, TransportDocumentRow
from aggregator.store.models.marketplace import OrderLineRow, OrderPackageRow, OrderRow, SettlementLineRow
from aggregator.store.models.matching import MatchLinkRow
from aggregator.store.models.returns import ReturnLineRow, ReturnRow
from aggregator.store.models.warehouse import WarehouseReceiptLineRow, WarehouseReceiptRow, WarehouseShipmentRow

O, OL, P = OrderRow.__table__.c, OrderLineRow.__table__.c, OrderPackageRow.__table__.c
L, S, R, RL = MatchLinkRow.__table__.c, WarehouseShipmentRow.__table__.c, WarehouseReceiptRow.__table__.c, \
    WarehouseReceiptLineRow.__table__.c
D, DL, C, SET = TransportDocumentRow.__table__.c, TransportDocumentLineRow.__table__.c, CustomsEntryRow.__table__.c, \
    SettlementLineRow.__table__.c
RET, RETL = ReturnRow.__table__.c, ReturnLineRow.__table__.c

ORDER_FIELDS = tuple(OrderOut.model_fields)
LINE_FIELDS = tuple(OrderLineOut.model_fields)
PACKAGE_FIELDS = ("package_id", "tracking_number", "carrier", "status", "line_refs")
#: a receipt's bill and customs entry: line-level and document-level links, line level first
UPSTREAM_STEPS = ("receipt_document", "receipt_transport_doc", "receipt_customs", "receipt_customs_entry")
DOCUMENT_STEPS = UPSTREAM_STEPS[:2]

_ORDER = select(O.id, *(O[f] for f in ORDER_FIELDS)).where(
    O.platform == bindparam("platform"), O.shop_id == bindparam("shop_id"), O.order_id == bindparam("order_id"))
_LINES = select(*(OL[f] for f in LINE_FIELDS)).where(OL.order_pk == bindparam("pk")).order_by(OL.id)
_PACKAGES = select(*(P[f] for f in PACKAGE_FIELDS)).where(P.order_pk == bindparam("pk")).order_by(P.id)
_LINKS = (select(L.left_key, L.right_key, L.qty, L.method, L.confidence)
          .where(L.step == bindparam("step"), L.left_key.in_(bindparam("lefts", expanding=True)))
          .order_by(L.left_key, L.right_key))
_UPSTREAM = (select(L.step, L.left_key, L.right_key)
             .where(L.step.in_(UPSTREAM_STEPS), L.left_key.in_(bindparam("lefts", expanding=True)))
             .order_by(L.left_key, L.right_key))
SHIPMENT_COLUMNS = (S.id, S.wms_outbound_no, S.carrier_code, S.tracking_number, S.wms_created_at, S.shipped_at,
                    S.delivered_at, S.returned_at)
_SHIPMENT = select(*SHIPMENT_COLUMNS).where(S.owner_id == bindparam("owner"), S.warehouse_code == bindparam("wh"),
                                            S.wms_outbound_no == bindparam("no")).limit(1)
# by order id alone (its own index); the owner is checked on the few rows found (a second equality on
# the low-selectivity owner index could make SQLite's planner scan the whole owner instead)
_SHIPMENTS_OF_ORDER = (select(*SHIPMENT_COLUMNS, S.owner_id, S.warehouse_code)
                       .where(S.order_id == bindparam("order_id")).order_by(S.id))
# a receipt with its line (outer join: a header without that line still tells its container and time)
_RECEIPT = (select(R.asn_no, R.status, R.received_at, R.container_no, RL.received_good_qty, RL.received_damaged_qty)
            .outerjoin_from(WarehouseReceiptRow.__table__, WarehouseReceiptLineRow.__table__,
                            (RL.receipt_pk == R.id) & (RL.line_no == bindparam("line")))
            .where(R.owner_id == bindparam("owner"), R.warehouse_code == bindparam("wh"), R.asn_no == bindparam("asn"))
            .limit(1))
_DOCUMENT = (select(D.doc_type, D.doc_number, D.shipped_on_board_date, D.eta, DL.container_no)
             .outerjoin_from(TransportDocumentRow.__table__, TransportDocumentLineRow.__table__,
                             (DL.document_pk == D.id) & (DL.line_no == bindparam("line")))
             .where(D.owner_id == bindparam("owner"), D.doc_number == bindparam("no")).limit(1))
# an owner may hold one declaration number in two countries: the first stored answers
_CUSTOMS = (select(C.declaration_no, C.arrival_date, C.released_at)
            .where(C.owner_id == bindparam("owner"), C.declaration_no == bindparam("no")).order_by(C.id).limit(1))
_SETTLEMENTS = (select(SET.kind, SET.amount, SET.currency, SET.occurred_at)
                .where(SET.order_id == bindparam("order_id"), SET.platform == bindparam("platform"),
                       SET.shop_id == bindparam("shop_id")).order_by(SET.id))
_RETURNS = (select(RET.id, RET.kind, RET.return_id, RET.status, RET.raw_status, RET.requested_at,
                   RET.source_updated_at, RET.refund_amount, RET.currency, RET.disposition)
            .where(RET.platform == bindparam("platform"), RET.shop_id == bindparam("shop_id"),
                   RET.order_id == bindparam("order_id")).order_by(RET.requested_at, RET.id))
_RETURN_UNITS = (select(RETL.return_pk, RETL.quantity, RETL.disposition)
                 .where(RETL.return_pk.in_(bindparam("pks", expanding=True))).order_by(RETL.id))


class StatementReads:
    """Each read is one prebuilt statement executed on ``connection`` (Core, no ORM execution layer)."""

    def __init__(self, connection: Connection) -> None:
        self._run = connection.execute

    def order(self, platform: str, shop_id: str, order_id: str) -> Any:
        return self._run(_ORDER, {"platform": platform, "shop_id": shop_id, "order_id": order_id}).first()

    def lines(self, order_pk: int) -> list:
        return self._run(_LINES, {"pk": order_pk}).all()

    def packages(self, order_pk: int) -> list:
        return self._run(_PACKAGES, {"pk": order_pk}).all()

    def links(self, step: str, lefts: list[str]) -> list:
        """The links of ``step`` whose left key is one of ``lefts`` (sorted, distinct), by left then right key."""
        return self._run(_LINKS, {"step": step, "lefts": lefts}).all() if lefts else []

    def upstream(self, lefts: list[str]) -> list:
        """The ``UPSTREAM_STEPS`` links of the receipts ``lefts`` (sorted, distinct), by left then right key."""
        return self._run(_UPSTREAM, {"lefts": lefts}).all() if lefts else []

    def shipments_of_order(self, order_id: str) -> list:
        return self._run(_SHIPMENTS_OF_ORDER, {"order_id": order_id}).all()

    def shipment(self, owner: str, warehouse: str, outbound_no: str) -> Any:
        return self._run(_SHIPMENT, {"owner": owner, "wh": warehouse, "no": outbound_no}).first()

    def receipt(self, owner: str, warehouse: str, asn_no: str, line_no: int | None) -> Any:
        return self._run(_RECEIPT, {"owner": owner, "wh": warehouse, "asn": asn_no, "line": line_no}).first()

    def document(self, owner: str, doc_number: str, line_no: int | None) -> Any:
        return self._run(_DOCUMENT, {"owner": owner, "no": doc_number, "line": line_no}).first()

    def customs(self, owner: str, declaration_no: str) -> Any:
        return self._run(_CUSTOMS, {"owner": owner, "no": declaration_no}).first()

    def settlements(self, platform: str, shop_id: str, order_id: str) -> list:
        return self._run(_SETTLEMENTS, {"order_id": order_id, "platform": platform, "shop_id": shop_id}).all()

    def returns(self, platform: str, shop_id: str, order_id: str) -> list:
        return self._run(_RETURNS, {"platform": platform, "shop_id": shop_id, "order_id": order_id}).all()

    def return_units(self, return_pks: list[int]) -> list:
        return self._run(_RETURN_UNITS, {"pks": return_pks}).all() if return_pks else []
