"""Logistics records: transport documents (BL, sea waybill, AWB), events and customs entries.

Document numbers, container numbers and references are kept as the source wrote them in
``*_raw`` fields where it matters, and in normalised form (upper case, no separators) in the key
fields. Validation of check digits is a flag (``Problem`` with WARNING), never a silent drop.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from fx.money import Money
from platform_adapters.canonical.common import require_aware


@dataclass(frozen=True, slots=True)
class DocumentRef:
    """A typed reference to another document: PO, MBL, HBL, AWB, BKG, CONTAINER, DECLARATION…"""

    kind: str
    value: str


@dataclass(frozen=True, slots=True)
class Container:
    """A piece of equipment carried under a transport document."""

    container_no: str
    iso_type: str | None = None
    seals: tuple[str, ...] = ()
    check_digit_valid: bool | None = None


@dataclass(frozen=True, slots=True)
class Endorsement:
    """One step of a negotiable document's endorsement chain (DCSA END action codes)."""

    seq: int
    action_code: str  # ISSU, ENDO, SURR, BLNK, SREQ, TRNS, ...
    actor: str | None
    recipient: str | None
    action_at: datetime
    reference: str | None = None
    platform: str | None = None

    def __post_init__(self) -> None:
        require_aware(self, "action_at")


@dataclass(frozen=True, slots=True)
class TransportDocumentLine:
    """One goods line of a document, in one container (one row of a forwarder report)."""

    line_no: int
    container_no: str | None
    description: str = ""
    hs_code: str | None = None
    packages: int | None = None
    package_code: str | None = None
    quantity: int | None = None  # units, when the source gives them
    sku: str | None = None
    gross_weight_kg: Decimal | None = None
    volume_cbm: Decimal | None = None
    po_numbers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TransportDocument:
    """A bill of lading, sea waybill or air waybill, master or house. Key: (owner_id, doc_number)."""

    owner_id: str
    doc_number: str
    doc_type: str  # BOL, SWB, MAWB, HAWB
    mode: str  # OCEAN, AIR, RAIL, ROAD
    doc_level: str  # MASTER, HOUSE
    master_doc_number: str | None = None
    carrier_code: str | None = None
    booking_ref: str | None = None
    is_to_order: bool = False
    is_electronic: bool = False
    release_type: str | None = None  # ORIGINAL, EBL_SURRENDER, TELEX_RELEASE, SEAWAY, AIR_RELEASE
    status: str | None = None
    shipper: str | None = None
    consignee: str | None = None
    notify_party: str | None = None
    place_of_receipt: str | None = None
    port_of_loading: str | None = None
    port_of_discharge: str | None = None
    place_of_delivery: str | None = None
    vessel_or_flight: str | None = None
    voyage: str | None = None
    incoterm: str | None = None
    incoterm_place: str | None = None
    freight_term: str | None = None
    issue_date: date | None = None
    etd: date | None = None
    eta: date | None = None
    shipped_on_board_date: date | None = None
    lines: tuple[TransportDocumentLine, ...] = ()
    containers: tuple[Container, ...] = ()
    endorsements: tuple[Endorsement, ...] = ()
    references: tuple[DocumentRef, ...] = ()
    source_updated_at: datetime | None = None
    source: str = ""
    #: what this source's document states: header field names and the child tables ``lines``, ``containers``,
    #: ``endorsements``, ``references`` (``STATABLE``); a document stored already takes only these from it and
    #: keeps what other sources stated (a BL report states no endorsements, an eBL no incoterm), while a value
    #: stated empty clears it. None: everything (a new document takes every field, defaults included).
    stated: frozenset[str] | None = None

    def __post_init__(self) -> None:
        require_aware(self, "source_updated_at")
        if self.stated is not None and not self.stated <= STATABLE:
            raise ValueError(f"unknown stated field(s): {', '.join(sorted(self.stated - STATABLE))}")


#: the child tables of a transport document (its fields of those names)
DOCUMENT_CHILDREN = frozenset({"lines", "containers", "endorsements", "references"})
#: what ``TransportDocument.stated`` may name: every field of the document (header fields and child tables)
STATABLE = frozenset(TransportDocument.__dataclass_fields__) - {"stated"}


@dataclass(frozen=True, slots=True)
class TransportEvent:
    """A DCSA-shaped track-and-trace event. Key: event_id (source id, or a stable hash)."""

    event_id: str
    event_type: str  # SHIPMENT, TRANSPORT, EQUIPMENT, CUSTOMS, WAREHOUSE, LASTMILE
    classifier: str  # ACT, EST, PLN, REQ
    code: str  # DCSA code (ARRI, DEPA, LOAD, DISC, GTIN, GTOT, ...) or the source's code
    event_at: datetime
    owner_id: str | None = None
    location: str | None = None  # UN/LOCODE
    facility_code: str | None = None
    equipment_no: str | None = None
    empty_indicator: str | None = None
    vessel_or_flight: str | None = None
    voyage: str | None = None
    document_refs: tuple[DocumentRef, ...] = ()
    publisher: str | None = None
    created_at: datetime | None = None  # when the publisher created the event

    def __post_init__(self) -> None:
        require_aware(self, "event_at", "created_at")


@dataclass(frozen=True, slots=True)
class CustomsEntryLine:
    """One line of an import declaration."""

    line_no: int
    hs_code: str | None
    description: str = ""
    origin_country: str | None = None
    quantity: int | None = None
    uom: str | None = None
    customs_value: Money | None = None
    invoice_value: Money | None = None
    duty: Money | None = None
    tax: Money | None = None
    duty_rate: Decimal | None = None
    tax_rate: Decimal | None = None
    po_number: str | None = None
    sku_group: str | None = None
    container_no: str | None = None
    preference_scheme: str | None = None
    preference_doc_no: str | None = None  # e.g. the ACFTA Form E number
    valuation_basis: str | None = None  # CIF, FOB…
    fx_rate: Decimal | None = None  # invoice currency → local currency rate the declaration used


@dataclass(frozen=True, slots=True)
class CustomsEntry:
    """An import declaration (SG/MY/TH/ID/PH/VN). Key: (country, declaration_no)."""

    owner_id: str
    country: str
    declaration_no: str
    regime: str | None = None
    form: str | None = None
    declaration_type: str | None = None
    status: str | None = None  # LODGED, ACCEPTED, ASSESSED, PAID, RELEASED, HELD, ...
    importer_of_record: str | None = None
    customs_agent: str | None = None
    submitted_at: datetime | None = None
    released_at: datetime | None = None
    arrival_date: date | None = None
    port_of_discharge: str | None = None
    transport_doc_refs: tuple[DocumentRef, ...] = ()
    container_nos: tuple[str, ...] = ()
    currency: str | None = None
    lines: tuple[CustomsEntryLine, ...] = ()
    source_updated_at: datetime | None = None
    importer_registration_no: str | None = None
    vessel_or_flight: str | None = None

    def __post_init__(self) -> None:
        require_aware(self, "submitted_at", "released_at", "source_updated_at")
