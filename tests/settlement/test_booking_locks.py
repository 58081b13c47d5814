"""Statements booked at a rate lock: the lock's cover is reserved when a statement is recognised at its rate,
so the payout always settles under it (no realized FX on what the lock covers), a lock is chosen only when
it can take the statement, and a lock the payout cannot use never stops the booking.

Rates are ECB-style (per 1 EUR): EUR/CNY 8; EUR/THB 40 (THB→CNY 0.2) until 15 Mar, 38 from 16 Mar
(THB→CNY 0.210526…). Every lock sells THB for CNY at 0.21.
"""
from __future__ import annotations

import hashlib
from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import func, select

from aggregator.fx_service.locks import create_lock, get_lock, list_locks, utilise_lock
from aggregator.fx_service.rates import import_rates, load_rate_book
from aggregator.fx_service.statements import recognise_statement
from aggregator.settlement.booking import BookingSummary, _recognise, book_owner
from aggregator.settlement.service import reconcile_owner
from aggregator.store.models import OwnerRow, SettlementLineRow
from aggregator.store.models.fx import FxJournalLineRow, FxLockUtilisationRow, FxOpenItemRow
from aggregator.store.models.settlement import StatementRow
from fx.convert import ConversionPolicy, Converter
from fx.locks import LockUsage, create_forward, create_from_quote
from fx.money import Money
from fx.rates import Rate
from fx.sources.base import ParsedRates

OWNER, SHOP = "LUMINA", "1001"


def _at(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=timezone.utc)


def _world(session, *locks) -> None:
    session.add(OwnerRow(owner_id=OWNER, name="Lumina", base_currency="CNY"))
    rates = [Rate("EUR", quote, Decimal(value), date(2026, 3, day), "ECB", reference=f"ECB {day}")
             for day in range(1, 32) for quote, value in (("THB", "40" if day < 16 else "38"), ("CNY", "8"))]
    import_rates(session, ParsedRates("ECB", rates), payload=b"march", origin="test")
    for lock in locks:
        create_lock(session, OWNER, lock)
    session.flush()


def _statement(session, statement_id: str, issued: datetime, amount: str, *, paid: datetime | None = None) -> None:
    session.add(StatementRow(owner_id=OWNER, platform="lazada", shop_id=SHOP, statement_id=statement_id,
                             currency="THB", issued_at=issued, declared_total=Decimal(amount),
                             payout=Decimal(amount), payment_status="PAID" if paid else "UNPAID", paid_at=paid,
                             breakdown={}, source_updated_at=issued, content_hash=statement_id))
    tx = f"{statement_id}-0"
    session.add(SettlementLineRow(owner_id=OWNER, platform="lazada", shop_id=SHOP, statement_id=statement_id,
                                  transaction_id=tx, kind="REVENUE", amount=Decimal(amount), currency="THB",
                                  occurred_at=issued, order_id=statement_id,
                                  content_hash=hashlib.sha256(tx.encode()).hexdigest(), raw_kind="REVENUE"))
    session.flush()


def _pay(session, statement_id: str, when: datetime) -> None:
    row = session.scalars(select(StatementRow).where(StatementRow.statement_id == statement_id)).one()
    row.payment_status, row.paid_at = "PAID", when
    session.flush()


def _book(session, now: datetime):
    reconcile_owner(session, OWNER, now=now)
    return book_owner(session, OWNER, sources=("ECB",), max_age_days=7, now=now)


def _item(session, statement_id: str) -> FxOpenItemRow:
    return session.scalars(select(FxOpenItemRow).where(FxOpenItemRow.item_id == f"lazada:{SHOP}:{statement_id}")).one()


def _journal(session, journal_id: str) -> dict[str, Decimal]:
    rows = session.scalars(select(FxJournalLineRow).where(FxJournalLineRow.journal_id == journal_id)).all()
    assert rows and sum(r.amount for r in rows) == 0
    return {r.line_type: r.amount for r in rows}


def _nothing_twice(session, now: datetime) -> None:
    lines = session.scalar(select(func.count()).select_from(FxJournalLineRow))
    uses = session.scalar(select(func.count()).select_from(FxLockUtilisationRow))
    again = _book(session, now)
    assert (again.recognised, again.settled, again.journal_lines, again.problems) == (0, 0, 0, [])
    assert session.scalar(select(func.count()).select_from(FxJournalLineRow)) == lines
    assert session.scalar(select(func.count()).select_from(FxLockUtilisationRow)) == uses


def test_a_lock_dealt_in_the_book_currency_is_sized_and_used_in_it(session) -> None:
    """review-money: a lock whose notional is in the currency bought (10000 CNY) covered a THB statement; its
    payout raised ``CurrencyMismatch`` (the THB amount utilised against a CNY notional) on every run, and the
    owner's whole booking failed with it."""
    _world(session, create_forward("FWD", counterparty="BANK", sell_currency="THB", buy_currency="CNY", rate="0.21",
                                   notional=Money.of("10000", "CNY"), valid_from=_at(1), valid_to=_at(31)))
    _statement(session, "S1", _at(10), "2000.00")
    first = _book(session, _at(11))
    assert (first.recognised, first.problems) == (1, [])
    s1 = _item(session, "S1")
    assert (s1.rate_source, s1.rate_ref, s1.carrying_amount) == ("LOCK", "FWD", Decimal("420.00"))
    # the cover is taken in the lock's dealt currency when the statement is recognised: 2000 THB x 0.21 CNY
    assert get_lock(session, OWNER, "FWD").used == Money.of("420.00", "CNY")

    _pay(session, "S1", _at(12))
    paid = _book(session, _at(13))
    assert (paid.settled, paid.problems) == (1, [])
    assert _item(session, "S1").settled_on == date(2026, 3, 12)
    assert _journal(session, "FX-FWD:lazada:1001:S1") == {"CASH_IN": Decimal("420.00"),
                                                          "RECEIVABLE_CLEAR": Decimal("-420.00")}
    assert get_lock(session, OWNER, "FWD").used == Money.of("420.00", "CNY")  # the payout replayed the cover
    _nothing_twice(session, _at(14))


def test_a_lock_covers_only_the_statements_it_has_room_for(session) -> None:
    """review-money: two 2000 THB statements were both recognised at a 3000 THB lock (nothing was reserved);
    the second payout was then refused by the lock on every run and its receivable never closed."""
    _world(session, create_forward("FWD", counterparty="BANK", sell_currency="THB", buy_currency="CNY", rate="0.21",
                                   notional=Money.of("3000", "THB"), valid_from=_at(1), valid_to=_at(31)))
    _statement(session, "S1", _at(10), "2000.00")
    _statement(session, "S2", _at(11), "2000.00")
    first = _book(session, _at(12))
    assert (first.recognised, first.problems) == (2, [])
    s1, s2 = _item(session, "S1"), _item(session, "S2")
    assert (s1.rate_source, s1.carrying_amount) == ("LOCK", Decimal("420.00"))
    assert (s2.rate_source, s2.carrying_amount) == ("ECB", Decimal("400.00"))  # 1000 THB left: not enough
    assert get_lock(session, OWNER, "FWD").remaining == Money.of("1000.00", "THB")

    _pay(session, "S1", _at(15))
    _pay(session, "S2", _at(16))
    paid = _book(session, _at(20))
    assert (paid.settled, paid.skipped, paid.problems) == (2, {}, [])
    assert _journal(session, "FX-FWD:lazada:1001:S1") == {"CASH_IN": Decimal("420.00"),
                                                          "RECEIVABLE_CLEAR": Decimal("-420.00")}
    # S2 at the 16 Mar rate: 2000 x 8 / 38 = 421.05, against 400.00 carried: a realized gain of 21.05
    assert _journal(session, "FX-PAYOUT:S2:lazada:1001:S2") == {
        "CASH_IN": Decimal("421.05"), "RECEIVABLE_CLEAR": Decimal("-400.00"), "FX_REALIZED": Decimal("-21.05")}
    assert get_lock(session, OWNER, "FWD").used == Money.of("2000.00", "THB")
    _nothing_twice(session, _at(25))


def test_a_single_use_quote_covers_one_statement(session) -> None:
    """review-money: a single-use quote already used by S1 was chosen again for S2 (only ``remaining`` was
    looked at), whose payout was then refused on every run."""
    _world(session, create_from_quote("Q1", provider="AIRWALLEX", quote_id="Q1", sell_currency="THB",
                                      buy_currency="CNY", client_rate="0.21", notional=Money.of("50000", "THB"),
                                      valid_from=_at(1), valid_to=_at(31), usage=LockUsage.SINGLE_USE))
    _statement(session, "S1", _at(10), "2000.00", paid=_at(11))
    first = _book(session, _at(12))
    assert (first.recognised, first.settled, first.problems) == (1, 1, [])
    assert (_item(session, "S1").rate_source, _item(session, "S1").rate_ref) == ("LOCK", "Q1")
    assert _journal(session, "FX-Q1:lazada:1001:S1") == {"CASH_IN": Decimal("420.00"),
                                                         "RECEIVABLE_CLEAR": Decimal("-420.00")}

    _statement(session, "S2", _at(13), "2000.00", paid=_at(14))
    second = _book(session, _at(15))
    assert (second.recognised, second.settled, second.skipped, second.problems) == (1, 1, {}, [])
    s2 = _item(session, "S2")
    assert (s2.rate_source, s2.carrying_amount, s2.settled_on) == ("ECB", Decimal("400.00"), date(2026, 3, 14))
    assert session.scalar(select(func.count()).select_from(FxLockUtilisationRow)) == 1
    _nothing_twice(session, _at(20))


def test_a_statement_recognised_at_a_lock_settles_under_it_after_the_lock_expired(session) -> None:
    """review-money: a statement recognised at a lock valid on its day but paid after the lock's end was
    refused ("lock expired") on every run; its receivable never closed. Its cover is reserved on its own day
    now, so the payout settles at the lock's rate whenever it comes: no realized FX on the locked amount, and
    what the lock still had at its end is its unhedged exposure."""
    _world(session, create_forward("FWD", counterparty="BANK", sell_currency="THB", buy_currency="CNY", rate="0.21",
                                   notional=Money.of("30000", "THB"), valid_from=_at(1), valid_to=_at(14)))
    _statement(session, "S1", _at(10), "2000.00")
    assert _book(session, _at(12)).recognised == 1
    _pay(session, "S1", _at(16))
    paid = _book(session, _at(20))
    assert (paid.settled, paid.skipped, paid.problems) == (1, {}, [])
    s1 = _item(session, "S1")
    assert (s1.rate_source, s1.carrying_amount, s1.settled_on) == ("LOCK", Decimal("420.00"), date(2026, 3, 16))
    assert _journal(session, "FX-FWD:lazada:1001:S1") == {"CASH_IN": Decimal("420.00"),
                                                          "RECEIVABLE_CLEAR": Decimal("-420.00")}
    lock = get_lock(session, OWNER, "FWD")
    assert lock.unhedged_exposure(_at(20)) == Money.of("28000.00", "THB")
    _nothing_twice(session, _at(25))


def test_a_payout_the_lock_refuses_is_booked_at_the_actual_rate_and_reported(session) -> None:
    """A receivable carried at a lock's rate with no cover reserved (booked by a build that reserved nothing
    at recognition) whose lock has ended before the payout: the payout is booked at the rate source's rate of
    its day with the realized difference, the refusal is reported once, and the owner's other statements are
    booked in the same run."""
    _world(session, create_forward("FWD", counterparty="BANK", sell_currency="THB", buy_currency="CNY", rate="0.21",
                                   notional=Money.of("30000", "THB"), valid_from=_at(1), valid_to=_at(14)))
    _statement(session, "OLD", _at(10), "2000.00")
    reconcile_owner(session, OWNER, now=_at(11))
    lock = get_lock(session, OWNER, "FWD")
    recognise_statement(session, OWNER, platform="lazada", shop_id=SHOP, statement_id="OLD", book_currency="CNY",
                        converter=Converter(load_rate_book(session), ConversionPolicy(sources=("ECB",))),
                        on=date(2026, 3, 10), at_rate=Rate("THB", "CNY", lock.client_rate, date(2026, 3, 10),
                                                          "LOCK", reference="FWD"))
    _statement(session, "NEW", _at(17), "1000.00")
    _pay(session, "OLD", _at(16))
    run = _book(session, _at(20))
    assert (run.recognised, run.settled, run.skipped) == (1, 1, {})
    assert len(run.problems) == 1 and "lock FWD" in run.problems[0] and "expired" in run.problems[0]
    assert _item(session, "NEW").carrying_amount == Decimal("210.53")  # 1000 x 8 / 38, the lock has ended
    assert _item(session, "OLD").settled_on == date(2026, 3, 16)
    assert _journal(session, "FX-PAYOUT:OLD:lazada:1001:OLD") == {
        "CASH_IN": Decimal("421.05"), "RECEIVABLE_CLEAR": Decimal("-420.00"), "FX_REALIZED": Decimal("-1.05")}
    _nothing_twice(session, _at(25))


def test_a_lock_refused_at_its_reservation_is_not_offered_again_in_the_run(session) -> None:
    """Review of the lock covers: a lock another writer used up after the run read the owner's locks was
    refused at the first statement's reservation, but the run kept its stale copy and offered it to every
    later statement (one thrown-away recognition and one problem line each). The refusal now reloads the
    lock: the first statement reports it once, the next is not offered it; both are booked at the rate
    source's rate."""
    _world(session, create_forward("FWD", counterparty="BANK", sell_currency="THB", buy_currency="CNY", rate="0.21",
                                   notional=Money.of("3000", "THB"), valid_from=_at(1), valid_to=_at(31)))
    _statement(session, "S1", _at(10), "2000.00")
    _statement(session, "S2", _at(11), "2000.00")
    reconcile_owner(session, OWNER, now=_at(12))
    locks = list_locks(session, OWNER)  # the run's copy, read before the other writer takes the room
    utilise_lock(session, OWNER, "FWD", Money.of("2500", "THB"), "elsewhere", _at(9))
    summary = BookingSummary(OWNER, "CNY")
    spot = Converter(load_rate_book(session), ConversionPolicy(sources=("ECB",)))
    rows = session.scalars(select(StatementRow).order_by(StatementRow.issued_at)).all()
    items = [_recognise(session, OWNER, row, "CNY", spot, locks, summary) for row in rows]
    assert [(i.rate_source, i.carrying_amount) for i in items] == [("ECB", Decimal("400.00")),
                                                                    ("ECB", Decimal("400.00"))]
    assert len(summary.problems) == 1
    assert "lazada:1001:S1" in summary.problems[0] and "lock FWD refused its cover" in summary.problems[0]
    assert get_lock(session, OWNER, "FWD").used == Money.of("2500.00", "THB")
