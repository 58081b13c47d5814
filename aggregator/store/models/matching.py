"""Matching tables: links per ladder step, manual links that
survive re-matching, partition fingerprints, the append-only title ledger, lot unit values and the SKU
crosswalk; and the state incremental runs keep (``aggregator.matching_service.changes``): each owner's
watermark, the product names each shop partition gives its SKUs, the SKUs each warehouse partition
received, and the input hash each title subject was derived from.

Links are derived data, re-written per partition by ``aggregator.matching_service`` (match exceptions live
in the exceptions queue, ``aggregator.store.models.exceptions``);
manual links and crosswalk rows are user data the matcher only reads; title events are appended (a
new derivation adds only event ids not stored yet) and only ever marked retracted, never rewritten.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aggregator.store.base import Base
from aggregator.store.models.common import created_at_column, updated_at_column
from aggregator.store.types import ExactDecimal, UTCDateTime


class MatchLinkRow(Base):
    """One link of one rung (order_shipment, shipment_lot, lot_receipt, receipt_customs, receipt_document)."""

    __tablename__ = "match_links"
    # (owner, step, left_key): an owner's lots in key order (the API's lot list), without walking others'; also
    # what finds an owner's links (no index on owner_id alone). Links are read by left key always with their step
    # (or steps): the unique (step, left_key, right_key) index serves those, and left_key has no index of its own
    # (a sixth b-tree written per link: millions per full run)
    __table_args__ = (UniqueConstraint("step", "left_key", "right_key"),
                      Index("ix_match_links_owner_step_left", "owner_id", "step", "left_key"))

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(64))
    partition: Mapped[str] = mapped_column(String(200), index=True)
    step: Mapped[str] = mapped_column(String(32))
    left_key: Mapped[str] = mapped_column(String(400))
    right_key: Mapped[str] = mapped_column(String(400), index=True)
    qty: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(32))
    confidence: Mapped[float] = mapped_column(Float)
    # order_shipment links: the order's buyer country (title events of the outbound line's allocations
    # read it without loading the order's shop partition)
    country: Mapped[str | None] = mapped_column(String(8), nullable=True)
    matched_at: Mapped[datetime] = updated_at_column()


class ManualLinkRow(Base):
    """A link a person made; the matcher applies it before its own rules on every run."""

    __tablename__ = "manual_links"
    __table_args__ = (UniqueConstraint("owner_id", "step", "left_key", "right_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(64), index=True)
    step: Mapped[str] = mapped_column(String(32))
    left_key: Mapped[str] = mapped_column(String(400))
    right_key: Mapped[str] = mapped_column(String(400))
    qty: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    resolves_exception_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = created_at_column()


class MatchPartitionRow(Base):
    """The fingerprint of a partition's inputs at its last match (what incremental runs compare)."""

    __tablename__ = "match_partitions"
    __table_args__ = (UniqueConstraint("partition"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(64), index=True)
    partition: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    links: Mapped[int] = mapped_column(Integer, default=0)
    exceptions: Mapped[int] = mapped_column(Integer, default=0)
    # re-matched (or its allocations' buyer countries changed) since the title ledger was last brought in
    # line; a vanished partition keeps its row with an empty fingerprint until then
    title_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    matched_at: Mapped[datetime] = updated_at_column()


class MatchOwnerStateRow(Base):
    """Where an owner's last finished matching run left off: changes stored from ``watermark_at`` on are
    looked at by the next incremental run; a changed SKU crosswalk, match settings or title policy
    (their signatures) make it a full one."""

    __tablename__ = "match_owner_state"
    __table_args__ = (UniqueConstraint("owner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(64))
    watermark_at: Mapped[datetime] = mapped_column(UTCDateTime())
    manual_max_id: Mapped[int] = mapped_column(Integer, default=0)
    crosswalk_sig: Mapped[str] = mapped_column(String(64), default="")
    settings_sig: Mapped[str] = mapped_column(String(64), default="")
    policy_sig: Mapped[str] = mapped_column(String(64), default="")
    finished_at: Mapped[datetime] = updated_at_column()


class MatchSkuNameRow(Base):
    """A product name a shop partition's orders give a canonical SKU (what warehouse partitions compare
    document descriptions with, ``matching.sku_facts``), replaced whenever that partition is matched."""

    __tablename__ = "match_sku_names"
    __table_args__ = (Index("ix_match_sku_names_owner_sku", "owner_id", "sku_c"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(64))
    partition: Mapped[str] = mapped_column(String(200), index=True)
    sku_c: Mapped[str] = mapped_column(String(200))
    product_name: Mapped[str] = mapped_column(Text)


class MatchPartitionSkuRow(Base):
    """A canonical SKU a warehouse partition received (which partitions a changed product name concerns)."""

    __tablename__ = "match_partition_skus"
    __table_args__ = (Index("ix_match_partition_skus_owner_sku", "owner_id", "sku_c"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(64))
    partition: Mapped[str] = mapped_column(String(200), index=True)
    sku_c: Mapped[str] = mapped_column(String(200))


class MatchPartitionDocKeyRow(Base):
    """What ties a warehouse partition to transport documents and customs entries at its last match (which
    partitions a changed document concerns, ``matching_service.changes``): ``ref:<value>`` a number or
    container its receipts name, ``doc:<number>`` / ``entry:<declaration>`` a document or entry whose lines
    it held, and one empty key (its keys are recorded). Values normalised as the engine joins them."""

    __tablename__ = "match_partition_doc_keys"
    __table_args__ = (Index("ix_match_partition_doc_keys_owner_key", "owner_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(64))
    partition: Mapped[str] = mapped_column(String(200), index=True)
    key: Mapped[str] = mapped_column(String(200))


class TitleSubjectRow(Base):
    """A lot or allocation of the title ledger with the hash of the inputs its events were derived from:
    only subjects whose inputs changed are derived again."""

    __tablename__ = "title_subjects"
    __table_args__ = (UniqueConstraint("subject_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(64))
    partition: Mapped[str] = mapped_column(String(200), index=True)
    subject_key: Mapped[str] = mapped_column(String(600))
    input_hash: Mapped[str] = mapped_column(String(32))


class TitleEventRow(Base):
    """One title event: the four facts after it, basis, evidence and confidence.

    Rows are never changed or deleted; when a later derivation no longer supports an event (the data
    behind it changed) it is marked with ``retracted_at`` and positions ignore it; if the data comes
    back, the mark is cleared.
    """

    __tablename__ = "title_events"
    # one unique index on (subject_key, event_id): it finds a subject's events (the ledger's reads and the
    # run's reconciliation go by subject) and keeps event ids unique, since an event's id hashes its subject
    # key (``matching.title.events.event_id``). A unique index on event_id alone was a second b-tree written
    # in hash order (a random page per event: most of the cost of storing millions of events on SQLite)
    __table_args__ = (Index("ix_title_events_subject_event", "subject_key", "event_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(40))
    owner_id: Mapped[str] = mapped_column(String(64), index=True)
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject_key: Mapped[str] = mapped_column(String(600))
    parent_key: Mapped[str | None] = mapped_column(String(400), nullable=True)
    seq: Mapped[int] = mapped_column(Integer)
    qty: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    # (not indexed: no query filters or orders the ledger by it alone; positions read a subject's or an
    # owner's events)
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime())
    title_holder: Mapped[str] = mapped_column(String(200))
    risk_bearer: Mapped[str] = mapped_column(String(200))
    document_holder: Mapped[str | None] = mapped_column(String(200), nullable=True)
    custodian: Mapped[str] = mapped_column(String(200))
    title_state: Mapped[str] = mapped_column(String(48))
    location_state: Mapped[str] = mapped_column(String(48))
    basis: Mapped[str] = mapped_column(String(24))
    basis_note: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[str] = mapped_column(String(16))
    recorded_at: Mapped[datetime] = created_at_column()
    retracted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class LotValueRow(Base):
    """Unit cost of a lot (landed cost, else invoice value / quantity, else customs value / quantity) with its
    basis (LANDED, INVOICE, CUSTOMS_VALUE), in the currency it was given in, for title positions in money."""

    __tablename__ = "lot_values"
    __table_args__ = (UniqueConstraint("lot_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(64), index=True)
    partition: Mapped[str] = mapped_column(String(200), index=True, default="")
    lot_key: Mapped[str] = mapped_column(String(400))
    unit_value: Mapped[Decimal] = mapped_column(ExactDecimal())
    currency: Mapped[str] = mapped_column(String(3))
    basis: Mapped[str] = mapped_column(String(16), default="")


class SkuCrosswalkRow(Base):
    """Platform seller SKU <-> merchant SKU <-> warehouse SKU of one owner (user data)."""

    __tablename__ = "sku_crosswalk"
    __table_args__ = (UniqueConstraint("owner_id", "platform", "platform_sku", "merchant_sku", "warehouse_sku"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(64), index=True)
    platform: Mapped[str] = mapped_column(String(16), default="")
    platform_sku: Mapped[str] = mapped_column(String(128), default="")
    merchant_sku: Mapped[str] = mapped_column(String(128), default="")
    warehouse_sku: Mapped[str] = mapped_column(String(128), default="")
    hs_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_at: Mapped[datetime] = created_at_column()
