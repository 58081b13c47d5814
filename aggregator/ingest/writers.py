"""Write canonical logistics and warehouse records into their tables.

Each record becomes an ``Aggregate``: header values keyed by natural key plus child rows. The header
is upserted (``aggregator.store.upsert``: stale guard, audit entry for every create and change); it
carries a ``content_hash`` of all its rows (header and children), so a changed line makes the header
UPDATED, and then the child rows are replaced as a whole. A record whose source states only part of it
(``Aggregate.stated``: a transport document described by a BL report and an eBL) writes into a stored one only
the header columns and child tables it states; the others stay as the other sources stated them. With ``append=True`` (rows of the same
document met again later in one file) lines are added instead and fields that sum over lines
(weight, reference lists) are left as they are. ``aggregator.ingest.bulk`` writes batches of new
aggregates with the same values and the same audit entries. A receipt or outbound longer than an import
chunk is written a part at a time (``part_of_record``, ``end_of_record``) and decided when its last part is
in, as the same record in one piece would be; when that last step fails, ``drop_parts`` undoes what its parts
wrote.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any
from uuid import uuid4

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from aggregator.store import audit_batch
from aggregator.store.models.logistics import (
    CustomsEntryLineRow,
    CustomsEntryRow,
    TransportContainerRow,
    TransportDocumentLineRow,
    TransportDocumentRow,
    TransportEndorsementRow,
    TransportReferenceRow,
)
from aggregator.store.models.warehouse import (
    StockSnapshotRow,
    WarehouseReceiptLineRow,
    WarehouseReceiptRow,
    WarehouseShipmentLineRow,
    WarehouseShipmentRow,
)
from aggregator.store.upsert import BOOKKEEPING, UpsertOutcome, UpsertResult, entity_key, upsert, write_audit
from platform_adapters.canonical import (
    CustomsEntry,
    StockSnapshot,
    TransportDocument,
    WarehouseReceipt,
    WarehouseShipment,
)
from platform_adapters.canonical.identifiers import is_valid_container_number
from platform_adapters.canonical.logistics import DOCUMENT_CHILDREN
from platform_adapters.logistics import bl_report

# ``upsert`` compares the source time of the column it is given; a name that is not a column turns the
# stale check off (snapshots have no source time; milestones apply their own ACT/EST rule first).
NO_STALE_CHECK = ""
_WRITTEN = (UpsertOutcome.CREATED, UpsertOutcome.UPDATED)
#: a record written in parts (``part_of_record``) marks its header's ``content_hash`` with its run's claim
#: (``InParts.claim``) until its last part decides it (``end_of_record``): ``UNFINISHED`` + a token for a new
#: record (a header still so marked was left by an import stopped half-way, or is being written by another:
#: written again as a new record, CREATED with one ``create`` entry), ``CLAIMED`` + a token for a stored one
#: (whose new lines wait under ``-pk``). Another import of the record in parts takes the claim over (what
#: waited is dropped); the run that lost it refuses the record (``InUse``) rather than mix its lines in.
UNFINISHED = "parts-new:"
CLAIMED = "parts:"


@dataclass
class Aggregate:
    """One record as rows: the header (``model``/``key``/``values``) and ``children`` (model, parent column, rows)."""

    model: Any
    key: tuple[str, ...]
    values: dict[str, Any]
    children: list[tuple[Any, str, list[dict[str, Any]]]] = field(default_factory=list)
    stale_col: str = "source_updated_at"
    #: the hash of the source rows the record was mapped from (``platform_adapters.tabular.columnar.raw_hash``,
    #: versioned by the mapping); None: a hash of the header values and child rows is computed
    raw_hash: str | None = None
    #: header columns that sum a value over the record's lines (an outbound's weight): left as stored when
    #: lines are appended, summed over the parts of a record written in parts
    summed: tuple[str, ...] = ()
    #: header columns listing, space-separated, what the record's lines name (a customs entry's transport
    #: documents and containers): each item once, in the order met, over the parts of a record written in parts
    gathered: tuple[str, ...] = ()
    #: the header columns a stored record takes from this one, when its source states only some (a transport
    #: document described by several sources: ``TransportDocument.stated``); the others keep what is stored. A new
    #: record takes every value; its key and ``content_hash`` are always taken. None: every column
    stated: frozenset[str] | None = None

    def __post_init__(self) -> None:
        """``content_hash``: the source rows' hash when given, else sha256 of the header values and child rows."""
        self.values.pop("content_hash", None)
        if self.stated is not None:
            self.stated = self.stated | {"content_hash", *self.key}
        if self.raw_hash is not None:
            self.values["content_hash"] = self.raw_hash
            return
        children = [(model.__tablename__, rows) for model, _, rows in self.children]
        self.values["content_hash"] = hashlib.sha256(
            repr((sorted(self.values.items()), children)).encode("utf-8")).hexdigest()

    @property
    def key_values(self) -> tuple:
        return tuple(self.values[k] for k in self.key)


def _refs_text(refs) -> str:
    return " ".join(f"{r.kind}:{r.value}" for r in refs)


def _amount(money):
    return money.amount if money is not None else None


def write_aggregate(session: Session, agg: Aggregate, append: bool = False,
                  raw_hash: str | None = None, staged: int | None = None) -> UpsertResult:
    """Upsert the header and (re)write its children. For a record hashed from its source rows, a stored
    row whose hash differs is compared on its values alone, header and lines: when only the source text
    changed (or the mapping's version) the outcome is UNCHANGED and the new hash is stored without an audit
    entry; when header values changed, the audit entry names them and the hash is stored with them; when
    only lines changed (a received quantity, a line dropped), the record is UPDATED, its lines rewritten,
    and the audit entry names the lines gone and the lines new (``_changed_children``).

    ``staged``: the parent id the record's lines were written under, a part at a time (``part_of_record``):
    those are its lines (``agg``'s child rows only name their columns), compared with the stored ones
    line number by line number (``_changed_staged``), made the record's when it is written, else removed."""
    table = agg.model.__table__
    values = agg.values
    refresh = None
    if agg.raw_hash is not None and not append:
        found = session.execute(select(table.c.id, table.c.content_hash).where(
            *(table.c[k] == values[k] for k in agg.key))).first()
        stored = None if found is None else found.content_hash
        if stored is not None and stored.startswith(UNFINISHED):  # (a new record an import left half-way)
            _drop_children(session, agg.children, found.id)
            session.execute(delete(table).where(table.c.id == found.id))
        elif stored is not None and stored != agg.raw_hash:
            values, refresh = {**values, "content_hash": stored}, agg.raw_hash
            if stored.startswith(CLAIMED) and staged is None:  # (lines an import in parts left aside)
                _drop_children(session, agg.children, -found.id)
    result = upsert(session, agg.model, values, agg.key, source_updated_col=agg.stale_col, stated=agg.stated)
    if refresh is not None and result.outcome is not UpsertOutcome.STALE:
        if staged is None and stored.startswith(CLAIMED):  # (its claim taken over below: the lines an import of
            _drop_children(session, agg.children, -result.pk)  # it in parts, stopped or overtaken, left under -id)
        audit_batch.settle_by_id(session, table, result.pk)  # (the hash is in the record's create entry)
        session.execute(update(table).where(table.c.id == result.pk).values(content_hash=refresh))
        if result.outcome is UpsertOutcome.UNCHANGED:  # the same header: did a line change?
            changed = _changed_children(session, agg.children, result.pk) if staged is None else \
                _changed_staged(session, agg.children, result.pk, staged)
            if changed:
                write_audit(session, entity=table.name, key=entity_key(values, agg.key), action="update",
                            owner_id=values.get("owner_id"), changes=changed)
                result = UpsertResult(UpsertOutcome.UPDATED, result.pk, changed)
    if result.outcome is UpsertOutcome.STALE or (result.outcome not in _WRITTEN and not append):
        if staged is not None:  # (the stored lines stay)
            _drop_children(session, agg.children, staged)
        return result
    if result.outcome is UpsertOutcome.UPDATED and not append:
        _drop_children(session, agg.children, result.pk)
    if staged is None:
        _insert_children(session, agg.children, result.pk)
        return result
    connection = session.connection()
    for model, parent_col, _ in agg.children:
        connection.execute(update(model.__table__).where(model.__table__.c[parent_col] == staged)
                           .values({parent_col: result.pk}))
    return result


def _insert_children(session: Session, children: list, parent: int) -> None:
    """Insert the child rows under ``parent``."""
    connection = session.connection()
    for model, parent_col, rows in children:
        if rows:
            connection.execute(insert(model.__table__), [{parent_col: parent, **row} for row in rows])


def _drop_children(session: Session, children: list, parent: int) -> None:
    """Delete the child rows written under ``parent``."""
    connection = session.connection()
    for model, parent_col, _ in children:
        connection.execute(delete(model.__table__).where(model.__table__.c[parent_col] == parent))


def _compared(table: Any, parent_col: str, rows: list[dict[str, Any]]) -> list[str]:
    """The child columns two versions of a record are compared on: those the new rows carry (all the
    table's own columns when there are none)."""
    return sorted({name for row in rows for name in row}) or [c.name for c in table.c if c.name not in ("id", parent_col)]


def _changed_children(session: Session, children: list, pk: int) -> dict[str, list]:
    """The child rows of the stored record ``pk`` that differ from ``children``, compared as multisets of rows
    over the columns the new rows carry (``_compared``); values compare as Python compares them (Decimals by
    value, aware instants by the instant): per child table [rows no longer there, rows new] (each in
    line-number order, for rows that have one), for the tables that differ (empty: the lines are as stored)."""
    changed = {}
    for model, parent_col, rows in children:
        table = model.__table__
        columns = _compared(table, parent_col, rows)
        stored = session.execute(select(*(table.c[name] for name in columns))
                                 .where(table.c[parent_col] == pk)).all()
        old = Counter(tuple(row) for row in stored)
        new = Counter(tuple(row.get(name) for name in columns) for row in rows)
        if old != new:
            changed[table.name] = [_by_line_no(columns, (old - new).elements()),
                                   _by_line_no(columns, (new - old).elements())]
    return changed


def _by_line_no(columns: list[str], rows: Any) -> list[dict[str, Any]]:
    """``rows`` (tuples of ``columns``' values) as dicts, in line-number order when they have one (the order
    ``_changed_staged`` lists them in), else as they come."""
    listed = [dict(zip(columns, row)) for row in rows]
    return sorted(listed, key=lambda row: row["line_no"]) if "line_no" in columns else listed


def _changed_staged(session: Session, children: list, pk: int, staged: int) -> dict[str, list]:
    """``_changed_children`` of the lines written under the parent id ``staged`` against those of ``pk``: read
    together in line-number order (a record's line numbers are unique) and compared line by line, so memory
    holds only what differs; the rows gone and new each in line-number order, as ``_changed_children``
    lists them."""
    changed = {}
    for model, parent_col, rows in children:
        table = model.__table__
        columns = _compared(table, parent_col, rows)
        parent = table.c[parent_col]
        query = (select(parent, *(table.c[name] for name in columns)).where(parent.in_((pk, staged)))
                 .order_by(table.c.line_no, parent))
        at = 1 + columns.index("line_no")
        gone: list[tuple] = []
        new: list[tuple] = []
        for _, same_line in groupby(session.execute(query.execution_options(yield_per=2000)), key=lambda row: row[at]):
            both = list(same_line)  # (at most one row of each parent)
            was = [row for row in both if row[0] != staged]
            now = [row for row in both if row[0] == staged]
            if len(was) == len(now) == 1 and tuple(was[0][1:]) == tuple(now[0][1:]):
                continue
            gone.extend(was)
            new.extend(now)
        if gone or new:
            changed[table.name] = [[dict(zip(columns, row[1:])) for row in side] for side in (gone, new)]
    return changed


def error_text(exc: BaseException) -> str:
    """An error's type and the first line of its message (at most 300 characters), as rejects and failed
    batches name it."""
    return f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:300]}"


@dataclass
class InParts:
    """Where a record written a part at a time stands (``part_of_record``): its header's id once known, and
    whether it was stored before (its new lines then wait under the parent id ``-pk`` until its last part
    decides, ``end_of_record``)."""

    pk: int | None = None
    stored: bool = False
    token: str = field(default_factory=lambda: uuid4().hex)  # this run's, in its claim on the header
    before: str | None = None  # a stored record's ``content_hash`` when claimed (put back when decided)
    #: the header's model and its child tables (model, parent column, no rows), once a part is written:
    #: what ``drop_parts`` removes
    model: Any = None
    children: list = field(default_factory=list)

    @property
    def claim(self) -> str:
        return (CLAIMED if self.stored else UNFINISHED) + self.token


class InUse(ValueError):
    """Another import of a record in parts took it over while this one wrote its parts."""


def _mark(session: Session, table: Any, pk: int, content_hash: str) -> None:
    """Set the header's ``content_hash`` alone (its ``stored_at`` kept: no change to the record)."""
    kept = {"stored_at": table.c.stored_at} if "stored_at" in table.c else {}
    session.execute(update(table).where(table.c.id == pk).values(content_hash=content_hash, **kept))


def _check_claim(session: Session, table: Any, parts: InParts) -> None:
    """Raise ``InUse`` unless the header still holds this run's claim (locked until the commit)."""
    held = session.execute(select(table.c.content_hash).where(table.c.id == parts.pk).with_for_update()).scalar()
    if held != parts.claim:
        raise InUse("the record was taken over by another import of it in parts meanwhile; its rows here are "
                    "not stored (import this file again)")


def part_of_record(session: Session, parts: InParts, agg: Aggregate) -> None:
    """Write one part of a record longer than a chunk (``agg``: the part's header and lines): a new record's
    header (without an audit entry: ``end_of_record`` writes its creation) and lines as they come; a stored
    record's lines under ``-pk``, its stored lines and header values left as they are. The header carries
    this run's claim meanwhile (``UNFINISHED``, ``CLAIMED``)."""
    table = agg.model.__table__
    pk, stored, before = parts.pk, parts.stored, parts.before
    if pk is None:
        found = session.execute(select(table.c.id, table.c.content_hash).where(
            *(table.c[k] == agg.values[k] for k in agg.key)).with_for_update()).first()
        if found is None:
            pk = session.execute(insert(table).values(**{**agg.values, "content_hash": UNFINISHED + parts.token})
                                 .returning(table.c.id)).scalar_one()
        else:  # (what an import stopped half-way or another one meanwhile wrote is dropped)
            pk, stored, before = found.id, not found.content_hash.startswith(UNFINISHED), found.content_hash
            _drop_children(session, agg.children, -pk if stored else pk)
            _mark(session, table, pk, (CLAIMED if stored else UNFINISHED) + parts.token)
    else:
        _check_claim(session, table, parts)
    _insert_children(session, agg.children, -pk if stored else pk)
    parts.pk, parts.stored, parts.before = pk, stored, before  # (only once written: a part refused leaves nothing)
    parts.model, parts.children = agg.model, [(model, parent_col, []) for model, parent_col, _ in agg.children]


def taken_line_numbers(session: Session, parts: InParts, agg: Aggregate) -> set[int]:
    """The line numbers of ``agg``'s lines (a part of a record in parts) that its earlier parts wrote."""
    if parts.pk is None:
        return set()
    found: set[int] = set()
    for model, parent_col, rows in agg.children:
        table = model.__table__
        wanted = sorted({row["line_no"] for row in rows})
        for start in range(0, len(wanted), 500):
            found.update(session.scalars(select(table.c.line_no).where(
                table.c[parent_col] == (-parts.pk if parts.stored else parts.pk),
                table.c.line_no.in_(wanted[start:start + 500]))))
    return found


def end_of_record(session: Session, parts: InParts, agg: Aggregate) -> UpsertResult:
    """Decide a record written in parts once its last part is in: ``agg`` is its header from all its rows,
    hashed from all of them (its child rows only name the columns). A new one gets that header and its
    ``create`` entry (CREATED); a stored one is written as ``write_aggregate`` writes the record in one piece,
    its lines those its parts wrote: the same hash → UNCHANGED, nothing written."""
    table = agg.model.__table__
    _check_claim(session, table, parts)
    if parts.stored:
        _mark(session, table, parts.pk, parts.before)
        return write_aggregate(session, agg, staged=-parts.pk)
    session.execute(update(table).where(table.c.id == parts.pk).values(**agg.values))
    write_audit(session, entity=table.name, key=entity_key(agg.values, agg.key), action="create",
                owner_id=agg.values.get("owner_id"),
                changes={k: v for k, v in agg.values.items() if k not in BOOKKEEPING})
    return UpsertResult(UpsertOutcome.CREATED, parts.pk)


def drop_parts(session: Session, parts: InParts) -> None:
    """Undo what the parts of a record whose last step failed wrote (``end_of_record`` refused, or its header
    not mapped): a new record's header and lines are deleted, a stored one's lines waiting under ``-pk``
    dropped and its previous ``content_hash`` put back, so that readers see the record as before the import.
    Raises ``InUse`` when another import took the record over meanwhile (what it wrote is its own)."""
    table = parts.model.__table__
    _check_claim(session, table, parts)
    if parts.stored:
        _drop_children(session, parts.children, -parts.pk)
        _mark(session, table, parts.pk, parts.before)
    else:
        _drop_children(session, parts.children, parts.pk)
        session.execute(delete(table).where(table.c.id == parts.pk))


def next_line_no(session: Session, model, parent_col: str, key_model, key: dict) -> int:
    """Highest stored line number of an aggregate (0 when absent): where appended lines continue."""
    parent = select(key_model.id).where(*(getattr(key_model, k) == v for k, v in key.items())).scalar_subquery()
    return session.execute(select(func.coalesce(func.max(model.line_no), 0))
                           .where(getattr(model, parent_col) == parent)).scalar_one()


# -- record → aggregate ---------------------------------------------------------------------------

#: (column, field) of a transport document's header and of its child tables' rows (lines, containers,
#: references), in the order ``transport_document_aggregate`` writes them; the columnar import builds the same
#: values from these fields (``platform_adapters.logistics.bl_columns``; a report states no endorsements: a
#: document's stored ones stay, ``TransportDocument.stated``)
TRANSPORT_HEADER = tuple((name, name) for name in (
    "owner_id", "doc_number", "doc_type", "mode", "doc_level", "master_doc_number", "doc_number_valid",
    "carrier_code", "booking_ref", "is_to_order", "is_electronic", "release_type", "status", "shipper", "consignee",
    "notify_party", "place_of_receipt", "port_of_loading", "port_of_discharge", "place_of_delivery",
    "vessel_or_flight", "voyage", "incoterm", "incoterm_place", "freight_term", "issue_date", "etd", "eta",
    "shipped_on_board_date", "source", "source_updated_at"))
TRANSPORT_LINE = (*((name, name) for name in (
    "line_no", "container_no", "description", "hs_code", "packages", "package_code", "quantity", "sku",
    "gross_weight_kg", "volume_cbm")), ("po_numbers", "po_text"))
TRANSPORT_CONTAINER = (("container_no", "container_no"), ("iso_type", "iso_type"), ("seals", "seals_text"),
                       ("check_digit_valid", "container_valid"))
TRANSPORT_REFERENCE = (("kind", "ref_kind"), ("value", "ref_value"))
TRANSPORT_KEY = ("owner_id", "doc_number")
#: the ``TransportDocument`` field of each child table, in the order ``transport_document_aggregate`` lists them
TRANSPORT_CHILD_NAMES = ("lines", "containers", "endorsements", "references")


def _transport_stated(stated: frozenset[str] | None) -> frozenset[str] | None:
    """The header columns a stored transport document takes from a source stating ``stated`` (its fields):
    those, with the air waybill check the document's mode decides (``doc_number_valid``)."""
    if stated is None:
        return None
    return (stated - DOCUMENT_CHILDREN) | ({"doc_number_valid"} if "mode" in stated else set())


def transport_document_aggregate(doc: TransportDocument, raw_hash: str | None = None) -> Aggregate:
    """A transport document's header and child tables; a source that states only part of a document
    (``doc.stated``: a BL report, an eBL) writes only the header columns and child tables it states into a stored
    one, the rest kept as other sources stated them."""
    values = {
        "owner_id": doc.owner_id, "doc_number": doc.doc_number, "doc_type": doc.doc_type, "mode": doc.mode,
        "doc_level": doc.doc_level, "master_doc_number": doc.master_doc_number,
        "doc_number_valid": bl_report.doc_number_valid(doc.doc_number, doc.mode, doc.doc_type),
        "carrier_code": doc.carrier_code, "booking_ref": doc.booking_ref, "is_to_order": doc.is_to_order,
        "is_electronic": doc.is_electronic, "release_type": doc.release_type, "status": doc.status,
        "shipper": doc.shipper, "consignee": doc.consignee, "notify_party": doc.notify_party,
        "place_of_receipt": doc.place_of_receipt, "port_of_loading": doc.port_of_loading,
        "port_of_discharge": doc.port_of_discharge, "place_of_delivery": doc.place_of_delivery,
        "vessel_or_flight": doc.vessel_or_flight, "voyage": doc.voyage, "incoterm": doc.incoterm,
        "incoterm_place": doc.incoterm_place, "freight_term": doc.freight_term, "issue_date": doc.issue_date,
        "etd": doc.etd, "eta": doc.eta, "shipped_on_board_date": doc.shipped_on_board_date, "source": doc.source,
        "source_updated_at": doc.source_updated_at,
    }
    children = [
        (TransportDocumentLineRow, "document_pk", [
            {"line_no": ln.line_no, "container_no": ln.container_no, "description": ln.description,
             "hs_code": ln.hs_code, "packages": ln.packages, "package_code": ln.package_code,
             "quantity": ln.quantity, "sku": ln.sku, "gross_weight_kg": ln.gross_weight_kg,
             "volume_cbm": ln.volume_cbm, "po_numbers": " ".join(ln.po_numbers)} for ln in doc.lines]),
        (TransportContainerRow, "document_pk", [
            {"container_no": c.container_no, "iso_type": c.iso_type, "seals": " ".join(c.seals),
             "check_digit_valid": c.check_digit_valid} for c in doc.containers]),
        (TransportEndorsementRow, "document_pk", [
            {"seq": e.seq, "action_code": e.action_code, "actor": e.actor, "recipient": e.recipient,
             "action_at": e.action_at, "reference": e.reference, "platform": e.platform} for e in doc.endorsements]),
        (TransportReferenceRow, "document_pk", [{"kind": r.kind, "value": r.value} for r in doc.references]),
    ]
    if doc.stated is not None:  # (a child table the source does not state: the stored rows stay)
        children = [child for child, name in zip(children, TRANSPORT_CHILD_NAMES) if name in doc.stated]
    return Aggregate(TransportDocumentRow, TRANSPORT_KEY, values, children, raw_hash=raw_hash,
                     stated=_transport_stated(doc.stated))


#: (column, field) of a customs entry's header and of its lines, in the order ``customs_entry_aggregate``
#: writes them; the columnar import builds the same values from these fields
#: (``platform_adapters.customs.customs_columns``)
CUSTOMS_HEADER = tuple((name, name) for name in (
    "owner_id", "country", "declaration_no", "regime", "form", "declaration_type", "status", "importer_of_record",
    "customs_agent", "importer_registration_no", "vessel_or_flight", "submitted_at", "released_at", "arrival_date",
    "port_of_discharge", "transport_doc_refs", "container_nos", "currency", "source_updated_at"))
CUSTOMS_LINE = tuple((name, "qty" if name == "quantity" else name) for name in (
    "line_no", "hs_code", "description", "origin_country", "quantity", "uom", "currency", "customs_value", "duty",
    "tax", "invoice_currency", "invoice_value", "duty_rate", "tax_rate", "po_number", "sku_group", "container_no",
    "preference_scheme", "preference_doc_no", "valuation_basis", "fx_rate"))
CUSTOMS_KEY = ("owner_id", "country", "declaration_no")


def customs_entry_aggregate(entry: CustomsEntry, raw_hash: str | None = None) -> Aggregate:
    values = {
        "owner_id": entry.owner_id, "country": entry.country, "declaration_no": entry.declaration_no,
        "regime": entry.regime, "form": entry.form, "declaration_type": entry.declaration_type,
        "status": entry.status, "importer_of_record": entry.importer_of_record, "customs_agent": entry.customs_agent,
        "importer_registration_no": entry.importer_registration_no, "vessel_or_flight": entry.vessel_or_flight,
        "submitted_at": entry.submitted_at, "released_at": entry.released_at, "arrival_date": entry.arrival_date,
        "port_of_discharge": entry.port_of_discharge, "transport_doc_refs": _refs_text(entry.transport_doc_refs),
        "container_nos": " ".join(entry.container_nos), "currency": entry.currency,
        "source_updated_at": entry.source_updated_at,
    }
    return Aggregate(CustomsEntryRow, CUSTOMS_KEY, values, [(CustomsEntryLineRow, "entry_pk", [
        {"line_no": ln.line_no, "hs_code": ln.hs_code, "description": ln.description,
         "origin_country": ln.origin_country, "quantity": ln.quantity, "uom": ln.uom,
         "currency": next((m.currency for m in (ln.customs_value, ln.duty, ln.tax) if m is not None), entry.currency),
         "customs_value": _amount(ln.customs_value), "duty": _amount(ln.duty), "tax": _amount(ln.tax),
         "invoice_currency": ln.invoice_value.currency if ln.invoice_value else None,
         "invoice_value": _amount(ln.invoice_value), "duty_rate": ln.duty_rate, "tax_rate": ln.tax_rate,
         "po_number": ln.po_number, "sku_group": ln.sku_group, "container_no": ln.container_no,
         "preference_scheme": ln.preference_scheme, "preference_doc_no": ln.preference_doc_no,
         "valuation_basis": ln.valuation_basis, "fx_rate": ln.fx_rate} for ln in entry.lines])],
                     raw_hash=raw_hash, gathered=("transport_doc_refs", "container_nos"))


#: (column, ``WarehouseReceipt`` field) of a receipt's header and (column, line field) of its lines, in the
#: order the rows are written; ``container_no_valid`` is derived from the container number. The columnar
#: import builds the same tuples (``platform_adapters.warehouse.inbound_columns``)
RECEIPT_HEADER = (
    ("owner_id", "owner_id"), ("warehouse_code", "warehouse_code"), ("asn_no", "asn_no"),
    ("wms_receipt_no", "wms_receipt_no"), ("inbound_type", "inbound_type"), ("status", "status"),
    ("raw_status", "raw_status"), ("importer_of_record", "importer_of_record"), ("mbl_no", "mbl_no"),
    ("hbl_no", "hbl_no"), ("awb_no", "awb_no"), ("container_no", "container_no"),
    ("container_no_valid", "container_no_valid"), ("seal_no", "seal_no"),
    ("customs_declaration_no", "customs_declaration_no"), ("expected_arrival", "expected_arrival"),
    ("arrived_at", "arrived_at"), ("received_at", "received_at"), ("putaway_at", "putaway_at"),
    ("is_final", "is_final"), ("source_updated_at", "source_updated_at"))
RECEIPT_LINE = tuple((name, name) for name in (
    "line_no", "sku", "planned_qty", "received_good_qty", "received_damaged_qty", "putaway_qty", "barcode",
    "batch_no", "po_number", "lot_id", "damage_type", "box_range", "remark", "expiry_date"))
RECEIPT_KEY = ("owner_id", "warehouse_code", "asn_no")


def receipt_aggregate(receipt: WarehouseReceipt, raw_hash: str | None = None) -> Aggregate:
    values = {column: (is_valid_container_number(receipt.container_no) if receipt.container_no else None)
              if name == "container_no_valid" else getattr(receipt, name) for column, name in RECEIPT_HEADER}
    return Aggregate(WarehouseReceiptRow, RECEIPT_KEY, values, [(WarehouseReceiptLineRow, "receipt_pk", [
        {column: getattr(ln, name) for column, name in RECEIPT_LINE} for ln in receipt.lines])], raw_hash=raw_hash)


#: (column, ``WarehouseShipment`` field) of a shipment's header and (column, line field) of its lines, in
#: the order the rows are written; the columnar import builds the same tuples (``platform_adapters.
#: warehouse.outbound_columns``)
SHIPMENT_HEADER = (
    ("owner_id", "owner_id"), ("warehouse_code", "warehouse_code"), ("wms_outbound_no", "wms_outbound_no"),
    ("outbound_type", "outbound_type"), ("status", "status"), ("raw_status", "raw_status"), ("platform", "platform"),
    ("shop_id", "shop_id"), ("order_id", "order_id"), ("package_id", "package_id"), ("carrier_code", "carrier_code"),
    ("tracking_number", "tracking_number"), ("first_mile_tracking_number", "first_mile_tracking_number"),
    ("wms_created_at", "created_at"), ("shipped_at", "shipped_at"), ("delivered_at", "delivered_at"),
    ("returned_at", "returned_at"), ("weight_g", "weight_g"), ("remark", "remark"),
    ("source_updated_at", "source_updated_at"))
SHIPMENT_LINE = (("line_no", "line_no"), ("sku", "sku"), ("quantity", "quantity"),
                 ("order_line_ref", "order_line_ref"), ("lot_id", "lot_id"), ("batch_no", "batch_no"))
SHIPMENT_KEY = ("owner_id", "warehouse_code", "wms_outbound_no")


def shipment_aggregate(shipment: WarehouseShipment, raw_hash: str | None = None) -> Aggregate:
    values = {column: getattr(shipment, name) for column, name in SHIPMENT_HEADER}
    return Aggregate(WarehouseShipmentRow, SHIPMENT_KEY, values, [(WarehouseShipmentLineRow, "shipment_pk", [
        {column: getattr(ln, name) for column, name in SHIPMENT_LINE} for ln in shipment.lines])],
        raw_hash=raw_hash, summed=("weight_g",))


#: (column, field) of a stock snapshot's row in the order it is written: ``StockSnapshot`` fields and the
#: derived ``lot_or_sku``, ``warehouse_key``, ``cost_amount`` and ``cost_currency``; the columnar import builds the same tuples
#: (``platform_adapters.warehouse.stock_columns``)
STOCK_HEADER = (
    ("owner_id", "owner_id"), ("snapshot_at", "snapshot_at"), ("lot_or_sku", "lot_or_sku"),
    ("warehouse_code", "warehouse_key"), ("sku", "sku"), ("lot_id", "lot_id"), ("title_holder", "title_holder"),
    ("risk_bearer", "risk_bearer"), ("custodian", "custodian"), ("title_state", "title_state"),
    ("location_state", "location_state"), ("source_doc_kind", "source_doc_kind"), ("source_doc_no", "source_doc_no"),
    ("container_no", "container_no"), ("customs_declaration_no", "customs_declaration_no"), ("asn_no", "asn_no"),
    ("received_at", "received_at"), ("qty_expected", "qty_expected"), ("qty_in_receiving", "qty_in_receiving"),
    ("qty_available", "qty_available"), ("qty_allocated", "qty_allocated"), ("qty_in_last_mile", "qty_in_last_mile"),
    ("qty_delivered", "qty_delivered"), ("qty_defective", "qty_defective"), ("qty_box_damaged", "qty_box_damaged"),
    ("unit_landed_cost", "cost_amount"), ("cost_currency", "cost_currency"), ("cost_basis_note", "cost_basis_note"),
    ("batch_no", "batch_no"), ("expiry_date", "expiry_date"))
STOCK_KEY = ("owner_id", "snapshot_at", "lot_or_sku", "warehouse_code")


def stock_snapshot_aggregate(snap: StockSnapshot, raw_hash: str | None = None) -> Aggregate:
    derived = {"lot_or_sku": snap.lot_id or snap.sku, "warehouse_key": snap.warehouse_code or "",
               "cost_amount": _amount(snap.unit_landed_cost),
               "cost_currency": snap.unit_landed_cost.currency if snap.unit_landed_cost else None}
    values = {column: derived[name] if name in derived else getattr(snap, name) for column, name in STOCK_HEADER}
    return Aggregate(StockSnapshotRow, STOCK_KEY, values, stale_col=NO_STALE_CHECK, raw_hash=raw_hash)


# -- the writers the registry uses ------------------------------------------------------------------

def write_transport_document(session: Session, doc: TransportDocument, append: bool = False,
                  raw_hash: str | None = None) -> UpsertResult:
    agg = transport_document_aggregate(doc, raw_hash)
    if append:
        # rows met again later in the file: add lines; containers and references only when new
        existing = session.execute(select(TransportDocumentRow.id).where(
            TransportDocumentRow.owner_id == doc.owner_id, TransportDocumentRow.doc_number == doc.doc_number)).scalar()
        stored_containers = set(session.execute(select(TransportContainerRow.container_no).where(
            TransportContainerRow.document_pk == existing)).scalars())
        stored_refs = set(session.execute(select(TransportReferenceRow.kind, TransportReferenceRow.value).where(
            TransportReferenceRow.document_pk == existing)).all())
        new_only = {TransportContainerRow: lambda c: c["container_no"] not in stored_containers,
                    TransportReferenceRow: lambda r: (r["kind"], r["value"]) not in stored_refs}
        agg.children = [(model, parent_col, [row for row in rows if new_only[model](row)] if model in new_only else rows)
                        for model, parent_col, rows in agg.children if model is not TransportEndorsementRow]
    return write_aggregate(session, agg, append)


def write_customs_entry(session: Session, entry: CustomsEntry, append: bool = False,
                  raw_hash: str | None = None) -> UpsertResult:
    agg = customs_entry_aggregate(entry, raw_hash)
    if append:
        for name in agg.gathered:
            agg.values.pop(name)
    return write_aggregate(session, agg, append)


def write_receipt(session: Session, receipt: WarehouseReceipt, append: bool = False,
                  raw_hash: str | None = None) -> UpsertResult:
    return write_aggregate(session, receipt_aggregate(receipt, raw_hash), append)


def write_shipment(session: Session, shipment: WarehouseShipment, append: bool = False,
                  raw_hash: str | None = None) -> UpsertResult:
    agg = shipment_aggregate(shipment, raw_hash)
    if append:
        for name in agg.summed:
            agg.values.pop(name)
    return write_aggregate(session, agg, append)


def write_stock_snapshot(session: Session, snap: StockSnapshot, append: bool = False,
                  raw_hash: str | None = None) -> UpsertResult:
    return write_aggregate(session, stock_snapshot_aggregate(snap, raw_hash), append)
