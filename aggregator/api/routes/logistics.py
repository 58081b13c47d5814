"""Transport documents (bills of lading, air waybills), containers, warehouse receipts and customs
entries as the caller may see them, and the audit trail of any record.

Documents, receipts and customs entries are keyed by their owner (two brands may hold documents with
the same number); a container is physical and shared: its page shows what each visible owner had in it.
Lists are keyset pages (newest first); details carry an ETag.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from aggregator.api.auth import Principal, get_session, reader
from aggregator.api.bounds import Cursor, Ident, Limit, PathIdent
from aggregator.api.etag import tagged
from aggregator.api.filters import known_audit_entity, known_value
from aggregator.api.pagination import CursorPage, decode_cursor, encode_cursor, filters_fingerprint, keyset_page
from aggregator.api.schemas import DecimalStr
from aggregator.store import audit_batch
from aggregator.store.models.audit import AuditEntry
from aggregator.store.models.logistics import (
    CustomsEntryLineRow, CustomsEntryRow, TransportContainerRow, TransportDocumentLineRow, TransportDocumentRow,
    TransportMilestoneRow,
)
from aggregator.store.models.warehouse import WarehouseReceiptLineRow, WarehouseReceiptRow

router = APIRouter(prefix="/api/v1", tags=["logistics"])
Owner = Annotated[str, Query(min_length=1, max_length=64)]


def _fields(row: Any, names: list[str]) -> dict[str, Any]:
    return {n: getattr(row, n) for n in names}


class DocumentOut(BaseModel):
    owner_id: str
    doc_number: str
    doc_type: str
    mode: str
    doc_level: str
    master_doc_number: str | None
    carrier_code: str | None
    status: str | None
    port_of_loading: str | None
    port_of_discharge: str | None
    vessel_or_flight: str | None
    voyage: str | None
    incoterm: str | None
    etd: date | None
    eta: date | None
    shipped_on_board_date: date | None


class DocumentLineOut(BaseModel):
    line_no: int
    container_no: str | None
    description: str
    hs_code: str | None
    packages: int | None
    quantity: int | None
    sku: str | None
    gross_weight_kg: DecimalStr | None


class MilestoneOut(BaseModel):
    event_type: str
    code: str
    classifier: str
    event_at: datetime
    equipment_no: str | None
    location: str | None


class DocumentDetailOut(DocumentOut):
    lines: list[DocumentLineOut]
    containers: list[str]
    milestones: list[MilestoneOut]


class ReceiptOut(BaseModel):
    owner_id: str
    warehouse_code: str
    asn_no: str
    status: str | None
    mbl_no: str | None
    hbl_no: str | None
    container_no: str | None
    customs_declaration_no: str | None
    arrived_at: datetime | None
    received_at: datetime | None


class ReceiptLineOut(BaseModel):
    line_no: int
    sku: str
    planned_qty: int
    received_good_qty: int
    received_damaged_qty: int
    lot_id: str | None
    po_number: str | None


class ReceiptDetailOut(ReceiptOut):
    lines: list[ReceiptLineOut]


class CustomsOut(BaseModel):
    owner_id: str
    country: str
    declaration_no: str
    regime: str | None
    status: str | None
    importer_of_record: str | None
    submitted_at: datetime | None
    released_at: datetime | None
    arrival_date: date | None
    currency: str | None


class CustomsLineOut(BaseModel):
    line_no: int
    hs_code: str | None
    description: str
    quantity: int | None
    currency: str | None
    customs_value: DecimalStr | None
    duty: DecimalStr | None
    tax: DecimalStr | None
    po_number: str | None
    container_no: str | None


class CustomsDetailOut(CustomsOut):
    lines: list[CustomsLineOut]


class ContainerOut(BaseModel):
    container_no: str
    documents: list[DocumentOut]
    receipts: list[ReceiptOut]
    milestones: list[MilestoneOut]


class AuditOut(BaseModel):
    id: int
    at: datetime
    owner_id: str | None
    entity: str
    entity_key: str
    action: str
    actor: str
    changes: Any


def _document(row: TransportDocumentRow) -> DocumentOut:
    return DocumentOut.model_validate(row, from_attributes=True)


def _milestones(session: Session, principal: Principal, containers: list[str]) -> list[MilestoneOut]:
    if not containers:
        return []
    query = principal.scope(select(TransportMilestoneRow).where(TransportMilestoneRow.equipment_no.in_(containers)),
                            TransportMilestoneRow.owner_id)
    return [MilestoneOut.model_validate(m, from_attributes=True)
            for m in session.scalars(query.order_by(TransportMilestoneRow.event_at, TransportMilestoneRow.id))]


@router.get("/documents", response_model=CursorPage[DocumentOut])
def list_documents(principal: Principal = Depends(reader), session: Session = Depends(get_session),
                   doc_type: Ident = None, cursor: Cursor = None, limit: Limit = 50) -> CursorPage[DocumentOut]:
    """Bills of lading and air waybills, newest first."""
    query = principal.scope(select(TransportDocumentRow), TransportDocumentRow.owner_id)
    if doc_type:
        known_value(session, TransportDocumentRow.doc_type, doc_type.upper(), "document type",
                    scope=lambda q: principal.scope(q, TransportDocumentRow.owner_id))
        query = query.where(TransportDocumentRow.doc_type == doc_type.upper())
    return keyset_page(session, query, order=[TransportDocumentRow.id], kinds=(int,), cursor=cursor, limit=limit,
                       filters={"o": principal.owner_id, "t": doc_type}, out=_document)


@router.get("/documents/{owner_id:ident}/{doc_number:ident}", response_model=DocumentDetailOut,
            responses={304: {"description": "Not modified"}})
def get_document(owner_id: PathIdent, doc_number: PathIdent, request: Request,
                 principal: Principal = Depends(reader), session: Session = Depends(get_session)) -> Response:
    if not principal.sees(owner_id):
        raise HTTPException(404, "document not found")
    doc = session.scalars(select(TransportDocumentRow).where(TransportDocumentRow.owner_id == owner_id,
                                                             TransportDocumentRow.doc_number == doc_number)).first()
    if doc is None:
        raise HTTPException(404, "document not found")
    lines = list(session.scalars(select(TransportDocumentLineRow).where(TransportDocumentLineRow.document_pk == doc.id)
                                 .order_by(TransportDocumentLineRow.line_no)))
    containers = sorted({c for c in session.scalars(select(TransportContainerRow.container_no).where(
        TransportContainerRow.document_pk == doc.id))} | {ln.container_no for ln in lines if ln.container_no})
    detail = DocumentDetailOut(**_document(doc).model_dump(), containers=containers,
                               lines=[DocumentLineOut.model_validate(ln, from_attributes=True) for ln in lines],
                               milestones=_milestones(session, principal, containers))
    return tagged(request, detail)


@router.get("/containers/{container_no:ident}", response_model=ContainerOut, responses={304: {"description": "Not modified"}})
def get_container(container_no: PathIdent, request: Request, principal: Principal = Depends(reader),
                  session: Session = Depends(get_session)) -> Response:
    """The documents that carried the container and the receipts it was unloaded into, per visible owner."""
    no = container_no.strip().upper()
    doc_pks = select(TransportContainerRow.document_pk).where(TransportContainerRow.container_no == no).union(
        select(TransportDocumentLineRow.document_pk).where(TransportDocumentLineRow.container_no == no))
    docs = list(session.scalars(principal.scope(select(TransportDocumentRow).where(
        TransportDocumentRow.id.in_(doc_pks)), TransportDocumentRow.owner_id).order_by(TransportDocumentRow.id)))
    receipts = list(session.scalars(principal.scope(select(WarehouseReceiptRow).where(
        WarehouseReceiptRow.container_no == no), WarehouseReceiptRow.owner_id).order_by(WarehouseReceiptRow.id)))
    milestones = _milestones(session, principal, [no])
    if not (docs or receipts or milestones):
        raise HTTPException(404, "container not found")
    return tagged(request, ContainerOut(container_no=no, documents=[_document(d) for d in docs],
                                       receipts=[ReceiptOut.model_validate(r, from_attributes=True) for r in receipts],
                                       milestones=milestones))


@router.get("/receipts", response_model=CursorPage[ReceiptOut])
def list_receipts(principal: Principal = Depends(reader), session: Session = Depends(get_session),
                  warehouse_code: Ident = None, cursor: Cursor = None, limit: Limit = 50) -> CursorPage[ReceiptOut]:
    """Warehouse receipts (ASNs), newest first."""
    query = principal.scope(select(WarehouseReceiptRow), WarehouseReceiptRow.owner_id)
    if warehouse_code:
        query = query.where(WarehouseReceiptRow.warehouse_code == warehouse_code)
    return keyset_page(session, query, order=[WarehouseReceiptRow.id], kinds=(int,), cursor=cursor, limit=limit,
                       filters={"o": principal.owner_id, "w": warehouse_code},
                       out=lambda r: ReceiptOut.model_validate(r, from_attributes=True))


@router.get("/receipts/{owner_id:ident}/{warehouse_code:ident}/{asn_no:ident}", response_model=ReceiptDetailOut,
            responses={304: {"description": "Not modified"}})
def get_receipt(owner_id: PathIdent, warehouse_code: PathIdent, asn_no: PathIdent, request: Request,
                principal: Principal = Depends(reader), session: Session = Depends(get_session)) -> Response:
    return _header_with_lines(
        request, session, principal, owner_id, "receipt",
        select(WarehouseReceiptRow).where(WarehouseReceiptRow.owner_id == owner_id,
                                          WarehouseReceiptRow.warehouse_code == warehouse_code,
                                          WarehouseReceiptRow.asn_no == asn_no),
        lambda pk: select(WarehouseReceiptLineRow).where(WarehouseReceiptLineRow.receipt_pk == pk)
        .order_by(WarehouseReceiptLineRow.line_no),
        ReceiptOut, ReceiptDetailOut, ReceiptLineOut)


def _header_with_lines(request: Request, session: Session, principal: Principal, owner_id: str, what: str,
                       header_query, lines_query, header_out, detail_out, line_out) -> Response:  # noqa: ANN001
    """One owner-scoped record (receipt, customs entry) with its lines, tagged; 404 when the caller does
    not see the owner or no such record exists."""
    row = session.scalars(header_query).first() if principal.sees(owner_id) else None
    if row is None:
        raise HTTPException(404, f"{what} not found")
    lines = session.scalars(lines_query(row.id))
    return tagged(request, detail_out(**header_out.model_validate(row, from_attributes=True).model_dump(),
                                      lines=[line_out.model_validate(ln, from_attributes=True) for ln in lines]))


@router.get("/customs-entries", response_model=CursorPage[CustomsOut])
def list_customs(principal: Principal = Depends(reader), session: Session = Depends(get_session),
                 country: Annotated[str | None, Query(pattern="^[A-Z]{2}$")] = None, cursor: Cursor = None,
                 limit: Limit = 50) -> CursorPage[CustomsOut]:
    """Import declarations, newest first."""
    query = principal.scope(select(CustomsEntryRow), CustomsEntryRow.owner_id)
    if country:
        query = query.where(CustomsEntryRow.country == country)
    return keyset_page(session, query, order=[CustomsEntryRow.id], kinds=(int,), cursor=cursor, limit=limit,
                       filters={"o": principal.owner_id, "c": country},
                       out=lambda r: CustomsOut.model_validate(r, from_attributes=True))


@router.get("/customs-entries/{owner_id:ident}/{country:ident}/{declaration_no:ident}", response_model=CustomsDetailOut,
            responses={304: {"description": "Not modified"}})
def get_customs(owner_id: PathIdent, country: PathIdent, declaration_no: PathIdent, request: Request,
                principal: Principal = Depends(reader), session: Session = Depends(get_session)) -> Response:
    return _header_with_lines(
        request, session, principal, owner_id, "customs entry",
        select(CustomsEntryRow).where(CustomsEntryRow.owner_id == owner_id, CustomsEntryRow.country == country,
                                      CustomsEntryRow.declaration_no == declaration_no),
        lambda pk: select(CustomsEntryLineRow).where(CustomsEntryLineRow.entry_pk == pk)
        .order_by(CustomsEntryLineRow.line_no),
        CustomsOut, CustomsDetailOut, CustomsLineOut)


@router.get("/audit", response_model=CursorPage[AuditOut])
def audit_trail(entity: Annotated[str, Query(min_length=1, max_length=64, description="table, e.g. orders")],
                record: Annotated[str, Query(min_length=1, max_length=512,
                                             description="the record's key as audited, e.g. shopee|480012345|2611010001")],
                principal: Principal = Depends(reader), session: Session = Depends(get_session),
                cursor: Cursor = None, limit: Limit = 100) -> CursorPage[AuditOut]:
    """Every create, update and resolution of one record, newest first (of the caller's owners only).
    A record created by a bulk import batch has its ``create`` entry from the batch's (``store/audit_batch``):
    the oldest of its trail, after its own entries."""
    known_audit_entity(entity)
    query = principal.scope(select(AuditEntry).where(AuditEntry.entity == entity, AuditEntry.entity_key == record),
                            AuditEntry.owner_id)
    filters = {"o": principal.owner_id, "e": entity, "r": record}
    page = keyset_page(session, query, order=[AuditEntry.id], kinds=(int,), cursor=cursor, limit=limit,
                       filters=filters, out=lambda r: AuditOut.model_validate(r, from_attributes=True))
    created = audit_batch.batch_creates(session, entity, record, principal.sees)
    if not created:
        return page
    page.count += len(created)
    below = decode_cursor(cursor, (int,), filters_fingerprint(filters))[0] if cursor else None
    if page.next_cursor is None and (below is None or created[0]["id"] < below):
        if len(page.items) + len(created) <= limit or not page.items:
            page.items.extend(AuditOut.model_validate(entry) for entry in created)
        else:  # no room: the batch's entries are the next page's (all on it: they may share an id)
            page.next_cursor = encode_cursor([page.items[-1].id], filters_fingerprint(filters))
    return page
