"""Title events: one fact about a lot or an allocation at one instant, with its basis and evidence.

Every event carries the full state *after* it (title holder, risk bearer, document holder, custodian,
title state, location state), so the position at an instant is the latest event of each subject.
``event_id`` is a stable hash of (subject, kind, effective time, evidence, quantity and the state after
it): deriving twice gives the same ids, so the store appends only ids it has not seen (the ledger is
append-only); an event derived again with another state (a new alias or policy naming another holder)
is a new id, and the one it replaces is retracted as no longer derived. An event is a plain
tuple (``row()`` is the ledger row, ``LEDGER_COLUMNS`` order): ledgers of millions of events are built
without a per-event dictionary.
"""
from __future__ import annotations

import hashlib
from typing import NamedTuple
from datetime import datetime

LEDGER_COLUMNS = [
    "event_id", "owner_id", "subject_kind", "subject_key", "parent_key", "qty", "kind", "effective_at",
    "title_holder", "risk_bearer", "document_holder", "custodian", "title_state", "location_state",
    "basis", "basis_note", "evidence", "confidence",
]

# title states (reference §3.4) and the bases of §7.1
SUPPLIER_TITLE_IN_TRANSIT = "SUPPLIER_TITLE_IN_TRANSIT"
SELLER_TITLE_IN_TRANSIT = "SELLER_TITLE_IN_TRANSIT"
SELLER_TITLE_AT_DESTINATION = "SELLER_TITLE_AT_DESTINATION"
RELEASED_BY_CARRIER = "RELEASED_BY_CARRIER"
UNDER_CUSTOMS_CONTROL = "UNDER_CUSTOMS_CONTROL"
CLEARED = "CLEARED"
OWNED_IN_WAREHOUSE = "OWNED_IN_WAREHOUSE"
ALLOCATED = "ALLOCATED"
IN_LAST_MILE = "IN_LAST_MILE"
CONSUMER_OWNED = "CONSUMER_OWNED"
WRITTEN_OFF = "WRITTEN_OFF"  # returned goods disposed of: title ended with the owner's write-off
DISPOSED = "DISPOSED"  # the location state of written-off goods (they are nowhere)


class TitleEvent(NamedTuple):
    owner_id: str
    subject_kind: str  # LOT, ALLOCATION or WRITE_OFF (units of an allocation written off)
    subject_key: str
    parent_key: str | None  # the lot of an allocation; the allocation of a write-off
    qty: int
    kind: str  # SHIPPED_ON_BOARD, BL_ISSUED, ENDORSED, SURRENDERED, TELEX_RELEASED, ARRIVED, ...
    effective_at: datetime
    title_holder: str
    risk_bearer: str
    document_holder: str | None
    custodian: str
    title_state: str
    location_state: str
    basis: str  # CONTRACT, INCOTERM, BL_ENDORSEMENT, STATUTE, PLATFORM_TC, POLICY_DEFAULT
    basis_note: str
    evidence: str
    confidence: str  # ASSERTED, DERIVED, INFERRED

    @property
    def event_id(self) -> str:
        return event_id(self)

    def row(self) -> tuple:
        """``(event_id, *fields)``: the ledger row in ``LEDGER_COLUMNS`` order."""
        return (event_id(self), *self)


def event_id(e: TitleEvent, _sha1=hashlib.sha1) -> str:
    """The event's id: a hash of its subject, kind, effective time, evidence, quantity and the state after it
    (fields read by position, ``TitleEvent`` order: a ledger of millions of events hashes them in one loop)."""
    text = (f"{e[1]}\x1f{e[2]}\x1f{e[5]}\x1f{e[6].isoformat()}\x1f{e[15]}\x1f{e[4]}\x1f{e[7]}\x1f{e[8]}"
            f"\x1f{e[9]}\x1f{e[10]}\x1f{e[11]}\x1f{e[12]}")
    return _sha1(text.encode()).hexdigest()[:24]
