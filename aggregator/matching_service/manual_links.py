"""Record manual links, checked first: the owner exists, the step is one the matcher takes manual links for,
both keys name records of that owner, and the match exception they resolve (if any) is an open one of
that owner which these links actually resolve (``matching.manual``). Anything else is refused with the
reason (``ManualLinkRefused``, a ``FieldRefusal``: the CLI names the inputs by its flags, the API by its
fields) and nothing is written. A link that resolves an exception closes it in
the same transaction (``aggregator.exceptions_queue``).

The keys are looked up among the owner's records of the two kinds the step joins (only those frames
are read), keyed exactly as the matcher keys them, so a key copied from 'aggregator export links' or a
match exception is found, and one with a typo is not.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from aggregator.digits import digits_value
from aggregator.exceptions_queue.writes import close
from aggregator.matching_service.loader import load_frames
from aggregator.refusals import FieldRefusal
from aggregator.store.db import session_scope
from aggregator.store.models.exceptions import ExceptionItem
from aggregator.store.models.matching import ManualLinkRow
from aggregator.store.upsert import write_audit
from aggregator.tenancy import TenancyError, require_owner
from matching.engine import prepare_input
from matching.manual import MANUAL_STEPS, check_keys, frames_needed, why_not_resolved


class ManualLinkRefused(TenancyError, FieldRefusal):
    """A manual link that cannot be recorded, with the reason naming the inputs (nothing was written)."""


def find_match_exception(session: Session, owner_id: str, ident: str) -> ExceptionItem:
    """The owner's match exception named by its queue id (digits) or the matcher's stable id."""
    query = select(ExceptionItem).where(ExceptionItem.queue == "match", ExceptionItem.owner_id == owner_id)
    queue_id = digits_value(ident, 10)
    by_id = queue_id is not None and queue_id < 2**31  # the id column's range; longer digits can only be a ref
    column = ExceptionItem.id if by_id else ExceptionItem.ref
    item = session.scalars(query.where(column == (queue_id if by_id else ident)).with_for_update()).first()
    if item is None:
        raise ManualLinkRefused(("resolves", f"{ident!r} names no match exception of owner {owner_id!r} (the "
                                             "open ones are listed under exceptions of kind 'match')"))
    return item


#: how the inputs of a link are named: its sides as given to ``aggregator match link`` (``--left``, ``--right``)
SIDES = {"left": "left", "right": "right"}


def check_manual_links(session: Session, *, owner_id: str, step: str, pairs: Sequence[tuple[str, str, int]],
                       resolves: ExceptionItem | None, sides: Mapping[str, str | None] = SIDES) -> None:
    """Refuse (``ManualLinkRefused``) links ``record_manual_links`` would not record; write nothing."""
    require_owner(session, owner_id)
    if step not in MANUAL_STEPS:
        raise ManualLinkRefused(("step", f"{step!r} takes no manual link; one of: {', '.join(MANUAL_STEPS)}"))
    for _, _, qty in pairs:
        if qty <= 0:
            raise ManualLinkRefused(("qty", f"must be a positive number of units, not {qty}"))
    prepared = prepare_input(load_frames(session, owner_id, frames_needed(step)))
    problems = [p for left, right, _ in pairs for c in check_keys(prepared, step, left, right)
                if (p := c.problem(owner_id))]
    if problems:
        raise ManualLinkRefused(*(
            (sides[side], text) if sides.get(side) else f"the exception's record {text}"
            for side, text in dict.fromkeys(problems)))
    if resolves is None:
        return
    fields = {"exception_id": resolves.ref or str(resolves.id), "reason": resolves.kind, "step": resolves.step,
              "record_kind": resolves.record_kind, "record_key": resolves.record_key, "status": resolves.status}
    for left, right, _ in pairs:
        if why := why_not_resolved(fields, step, left, right):
            raise ManualLinkRefused(why)


def record_manual_links(session: Session, *, owner_id: str, step: str, pairs: Sequence[tuple[str, str, int]],
                        note: str, resolves: ExceptionItem | None, actor: str,
                        sides: Mapping[str, str | None] = SIDES) -> list[ManualLinkRow]:
    """Check and record manual links of one step ((left key, right key, qty) each), audited; close the match
    exception ``resolves`` if given. The matcher applies the links on every run from the next one.
    ``sides`` names the input each side's key came from in a refusal (None: the exception's own record)."""
    check_manual_links(session, owner_id=owner_id, step=step, pairs=pairs, resolves=resolves, sides=sides)
    rows = [ManualLinkRow(owner_id=owner_id, step=step, left_key=left, right_key=right, qty=qty, note=note,
                          resolves_exception_id=resolves.ref if resolves is not None else None, created_by=actor)
            for left, right, qty in pairs]
    session.add_all(rows)
    session.flush()
    for row in rows:
        write_audit(session, entity="manual_links", key=str(row.id), action="create", owner_id=owner_id,
                    changes={"step": step, "left_key": row.left_key, "right_key": row.right_key, "qty": row.qty,
                             "note": note, "resolves": resolves.id if resolves is not None else None}, actor=actor)
    if resolves is not None:
        close(session, resolves, note=f"manual link: {note}".strip(), actor=actor)
    return rows


def add_manual_link(engine: Engine, *, owner_id: str, step: str, left_key: str, right_key: str, qty: int,
                    note: str = "", resolves: str | None = None, created_by: str = "cli"
                    ) -> tuple[ManualLinkRow, ExceptionItem | None]:
    """``aggregator match link``: one checked manual link, optionally resolving the match exception named by
    its queue id or stable id."""
    with session_scope(engine) as session:
        require_owner(session, owner_id)
        item = find_match_exception(session, owner_id, resolves) if resolves else None
        rows = record_manual_links(session, owner_id=owner_id, step=step, pairs=[(left_key, right_key, qty)],
                                   note=note, resolves=item, actor=created_by)
        return rows[0], item
