"""A month of statements booked with no manual step, while THB moves against CNY; every figure
checked by hand. Rates are ECB-style (per 1 EUR): THB→CNY = EUR/CNY ÷ EUR/THB.

| day        | EUR/THB | EUR/CNY | THB→CNY |
| 2026-03-02 | 40.000  | 8.0000  | 0.2     |
| 2026-03-05 | 38.000  | 8.0000  | 0.2105… |
| 2026-03-06 | 39.000  | 7.8000  | 0.2     |
| 2026-03-31 | 40.000  | 8.4000  | 0.21    |
"""
from __future__ import annotations

import hashlib
from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import func, select

from aggregator.fx_service.locks import create_lock
from aggregator.fx_service.rates import import_rates, load_rate_book
from aggregator.fx_service.receivables import revalue_period
from aggregator.settlement.booking import book_owner
from aggregator.settlement.service import reconcile_owner
from aggregator.store.models import OwnerRow, SettlementLineRow
from aggregator.store.models.fx import FxJournalLineRow, FxOpenItemRow
from aggregator.store.models.settlement import StatementRow
from aggregator.store.models.exceptions import ExceptionItem
from fx.convert import Converter
from fx.locks import create_forward
from fx.money import Money
from fx.rates import Rate
from fx.sources.base import ParsedRates

OWNER, SHOP = "LUMINA", "1001"
RATES = {date(2026, 3, 2): ("40.000", "8.0000"), date(2026, 3, 5): ("38.000", "8.0000"),
         date(2026, 3, 6): ("39.000", "7.8000"), date(2026, 3, 9): ("39.000", "7.8000"),
         date(2026, 3, 10): ("40.000", "8.0000"), date(2026, 3, 12): ("40.000", "8.0000"),
         date(2026, 3, 31): ("40.000", "8.4000")}


def _at(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=timezone.utc)


def _rates(session) -> None:
    rates = [Rate("EUR", quote, Decimal(value), day, "ECB", reference=f"ECB {day}")
             for day, (thb, cny) in RATES.items() for quote, value in (("THB", thb), ("CNY", cny))]
    import_rates(session, ParsedRates("ECB", rates), payload=b"month-of-march", origin="test")


def _statement(session, statement_id: str, issued: datetime, declared: str, lines: list[tuple[str, str, str]], *,
               paid: datetime | None = None) -> None:
    session.add(StatementRow(owner_id=OWNER, platform="lazada", shop_id=SHOP, statement_id=statement_id,
                             currency="THB", issued_at=issued, declared_total=Decimal(declared),
                             payout=Decimal(declared), payment_status="PAID" if paid else "UNPAID", paid_at=paid,
                             breakdown={}, source_updated_at=issued, content_hash=statement_id))
    for number, (order_id, kind, amount) in enumerate(lines):
        _line(statement_id, f"{statement_id}-{number}", order_id, kind, amount, issued)
    session.flush()


def _line(statement_id: str, tx: str, order_id: str, kind: str, amount: str, at: datetime, session=None) -> None:
    row = SettlementLineRow(owner_id=OWNER, platform="lazada", shop_id=SHOP, statement_id=statement_id,
                            transaction_id=tx, kind=kind, amount=Decimal(amount), currency="THB", occurred_at=at,
                            order_id=order_id, content_hash=hashlib.sha256(tx.encode()).hexdigest(), raw_kind=kind)
    (session or _line.session).add(row)


def _journal(session, journal_id: str) -> dict[str, Decimal]:
    rows = session.scalars(select(FxJournalLineRow).where(FxJournalLineRow.journal_id == journal_id)).all()
    assert rows and sum(r.amount for r in rows) == 0  # balanced to the cent
    return {r.line_type: r.amount for r in rows}


def test_month_of_statements_booked_without_manual_steps(session) -> None:
    _line.session = session
    session.add(OwnerRow(owner_id=OWNER, name="Lumina", base_currency="CNY"))
    _rates(session)
    # S1: 10000 revenue - 500 commission - 200 payment fee = 9300 THB, issued 2 Mar, paid 5 Mar
    _statement(session, "2026-W10", _at(2), "9300.00", [("A", "REVENUE", "10000.00"), ("A", "COMMISSION", "-500.00"),
                                                        ("A", "TRANSACTION_FEE", "-200.00")], paid=_at(5, 10))
    # S2: 5000 THB issued on Saturday 7 Mar (ECB publishes nothing): the Friday 6 Mar rate, dated 7 Mar
    _statement(session, "2026-W10B", _at(7, 3), "5000.00", [("B", "REVENUE", "5000.00")])
    # S3: 2000 THB issued 10 Mar under a forward at 0.2100 CNY per THB, paid 12 Mar
    _statement(session, "2026-W11", _at(10), "2000.00", [("C", "REVENUE", "2000.00")], paid=_at(12, 10))
    # S4: declares 150 but only 100 arrived: not booked, an exception instead
    _statement(session, "2026-W12", _at(12), "150.00", [("D", "REVENUE", "100.00")])
    create_lock(session, OWNER, create_forward(
        "FWD-MAR", counterparty="BANK", sell_currency="THB", buy_currency="CNY", rate="0.2100",
        notional=Money.of("50000", "THB"), valid_from=_at(9), valid_to=_at(31)))

    reconcile_owner(session, OWNER, now=_at(13))
    summary = book_owner(session, OWNER, sources=("ECB",), max_age_days=7, now=_at(13))
    assert (summary.recognised, summary.settled) == (3, 2) and summary.skipped == {"unbalanced": 1}

    items = {r.item_id.rsplit(":", 1)[1]: r for r in session.scalars(select(FxOpenItemRow))}
    s1, s2, s3 = items["2026-W10"], items["2026-W10B"], items["2026-W11"]
    # S1: 9300 x 8/40 = 1860.00 CNY on 2 Mar; paid 5 Mar at 9300 / 38 x 8 = 1957.894… -> 1957.89: gain 97.89
    assert (s1.carrying_amount, s1.recognised_on, s1.settled_on) == (Decimal("1860.00"), date(2026, 3, 2), date(2026, 3, 5))
    realized = _journal(session, "FX-PAYOUT:2026-W10:lazada:1001:2026-W10")
    assert realized == {"CASH_IN": Decimal("1957.89"), "RECEIVABLE_CLEAR": Decimal("-1860.00"),
                        "FX_REALIZED": Decimal("-97.89")}  # credit = gain
    # S2: dated on its own day, the fallback rate's day kept beside it
    assert (s2.recognised_on, s2.rate_date, s2.carrying_amount) == (date(2026, 3, 7), date(2026, 3, 6), Decimal("1000.00"))
    assert _journal(session, "REC-lazada:1001:2026-W10B")["RECEIVABLE"] == Decimal("1000.00")
    assert session.scalar(select(FxJournalLineRow.journal_date).where(
        FxJournalLineRow.journal_id == "REC-lazada:1001:2026-W10B").limit(1)) == date(2026, 3, 7)
    # S3: recognised at the lock (2000 x 0.21 = 420.00), settled under it: no realized difference
    assert (s3.rate_source, s3.rate_ref, s3.carrying_amount) == ("LOCK", "FWD-MAR", Decimal("420.00"))
    assert _journal(session, "FX-FWD-MAR:lazada:1001:2026-W11") == {
        "CASH_IN": Decimal("420.00"), "RECEIVABLE_CLEAR": Decimal("-420.00")}
    # S4: one open exception, nothing booked
    open_items = session.scalars(select(ExceptionItem).where(ExceptionItem.status == "open",
                                                            ExceptionItem.kind == "statement_mismatch")).all()
    assert [e.record_key for e in open_items] == ["statement:lazada:1001:2026-W12"]

    # booking again changes nothing
    again = book_owner(session, OWNER, sources=("ECB",), max_age_days=7, now=_at(13))
    assert (again.recognised, again.settled, again.journal_lines) == (0, 0, 0)

    # month end: S2 still open, revalued at 40 / 8.4 = 0.21 -> 1050.00: unrealized gain 50.00, reversed 1 Apr
    converter = Converter(load_rate_book(session))
    first = revalue_period(session, OWNER, "2026-03", book_currency="CNY", converter=converter)
    assert first.created and first.run.items_count == 1 and first.run.total_unrealized == Decimal("50.00")
    # the missing line of S4 arrives: balanced, the exception is resolved, the statement booked on 12 Mar
    _line("2026-W12", "2026-W12-late", "D", "REVENUE", "50.00", _at(12))
    session.flush()
    reconcile_owner(session, OWNER, now=_at(20))
    assert session.scalar(select(func.count()).select_from(ExceptionItem).where(
        ExceptionItem.status == "open", ExceptionItem.kind == "statement_mismatch")) == 0
    late = book_owner(session, OWNER, sources=("ECB",), max_age_days=7, now=_at(20))
    assert late.recognised == 1  # at the lock, valid on 12 Mar: 150 x 0.21 = 31.50
    # revaluing March again books only the new item: 150 x 0.21 = 31.50 at the lock, 31.50 at month end: no move
    second = revalue_period(session, OWNER, "2026-03", book_currency="CNY", converter=converter)
    assert second.created and second.runs == 2 and second.run.items_count == 1
    assert second.run.total_unrealized == Decimal("0.00")
    nothing = revalue_period(session, OWNER, "2026-03", book_currency="CNY", converter=converter)
    assert not nothing.created and nothing.runs == 2
    before = session.scalar(select(func.count()).select_from(FxJournalLineRow))
    redo = revalue_period(session, OWNER, "2026-03", book_currency="CNY", converter=converter, redo=True)
    assert redo.created and redo.runs == 1 and redo.run.items_count == 2
    assert redo.run.total_unrealized == Decimal("50.00")
    assert session.scalar(select(func.count()).select_from(FxJournalLineRow)) == before  # same lines, one run
