"""FX open items in the database: recognise receivables, settle them under a lock (realized FX),
and run the month-end revaluation with its reversal (unrealized FX). Journals are stored line by
line with a unique idempotency key, so re-running any step never books twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from aggregator.fx_service.locks import utilise_lock
from aggregator.store.models.fx import FxJournalLineRow, FxOpenItemRow, FxRevaluationRun
from aggregator.store.upsert import insert_for, write_audit
from fx.convert import Converter
from fx.gains import (
    FxAccounts, OpenItem, Revaluation, Settlement, period_bounds, recognise, recognise_at_rate, revalue, settle,
)
from fx.journal import Journal
from fx.money import Money
from fx.rates import Rate


class ItemNotOpen(LookupError):
    """The receivable does not exist for the owner or is already settled."""


def save_journal(session: Session, owner_id: str, journal: Journal, *, run_id: int | None = None) -> int:
    """Store the journal's lines; lines whose idempotency key is already stored are skipped. Returns new lines."""
    rows = [{
        "owner_id": owner_id, "journal_id": journal.journal_id, "journal_date": journal.on, "line_no": number,
        "account": line.account, "book_currency": line.amount.currency, "amount": line.amount.amount,
        "line_type": line.line_type,
        "original_amount": line.original.amount if line.original else None,
        "original_currency": line.original.currency if line.original else None,
        "rate": line.rate, "rate_source": line.rate_source, "rate_ref": line.rate_ref, "rounding": journal.rounding,
        "memo": line.memo, "idem_key": line.idem_key, "revaluation_run_id": run_id,
    } for number, line in enumerate(journal.lines, start=1)]
    statement = insert_for(session, FxJournalLineRow.__table__).on_conflict_do_nothing(
        index_elements=["owner_id", "idem_key"]).returning(FxJournalLineRow.id)
    return len(session.execute(statement, rows).all())


def to_open_item(row: FxOpenItemRow) -> OpenItem:
    return OpenItem(row.item_id, row.account, Money(row.original_amount, row.original_currency),
                    Money(row.carrying_amount, row.book_currency), row.carrying_rate, row.recognised_on,
                    row.rate_source, row.rate_ref, row.rate_date)


def recognise_receivable(session: Session, owner_id: str, item_id: str, amount: Money, *, book_currency: str,
                         on: date, account: str, converter: Converter, average_over: tuple[date, date] | None = None,
                         rounding: str = ROUND_HALF_UP, at_rate: Rate | None = None) -> FxOpenItemRow:
    """Book a receivable on its transaction date ``on``: at ``at_rate`` when given (a lock's client
    rate), else at the average of ``average_over`` (first, last day) when the entity recognises at a
    period average, else at the rate of ``on`` (or the last one before it when the converter's policy
    allows a fallback: its date is kept as ``rate_date``, the item stays dated ``on``). Recognising it
    again returns the stored one."""
    existing = session.scalars(select(FxOpenItemRow).where(FxOpenItemRow.owner_id == owner_id,
                                                           FxOpenItemRow.item_id == item_id)).first()
    if existing is not None:
        return existing
    if at_rate is not None:
        item = recognise_at_rate(item_id, amount, at_rate, account=account, rounding=rounding, on=on)
    elif average_over is not None:
        average = converter.period_average(amount.currency, book_currency, *average_over)
        item = recognise_at_rate(item_id, amount, average, account=account, rounding=rounding, on=on)
    else:
        item = recognise(item_id, converter.convert(amount, book_currency, on), account=account, rounding=rounding)
    row = FxOpenItemRow(owner_id=owner_id, item_id=item.item_id, account=item.account,
                        original_amount=item.original.amount, original_currency=item.original.currency,
                        carrying_amount=item.carrying.amount, book_currency=item.carrying.currency,
                        carrying_rate=item.carrying_rate, recognised_on=item.recognised_on,
                        rate_date=item.rate_date, rate_source=item.rate_source, rate_ref=item.rate_ref)
    session.add(row)
    session.flush()
    return row


def settle_with_lock(session: Session, owner_id: str, item_id: str, lock_id: str, *, now: datetime,
                     accounts: FxAccounts = FxAccounts(), rounding: str = ROUND_HALF_UP) -> Settlement:
    """Settle the whole open item by utilising the lock (key ``{lock}:{item}``) and book the realized FX."""
    row = session.scalars(select(FxOpenItemRow).where(
        FxOpenItemRow.owner_id == owner_id, FxOpenItemRow.item_id == item_id).with_for_update()).first()
    if row is None or row.settled_on is not None:
        raise ItemNotOpen(f"receivable {item_id!r} of {owner_id!r} is not open")
    item = to_open_item(row)
    key = f"{lock_id}:{item_id}"
    used = utilise_lock(session, owner_id, lock_id, item.original, key, now, reference=item_id)
    result = settle(item, item.original, used.utilisation.counter, on=now.date(), journal_id=f"FX-{key}",
                    idem_prefix=key, rate_source="LOCK", rate_ref=lock_id, accounts=accounts, rounding=rounding)
    save_journal(session, owner_id, result.journal)
    row.settled_on = now.date()
    session.flush()
    return result


def settle_at_actual(session: Session, owner_id: str, item_id: str, cash: Money, *, on: date, reference: str,
                     rate_source: str = "ACTUAL", accounts: FxAccounts = FxAccounts(),
                     rounding: str = ROUND_HALF_UP) -> Settlement:
    """Settle the whole open item at the rate actually obtained (``cash`` received in book currency)."""
    row = session.scalars(select(FxOpenItemRow).where(
        FxOpenItemRow.owner_id == owner_id, FxOpenItemRow.item_id == item_id).with_for_update()).first()
    if row is None or row.settled_on is not None:
        raise ItemNotOpen(f"receivable {item_id!r} of {owner_id!r} is not open")
    item = to_open_item(row)
    key = f"{reference}:{item_id}"
    result = settle(item, item.original, cash, on=on, journal_id=f"FX-{key}", idem_prefix=key,
                    rate_source=rate_source, rate_ref=reference, accounts=accounts, rounding=rounding)
    save_journal(session, owner_id, result.journal)
    row.settled_on = on
    session.flush()
    return result


@dataclass(frozen=True, slots=True)
class RevaluationOutcome:
    run: FxRevaluationRun | None  # the run booked now, or the period's last run when nothing was new
    revaluation: Revaluation | None  # None when nothing new was open at the period end
    created: bool
    runs: int = 1  # runs of the period after this call


def revalue_period(session: Session, owner_id: str, period: str, *, book_currency: str, converter: Converter,
                   accounts: FxAccounts = FxAccounts(), rounding: str = ROUND_HALF_UP,
                   redo: bool = False) -> RevaluationOutcome:
    """Revalue the items open at the end of ``period`` that no earlier run of the period revalued.

    Run again, it books only what is new (items recognised since, as run 2, 3, …); with nothing new
    it books nothing. ``redo`` deletes the period's runs and their journals and revalues everything
    open again in one run (e.g. after rates were revised)."""
    _, period_end = period_bounds(period)
    runs = list(session.scalars(select(FxRevaluationRun).where(
        FxRevaluationRun.owner_id == owner_id, FxRevaluationRun.period == period,
        FxRevaluationRun.book_currency == book_currency).order_by(FxRevaluationRun.sequence)))
    if redo and runs:
        ids = [run.id for run in runs]
        session.execute(delete(FxJournalLineRow).where(FxJournalLineRow.owner_id == owner_id,
                                                       FxJournalLineRow.revaluation_run_id.in_(ids)))
        session.execute(delete(FxRevaluationRun).where(FxRevaluationRun.id.in_(ids)))
        write_audit(session, entity="fx_revaluation_runs", key=f"{owner_id}:{period}:{book_currency}",
                    action="redo", owner_id=owner_id, changes={"deleted_runs": ids})
        session.flush()
        runs = []
    done = {entry["item_id"] for run in runs for entry in (run.details or [])}
    rows = [r for r in session.scalars(select(FxOpenItemRow).where(
        FxOpenItemRow.owner_id == owner_id, FxOpenItemRow.book_currency == book_currency,
        FxOpenItemRow.recognised_on <= period_end,
        or_(FxOpenItemRow.settled_on.is_(None), FxOpenItemRow.settled_on > period_end))) if r.item_id not in done]
    if not rows and runs:
        return RevaluationOutcome(runs[-1], None, False, len(runs))
    sequence = len(runs) + 1
    result = revalue([to_open_item(r) for r in rows], converter, period=period, book_currency=book_currency,
                     accounts=accounts, rounding=rounding, sequence=sequence)
    total = result.total.amount if result.total is not None else Decimal(0)
    run = FxRevaluationRun(owner_id=owner_id, period=period, book_currency=book_currency, sequence=sequence,
                           rounding=rounding, items_count=len(result.items), total_unrealized=total, details=[
                               {"item_id": e.item.item_id, "original": str(e.item.original),
                                "carrying": str(e.item.carrying), "revalued": str(e.revalued),
                                "unrealized": str(e.unrealized), "closing_rate": str(e.closing.rate),
                                "rate_date": e.closing.rate_date.isoformat(), "path": e.closing.path}
                               for e in result.items])
    session.add(run)
    session.flush()
    if result.journal is not None and result.reversal is not None:
        save_journal(session, owner_id, result.journal, run_id=run.id)
        save_journal(session, owner_id, result.reversal, run_id=run.id)
    return RevaluationOutcome(run, result, True, sequence)
