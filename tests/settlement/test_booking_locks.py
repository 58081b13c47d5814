"""Statements booked at a rate lock: a lock is sized and used in its dealt currency, and a lock the payout
cannot use never stops the booking.

Rates are ECB-style (per 1 EUR): EUR/CNY 8; EUR/THB 40 (THB→CNY 0.2) until 15 Mar, 38 from 16 Mar
(THB→CNY 0.210526…). Every lock sells THB for CNY at 0.21.
"""
from __future__ import annotations

import hashlib
from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import func, select

from aggregator.fx_service.locks import create_lock, get_lock
from aggregator.fx_service.rates import import_rates
from aggregator.settlement.booking import book_owner
from aggregator.settlement.service import reconcile_owner
from aggregator.store.models import OwnerRow, SettlementLineRow
from aggregator.store.models.fx import FxJournalLineRow, FxLockUtilisationRow, FxOpenItemRow
from aggregator.store.models.settlement import StatementRow
from fx.locks import create_forward
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

    _pay(session, "S1", _at(12))
    paid = _book(session, _at(13))
    assert (paid.settled, paid.problems) == (1, [])
    assert _item(session, "S1").settled_on == date(2026, 3, 12)
    assert _journal(session, "FX-FWD:lazada:1001:S1") == {"CASH_IN": Decimal("420.00"),
                                                          "RECEIVABLE_CLEAR": Decimal("-420.00")}
    assert get_lock(session, OWNER, "FWD").used == Money.of("420.00", "CNY")  # 2000 THB x 0.21, in CNY
    _nothing_twice(session, _at(14))
