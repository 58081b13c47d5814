"""Record a manual link, checked first: the owner exists, the step is one the matcher takes manual links
for, both keys name records of that owner, and ``resolves`` (if given) names an open match exception of
that owner which this link actually resolves (``matching.manual``). Anything else is refused with the
reason (``ManualLinkRefused``) and nothing is written.

The keys are looked up among the owner's records of the two kinds the step joins (only those frames
are read), keyed exactly as the matcher keys them, so a key copied from 'aggregator export links' or a
match exception is found, and one with a typo is not.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from aggregator.matching_service import loader
from aggregator.store.db import session_scope
from aggregator.store.models.matching import ManualLinkRow, MatchExceptionRow
from aggregator.store.upsert import write_audit
from aggregator.tenancy import TenancyError, require_owner
from matching.engine import MatchInput, prepare_input
from matching.manual import MANUAL_STEPS, check_keys, frames_needed, why_not_resolved

_LOADERS = {
    "order_lines": loader.load_order_lines, "shipment_lines": loader.load_shipment_lines,
    "receipt_lines": loader.load_receipt_lines, "lots": loader.load_lots,
    "document_lines": loader.load_document_lines, "customs_lines": loader.load_customs_lines,
    "crosswalk": loader.load_crosswalk,
}


class ManualLinkRefused(TenancyError):
    """A manual link that cannot be recorded, with the reason (nothing was written)."""


def check_manual_link(session: Session, *, owner_id: str, step: str, left_key: str, right_key: str, qty: int,
                      resolves: str | None = None) -> MatchExceptionRow | None:
    """Refuse (``ManualLinkRefused`` / ``UnknownOwner``) a link that cannot be recorded; return the match
    exception it resolves, if one is named."""
    require_owner(session, owner_id)
    if step not in MANUAL_STEPS:
        raise ManualLinkRefused(f"step {step!r} takes no manual link; one of: {', '.join(MANUAL_STEPS)}")
    if qty <= 0:
        raise ManualLinkRefused(f"a manual link carries a positive quantity, not {qty}")
    inp = MatchInput(**{name: _LOADERS[name](session, owner_id) for name in frames_needed(step)})
    problems = [p for p in (c.problem(owner_id) for c in check_keys(prepare_input(inp), step, left_key, right_key))
                if p]
    if problems:
        raise ManualLinkRefused("; ".join(problems))
    if resolves is None:
        return None
    exception = session.scalars(select(MatchExceptionRow).where(
        MatchExceptionRow.owner_id == owner_id, MatchExceptionRow.exception_id == resolves)).first()
    if exception is None:
        raise ManualLinkRefused(f"--resolves {resolves!r} names no match exception of owner {owner_id!r} "
                                "(see: aggregator exceptions list --kind match --owner …)")
    why = why_not_resolved({c: getattr(exception, c) for c in ("exception_id", "reason", "step", "record_kind",
                                                               "record_key", "status")},
                           step, left_key, right_key)
    if why:
        raise ManualLinkRefused(why)
    return exception


def add_manual_link(engine: Engine, *, owner_id: str, step: str, left_key: str, right_key: str, qty: int,
                    note: str = "", resolves: str | None = None, created_by: str | None = None) -> ManualLinkRow:
    """Check and record a manual link (user data; the matcher applies it on every run, and the exception it
    resolves is closed at the next run). Audited."""
    with session_scope(engine) as session:
        check_manual_link(session, owner_id=owner_id, step=step, left_key=left_key, right_key=right_key, qty=qty,
                          resolves=resolves)
        row = ManualLinkRow(owner_id=owner_id, step=step, left_key=left_key, right_key=right_key, qty=qty,
                            note=note, resolves_exception_id=resolves, created_by=created_by)
        session.add(row)
        session.flush()
        write_audit(session, entity="manual_links", key=str(row.id), action="create", owner_id=owner_id,
                    changes={"step": step, "left_key": left_key, "right_key": right_key, "qty": qty, "note": note,
                             "resolves": resolves}, actor=created_by or "cli")
        return row
