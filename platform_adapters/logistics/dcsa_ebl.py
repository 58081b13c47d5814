"""DCSA eBL v3 ``TransportDocument`` JSON (+ optional END-API endorsement chain) → ``TransportDocument``.

Accepted shapes: a TransportDocument object; ``{"transportDocument": {...}, "endorsementChain": {...}}``
(the sample layout); or a list of either. Consignment items become goods lines per cargo item
(container); utilized equipment becomes containers with seals; PO references (``SPO``/``CPO`` and
the parties' ``purchaseOrderReferences``) and bookings become references. Problems are returned,
never raised.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from platform_adapters.canonical.common import MappingResult, Problem, Severity
from platform_adapters.canonical.identifiers import (
    clean_text,
    is_valid_container_number,
    is_valid_unlocode,
    normalize_container_number,
    normalize_document_number,
    normalize_unlocode,
)
from platform_adapters.canonical.logistics import (
    Container,
    DocumentRef,
    Endorsement,
    TransportDocument,
    TransportDocumentLine,
)
from platform_adapters.logistics.dcsa_common import dig, parse_instant, parse_local_date, text

KIND = "dcsa-ebl"
_PO_TYPES = {"SPO", "CPO"}
#: what an eBL states whatever it holds: its number and type (the mode, level and release follow from them and
#: ``isElectronic``/``isToOrder``, which DCSA requires), its owner and source
ALWAYS_STATED = frozenset({"owner_id", "doc_number", "doc_type", "mode", "doc_level", "is_to_order", "is_electronic",
                           "release_type", "source"})
#: what an eBL states (``TransportDocument.stated``) when the document holds the member at one of these paths: a
#: member sent empty (null) clears the field, one left out states nothing (a report's place of delivery stays); it
#: never states a master number, an incoterm or a source time, and states endorsements only with an
#: ``endorsementChain`` object
STATED_AT = {
    "carrier_code": (("carrierCode",),), "status": (("transportDocumentStatus",),),
    "freight_term": (("freightPaymentTermCode",),), "issue_date": (("issueDate",),),
    "shipped_on_board_date": (("shippedOnBoardDate",),),
    "shipper": (("documentParties", "shipper"),), "consignee": (("documentParties", "consignee"),),
    "notify_party": (("documentParties", "notifyParties"),),
    "place_of_receipt": (("transports", "placeOfReceipt"),), "port_of_loading": (("transports", "portOfLoading"),),
    "port_of_discharge": (("transports", "portOfDischarge"),),
    "place_of_delivery": (("transports", "placeOfDelivery"),),
    "vessel_or_flight": (("transports", "vesselVoyages"),), "voyage": (("transports", "vesselVoyages"),),
    "etd": (("transports", "plannedDepartureDate"),), "eta": (("transports", "plannedArrivalDate"),),
    "booking_ref": (("consignmentItems",),), "lines": (("consignmentItems",),),
    "containers": (("utilizedTransportEquipments",),),
    "references": (("consignmentItems",), ("documentParties", "shipper"), ("documentParties", "consignee")),
}


def split_documents(payload: Any) -> list[tuple[str, dict, dict | None]]:
    """(location, transportDocument, endorsementChain object or None) for every document in ``payload``."""
    items = payload if isinstance(payload, list) else [payload]
    found = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        location = f"[{index}]" if isinstance(payload, list) else "$"
        if isinstance(item.get("transportDocument"), dict):
            found.append((f"{location}.transportDocument", item["transportDocument"], item.get("endorsementChain")))
        elif "transportDocumentReference" in item:
            found.append((location, item, None))
    return found


def _holds(doc: Any, path: tuple[str, ...]) -> bool:
    """Whether ``doc`` has the member at ``path`` (its value may be null)."""
    for name in path:
        if not isinstance(doc, dict) or name not in doc:
            return False
        doc = doc[name]
    return True


def stated_fields(doc: dict, chain: Any) -> frozenset[str]:
    """What the eBL ``doc`` (with its endorsement ``chain`` object, or None) states (``STATED_AT``); a to-order
    bill states its consignee (``TO ORDER``) though it names none."""
    found = {name for name, paths in STATED_AT.items() if any(_holds(doc, path) for path in paths)}
    if doc.get("isToOrder") is True:
        found.add("consignee")
    if chain is not None:
        found.add("endorsements")
    return ALWAYS_STATED | found


def _party_name(party: Any) -> str | None:
    return clean_text(text(dig(party, "partyName"))) or None


def _weight_kg(weight: Any, problems: list[Problem], where: str) -> Decimal | None:
    value, unit = dig(weight, "value"), text(dig(weight, "unit")) or "KGM"
    if value is None:
        return None
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        problems.append(Problem("bad_weight", "weight is not a number", field=where, value=str(value)))
        return None
    if unit == "LBR":
        return (amount * Decimal("0.45359237")).quantize(Decimal("0.001"))
    return amount


def map_transport_document(doc: dict, chain: Any, owner_id: str, location: str = "$") -> MappingResult[TransportDocument]:
    problems: list[Problem] = []

    def flag(code: str, message: str, field: str, value: Any, severity: Severity = Severity.WARNING) -> None:
        problems.append(Problem(code, message, severity, field, None if value is None else str(value), location))

    number = normalize_document_number(text(doc.get("transportDocumentReference")))
    if not number:
        flag("missing_value", "transportDocumentReference is required", "transportDocumentReference", None,
             Severity.ERROR)
        return MappingResult(None, tuple(problems))
    transports = doc.get("transports") if isinstance(doc.get("transports"), dict) else {}

    def port(name: str) -> str | None:
        code = text(dig(transports, name, "UNLocationCode"))
        if code is None:
            return clean_text(text(dig(transports, name, "locationName"))) or None
        if not is_valid_unlocode(code):
            flag("unlocode_pattern", "not a UN/LOCODE; kept as written", f"transports.{name}", code)
            return code
        return normalize_unlocode(code)

    containers: dict[str, Container] = {}
    for i, ute in enumerate(doc.get("utilizedTransportEquipments") or []):
        ref = normalize_container_number(text(dig(ute, "equipment", "equipmentReference")))
        if not ref:
            continue
        valid = is_valid_container_number(ref)
        if not valid:
            flag("container_check_digit", "not a valid ISO 6346 container number; kept and flagged",
                 f"utilizedTransportEquipments[{i}].equipment.equipmentReference", ref)
        seals = tuple(normalize_document_number(text(dig(s, "number"))) for s in (dig(ute, "seals") or [])
                      if text(dig(s, "number")))
        containers[ref] = Container(ref, text(dig(ute, "equipment", "ISOEquipmentCode")), seals, valid)

    refs: dict[tuple[str, str], DocumentRef] = {}
    lines: list[TransportDocumentLine] = []
    for i, item in enumerate(doc.get("consignmentItems") or []):
        booking = normalize_document_number(text(dig(item, "carrierBookingReference")))
        if booking:
            refs.setdefault(("BKG", booking), DocumentRef("BKG", booking))
        pos = []
        for ref in dig(item, "references") or []:
            if text(dig(ref, "type")) in _PO_TYPES:
                pos.extend(clean_text(text(v)).upper() for v in (dig(ref, "values") or []) if text(v))
        for po in pos:
            refs.setdefault(("PO", po), DocumentRef("PO", po))
        description = " ".join(clean_text(text(d)) for d in (dig(item, "descriptionOfGoods") or []) if text(d))
        hs_codes = dig(item, "extendedHSCodes") or dig(item, "HSCodes") or []
        for j, cargo in enumerate(dig(item, "cargoItems") or [{}]):
            container = normalize_container_number(text(dig(cargo, "equipmentReference"))) or None
            packages = dig(cargo, "outerPackaging", "numberOfPackages")
            if packages is not None and (not isinstance(packages, int) or isinstance(packages, bool) or packages < 0):
                flag("bad_quantity", "numberOfPackages must be a non-negative integer",
                     f"consignmentItems[{i}].cargoItems[{j}].outerPackaging.numberOfPackages", packages,
                     Severity.ERROR)
                packages = None
            lines.append(TransportDocumentLine(
                line_no=len(lines) + 1, container_no=container, description=description,
                hs_code=text(hs_codes[0]) if hs_codes else None, packages=packages,
                package_code=text(dig(cargo, "outerPackaging", "packageCode")),
                gross_weight_kg=_weight_kg(dig(cargo, "cargoGrossWeight"), problems, "cargoGrossWeight"),
                volume_cbm=None, po_numbers=tuple(dict.fromkeys(pos))))
    for party in ("shipper", "consignee"):
        for po in dig(doc, "documentParties", party, "purchaseOrderReferences") or []:
            if text(po):
                value = clean_text(text(po)).upper()
                refs.setdefault(("PO", value), DocumentRef("PO", value))

    endorsements: list[Endorsement] = []
    for seq, link in enumerate(dig(chain, "endorsementChain") or [], start=1):
        try:
            at = parse_instant(dig(link, "actionDateTime"))
        except ValueError as exc:
            flag("bad_datetime", str(exc), f"endorsementChain[{seq - 1}].actionDateTime",
                 dig(link, "actionDateTime"), Severity.ERROR)
            continue
        endorsements.append(Endorsement(seq=seq, action_code=text(dig(link, "actionCode")) or "UNKNOWN",
                                        actor=_party_name(dig(link, "actor")),
                                        recipient=_party_name(dig(link, "recipient")), action_at=at,
                                        reference=text(dig(link, "auditReference")),
                                        platform=text(dig(link, "actor", "eblPlatform"))))

    def local_date(name: str, value: Any):
        try:
            return parse_local_date(value)
        except ValueError:
            flag("bad_date", "not a date (YYYY-MM-DD)", name, value, Severity.ERROR)
            return None

    is_to_order = doc.get("isToOrder") is True
    doc_type = text(doc.get("transportDocumentTypeCode")) or "BOL"
    if doc_type == "SWB" and is_to_order:
        flag("swb_to_order", "a sea waybill cannot be to order (DCSA rule); kept as sent", "isToOrder", True)
    vessel = dig(transports, "vesselVoyages", 0)
    consignee = _party_name(dig(doc, "documentParties", "consignee"))
    record = TransportDocument(
        owner_id=owner_id, doc_number=number, doc_type=doc_type, mode="OCEAN", doc_level="MASTER",
        carrier_code=text(doc.get("carrierCode")),
        booking_ref=next((r.value for r in refs.values() if r.kind == "BKG"), None),
        is_to_order=is_to_order, is_electronic=doc.get("isElectronic") is True,
        release_type="EBL_SURRENDER" if doc.get("isElectronic") is True else ("SEAWAY" if doc_type == "SWB" else "ORIGINAL"),
        status=text(doc.get("transportDocumentStatus")),
        shipper=_party_name(dig(doc, "documentParties", "shipper")),
        consignee=consignee or ("TO ORDER" if is_to_order else None),
        notify_party=_party_name(dig(doc, "documentParties", "notifyParties", 0)),
        place_of_receipt=port("placeOfReceipt"), port_of_loading=port("portOfLoading"),
        port_of_discharge=port("portOfDischarge"), place_of_delivery=port("placeOfDelivery"),
        vessel_or_flight=text(dig(vessel, "vesselName")), voyage=text(dig(vessel, "carrierExportVoyageNumber")),
        freight_term=text(doc.get("freightPaymentTermCode")),
        issue_date=local_date("issueDate", doc.get("issueDate")),
        etd=local_date("transports.plannedDepartureDate", transports.get("plannedDepartureDate")),
        eta=local_date("transports.plannedArrivalDate", transports.get("plannedArrivalDate")),
        shipped_on_board_date=local_date("shippedOnBoardDate", doc.get("shippedOnBoardDate")),
        lines=tuple(lines), containers=tuple(containers.values()), endorsements=tuple(endorsements),
        references=tuple(refs.values()), source="dcsa-ebl-v3", stated=stated_fields(doc, chain),
    )
    errors = any(p.severity is Severity.ERROR for p in problems)
    return MappingResult(None if errors else record, tuple(problems))
