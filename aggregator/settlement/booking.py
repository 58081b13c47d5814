"""Booking without manual steps: every new, balanced statement becomes an FX receivable with its
recognition journal, and a paid statement clears it (realized FX) — run after every settlement sync
and by the scheduled booking job.

* **Date.** A statement is recognised on its own date (the day the platform issued it). When the rate
  source has no rate that day, the last one published before it is used (within
  ``fx_max_rate_age_days``); that rate's date is recorded on the item (``rate_date``) and in the
  journal's rate reference, never substituted for the statement's date. That holds for past days
  only: a day not over yet (the statement's or the payment's day is ``now``'s UTC day or later) whose
  rate the preferred source has not published is skipped ("rate not published yet") and left to a later
  run, so the rate booked never depends on the hour the job ran (``fx.convert.RateNotPublished``).
* **Rate.** The lock it uses — the owner's first lock selling the statement currency for the book
  currency, not cancelled, that can take the whole statement on its date (``lock_for``: valid then, a
  single-use lock not used yet, room left for the amount sized in the lock's dealt currency) — else the
  configured rate sources (``fx_rate_sources``, in order of preference). Recognising a statement at a lock
  reserves the lock's cover for it at once (``receivables.reserve_lock``: the lock utilised for the whole
  receivable on the statement's date, under the key its payout uses), so a lock is never promised to
  more statements than it covers.
* **Payout.** A statement the platform reports paid is settled on its payment day: under the lock when
  one was used, else at what payout batches actually paid for it when batches paid it (Shopee
  cross-border: their own conversion into the payout currency, then the rate source's rate of the day
  if that is not the book currency), else at the rate source's rate of that day; the difference to the
  carrying amount is the realized gain or loss. Under a lock the payout replays the cover reserved at
  recognition, so it settles at the lock's rate with no realized difference even when the lock has
  since expired or been used up: the lock was bought for that receivable, and only what it had left at
  its end is unhedged exposure. A lock that still refuses (a receivable recognised at it before covers
  were reserved at recognition, the lock ended since) is reported, and the payout booked as if no lock
  were used, its difference to the lock-rate carrying amount realized — never left unbooked run after run.
  A statement reported paid without a payment time (TikTok's statements give none) is not settled and is
  counted as a skip ("paid, payment time unknown") with a problem naming it, every run until its time is stored.
* **Parts.** A Shopee local shop's release day is paid by wallet withdrawals, possibly several
  (``wallet.day_parts``): each withdrawal's part is settled on its own day at the rate source's rate of
  that day, against the carrying amount of what was still open (one journal and one realized FX line per
  part, ``FX-PAYOUT:withdrawal-<id>:<item>``); the part paying the last of the day closes its receivable,
  and until then the open rest stays a receivable, revalued at month ends on its open amount. A day paid
  by one withdrawal is booked exactly as before. (A day recognised under a lock is settled whole under the
  lock once paid in full.) A negative day netted against positive days (the platform took its charge out of
  the wallet's money) is a part of each, booked the same way at the rate of the netting's day
  (``FX-NETTED:<other day>:<item>``): the positive day's part brings in what the negative one's pays out,
  so the cash lines cancel and each side realizes its own FX difference. A booked part a late release day
  moves (to another day, or another amount) is reported and nothing more is booked under its withdrawal or
  netted day until it is reversed by hand (``_moved_payers``). A withdrawal created and not completed
  (``PENDING``) books nothing: what it holds stays in the days' receivables until its completion.
* **Withdrawal fees.** A withdrawal's fee (its ``withdrawal-…`` statement: a ``TRANSACTION_FEE`` line,
  net −fee) is recognised as a fee expense against the receivable like any statement, then settled at
  once by the withdrawal that paid it — the platform took it out of the money withdrawn — so it never
  stays open as a payable. Other negative statements stay payable by the seller, unsettled.
* Statements whose lines do not balance (an open ``statement_mismatch`` exception), or whose net is
  zero, are not booked; each skip is counted with its reason. Re-running books nothing twice (every
  item and journal line has a stable key).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.fx_service.locks import LockNotFound, get_lock, list_locks
from aggregator.fx_service.rates import load_rate_book
from aggregator.fx_service.receivables import (
    ItemNotOpen, lock_key, reserve_lock, settle_at_actual, settle_part_at_actual, settle_with_lock,
    settlements_booked,
)
from aggregator.fx_service.statements import StatementChanged, recognise_statement
from aggregator.settlement.payouts import payout_received
from aggregator.settlement.wallet import PLATFORM as WALLET_PLATFORM, WITHDRAWAL_PREFIX, DayPart, day_parts
from aggregator.store.models.fx import FxOpenItemRow
from aggregator.store.models.settlement import StatementRow
from aggregator.tenancy import require_owner
from fx.convert import ConversionPolicy, Converter, RateNotFound, RateNotPublished
from fx.gains import Settlement
from fx.locks import LockError, RateLock, utilise
from fx.money import CurrencyMismatch, Money
from fx.rates import Rate, Side


@dataclass
class BookingSummary:
    owner_id: str
    book_currency: str = ""
    recognised: int = 0
    settled: int = 0  # receivables closed (paid in full, or a withdrawal fee cleared)
    parts: int = 0  # parts booked that left their receivable open (a release day paid in part)
    journal_lines: int = 0
    skipped: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def describe(self) -> str:
        skipped = ", ".join(f"{k} {v}" for k, v in sorted(self.skipped.items()))
        return (f"{self.owner_id}: {self.recognised} statement(s) recognised, {self.settled} payout(s) settled, "
                + (f"{self.parts} part payment(s) booked, " if self.parts else "")
                + f"{self.journal_lines} journal line(s) in {self.book_currency}"
                + (f"; not booked: {skipped}" if skipped else ""))


#: Skip reasons (``BookingSummary.skipped``): a wait, not a refusal; named with the item in ``problems``.
NOT_PUBLISHED = "rate not published yet"
PAID_WHEN_UNKNOWN = "paid, payment time unknown"


def item_id_of(row: StatementRow) -> str:
    return f"{row.platform}:{row.shop_id}:{row.statement_id}"


def _policy(sources: tuple[str, ...], max_age: int, *, fallback: bool, today: date | None = None) -> ConversionPolicy:
    return ConversionPolicy(allow_fallback=fallback, max_age_days=max_age, sources=sources or None, today=today)


def lock_for(locks: list[RateLock], currency: str, book_currency: str, on: datetime, amount: Money,
             item_id: str) -> RateLock | None:
    """The lock a statement uses: the first (by start, id) selling its currency for the book currency,
    not cancelled, that would take ``amount`` for the item at ``on`` (under ``lock_key``) by the very
    rules of ``fx.locks.utilise``: valid then, a single-use lock not used yet, room under its cap for the
    amount sized in its dealt currency (``RateLock.cover``). A lock covers a statement whole or not at all."""
    for lock in sorted(locks, key=lambda lk: (lk.valid_from, lk.lock_id)):
        if (lock.sell_currency, lock.buy_currency) != (currency, book_currency) or lock.cancelled_at is not None:
            continue
        try:
            utilise(lock, lock.cover(amount), lock_key(lock.lock_id, item_id), on)
        except (LockError, CurrencyMismatch):
            continue
        return lock
    return None


def lock_rate(lock: RateLock, on: date) -> Rate:
    """The lock's client rate as a rate (kept in the provider's direction, never inverted here)."""
    return Rate(lock.rate_base, lock.rate_quote, lock.client_rate, on, "LOCK", Side.CLIENT, 1, lock.lock_id)


def book_owner(session: Session, owner_id: str, *, sources: tuple[str, ...] = (), max_age_days: int = 7,
               now: datetime | None = None) -> BookingSummary:
    """Recognise the owner's new balanced statements and settle the paid ones; the caller commits."""
    now = now or datetime.now(timezone.utc)
    owner = require_owner(session, owner_id)
    summary = BookingSummary(owner_id, owner.base_currency)
    statements = session.scalars(select(StatementRow).where(StatementRow.owner_id == owner_id)
                                 .order_by(StatementRow.issued_at, StatementRow.id)).all()
    if not statements:
        return summary
    items = {row.item_id: row for row in session.scalars(select(FxOpenItemRow).where(
        FxOpenItemRow.owner_id == owner_id, FxOpenItemRow.item_id.in_([item_id_of(s) for s in statements])))}
    first = min(s.issued_at for s in statements).date() - timedelta(days=max_age_days)
    book = load_rate_book(session, since=first, until=now.date())
    spot = Converter(book, _policy(sources, max_age_days, fallback=True, today=now.astimezone(timezone.utc).date()))
    locks = list_locks(session, owner_id)
    parts = day_parts(session, owner_id) if any(
        s.platform == WALLET_PLATFORM and s.statement_id.startswith(WITHDRAWAL_PREFIX) for s in statements) else {}
    moved = _moved_payers(session, owner_id, parts, items, summary) if parts else set()
    for row in statements:
        item = items.get(item_id_of(row))
        if item is None:
            item = _recognise(session, owner_id, row, owner.base_currency, spot, locks, summary)
        if item is None or item.settled_on is not None:
            continue
        paid_by = parts.get((row.shop_id, row.statement_id)) if row.platform == WALLET_PLATFORM else None
        if paid_by and item.rate_source != "LOCK":
            _settle_parts(session, owner_id, item, paid_by, spot, summary, moved)
        elif row.payment_status == "PAID" and row.paid_at:
            _settle(session, owner_id, row, item, spot, summary)
        elif row.payment_status == "PAID":
            summary.skipped[PAID_WHEN_UNKNOWN] += 1
            summary.problems.append(
                f"{item.item_id}: the platform reports it paid (payout {row.payout_id or 'not named'}) but not when; "
                "not settled until a payment time is stored for it")
    return summary


def _recognise(session: Session, owner_id: str, row: StatementRow, book_currency: str, spot: Converter,
               locks: list[RateLock], summary: BookingSummary) -> FxOpenItemRow | None:
    """Recognise the statement at the lock that can cover it, reserving the lock's cover for it in the
    same savepoint (``reserve_lock``), else at the rate sources. A reservation refused (another writer used
    the lock since it was read) is reported and the next lock, or the rate sources, tried."""
    if row.check_status != "balanced":
        summary.skipped["unbalanced" if row.check_status == "mismatch" else "not checked yet"] += 1
        return None
    if row.lines_total is None or row.lines_total == 0:
        summary.skipped["nothing to book (net 0)"] += 1
        return None
    on = row.issued_at.date()
    net = Money(row.lines_total, row.currency)
    refused: set[str] = set()
    while True:
        candidates = [lk for lk in locks if lk.lock_id not in refused]
        lock = lock_for(candidates, row.currency, book_currency, row.issued_at, net,
                        item_id_of(row)) if net.amount > 0 else None
        try:
            with session.begin_nested():
                item, new_lines = recognise_statement(
                    session, owner_id, platform=row.platform, shop_id=row.shop_id,
                    statement_id=row.statement_id, book_currency=book_currency, converter=spot, on=on,
                    at_rate=lock_rate(lock, on) if lock is not None else None)
                if lock is not None:
                    reserved = reserve_lock(session, owner_id, item, lock.lock_id, at=row.issued_at)
                    locks[:] = [reserved.lock if lk.lock_id == lock.lock_id else lk for lk in locks]
        except RateNotPublished as exc:
            summary.skipped[NOT_PUBLISHED] += 1
            summary.problems.append(f"{item_id_of(row)}: {exc}")
            return None
        except RateNotFound as exc:
            summary.skipped["no rate"] += 1
            summary.problems.append(f"{item_id_of(row)}: {exc}")
            return None
        except (StatementChanged, ValueError) as exc:
            if isinstance(exc, LockError) and lock is not None:
                refused.add(lock.lock_id)
                summary.problems.append(f"{item_id_of(row)}: lock {lock.lock_id} refused its cover ({exc})")
                _reload(session, owner_id, locks, lock.lock_id)  # (the statements after this one see it as stored)
                continue
            summary.skipped["refused"] += 1
            summary.problems.append(f"{item_id_of(row)}: {exc}")
            return None
        summary.recognised += 1
        summary.journal_lines += new_lines
        return item


def _reload(session: Session, owner_id: str, locks: list[RateLock], lock_id: str) -> None:
    """Replace the run's copy of a lock by its stored state (used by another writer, or by a payout of
    this run, since the run read it), so that later statements are not offered it on stale room."""
    try:
        fresh = get_lock(session, owner_id, lock_id)
    except LockNotFound:
        locks[:] = [lk for lk in locks if lk.lock_id != lock_id]
        return
    locks[:] = [fresh if lk.lock_id == lock_id else lk for lk in locks]


def _cash_in(session: Session, row: StatementRow, original: Money, book_currency: str, paid_on: date,
             spot: Converter) -> tuple[Money, str]:
    """The book-currency cash a payout brought in, and where its rate came from: what the payout batches
    actually paid (``payouts.payout_received``, source ``PAYOUT``; converted on at the rate source's rate
    of the day when the batches paid another currency, ``PAYOUT+ECB``…), else the statement's amount at
    the rate source's rate of the payment day."""
    received = payout_received(session, row, original)
    if received is None:
        cash = spot.convert(original, book_currency, paid_on)
        return cash.result, cash.source
    if received.currency == book_currency:
        return received, "PAYOUT"
    onward = spot.convert(received, book_currency, paid_on)
    return onward.result, f"PAYOUT+{onward.source}"


def _settle(session: Session, owner_id: str, row: StatementRow, item: FxOpenItemRow, spot: Converter,
            summary: BookingSummary) -> None:
    paid_on = row.paid_at.date()  # type: ignore[union-attr]
    original = Money(item.original_amount, item.original_currency)
    if original.amount <= 0 and not _withdrawal_fee(row):
        summary.skipped["negative statement (payable by the seller)"] += 1
        return
    try:
        result = _settle_under_lock(session, owner_id, item, paid_on, summary) \
            if item.rate_source == "LOCK" and item.rate_ref else None
        if result is None:
            with session.begin_nested():
                reference = f"PAYOUT:{row.payout_id or row.statement_id}"
                amount, source = _cash_in(session, row, original, item.book_currency, paid_on, spot)
                result = settle_at_actual(session, owner_id, item.item_id, amount, on=paid_on,
                                          reference=reference, rate_source=source)
    except (RateNotFound, ItemNotOpen, ValueError) as exc:
        summary.skipped[NOT_PUBLISHED if isinstance(exc, RateNotPublished) else "payout not settled"] += 1
        summary.problems.append(f"{item.item_id} payout: {exc}")
        return
    summary.settled += 1
    summary.journal_lines += len(result.journal.lines)


def _settle_under_lock(session: Session, owner_id: str, item: FxOpenItemRow, paid_on: date,
                       summary: BookingSummary) -> Settlement | None:
    """Settle a receivable recognised at a lock under that lock, on its payment day: the cover reserved
    at recognition is replayed, so this holds however the lock stands now. A refusal (an item recognised
    before covers were reserved, whose lock has since ended or been used up) is reported and None
    returned: the payout is then booked at the actual rate, the difference to the lock-rate carrying
    amount realized, rather than left unbooked on every run."""
    at = datetime.combine(paid_on, time(12), timezone.utc)
    try:
        with session.begin_nested():
            return settle_with_lock(session, owner_id, item.item_id, item.rate_ref, now=at)
    except (LockError, LockNotFound, CurrencyMismatch) as exc:
        summary.problems.append(f"{item.item_id} payout: lock {item.rate_ref} refused it ({exc}); "
                                f"booked at the actual rate instead")
        return None



def _withdrawal_fee(row: StatementRow) -> bool:
    """A local shop's withdrawal (its own payout, paid): its net is the fee the platform took out of it."""
    return (row.platform == WALLET_PLATFORM and row.statement_id.startswith(WITHDRAWAL_PREFIX)
            and row.payout_id == row.statement_id)


def _moved_payers(session: Session, owner_id: str, parts: dict[tuple[str, str], list[DayPart]],
                  items: dict[str, FxOpenItemRow], summary: BookingSummary) -> set[str]:
    """The withdrawals and netted days some booked part of which the allocation no longer gives (a release
    day stored late moved what a withdrawal pays, or which day a charge is netted against; a withdrawal
    still pending moves nothing: the allocation holds what it took from its creation, so its completion
    pays exactly that and a charge netted meanwhile stands): each such part is reported, and none of that payer's parts is booked any more until that part is reversed by hand —
    booking its new parts as well would book its cash twice (a netting's other side, booked already, is
    never booked again to cancel it)."""
    wanted: dict[str, dict[str, Decimal]] = {}
    for (shop_id, day), found in parts.items():
        for part in found:
            item = f"{WALLET_PLATFORM}:{shop_id}:{day}"
            share = wanted.setdefault(part.reference, {})
            share[item] = share.get(item, Decimal(0)) + part.amount
    moved = set()
    for prefix in (f"PAYOUT:{WITHDRAWAL_PREFIX}", "NETTED:"):
        for reference, booked in settlements_booked(session, owner_id, prefix).items():
            if "," in reference:
                continue  # a day settled whole by several withdrawals (``_settle``, its payout_id)
            now, by = wanted.get(reference, {}), reference.split(":", 1)[1]
            for item, amount in sorted(booked.items()):
                if item.rsplit(":", 1)[-1].startswith(WITHDRAWAL_PREFIX) or now.get(item) == amount:
                    continue  # the withdrawal's own fee, or a part it still pays as booked
                moved.add(by)
                currency = items[item].original_currency if item in items else ""
                summary.problems.append(
                    f"{item} part paid by {by}: booked as paying {amount} {currency}, it now pays "
                    f"{now.get(item, Decimal(0))} {currency} (a release day or a withdrawal stored after it "
                    f"was booked moved it); reverse that settlement by hand: nothing more is booked under "
                    f"{by} until then")
    return moved


def _settle_parts(session: Session, owner_id: str, item: FxOpenItemRow, parts: list[DayPart], spot: Converter,
                  summary: BookingSummary, moved: set[str] = frozenset()) -> None:
    """Book each withdrawal's part of a release day not booked yet, in the order they paid it, at the rate
    source's rate of its withdrawal's day (``settle_part_at_actual``: against the carrying amount of what
    the earlier parts left open; the part paying the last of it closes the receivable). A part already
    booked is skipped, so re-running books nothing twice. A booked part the allocation now sizes
    differently (a release day stored late moved what an earlier withdrawal paid) stops the day's
    booking with a problem naming both amounts; the stored journal is never rewritten."""
    currency = item.original_currency
    for part in parts:
        if part.by in moved:
            summary.skipped["withdrawal moved by a late release day (reverse by hand)"] += 1
            return
        paid_on = part.paid_at.date()
        paid = Money(part.amount, currency)
        try:
            with session.begin_nested():
                cash = spot.convert(paid, item.book_currency, paid_on)
                result = settle_part_at_actual(session, owner_id, item.item_id, paid, cash.result, on=paid_on,
                                               reference=part.reference, rate_source=cash.source)
        except (RateNotFound, ItemNotOpen, ValueError) as exc:
            summary.skipped[NOT_PUBLISHED if isinstance(exc, RateNotPublished) else "payout not settled"] += 1
            summary.problems.append(f"{item.item_id} part paid by {part.by}: {exc}")
            return
        if result is None:
            continue
        if result.remaining is None:
            summary.settled += 1
        else:
            summary.parts += 1
        summary.journal_lines += len(result.journal.lines)
