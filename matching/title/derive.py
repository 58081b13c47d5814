"""Derive title events for lots and allocations from documents, endorsements, customs, receipts and shipments.

Per lot (through its receipt line's links to a transport document line and a customs line):

* ``SHIPPED_ON_BOARD`` (document on-board date): risk passes per the Incoterm; on a to-order bill title
  stays with the shipper until endorsement; on a straight bill / waybill it follows the policy;
* endorsement chain (``ISSUE`` -> ``BL_ISSUED``, ``ENDORSE``/``ENDORSE_TO_ORDER``/``BLANK_ENDORSE`` ->
  ``ENDORSED``, ``TRANSFER`` -> ``TRANSFERRED`` (title passes to the endorsee with possession),
  ``SURRENDER_FOR_DELIVERY`` -> ``SURRENDER_REQUESTED``, ``SURRENDERED`` -> carrier holds the document);
* ``TELEX_RELEASED`` for telex / express releases (the source gives no time: placed at arrival,
  confidence INFERRED); ``ARRIVED`` (declared arrival date, else the document's ETA, INFERRED);
* ``CUSTOMS_LODGED`` / ``CUSTOMS_RELEASED`` (custody and control, never title; a declaration lodged before
  arrival takes effect on arrival);
* ``ARRIVED_AT_WAREHOUSE`` / ``RECEIVED_AT_WAREHOUSE`` (the 3PL becomes custodian as bailee).

Per allocation (shipment line x lot): ``ALLOCATED``, ``DISPATCHED``, ``DELIVERED`` (title and risk to the
consumer per policy), ``RETURN_RECEIVED`` (back in the warehouse; title never left on a failed delivery).

Per allocation whose returned units the marketplace's warehouse disposed of (return disposition ``SCRAP``,
``written_off_qty`` of its order line, spread over the shipment line's lots as the open quantities spread
them): one ``WRITTEN_OFF`` event on its own subject (``WRITE_OFF``, key ``<allocation>>WRITTEN_OFF``, parent the
allocation) with the units written off, at the return's update that reports the disposition
(``written_off_at``; the disposal's own date is not given). Title ends with the owner writing the goods off:
``title_position`` takes those units out of the allocation and never counts them as held.
"""
from __future__ import annotations

import hashlib
import math
from collections import namedtuple
from collections.abc import Iterator
from datetime import datetime
from functools import partial

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from matching.engine import Prepared
from matching.frames import lookup, lookup_columns
from matching.open_quantities import _marketplace_returns  # one copy of the spreading of returned units
from matching.title import events as ev
from matching.title.events import LEDGER_COLUMNS, TitleEvent
from matching.title.policy import PolicyBook
from platform_adapters.canonical.owner_names import normalise_legal_name

PHASES = ["TRANSIT", "DESTINATION", "RELEASED", "CUSTOMS", "CLEARED", "WAREHOUSE"]
_PHASE_RANK = {phase: rank for rank, phase in enumerate(PHASES)}
_OWNER_STATE = dict(zip(PHASES, [ev.SELLER_TITLE_IN_TRANSIT, ev.SELLER_TITLE_AT_DESTINATION, ev.RELEASED_BY_CARRIER,
                                 ev.UNDER_CUSTOMS_CONTROL, ev.CLEARED, ev.OWNED_IN_WAREHOUSE]))
_RANK = {"SHIPPED_ON_BOARD": 0, "BL_ISSUED": 1, "ENDORSED": 2, "TRANSFERRED": 3, "ARRIVED": 4,
         "SURRENDER_REQUESTED": 5, "SURRENDERED": 6, "TELEX_RELEASED": 6, "CUSTOMS_LODGED": 7,
         "CUSTOMS_RELEASED": 8, "ARRIVED_AT_WAREHOUSE": 9, "RECEIVED_AT_WAREHOUSE": 10}
_ENDORSEMENT_KIND = {"ISSUE": "BL_ISSUED", "ENDORSE": "ENDORSED", "ENDORSE_TO_ORDER": "ENDORSED",
                     "BLANK_ENDORSE": "ENDORSED", "TRANSFER": "TRANSFERRED",
                     "SURRENDER_FOR_DELIVERY": "SURRENDER_REQUESTED", "SURRENDERED": "SURRENDERED"}


def _t(value) -> datetime | None:
    if type(value) is datetime:  # ``_records`` gives a timestamp column's values as datetimes already
        return value
    if value is None or value is pd.NaT:
        return None
    if value is pd.NA or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return None
    return pd.Timestamp(value).to_pydatetime()


def _s(value) -> str | None:
    return None if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) else str(value)


class _Subject:
    """Carries the four facts of one subject forward and emits an event at each change."""

    def __init__(self, owner: str, kind: str, key: str, parent: str | None, qty: int, **state: str | None):
        self.owner, self.kind, self.key, self.parent, self.qty = owner, kind, key, parent, qty
        self.state = dict(state)
        self.phase = "TRANSIT"
        self.out: list[TitleEvent] = []

    def title_state(self) -> str:
        if self.state["title_holder"] == self.owner:
            return _OWNER_STATE[self.phase]
        return "SUPPLIER_TITLE_IN_WAREHOUSE" if self.phase == "WAREHOUSE" else ev.SUPPLIER_TITLE_IN_TRANSIT

    def emit(self, kind: str, at: datetime, basis: str, note: str, evidence: str, confidence: str,
             phase: str | None = None, title_state: str | None = None, **changes: str | None) -> None:
        self.state.update(changes)
        if phase is not None and _PHASE_RANK[phase] > _PHASE_RANK[self.phase]:  # phases only move forward
            self.phase = phase
        state = self.state
        self.out.append(_event((self.owner, self.kind, self.key, self.parent, self.qty, kind, at, state["title_holder"],
                                state["risk_bearer"], state["document_holder"], state["custodian"],
                                title_state or self.title_state(), state["location_state"], basis, note, evidence,
                                confidence)))


#: a ``TitleEvent`` from its fields in order (no keyword parsing: ledgers hold millions of events)
_event = partial(tuple.__new__, TitleEvent)


def lot_inputs(p: Prepared, links: pd.DataFrame) -> pd.DataFrame:
    """One row per lot with ``lot_receipt`` links: everything its events are derived from but the
    endorsement chain and the policy (``left_key`` is the lot)."""
    lr = links[links["step"] == "lot_receipt"].sort_values(["left_key", "right_key"])
    if lr.empty:
        return pd.DataFrame()
    lots = lr.groupby("left_key", as_index=False).agg(owner_id=("owner_id", "first"), receipt=("right_key", "first"),
                                                      qty=("qty", "sum"))
    def per_receipt(step: str) -> pd.Series:
        rows = links[links["step"] == step].sort_values(["left_key", "right_key"], kind="mergesort")
        return rows.drop_duplicates("left_key").set_index("left_key")["right_key"]

    # the document a lot travelled on: the line-level link's (a house bill under the master), else the
    # receipt's document-level link; the customs entry likewise
    doc_of_line = p.documents.set_index("key")["doc_key"] if not p.documents.empty else pd.Series(dtype="string")
    entry_of_line = p.customs.set_index("key")["entry_key"] if not p.customs.empty else pd.Series(dtype="string")
    lots["document"] = lookup(lookup(lots["receipt"], per_receipt("receipt_document")), doc_of_line).fillna(
        lookup(lots["receipt"], per_receipt("receipt_transport_doc")))
    lots["customs"] = lookup(lookup(lots["receipt"], per_receipt("receipt_customs")), entry_of_line).fillna(
        lookup(lots["receipt"], per_receipt("receipt_customs_entry")))
    rec = p.receipts.set_index("key")
    for column, values in lookup_columns(lots["receipt"], rec, ("warehouse_code", "arrived_at", "received_at", "asn_no",
                                                                 "line_received")).items():
        lots[column] = values
    lots["received_at"] = lots["received_at"].where(lots["line_received"].fillna(False).astype(bool))
    docs = p.documents.drop_duplicates("doc_key").set_index("doc_key")
    for column, values in lookup_columns(lots["document"], docs, (
            "doc_number", "master_doc_number", "doc_type", "mode", "is_to_order", "release_type", "shipper",
            "consignee", "incoterm", "shipped_on_board_at", "eta")).items():
        lots[f"d_{column}"] = values
    customs = p.customs.drop_duplicates("entry_key").set_index("entry_key")
    for column, values in lookup_columns(lots["customs"], customs, ("declaration_no", "submitted_at", "released_at",
                                                                     "arrival_date", "country")).items():
        lots[f"c_{column}"] = values
    return lots.sort_values("left_key").reset_index(drop=True)


def _is_true(value) -> bool:
    return str(value).strip().lower() in {"true", "1", "yes", "y"}


def _same_party(endorsee: str, recipient: str | None, owner: str) -> bool:
    """Whether a transfer's recipient is the party the bill was endorsed to. The owner is its id on both
    (``PolicyBook.party``); any other party's name is compared as the owner's legal names are
    (``normalise_legal_name``: case, spaces, punctuation and company forms made one), since two records of
    one chain may spell one endorsee differently; a name with no words matches none."""
    if recipient is None:
        return False
    if owner in (endorsee, recipient):
        return endorsee == recipient
    wanted = normalise_legal_name(endorsee)
    return bool(wanted) and wanted == normalise_legal_name(recipient)


def _lot_events(row, book: PolicyBook, chains: dict[str, list[dict]]) -> list[TitleEvent]:
    owner = row.owner_id
    policy = book.lookup(owner, None, _s(row.c_country))
    shipper = _s(row.d_shipper) or "SUPPLIER"
    doc = _s(row.d_doc_number)
    to_order = _is_true(row.d_is_to_order) and _s(row.d_doc_type) in ("BOL", None)
    incoterm = _s(row.d_incoterm)
    mode = "AIR" if _s(row.d_mode) == "AIR" else "OCEAN"
    carrier = f"CARRIER ({_s(row.d_master_doc_number) or doc})"
    subject = _Subject(owner, "LOT", row.left_key, None, int(row.qty), title_holder=shipper, risk_bearer=shipper,
                       document_holder=shipper, custodian=carrier, location_state=f"IN_TRANSIT_{mode}")
    steps: list[tuple[datetime, int, str, dict]] = []

    def add(at, kind, **kw):
        if at is not None:
            steps.append((at, _RANK[kind], kind, kw))

    on_board = _t(row.d_shipped_on_board_at)
    add(on_board, "SHIPPED_ON_BOARD")
    chain = chains.get(doc or "", [])
    for link in chain:
        add(link["action_at"], _ENDORSEMENT_KIND.get(link["action_code"], "ENDORSED"), link=link)
    arrival = _t(row.c_arrival_date)
    add(arrival or _t(row.d_eta), "ARRIVED", inferred=arrival is None)
    if _s(row.d_release_type) == "TELEX_RELEASE" and not chain:
        add(arrival or _t(row.d_eta), "TELEX_RELEASED")
    # a declaration lodged before arrival (pre-arrival processing) puts nothing under customs control
    # until the goods arrive
    lodged, landed = _t(row.c_submitted_at), arrival or _t(row.d_eta)
    add(max(lodged, landed) if lodged and landed else lodged, "CUSTOMS_LODGED")
    add(_t(row.c_released_at), "CUSTOMS_RELEASED")
    add(_t(row.arrived_at), "ARRIVED_AT_WAREHOUSE")
    add(_t(row.received_at), "RECEIVED_AT_WAREHOUSE")
    straight = book.lookup(owner).straight_trigger(incoterm) if not to_order else None
    risk_point = policy.risk_point(incoterm, policy.default_incoterm)
    pending_endorsee: str | None = None
    wh = _s(row.warehouse_code)
    for at, _rank, kind, kw in sorted(steps, key=lambda s: (s[0], s[1])):
        if kind == "SHIPPED_ON_BOARD":
            changes = {}
            note = [f"{incoterm or policy.default_incoterm}: risk passes "
                    + ("on board / to the first carrier" if risk_point == "ON_SHIPMENT" else "later")]
            if risk_point == "ON_SHIPMENT":
                changes["risk_bearer"] = owner
            if to_order:
                note.append("to-order bill: title moves only by endorsement and transfer")
                basis = "INCOTERM"
            elif straight == "ON_SHIPMENT":
                changes["title_holder"] = owner
                note.append(f"{_s(row.d_doc_type) or 'document'} is no document of title: title follows the "
                            "contract's delivery point (policy default)")
                basis = "POLICY_DEFAULT"
            else:
                basis = "INCOTERM"
            subject.emit(kind, at, basis, "; ".join(note), f"document {doc} on board {at.date()}", "DERIVED",
                         phase="TRANSIT", **changes)
        elif kind in ("BL_ISSUED", "ENDORSED", "TRANSFERRED", "SURRENDER_REQUESTED", "SURRENDERED"):
            link = kw["link"]
            recipient = book.party(owner, link["recipient"])
            actor = book.party(owner, link["actor"])
            evidence = f"endorsement chain {link['reference'] or ''} ({link['action_code']})".strip()
            if kind == "BL_ISSUED":
                subject.emit(kind, at, "BL_ENDORSEMENT", "carrier issued the bill to the first holder", evidence,
                             "ASSERTED", document_holder=recipient)
            elif kind == "ENDORSED":
                pending_endorsee = recipient or "BLANK"
                subject.emit(kind, at, "BL_ENDORSEMENT", f"endorsed to {pending_endorsee}; title passes with "
                             "possession", evidence, "ASSERTED")
            elif kind == "TRANSFERRED":
                changes = {"document_holder": recipient}
                if pending_endorsee == "BLANK" or _same_party(pending_endorsee, recipient, owner):
                    changes["title_holder"] = recipient
                subject.emit(kind, at, "BL_ENDORSEMENT", "possession of the endorsed bill transferred", evidence,
                             "ASSERTED", **changes)
            elif kind == "SURRENDER_REQUESTED":
                subject.emit(kind, at, "BL_ENDORSEMENT", f"{actor} surrendered the bill for delivery", evidence,
                             "ASSERTED")
            else:
                subject.emit(kind, at, "BL_ENDORSEMENT", "carrier confirmed surrender: document-of-title "
                             "function ends", evidence, "ASSERTED", phase="RELEASED",
                             document_holder=actor or carrier)
        elif kind == "ARRIVED":
            changes = {"location_state": "AT_DESTINATION", "custodian": "DESTINATION TERMINAL"}
            if risk_point == "ON_ARRIVAL":
                changes["risk_bearer"] = owner
            if straight == "ON_ARRIVAL":
                changes["title_holder"] = owner
            subject.emit(kind, at, "INCOTERM" if changes.keys() - {"location_state", "custodian"} else "CONTRACT",
                         "goods at the port / airport of discharge",
                         "declared arrival date" if not kw["inferred"] else f"document {doc} ETA",
                         "INFERRED" if kw["inferred"] else "DERIVED", phase="DESTINATION", **changes)
        elif kind == "TELEX_RELEASED":
            consignee = book.party(owner, _s(row.d_consignee))
            subject.emit(kind, at, "CONTRACT", "telex release: originals surrendered at origin, the carrier "
                         "releases to the named consignee; documentary control has left the shipper",
                         f"document {doc} release_type=TELEX_RELEASE", "INFERRED", phase="RELEASED",
                         document_holder=consignee)
        elif kind == "CUSTOMS_LODGED":
            subject.emit(kind, at, "STATUTE", "customs restricts custody, never title",
                         f"declaration {_s(row.c_declaration_no)}", "DERIVED", phase="CUSTOMS",
                         location_state="UNDER_CUSTOMS_CONTROL")
        elif kind == "CUSTOMS_RELEASED":
            subject.emit(kind, at, "STATUTE", "released by customs (custody, not title)",
                         f"declaration {_s(row.c_declaration_no)}", "DERIVED", phase="CLEARED",
                         location_state="CLEARED")
        else:
            if subject.state["title_holder"] != owner and (doc is None or (to_order and not chain)):
                _infer_title(subject, at, owner, incoterm or policy.default_incoterm, doc)
            changes = {"custodian": wh, "location_state": "IN_RECEIVING" if kind == "ARRIVED_AT_WAREHOUSE"
                       else "AVAILABLE"}
            if kind == "RECEIVED_AT_WAREHOUSE" and straight == "ON_RECEIPT":
                changes["title_holder"] = owner
            if kind == "RECEIVED_AT_WAREHOUSE" and risk_point == "ON_RECEIPT":
                changes["risk_bearer"] = owner
            subject.emit(kind, at, "CONTRACT", "3PL holds the goods as bailee for the owner",
                         f"ASN {_s(row.asn_no)}", "DERIVED", phase="WAREHOUSE", **changes)
    return subject.out


def _infer_title(subject: _Subject, at: datetime, owner: str, incoterm: str, doc: str | None) -> None:
    """Goods reached the owner's warehouse while the ledger still shows the shipper as title holder.

    With no transport document linked, the contract's delivery point (the Incoterm's, by policy) lay
    before the goods reached the owner's 3PL; a to-order bill with no endorsement record was endorsed to
    whoever took delivery (the carrier releases only against the endorsed original). Title, and risk,
    are the owner's from here; the event says it was inferred."""
    if doc is None:
        basis, note = "POLICY_DEFAULT", (f"no transport document linked: the {incoterm} delivery point lies before "
                                         "the goods reached the owner's warehouse")
        evidence = "goods received under the owner's 3PL account"
    else:
        basis, note = "BL_ENDORSEMENT", ("to-order bill with no endorsement record: delivery was taken against the "
                                         "endorsed original, so the owner held it")
        evidence = f"document {doc} delivered to the owner's warehouse"
    subject.emit("TITLE_PASSED", at, basis, note, evidence, "INFERRED", title_holder=owner, risk_bearer=owner)


_ALLOCATED_NOTE = "stock reserved for a marketplace order (still the seller's)"
_DELIVERED_NOTE = "delivered: title and risk pass to the consumer (policy default: on delivery)"
_RETURNED_NOTE = {True: "returned after delivery: title back to the seller; re-inspect before restock",
                  False: "failed delivery returned: title never left the seller; re-inspect before restock"}
_WRITTEN_OFF_NOTE = ("{} returned unit(s) disposed of by the marketplace's warehouse (return disposition SCRAP): the "
                     "owner writes them off and title ends; effective at the return's update that reports it")


def _allocations_events(frame: pd.DataFrame, book: PolicyBook) -> list[TitleEvent]:
    """The events of every allocation (``allocation_inputs`` rows), row after row, each row's in the order
    ``ALLOCATED``, ``DISPATCHED``, ``DELIVERED``, ``RETURN_RECEIVED``, then its write-off's ``WRITTEN_OFF``.

    Built from the frame's columns, each converted once; every event states the whole state after it, and
    an allocation's state is fixed by the event's kind and the consumer policy (nothing is carried from
    event to event but the owner as title holder and risk bearer until delivery)::

        ALLOCATED        owner / owner / custodian the warehouse / ALLOCATED
        DISPATCHED       consumer title and risk per policy (``DISPATCH``), else the owner's; the carrier
        DELIVERED        consumer / consumer / consumer / DELIVERED
        RETURN_RECEIVED  owner / owner / the warehouse / RETURNED_PENDING_QC
    """
    if frame.empty:
        return []
    column = partial(_column, frame)
    text = partial(_text_column, frame)
    when = partial(_time_column, frame)
    out: list[TitleEvent] = []
    add = out.append
    event = _event  # local: read once per call, not per event
    lookup_policy = book.lookup
    for (owner, left, right, qty, platform, shop, order_id, country, wh, outbound_no, tracking, carrier, created,
         shipped, delivered, returned, off, off_at) in zip(
            column("owner_id"), column("left_key"), column("right_key"), column("qty"), text("platform"),
            text("shop_id"), text("order_id"), text("country"), text("warehouse_code"), text("wms_outbound_no"),
            text("tracking_number"), text("carrier_code"), when("created_at"), when("shipped_at"),
            when("delivered_at"), when("returned_at"), column("written_off", 0), when("written_off_at", None)):
        policy = lookup_policy(owner, platform, country)
        key = f"{left}>{right}"
        qty = int(qty)
        order = f"order {platform or ''}|{shop or ''}|{order_id or ''}"
        outbound = f"{order} outbound {outbound_no}"
        if created or shipped:
            add(event((owner, "ALLOCATION", key, right, qty, "ALLOCATED", created or shipped, owner, owner, None, wh,
                       ev.ALLOCATED, "ALLOCATED", "CONTRACT", _ALLOCATED_NOTE, outbound, "DERIVED")))
        if shipped:
            to_consumer = policy.consumer_title_on == "DISPATCH"
            add(event((owner, "ALLOCATION", key, right, qty, "DISPATCHED", shipped,
                       "CONSUMER" if to_consumer else owner,
                       "CONSUMER" if policy.consumer_risk_on == "DISPATCH" else owner, None,
                       f"CARRIER {carrier or ''}".strip(), ev.CONSUMER_OWNED if to_consumer else ev.IN_LAST_MILE,
                       "IN_LAST_MILE", "PLATFORM_TC" if to_consumer else "POLICY_DEFAULT",
                       "handed to the last-mile carrier" + ("; title passes on dispatch (policy)" if to_consumer
                                                            else "; title stays with the seller until delivery"),
                       f"{outbound} tracking {tracking or '-'}", "DERIVED")))
        if delivered:
            add(event((owner, "ALLOCATION", key, right, qty, "DELIVERED", delivered, "CONSUMER", "CONSUMER", None,
                       "CONSUMER", ev.CONSUMER_OWNED, "DELIVERED", "POLICY_DEFAULT", _DELIVERED_NOTE,
                       f"{outbound} delivered", "DERIVED")))
        if returned:
            add(event((owner, "ALLOCATION", key, right, qty, "RETURN_RECEIVED", returned, owner, owner, None, wh,
                       ev.OWNED_IN_WAREHOUSE, "RETURNED_PENDING_QC", "CONTRACT", _RETURNED_NOTE[bool(delivered)],
                       f"{outbound} returned", "DERIVED")))
        off = int(off or 0)
        if off > 0 and off_at is not None:
            add(event((owner, "WRITE_OFF", write_off_key(key), key, off, "WRITTEN_OFF", off_at, owner, owner, None,
                       "NONE (disposed of)", ev.WRITTEN_OFF, ev.DISPOSED, "PLATFORM_TC", _WRITTEN_OFF_NOTE.format(off),
                       f"{order} return disposition SCRAP", "DERIVED")))
    return out


def write_off_key(allocation_key: str) -> str:
    """The subject key of an allocation's write-off (its parent is the allocation)."""
    return f"{allocation_key}>WRITTEN_OFF"


def _transit_events(frame: pd.DataFrame) -> list[TitleEvent]:
    """Lots a stock snapshot reports in transit (no receipt yet): one ASSERTED event each, as reported."""
    out = []
    ordered = frame.sort_values(["owner_id", "lot_id", "as_of"], kind="mergesort")
    for row in ordered.itertuples(index=False):
        at = _t(row.as_of)
        if at is None or _s(row.lot_id) is None:
            continue
        out.append(TitleEvent(
            owner_id=row.owner_id, subject_kind="LOT", subject_key=f"{row.owner_id}||{row.lot_id}", parent_key=None,
            qty=int(row.qty), kind="REPORTED_IN_TRANSIT", effective_at=at,
            title_holder=_s(row.title_holder) or "UNKNOWN", risk_bearer=_s(row.risk_bearer) or "UNKNOWN",
            document_holder=None, custodian=_s(row.custodian) or "UNKNOWN",
            title_state=_s(row.title_state) or "UNKNOWN", location_state=_s(row.location_state) or "UNKNOWN",
            basis="CONTRACT", basis_note="as the stock snapshot reports it (goods not received yet)",
            evidence=f"stock snapshot {at.isoformat()} lot {row.lot_id} document {_s(row.source_doc_no) or '-'}",
            confidence="ASSERTED"))
    return out


def endorsement_chains(endorsements: pd.DataFrame | None) -> dict[str, list[dict]]:
    """Document number (normalised) -> its endorsement records in time order.

    ``endorsements``: owner_id, doc_number, seq, action_code, actor, recipient, action_at, reference."""
    chains: dict[str, list[dict]] = {}
    if endorsements is None or endorsements.empty:
        return chains
    from platform_adapters.canonical.identifiers import normalize_document_number
    frame = endorsements.copy()
    frame["action_at"] = pd.to_datetime(frame["action_at"], utc=True)
    frame = frame.sort_values(["doc_number", "action_at", "seq"], kind="mergesort")
    for record in frame.to_dict("records"):
        record["action_at"] = _t(record["action_at"])
        record = {k: (_s(v) if k not in ("action_at", "seq") else v) for k, v in record.items()}
        chains.setdefault(normalize_document_number(record["doc_number"]), []).append(record)
    return chains


def shipment_countries(p: Prepared, links: pd.DataFrame) -> pd.Series:
    """Outbound line key -> the buyer country of the order line its first ``order_shipment`` link names."""
    os_ = links[links["step"] == "order_shipment"].drop_duplicates("right_key")
    if os_.empty:
        return pd.Series(dtype="string")
    return os_.set_index("right_key")["left_key"].map(p.orders.drop_duplicates("key").set_index("key")["country"])


def allocation_inputs(p: Prepared, links: pd.DataFrame, countries: pd.Series | None = None) -> pd.DataFrame:
    """One row per ``shipment_lot`` link with the outbound line's facts and the buyer country
    (``countries``: outbound line key -> country, default ``shipment_countries(p, links)``)."""
    alloc = links[links["step"] == "shipment_lot"].sort_values(["left_key", "right_key"])
    if alloc.empty:
        return alloc
    country = shipment_countries(p, links) if countries is None else countries
    ship = p.shipments.set_index("key")
    frame = alloc.assign(country=alloc["left_key"].map(country))
    for column, values in lookup_columns(frame["left_key"], ship, (
            "platform", "shop_id", "order_id", "warehouse_code", "wms_outbound_no", "tracking_number", "created_at",
            "shipped_at", "delivered_at", "returned_at")).items():
        frame[column] = values
    frame["carrier_code"] = frame["left_key"].map(ship["carrier_code"]) if "carrier_code" in ship else pd.NA
    frame["written_off"], frame["written_off_at"] = _write_offs(p, links, frame)
    return frame


def _write_offs(p: Prepared, links: pd.DataFrame, alloc: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Per allocation (``alloc``: ``shipment_lot`` links): the returned units the marketplace's warehouse
    disposed of, and when the latest return reporting it was updated (``written_off_at`` of the order lines
    linked to the shipment line)."""
    never = pd.Series(pd.NaT, index=alloc.index, dtype="datetime64[ns, UTC]")
    if "written_off_qty" not in p.orders or "written_off_at" not in p.orders:
        return pd.Series(0, index=alloc.index, dtype="int64"), never
    _back, off = _marketplace_returns(p, links, alloc)
    known = p.orders[p.orders["written_off_at"].notna()].drop_duplicates("key").set_index("key")["written_off_at"]
    os_ = links[(links["step"] == "order_shipment") & links["left_key"].isin(known.index)]
    if os_.empty:
        return off, never
    at = pd.DataFrame({"right_key": os_["right_key"].to_numpy(), "at": lookup(os_["left_key"], known).to_numpy()})
    latest = at.groupby("right_key")["at"].max()
    return off, lookup(alloc["left_key"], latest).where(off > 0)


_LOT_HASHED = ["left_key", "owner_id", "receipt", "qty", "document", "customs", "warehouse_code", "arrived_at",
               "received_at", "asn_no", "line_received"]
_ALLOCATION_HASHED = ["owner_id", "left_key", "right_key", "qty", "country", "platform", "shop_id", "order_id",
                      "warehouse_code", "wms_outbound_no", "tracking_number", "created_at", "shipped_at",
                      "delivered_at", "returned_at", "carrier_code", "written_off", "written_off_at"]


def input_hashes(lots: pd.DataFrame, allocations: pd.DataFrame, chains: dict[str, list[dict]],
                 salt: str = "") -> pd.DataFrame:
    """(subject_key, input_hash) of every lot and allocation: a subject whose hash is unchanged derives the
    same events (``salt``: the policy book's signature)."""
    out = []
    mix = int.from_bytes(hashlib.sha256(salt.encode()).digest()[:8], "little")
    if not lots.empty:
        columns = _LOT_HASHED + [c for c in lots.columns if c.startswith(("d_", "c_"))]
        chain_hash = {doc: hashlib.sha256(repr(chain).encode()).hexdigest()[:16] for doc, chain in chains.items()}
        frame = lots[columns].assign(chain=lots["d_doc_number"].map(chain_hash))
        out.append(pd.DataFrame({"subject_key": lots["left_key"].to_numpy(), "h": _row_hash(frame, mix)}))
    if not allocations.empty:
        frame = allocations[[c for c in _ALLOCATION_HASHED if c in allocations.columns]]
        out.append(pd.DataFrame({"subject_key": (allocations["left_key"] + ">" + allocations["right_key"]).to_numpy(),
                                 "h": _row_hash(frame, mix)}))
    if not out:
        return pd.DataFrame({"subject_key": pd.Series(dtype=object), "input_hash": pd.Series(dtype=object)})
    both = pd.concat(out, ignore_index=True)
    return pd.DataFrame({"subject_key": both["subject_key"], "input_hash": [f"{h:016x}" for h in both["h"]]})


def _row_hash(frame: pd.DataFrame, mix: int) -> pd.Series:
    text = pd.DataFrame({name: _text(frame[name]) for name in frame.columns}, index=frame.index)
    hashed = pd.util.hash_pandas_object(text, index=False).to_numpy("uint64")
    return pd.Series(hashed ^ np.uint64(mix))


#: a UTC timestamp's text as pandas writes it, by the finest non-zero part of a second in its column: (unit the
#: column is cast to before Arrow writes it, the divisor of the column's ticks that must leave no remainder)
_PRECISIONS = {"s": 10**9, "ms": 10**6, "us": 10**3}
_TICKS = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}


def _text(column: pd.Series) -> pd.Series:
    """``column.astype("string")``. A UTC timestamp column's text is written by Arrow (pandas formats it value by
    value: at 1M order lines most of the input hashes' time): ``2026-01-02 03:04:05+00:00``, with the fraction of
    a second to the finest non-zero millisecond, microsecond or nanosecond in the column, as pandas writes it."""
    dtype = column.dtype
    if not (isinstance(dtype, pd.DatetimeTZDtype) and str(dtype.tz) == "UTC" and dtype.unit in _TICKS):
        return column.astype("string")
    ticks = column.array._ndarray.view("int64")[column.notna().to_numpy()]
    per_second = _TICKS[dtype.unit]
    unit = next((u for u, ns in _PRECISIONS.items() if _TICKS[u] <= per_second
                 and not (ticks % (per_second // _TICKS[u])).any()), dtype.unit)
    # (the ticks as a time without zone: Arrow writes a zoned one through the time-zone database, value by value)
    stamps = pa.array(column.array, type=pa.timestamp(dtype.unit, tz="UTC")).cast(pa.timestamp(unit))
    written = pc.binary_join_element_wise(stamps.cast(pa.string()), "+00:00", "")
    return pd.Series(pd.array(written, dtype="string"), index=column.index)


def subject_events(lots: pd.DataFrame, allocations: pd.DataFrame, book: PolicyBook | None = None,
                   chains: dict[str, list[dict]] | None = None) -> list[TitleEvent]:
    """The events of the lots (``lot_inputs`` rows) then of the allocations (``allocation_inputs`` rows)."""
    book = book or PolicyBook()
    chains = chains or {}
    out: list[TitleEvent] = []
    for row in _records(lots):
        out.extend(_lot_events(row, book, chains))
    out.extend(_allocations_events(allocations, book))
    return out


def _records(frame: pd.DataFrame) -> Iterator[tuple]:
    """The rows of ``frame`` as ``itertuples(index=False)`` gives them, each column converted in one step
    (``_column``, not value by value)."""
    if frame.empty:
        return iter(())
    row = namedtuple("Pandas", frame.columns, rename=True)
    return map(row._make, zip(*(_column(frame, name) for name in frame.columns)))


_REQUIRED = object()


def _column(frame: pd.DataFrame, name: str, default=_REQUIRED) -> list:
    """The values of ``frame[name]`` in one step: a timestamp column's as ``datetime`` (``NaT`` where missing;
    ``_t`` reads both as a Timestamp), any other column's as the Python objects iterating it yields
    (``default``, when given, for every row of a frame without that column)."""
    if name not in frame.columns and default is not _REQUIRED:
        return [default] * len(frame)
    column = frame[name]
    if isinstance(column.dtype, pd.DatetimeTZDtype) or column.dtype.kind == "M":
        return column.dt.to_pydatetime().tolist()
    return column.to_numpy(dtype=object).tolist()


def _text_column(frame: pd.DataFrame, name: str) -> list:
    """``_s`` of every value of ``frame[name]`` (a ``str`` is its own)."""
    return [v if type(v) is str else _s(v) for v in _column(frame, name)]


def _time_column(frame: pd.DataFrame, name: str, default=_REQUIRED) -> list:
    """``_t`` of every value of ``frame[name]`` (``default`` as ``_column`` takes it)."""
    return [_t(v) for v in _column(frame, name, default)]


def transit_events(transit_lots: pd.DataFrame | None) -> list[TitleEvent]:
    """ASSERTED events of the lots a stock snapshot reports in transit (owner_id, lot_id, qty, as_of,
    title_holder, risk_bearer, custodian, title_state, location_state, source_doc_no)."""
    return [] if transit_lots is None or transit_lots.empty else _transit_events(transit_lots)


def ledger_rows(events: list[TitleEvent]) -> list[tuple]:
    """Ledger rows (``LEDGER_COLUMNS`` then ``seq``, the event's place among its subject's events)."""
    seen: dict[str, int] = {}
    seen_get, id_of = seen.get, ev.event_id
    rows = []
    add = rows.append
    for event in events:
        key = event[2]  # subject_key
        seq = seen[key] = seen_get(key, 0) + 1
        add((id_of(event), *event, seq))
    return rows


def derive_title_events(p: Prepared, links: pd.DataFrame, book: PolicyBook | None = None,
                        endorsements: pd.DataFrame | None = None,
                        transit_lots: pd.DataFrame | None = None) -> pd.DataFrame:
    """The title ledger (``LEDGER_COLUMNS`` plus ``seq``) for every lot and allocation in ``links``.

    ``endorsements``: as ``endorsement_chains`` takes them; ``transit_lots``: as ``transit_events`` takes them.
    """
    events = transit_events(transit_lots)
    events += subject_events(lot_inputs(p, links), allocation_inputs(p, links), book, endorsement_chains(endorsements))
    return pd.DataFrame.from_records(ledger_rows(events), columns=[*LEDGER_COLUMNS, "seq"]).astype({"seq": "int64"})
