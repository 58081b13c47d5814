"""Pure DCSA mappers: eBL v3 documents and T&T events (v3 metadata/payload and v2 flat)."""
from __future__ import annotations

import copy
import json
from decimal import Decimal

from platform_adapters.canonical.common import Severity
from platform_adapters.logistics import dcsa_ebl, dcsa_events


def sample(samples):
    return json.loads((samples / "ebl_dcsa_v3.json").read_text(encoding="utf-8"), parse_float=Decimal)


def test_ebl_sample_maps_lines_containers_references_and_chain(samples):
    (location, doc, chain), = dcsa_ebl.split_documents(sample(samples))
    result = dcsa_ebl.map_transport_document(doc, chain, "L", location)
    assert result.ok and result.problems == ()
    record = result.record
    assert (record.doc_number, record.is_to_order, record.consignee, record.status) == (
        "ZCRU260301234", True, "TO ORDER", "ISSUED")
    assert [(ln.packages, ln.gross_weight_kg, ln.container_no) for ln in record.lines] == [
        (820, Decimal("6150.0"), "TCLU6543214"), (310, Decimal("2480.5"), "TCLU6543214")]
    assert record.containers[0].seals == ("ZC0918231",) and record.containers[0].check_digit_valid
    assert {(r.kind, r.value) for r in record.references} == {("BKG", "ZCRB7781203"), ("PO", "PO-LMN-2026-0041")}
    assert [e.action_code for e in record.endorsements][-1] == "SURRENDERED"


def test_ebl_problems_are_returned_not_raised(samples):
    data = sample(samples)
    doc = copy.deepcopy(data["transportDocument"])
    doc["transportDocumentTypeCode"] = "SWB"  # to-order sea waybills are not allowed: flagged
    doc["utilizedTransportEquipments"][0]["equipment"]["equipmentReference"] = "APNR7744962"
    flagged = dcsa_ebl.map_transport_document(doc, None, "L")
    assert flagged.record is not None
    assert {p.code for p in flagged.problems} == {"swb_to_order", "container_check_digit"}
    assert all(p.severity is Severity.WARNING for p in flagged.problems)
    doc["consignmentItems"][0]["cargoItems"][0]["outerPackaging"]["numberOfPackages"] = -5
    refused = dcsa_ebl.map_transport_document(doc, None, "L")
    assert refused.record is None and "bad_quantity" in {p.code for p in refused.problems}
    del doc["transportDocumentReference"]
    assert dcsa_ebl.map_transport_document(doc, None, "L").record is None
    assert dcsa_ebl.split_documents([1, "x", {"nothing": True}]) == []


def test_v2_flat_event_maps_too():
    flat = {"eventID": "v2-1", "eventType": "EQUIPMENT", "eventClassifierCode": "ACT",
            "eventDateTime": "2026-03-02T03:35:00+08:00", "eventCreatedDateTime": "2026-03-02T03:40:00+08:00",
            "equipmentEventTypeCode": "LOAD", "equipmentReference": "tclu 654321-4", "emptyIndicatorCode": "LADEN",
            "documentID": "ZCRU260301234", "documentTypeCode": "TRD"}
    (location, raw), = dcsa_events.split_events(flat)
    result, call = dcsa_events.map_event(raw, "L", location)
    event = result.record
    assert result.ok and call is None
    assert (event.event_id, event.code, event.equipment_no) == ("v2-1", "LOAD", "TCLU6543214")
    assert event.event_at.isoformat() == "2026-03-01T19:35:00+00:00"
    assert [(r.kind, r.value) for r in event.document_refs] == [("TRD", "ZCRU260301234")]


def test_event_without_id_gets_a_stable_content_id():
    raw = {"eventType": "TRANSPORT", "eventClassifierCode": "EST", "eventDateTime": "2026-03-09T07:00:00Z",
           "transportEventTypeCode": "ARRI"}
    first, _ = dcsa_events.map_event(raw, "L", "$")
    second, _ = dcsa_events.map_event(dict(raw), "L", "$")
    assert first.record.event_id == second.record.event_id and first.record.event_id.startswith("sha256:")


def test_event_with_offsetless_time_is_refused():
    raw = {"eventID": "x", "eventType": "TRANSPORT", "eventClassifierCode": "ACT",
           "eventDateTime": "2026-03-09T07:00:00", "transportEventTypeCode": "ARRI"}
    result, _ = dcsa_events.map_event(raw, "L", "[0]")
    assert result.record is None and result.problems[0].code == "bad_datetime"
