"""Logistics tables: transport documents (+ lines, containers, endorsements, references), transport
events and the current milestone view, customs entries (+ lines), and the file-import bookkeeping
(``import_files`` with content hashes, ``import_rejects`` with file, line, column, value and reason).

Aggregates follow the marketplace pattern: the header row is upserted by natural key with a
``content_hash`` of the whole canonical record; when it is created or changed its child rows are
replaced as a whole.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aggregator.store.base import Base
from aggregator.store.models.common import created_at_column, updated_at_column
from aggregator.store.types import ExactDecimal, JSONPayload, UTCDateTime


def _opt(length: int | None = 128) -> Any:
    return mapped_column(String(length) if length else Text, nullable=True)


class TransportDocumentRow(Base):
    __tablename__ = "transport_documents"
    __table_args__ = (UniqueConstraint("owner_id", "doc_number"),
                      Index("ix_transport_documents_owner_stored", "owner_id", "stored_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(64), index=True)
    doc_number: Mapped[str] = mapped_column(String(64), index=True)  # the API's q finds a bill by its number
    doc_type: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(8))
    doc_level: Mapped[str] = mapped_column(String(8))
    master_doc_number: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    doc_number_valid: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    carrier_code: Mapped[str | None] = _opt(16)
    booking_ref: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    is_to_order: Mapped[bool] = mapped_column(Boolean, default=False)
    is_electronic: Mapped[bool] = mapped_column(Boolean, default=False)
    release_type: Mapped[str | None] = _opt(32)
    status: Mapped[str | None] = _opt(48)
    shipper: Mapped[str | None] = _opt(None)
    consignee: Mapped[str | None] = _opt(None)
    notify_party: Mapped[str | None] = _opt(None)
    place_of_receipt: Mapped[str | None] = _opt(64)
    port_of_loading: Mapped[str | None] = _opt(64)
    port_of_discharge: Mapped[str | None] = _opt(64)
    place_of_delivery: Mapped[str | None] = _opt(64)
    vessel_or_flight: Mapped[str | None] = _opt(128)
    voyage: Mapped[str | None] = _opt(32)
    incoterm: Mapped[str | None] = _opt(8)
    incoterm_place: Mapped[str | None] = _opt(128)
    freight_term: Mapped[str | None] = _opt(8)
    issue_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    etd: Mapped[date | None] = mapped_column(Date, nullable=True)
    eta: Mapped[date | None] = mapped_column(Date, nullable=True)
    shipped_on_board_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    source: Mapped[str] = mapped_column(String(32), default="")
    source_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = created_at_column()
    stored_at: Mapped[datetime] = updated_at_column()
    audit_batch_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # (``store/audit_batch``)


class TransportDocumentLineRow(Base):
    __tablename__ = "transport_document_lines"
    # keyed by (document, line number): no surrogate id (``models.warehouse``'s docstring); the key, led by the
    # document, is the index of a document's lines (no index of document_pk beside it: each is written per line)
    document_pk: Mapped[int] = mapped_column(ForeignKey("transport_documents.id", ondelete="CASCADE"),
                                             primary_key=True, autoincrement=False)
    line_no: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    container_no: Mapped[str | None] = mapped_column(String(16), nullable=True, index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    hs_code: Mapped[str | None] = _opt(16)
    packages: Mapped[int | None] = mapped_column(Integer, nullable=True)
    package_code: Mapped[str | None] = _opt(8)
    quantity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sku: Mapped[str | None] = _opt(128)
    gross_weight_kg: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    volume_cbm: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    po_numbers: Mapped[str] = mapped_column(Text, default="")  # space-separated


class TransportContainerRow(Base):
    __tablename__ = "transport_document_containers"
    __table_args__ = (UniqueConstraint("document_pk", "container_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_pk: Mapped[int] = mapped_column(ForeignKey("transport_documents.id", ondelete="CASCADE"), index=True)
    container_no: Mapped[str] = mapped_column(String(16), index=True)
    iso_type: Mapped[str | None] = _opt(8)
    seals: Mapped[str] = mapped_column(Text, default="")  # space-separated
    check_digit_valid: Mapped[bool | None] = mapped_column(Boolean, nullable=True)


class TransportEndorsementRow(Base):
    __tablename__ = "transport_document_endorsements"
    __table_args__ = (UniqueConstraint("document_pk", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_pk: Mapped[int] = mapped_column(ForeignKey("transport_documents.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    action_code: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str | None] = _opt(None)
    recipient: Mapped[str | None] = _opt(None)
    action_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reference: Mapped[str | None] = _opt(128)
    platform: Mapped[str | None] = _opt(16)


class TransportReferenceRow(Base):
    __tablename__ = "transport_document_references"
    __table_args__ = (UniqueConstraint("document_pk", "kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_pk: Mapped[int] = mapped_column(ForeignKey("transport_documents.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(128), index=True)


class TransportEventRow(Base):
    """Every DCSA-shaped event as published (append-only by event id)."""

    __tablename__ = "transport_events"
    __table_args__ = (UniqueConstraint("owner_id", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(64), index=True)
    event_id: Mapped[str] = mapped_column(String(128))
    event_type: Mapped[str] = mapped_column(String(16))
    classifier: Mapped[str] = mapped_column(String(8))
    code: Mapped[str] = mapped_column(String(16))
    event_at: Mapped[datetime] = mapped_column(UTCDateTime())
    location: Mapped[str | None] = _opt(64)
    facility_code: Mapped[str | None] = _opt(32)
    equipment_no: Mapped[str | None] = mapped_column(String(16), nullable=True, index=True)
    empty_indicator: Mapped[str | None] = _opt(8)
    vessel_or_flight: Mapped[str | None] = _opt(128)
    voyage: Mapped[str | None] = _opt(32)
    document_refs: Mapped[str] = mapped_column(Text, default="")  # space-separated KIND:VALUE
    publisher: Mapped[str | None] = _opt(128)
    publisher_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    milestone_key: Mapped[str] = mapped_column(String(512), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    stored_at: Mapped[datetime] = updated_at_column()


class TransportMilestoneRow(Base):
    """The current view per milestone: an EST replaces an earlier EST; an ACT is never replaced by an EST."""

    __tablename__ = "transport_milestones"
    __table_args__ = (UniqueConstraint("owner_id", "milestone_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(64), index=True)
    milestone_key: Mapped[str] = mapped_column(String(512))
    event_type: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(16))
    classifier: Mapped[str] = mapped_column(String(8))
    event_at: Mapped[datetime] = mapped_column(UTCDateTime())
    event_id: Mapped[str] = mapped_column(String(128))
    equipment_no: Mapped[str | None] = mapped_column(String(16), nullable=True, index=True)
    location: Mapped[str | None] = _opt(64)
    document_refs: Mapped[str] = mapped_column(Text, default="")
    source_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    stored_at: Mapped[datetime] = updated_at_column()


class CustomsEntryRow(Base):
    __tablename__ = "customs_entries"
    __table_args__ = (UniqueConstraint("owner_id", "country", "declaration_no"),
                      Index("ix_customs_entries_owner_stored", "owner_id", "stored_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(64), index=True)
    country: Mapped[str] = mapped_column(String(2))
    declaration_no: Mapped[str] = mapped_column(String(64), index=True)  # the API's q finds an entry by number
    regime: Mapped[str | None] = _opt(64)
    form: Mapped[str | None] = _opt(16)
    declaration_type: Mapped[str | None] = _opt(32)
    status: Mapped[str | None] = _opt(32)
    importer_of_record: Mapped[str | None] = _opt(None)
    importer_registration_no: Mapped[str | None] = _opt(64)
    customs_agent: Mapped[str | None] = _opt(None)
    vessel_or_flight: Mapped[str | None] = _opt(128)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    arrival_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    port_of_discharge: Mapped[str | None] = _opt(64)
    transport_doc_refs: Mapped[str] = mapped_column(Text, default="")  # space-separated KIND:VALUE
    container_nos: Mapped[str] = mapped_column(Text, default="")
    currency: Mapped[str | None] = _opt(3)
    source_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = created_at_column()
    stored_at: Mapped[datetime] = updated_at_column()
    audit_batch_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # (``store/audit_batch``)


class CustomsEntryLineRow(Base):
    __tablename__ = "customs_entry_lines"
    # keyed by (entry, line number): no surrogate id (``models.warehouse``'s docstring); the key, led by the
    # entry, is the index of an entry's lines (no index of entry_pk beside it: each is written per line)
    entry_pk: Mapped[int] = mapped_column(ForeignKey("customs_entries.id", ondelete="CASCADE"),
                                          primary_key=True, autoincrement=False)
    line_no: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    hs_code: Mapped[str | None] = _opt(16)
    description: Mapped[str] = mapped_column(Text, default="")
    origin_country: Mapped[str | None] = _opt(2)
    quantity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    uom: Mapped[str | None] = _opt(8)
    currency: Mapped[str | None] = _opt(3)  # of customs_value, duty and tax
    customs_value: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    duty: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    tax: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    invoice_currency: Mapped[str | None] = _opt(3)
    invoice_value: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    duty_rate: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    tax_rate: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    po_number: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    sku_group: Mapped[str | None] = _opt(128)
    container_no: Mapped[str | None] = _opt(16)
    preference_scheme: Mapped[str | None] = _opt(32)
    preference_doc_no: Mapped[str | None] = _opt(64)
    valuation_basis: Mapped[str | None] = _opt(8)
    fx_rate: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)


class ImportFileRow(Base):
    """One import of one file's content of one kind, read one way (profile, encoding, zone, owner).

    The same content read the same way again is a no-op; read with another zone, profile or ``--owner``
    it is a new import. ``owner_id`` is the owner given with ``--owner``; None when each row's owner
    came from the row (a forwarder's or 3PL's file covers many owners).
    """

    __tablename__ = "import_files"
    __table_args__ = (UniqueConstraint("kind", "content_hash", "read_options"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    kind: Mapped[str] = mapped_column(String(16))
    content_hash: Mapped[str] = mapped_column(String(64))
    read_options: Mapped[str] = mapped_column(String(255), default="")
    file_name: Mapped[str] = mapped_column(Text)
    size_bytes: Mapped[int] = mapped_column(Integer)
    profile: Mapped[str | None] = _opt(128)
    status: Mapped[str] = mapped_column(String(24))  # RUNNING COMPLETED COMPLETED_WITH_REJECTS FAILED
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[int] = mapped_column(Integer, default=0)
    records_created: Mapped[int] = mapped_column(Integer, default=0)
    records_updated: Mapped[int] = mapped_column(Integer, default=0)
    records_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    records_stale: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = _opt(None)
    started_at: Mapped[datetime] = created_at_column()
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ImportRejectRow(Base):
    """A row (or file) problem of an import: ERROR rows were not stored, WARNING values were stored flagged.

    ``owner_id``: the row's owner when it could be determined (None: the row named no known owner).
    """

    __tablename__ = "import_rejects"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_file_pk: Mapped[int] = mapped_column(ForeignKey("import_files.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    severity: Mapped[str] = mapped_column(String(8))
    line: Mapped[int | None] = mapped_column(Integer, nullable=True)
    column: Mapped[str | None] = _opt(None)
    value: Mapped[str | None] = _opt(None)
    code: Mapped[str] = mapped_column(String(48))
    reason: Mapped[str] = mapped_column(Text)
    raw_row: Mapped[Any] = mapped_column(JSONPayload(), nullable=True)
