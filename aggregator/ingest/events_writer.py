"""Store DCSA transport events and keep the current milestone view.

Every event is kept by its id (re-sending it is a no-op). The milestone view holds one row per
milestone: an ACT replaces a planned/estimated value; an EST or PLN replaces an earlier EST/PLN
(by the publisher's creation time, else event time) but never an ACT.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.ingest.writers import NO_STALE_CHECK
from aggregator.store.fingerprint import content_hash
from aggregator.store.models.logistics import TransportEventRow, TransportMilestoneRow
from aggregator.store.upsert import UpsertOutcome, UpsertResult, upsert
from platform_adapters.canonical import TransportEvent


def _refs(event: TransportEvent) -> str:
    return " ".join(f"{r.kind}:{r.value}" for r in event.document_refs)


def write_event(session: Session, event: TransportEvent, owner_id: str, milestone_key: str) -> tuple[UpsertResult, str]:
    """Store the event; returns its upsert result and what happened to the milestone
    (``set``, ``replaced``, ``kept_actual``, ``kept_newer`` or ``unchanged``)."""
    values = {
        "owner_id": owner_id, "event_id": event.event_id, "event_type": event.event_type,
        "classifier": event.classifier, "code": event.code, "event_at": event.event_at, "location": event.location,
        "facility_code": event.facility_code, "equipment_no": event.equipment_no,
        "empty_indicator": event.empty_indicator, "vessel_or_flight": event.vessel_or_flight, "voyage": event.voyage,
        "document_refs": _refs(event), "publisher": event.publisher, "publisher_created_at": event.created_at,
        "milestone_key": milestone_key, "content_hash": content_hash(event),
    }
    result = upsert(session, TransportEventRow, values, ("owner_id", "event_id"), source_updated_col=NO_STALE_CHECK)
    if result.outcome is UpsertOutcome.UNCHANGED:
        return result, "unchanged"
    return result, _apply_milestone(session, event, owner_id, milestone_key)


def _apply_milestone(session: Session, event: TransportEvent, owner_id: str, key: str) -> str:
    current = session.execute(select(TransportMilestoneRow).where(
        TransportMilestoneRow.owner_id == owner_id, TransportMilestoneRow.milestone_key == key)).scalar_one_or_none()
    version = event.created_at or event.event_at
    if current is not None:
        if current.classifier == "ACT" and event.classifier != "ACT":
            return "kept_actual"
        same_rank = (current.classifier == "ACT") == (event.classifier == "ACT")
        if same_rank and current.source_updated_at is not None and version < current.source_updated_at:
            return "kept_newer"
    values = {
        "owner_id": owner_id, "milestone_key": key, "event_type": event.event_type, "code": event.code,
        "classifier": event.classifier, "event_at": event.event_at, "event_id": event.event_id,
        "equipment_no": event.equipment_no, "location": event.location, "document_refs": _refs(event),
        "source_updated_at": version,
    }
    # The rank rule above already decided; the upsert's own stale guard must not veto an ACT whose
    # creation time precedes an earlier-published estimate, so it compares nothing here.
    result = upsert(session, TransportMilestoneRow, values, ("owner_id", "milestone_key"), source_updated_col=NO_STALE_CHECK)
    return "set" if result.outcome is UpsertOutcome.CREATED else (
        "replaced" if result.outcome is UpsertOutcome.UPDATED else "unchanged")
