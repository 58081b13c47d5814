"""DCSA Track & Trace events JSON (v3 ``metadata``/``payload`` split, or v2 flat) → ``TransportEvent``.

Accepted shapes: a list of events, ``{"events": [...]}`` (the sample layout), or one event. Each
event maps on its own; a bad one is reported with its index and the rest go on. ``milestone_key``
names what an event is about (type, code, equipment, place, call, document), so the store can keep an
ACT and let a later EST replace an earlier EST of the same milestone.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

from platform_adapters.canonical.common import MappingResult, Problem, Severity
from platform_adapters.canonical.identifiers import (
    is_valid_container_number,
    is_valid_unlocode,
    normalize_container_number,
    normalize_document_number,
    normalize_unlocode,
)
from platform_adapters.canonical.logistics import DocumentRef, TransportEvent
from platform_adapters.logistics.dcsa_common import dig, parse_instant, text

KIND = "dcsa-events"
CLASSIFIERS = {"ACT", "EST", "PLN", "REQ"}
_CODE_FIELDS = {"TRANSPORT": "transportEventTypeCode", "EQUIPMENT": "equipmentEventTypeCode",
                "SHIPMENT": "shipmentEventTypeCode"}


def split_events(payload: Any) -> list[tuple[str, Any]]:
    if isinstance(payload, dict) and isinstance(payload.get("events"), list):
        return [(f"events[{i}]", e) for i, e in enumerate(payload["events"])]
    if isinstance(payload, list):
        return [(f"[{i}]", e) for i, e in enumerate(payload)]
    return [("$", payload)]


def milestone_key(event: TransportEvent, transport_call: str | None) -> str:
    refs = ",".join(sorted(f"{r.kind}:{r.value}" for r in event.document_refs if r.kind in ("TRD", "BKG")))
    return "|".join([event.event_type, event.code, event.equipment_no or "", event.location or "",
                     transport_call or "", refs if event.event_type == "SHIPMENT" else ""])


def map_event(raw: Any, owner_id: str | None, location: str) -> tuple[MappingResult[TransportEvent], str | None]:
    """The event and its transport call reference (part of the milestone key)."""
    problems: list[Problem] = []

    def problem(code: str, message: str, field: str, value: Any, severity: Severity = Severity.ERROR) -> None:
        problems.append(Problem(code, message, severity, field, None if value is None else str(value), location))

    if not isinstance(raw, dict):
        problem("not_an_object", "an event must be a JSON object", "$", type(raw).__name__)
        return MappingResult(None, tuple(problems)), None
    payload = raw.get("payload") if isinstance(raw.get("payload"), dict) else raw
    metadata = raw.get("metadata") if isinstance(raw.get("metadata"), dict) else raw
    event_type = (text(payload.get("eventType")) or text(metadata.get("eventType")) or "").upper()
    classifier = (text(payload.get("eventClassifierCode")) or "").upper()
    code = text(payload.get(_CODE_FIELDS.get(event_type, ""), None)) if event_type in _CODE_FIELDS else None
    if event_type not in _CODE_FIELDS:
        problem("bad_event_type", "eventType must be SHIPMENT, TRANSPORT or EQUIPMENT", "eventType", event_type or None)
    elif not code:
        problem("missing_value", f"{_CODE_FIELDS[event_type]} is required", _CODE_FIELDS[event_type], None)
    if classifier not in CLASSIFIERS:
        problem("bad_classifier", "eventClassifierCode must be ACT, EST, PLN or REQ", "eventClassifierCode",
                classifier or None)
    elif event_type == "SHIPMENT" and classifier != "ACT":
        problem("shipment_not_act", "SHIPMENT events must be ACT (DCSA rule)", "eventClassifierCode", classifier,
                Severity.WARNING)
    try:
        event_at = parse_instant(payload.get("eventDateTime"))
    except ValueError as exc:
        problem("bad_datetime", str(exc), "eventDateTime", payload.get("eventDateTime"))
        event_at = None
    created_at = None
    if metadata.get("eventCreatedDateTime") is not None:
        try:
            created_at = parse_instant(metadata.get("eventCreatedDateTime"))
        except ValueError as exc:
            problem("bad_datetime", str(exc), "eventCreatedDateTime", metadata.get("eventCreatedDateTime"))
    unloc = text(dig(payload, "transportCall", "location", "UNLocationCode")) or text(
        dig(payload, "eventLocation", "UNLocationCode"))
    if unloc and not is_valid_unlocode(unloc):
        problem("unlocode_pattern", "not a UN/LOCODE; kept as written", "UNLocationCode", unloc, Severity.WARNING)
    elif unloc:
        unloc = normalize_unlocode(unloc)
    equipment = normalize_container_number(text(payload.get("equipmentReference"))) or None
    if equipment and not is_valid_container_number(equipment):
        problem("container_check_digit", "not a valid ISO 6346 container number; kept and flagged",
                "equipmentReference", equipment, Severity.WARNING)
    refs: list[DocumentRef] = []
    document_ref = text(payload.get("documentReference")) or text(payload.get("documentID"))
    if document_ref:
        refs.append(DocumentRef(text(payload.get("documentTypeCode")) or "TRD", normalize_document_number(document_ref)))
    for ref in payload.get("relatedDocumentReferences") or payload.get("references") or []:
        kind, value = text(dig(ref, "type")) or text(dig(ref, "referenceType")), text(dig(ref, "value")) or text(
            dig(ref, "referenceValue"))
        if kind and value:
            refs.append(DocumentRef(kind, normalize_document_number(value)))
    if any(p.severity is Severity.ERROR for p in problems):
        return MappingResult(None, tuple(problems)), None
    event_id = text(metadata.get("eventID")) or text(payload.get("eventID"))
    if not event_id:
        # No source id: a stable id from the content, so a re-sent event is recognised.
        event_id = "sha256:" + hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()[:32]
    vessel = dig(payload, "transportCall", "vessel")
    publisher_raw = metadata.get("publisher")
    publisher = text(dig(publisher_raw, "partyName")) if isinstance(publisher_raw, dict) else text(publisher_raw)
    event = TransportEvent(
        event_id=event_id, event_type=event_type, classifier=classifier, code=code.upper(), event_at=event_at,
        owner_id=owner_id, location=unloc, facility_code=text(payload.get("facilityTypeCode")),
        equipment_no=equipment, empty_indicator=text(payload.get("emptyIndicatorCode")),
        vessel_or_flight=text(dig(vessel, "vesselName")),
        voyage=text(dig(payload, "transportCall", "exportVoyageNumber")) or text(
            dig(payload, "transportCall", "carrierExportVoyageNumber")),
        document_refs=tuple(refs), publisher=publisher,
        created_at=created_at,
    )
    return MappingResult(event, tuple(problems)), text(dig(payload, "transportCall", "transportCallReference"))
