"""Which receivable a stored journal line is about, read from its keys (one rule for every reader).

The FX service names the receivable (its item id, ``platform:shop:statement`` for a marketplace statement)
inside each line's idempotency key and journal id, as whole ``:``-separated segments:

* recognition (``fx_service.statements``): journal ``REC-{item}``, keys ``{item}:AR``, ``{item}:ROUNDING``,
  ``{item}:{transaction id}``;
* a settlement or a part of one (``fx_service.receivables``): journal ``FX-{reference}:{item}``, keys
  ``{reference}:{item}:CASH|AR|FX`` (the reference a lock id, ``PAYOUT:…``, ``NETTED:…``);
* a month-end revaluation (``fx.gains.revalue``): journal ``REVAL-{period}``, keys ``REVAL:{period}:{item}:AR|FX``;
  its reversal the same keys followed by ``:REV``.

An item id may itself hold ``:`` (a statement id may), so a key can name several known items as runs of its
segments: the line is about the longest (``find_item``). ``lines_about`` reads the lines of one item by that
rule: the keys holding its id as a run of whole segments (matched as text, never as a pattern: ``_`` and ``%``
are themselves), then only those whose longest known item is it.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from aggregator.store.models.fx import FxJournalLineRow, FxOpenItemRow

SEPARATOR = ":"


def segment_runs(text: str) -> set[str]:
    """Every run of whole ``:``-separated segments of ``text``."""
    parts = text.split(SEPARATOR)
    return {SEPARATOR.join(parts[start:stop]) for start in range(len(parts)) for stop in range(start + 1, len(parts) + 1)}


def find_item(texts: Iterable[str], items: set[str]) -> str | None:
    """The longest known receivable id that is a run of ``:``-separated segments of one of ``texts``."""
    best: str | None = None
    for text in texts:
        for candidate in segment_runs(text):
            if candidate in items and (best is None or len(candidate) > len(best)):
                best = candidate
    return best


def _holds_segments(column, item_id: str):
    """``column`` holds ``item_id`` as a run of whole segments (escaped: matched as text)."""
    return or_(column == item_id, column.startswith(item_id + SEPARATOR, autoescape=True),
               column.endswith(SEPARATOR + item_id, autoescape=True),
               column.contains(SEPARATOR + item_id + SEPARATOR, autoescape=True))


def _known_items(session: Session, owner_id: str, texts: Iterable[str]) -> set[str]:
    """Those of the runs of ``texts``' segments that are the owner's receivables."""
    runs = sorted(set().union(*(segment_runs(t) for t in texts)))
    known: set[str] = set()
    for start in range(0, len(runs), 500):
        known.update(session.scalars(select(FxOpenItemRow.item_id).where(
            FxOpenItemRow.owner_id == owner_id, FxOpenItemRow.item_id.in_(runs[start:start + 500]))))
    return known


def lines_about(session: Session, owner_id: str, item_id: str) -> Sequence[FxJournalLineRow]:
    """The owner's journal lines about receivable ``item_id`` (by ``find_item``), by date, journal and line."""
    rows = session.scalars(select(FxJournalLineRow).where(
        FxJournalLineRow.owner_id == owner_id, _holds_segments(FxJournalLineRow.idem_key, item_id))
        .order_by(FxJournalLineRow.journal_date, FxJournalLineRow.journal_id, FxJournalLineRow.line_no)).all()
    known = _known_items(session, owner_id, [t for r in rows for t in (r.idem_key, r.journal_id)])
    return [r for r in rows if find_item((r.idem_key, r.journal_id), known) == item_id]
