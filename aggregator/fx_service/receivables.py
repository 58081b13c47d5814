"""FX open items in the database: recognise receivables, settle them under a lock or at the actual
rate, whole or part by part (realized FX), and run the month-end revaluation with its reversal
(unrealized FX). Journals are stored line by line with a unique idempotency key, so re-running any
step never books twice.

A receivable recognised at a lock's client rate has the lock's cover reserved for it then
(``reserve_lock``: the lock utilised for the whole item, in its dealt currency) and settles under it by
replaying that utilisation (``settle_with_lock``, the same key), so the lock's later expiry or use by
others never stands in its way.

An item settled in parts keeps one row; what its parts paid and cleared is read back from their
stored ``RECEIVABLE_CLEAR`` lines (``cleared_parts``), so the open remainder at any date is the item
less the parts dated up to it: the next part settles against that remainder and a month-end
revaluation revalues only it. ``settled_on`` is the day of the part that paid its last cent.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from aggregator.fx_service.locks import get_lock, utilise_lock
from aggregator.store.models.fx import FxJournalLineRow, FxOpenItemRow, FxRevaluationRun
from aggregator.store.upsert import insert_for, write_audit
from fx.convert import Converter
from fx.gains import (
    FxAccounts, OpenItem, Revaluation, Settlement, after_parts, period_bounds, recognise, recognise_at_rate, revalue,
    settle,
)
from fx.journal import Journal
from fx.locks import UtilisationOutcome
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


CLEAR = "RECEIVABLE_CLEAR"  # fx.gains.settle: the line clearing (part of) an item, rate_ref = the item's id


def cleared_parts(session: Session, owner_id: str, item_ids: list[str], *,
                  until: date | None = None) -> dict[str, tuple[Decimal, Decimal]]:
    """Per item: (foreign amount paid, carrying amount cleared) by its stored settlements dated up to
    ``until`` (all when None); items never settled are absent."""
    found: dict[str, tuple[Decimal, Decimal]] = {}
    for start in range(0, len(item_ids), 500):
        # summed here, not by SQL: SQLite keeps exact decimals as text and would sum them as floats
        query = select(FxJournalLineRow.rate_ref, FxJournalLineRow.original_amount, FxJournalLineRow.amount).where(
            FxJournalLineRow.owner_id == owner_id, FxJournalLineRow.line_type == CLEAR,
            FxJournalLineRow.rate_ref.in_(item_ids[start:start + 500]))
        if until is not None:
            query = query.where(FxJournalLineRow.journal_date <= until)
        for item_id, original, amount in session.execute(query).all():
            paid, cleared = found.get(item_id, (Decimal(0), Decimal(0)))
            found[item_id] = (paid - original, cleared - amount)
    return found


def open_part(row: FxOpenItemRow, cleared: tuple[Decimal, Decimal] | None) -> OpenItem | None:
    """The item's open remainder once ``cleared`` (``cleared_parts``) was paid; None when nothing is open."""
    item = to_open_item(row)
    if cleared is None:
        return item
    return after_parts(item, Money(cleared[0], item.original.currency), Money(cleared[1], item.carrying.currency))


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


def open_amounts(session: Session, row: FxOpenItemRow) -> tuple[Money, Money]:
    """(foreign amount, carrying amount) still open of the item now: all of it until a part is paid,
    zero once settled."""
    if row.settled_on is not None:
        return Money.zero(row.original_currency), Money.zero(row.book_currency)
    item = open_part(row, cleared_parts(session, row.owner_id, [row.item_id]).get(row.item_id))
    if item is None:
        return Money.zero(row.original_currency), Money.zero(row.book_currency)
    return item.original, item.carrying


def lock_key(lock_id: str, item_id: str) -> str:
    """The idempotency key under which a lock covers an item: its reservation at recognition
    (``reserve_lock``) and its settlement (``settle_with_lock``) use the same one."""
    return f"{lock_id}:{item_id}"


def reserve_lock(session: Session, owner_id: str, row: FxOpenItemRow, lock_id: str, *,
                 at: datetime) -> UtilisationOutcome:
    """Reserve the lock's cover for a receivable recognised at its client rate: utilise it at ``at`` for
    the whole item, sized in the lock's dealt currency (``RateLock.cover``), under ``lock_key``. The
    item's settlement utilises the same amount under the same key, which ``fx.locks.utilise`` answers
    with the stored utilisation before any check of the lock's state: once reserved, the item settles
    under the lock even after the lock expired or was used up. Idempotent."""
    whole = Money(row.original_amount, row.original_currency)
    lock = get_lock(session, owner_id, lock_id)
    return utilise_lock(session, owner_id, lock_id, lock.cover(whole), lock_key(lock_id, row.item_id), at,
                        reference=row.item_id)


def settle_with_lock(session: Session, owner_id: str, item_id: str, lock_id: str, *, now: datetime,
                     accounts: FxAccounts = FxAccounts(), rounding: str = ROUND_HALF_UP) -> Settlement:
    """Settle what is open of the item under the lock (key ``lock_key``) at its client rate and book the
    realized FX: the whole item, or the rest its earlier parts (``settle_part_at_actual``) left open.

    An item recognised at this lock's rate is covered whole by it: its cover reserved at recognition
    (``reserve_lock``) is replayed, so it settles at the lock's rate whatever the lock's state now, and
    realizes no difference on the locked amount (for an item recognised before reservations existed the
    cover is utilised now, and may be refused). Any other item utilises the lock now for what is open of
    it. Either way the lock is used in its dealt currency (``RateLock.cover``)."""
    row = session.scalars(select(FxOpenItemRow).where(
        FxOpenItemRow.owner_id == owner_id, FxOpenItemRow.item_id == item_id).with_for_update()).first()
    if row is None or row.settled_on is not None:
        raise ItemNotOpen(f"receivable {item_id!r} of {owner_id!r} is not open")
    item = open_part(row, cleared_parts(session, owner_id, [item_id]).get(item_id))
    if item is None:
        raise ItemNotOpen(f"receivable {item_id!r} of {owner_id!r} is paid in full by its parts")
    key = lock_key(lock_id, item_id)
    if row.rate_source == "LOCK" and row.rate_ref == lock_id:
        used = reserve_lock(session, owner_id, row, lock_id, at=now)
    else:
        lock = get_lock(session, owner_id, lock_id)
        used = utilise_lock(session, owner_id, lock_id, lock.cover(item.original), key, now,
                            reference=item_id)
    cash = used.lock.counter_amount(item.original)  # the open part at the client rate, in the book currency
    result = settle(item, item.original, cash, on=now.date(), journal_id=f"FX-{key}",
                    idem_prefix=key, rate_source="LOCK", rate_ref=lock_id, accounts=accounts, rounding=rounding)
    save_journal(session, owner_id, result.journal)
    row.settled_on = now.date()
    session.flush()
    return result


def settle_at_actual(session: Session, owner_id: str, item_id: str, cash: Money, *, on: date, reference: str,
                     rate_source: str = "ACTUAL", accounts: FxAccounts = FxAccounts(),
                     rounding: str = ROUND_HALF_UP) -> Settlement:
    """Settle what is open of the item at the rate actually obtained (``cash`` received in book currency)."""
    result = settle_part_at_actual(session, owner_id, item_id, None, cash, on=on, reference=reference,
                                   rate_source=rate_source, accounts=accounts, rounding=rounding)
    assert result is not None  # a new reference on an open item: never booked before
    return result


class PartChanged(ValueError):
    """A part is booked under a reference with another amount than it is asked to settle now."""


def part_booked(session: Session, owner_id: str, item_id: str, reference: str) -> Decimal | None:
    """The foreign amount the settlement of ``item_id`` under ``reference`` paid, None when not stored
    (read from its clearing line's key)."""
    found = session.scalars(select(FxJournalLineRow.original_amount).where(
        FxJournalLineRow.owner_id == owner_id, FxJournalLineRow.idem_key == f"{reference}:{item_id}:AR")).first()
    return None if found is None else -found


def settlements_booked(session: Session, owner_id: str, reference_prefix: str) -> dict[str, dict[str, Decimal]]:
    """reference → {item id: foreign amount its settlement under that reference paid} for every stored
    settlement whose reference starts with ``reference_prefix`` (read from the clearing lines' keys,
    ``{reference}:{item}:AR``)."""
    found: dict[str, dict[str, Decimal]] = {}
    for key, item_id, original in session.execute(
            select(FxJournalLineRow.idem_key, FxJournalLineRow.rate_ref, FxJournalLineRow.original_amount).where(
                FxJournalLineRow.owner_id == owner_id, FxJournalLineRow.line_type == CLEAR,
                FxJournalLineRow.idem_key.like(f"{reference_prefix}%"))).all():
        suffix = f":{item_id}:AR"
        if item_id and key.endswith(suffix) and original is not None:
            found.setdefault(key[:-len(suffix)], {})[item_id] = -original
    return found


def settle_part_at_actual(session: Session, owner_id: str, item_id: str, paid: Money | None, cash: Money, *,
                          on: date, reference: str, rate_source: str = "ACTUAL",
                          accounts: FxAccounts = FxAccounts(), rounding: str = ROUND_HALF_UP) -> Settlement | None:
    """Settle ``paid`` (foreign; None: all that is open) of the item at the rate actually obtained (``cash``
    in book currency), against the carrying amount of what its earlier parts left open; the part paying
    the last of it closes it (``settled_on``). One journal per part, ``FX-{reference}:{item}``: a part
    already booked under ``reference`` is not booked again (returns None); booked with another amount
    than ``paid``, it is refused (``PartChanged``: stored journals are never rewritten silently)."""
    row = session.scalars(select(FxOpenItemRow).where(
        FxOpenItemRow.owner_id == owner_id, FxOpenItemRow.item_id == item_id).with_for_update()).first()
    booked = None if row is None else part_booked(session, owner_id, item_id, reference)
    if booked is not None:
        if paid is not None and booked != paid.amount:
            raise PartChanged(f"{reference} was booked as paying {booked} {paid.currency} of {item_id}, it now pays "
                              f"{paid}; reverse that settlement by hand before booking it again")
        return None
    if row is None or row.settled_on is not None:
        raise ItemNotOpen(f"receivable {item_id!r} of {owner_id!r} is not open")
    item = open_part(row, cleared_parts(session, owner_id, [item_id]).get(item_id))
    if item is None:
        raise ItemNotOpen(f"receivable {item_id!r} of {owner_id!r} is paid in full by its parts")
    key = f"{reference}:{item_id}"
    result = settle(item, item.original if paid is None else paid, cash, on=on, journal_id=f"FX-{key}",
                    idem_prefix=key, rate_source=rate_source, rate_ref=reference, accounts=accounts,
                    rounding=rounding)
    save_journal(session, owner_id, result.journal)
    if result.remaining is None:
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
    # an item paid in part by the period end is revalued on what was still open of it then
    cleared = cleared_parts(session, owner_id, [r.item_id for r in rows], until=period_end)
    items = [item for item in (open_part(r, cleared.get(r.item_id)) for r in rows) if item is not None]
    if not items and runs:
        return RevaluationOutcome(runs[-1], None, False, len(runs))
    sequence = len(runs) + 1
    result = revalue(items, converter, period=period, book_currency=book_currency,
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
