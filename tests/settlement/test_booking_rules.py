"""Booking's rules on accounts, rate days and payment times, on statements as production stores them.

* Every canonical line kind lands on its own account of the default chart (sales revenue on 6001, as in
  the reference export), and a kind the chart does not name is refused, never booked to a catch-all.
* A day not over never takes an earlier day's rate: booked later, at its own rate, whatever the hour.
* A statement the platform reports paid without saying when is a counted skip with a reason, never silent.

Rates are ECB-style (per 1 EUR): THB→CNY = EUR/CNY ÷ EUR/THB.
"""
from __future__ import annotations

import hashlib
from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import select

from aggregator.fx_service.rates import import_rates
from aggregator.fx_service.statements import PAYOUT_KINDS
from aggregator.settlement.booking import NOT_PUBLISHED, PAID_WHEN_UNKNOWN, book_owner
from aggregator.settlement.service import reconcile_owner
from aggregator.settlement.writer import write_settlement_records
from aggregator.store.models import OwnerRow, SettlementLineRow
from aggregator.store.models.fx import FxJournalLineRow, FxOpenItemRow
from aggregator.store.models.settlement import StatementRow
from fx.rates import Rate
from fx.recognition import DEFAULT_CHART, RecognitionAccounts
from fx.sources.base import ParsedRates
from platform_adapters.canonical.settlement import FeeCategory
from platform_adapters.tiktok.settlement_mapping import map_record

OWNER, SHOP = "LUMINA", "1001"


def _at(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=timezone.utc)


def _rates(session, table: dict[date, tuple[str, str]], tag: str, source: str = "ECB") -> None:
    rates = [Rate("EUR", quote, Decimal(value), day, source, reference=f"{source} {day}")
             for day, (thb, cny) in table.items() for quote, value in (("THB", thb), ("CNY", cny))]
    import_rates(session, ParsedRates(source, rates), payload=tag.encode(), origin="test")


def _statement(session, statement_id: str, issued: datetime, lines: list[tuple[str, str]], *,
               paid: datetime | None = None) -> None:
    total = sum(Decimal(amount) for _, amount in lines)
    session.add(StatementRow(owner_id=OWNER, platform="lazada", shop_id=SHOP, statement_id=statement_id,
                             currency="THB", issued_at=issued, declared_total=total, payout=total,
                             payment_status="PAID" if paid else "UNPAID", paid_at=paid, breakdown={},
                             source_updated_at=issued, content_hash=statement_id))
    for number, (kind, amount) in enumerate(lines):
        tx = f"{statement_id}-{number}"
        session.add(SettlementLineRow(owner_id=OWNER, platform="lazada", shop_id=SHOP, statement_id=statement_id,
                                      transaction_id=tx, kind=kind, amount=Decimal(amount), currency="THB",
                                      occurred_at=issued, order_id="A", raw_kind=kind,
                                      content_hash=hashlib.sha256(tx.encode()).hexdigest()))
    session.flush()


def _owner(session) -> None:
    session.add(OwnerRow(owner_id=OWNER, name="Lumina", base_currency="CNY"))
    session.flush()


def _book(session, now: datetime):
    reconcile_owner(session, OWNER, now=now)
    return book_owner(session, OWNER, sources=("ECB",), now=now)


def test_the_default_chart_names_every_kind_the_mappers_emit() -> None:
    recognised = {category.value for category in FeeCategory} - PAYOUT_KINDS
    assert PAYOUT_KINDS == {FeeCategory.PAYOUT.value}  # payouts settle, they are never recognised
    assert set(DEFAULT_CHART) == recognised  # a new category without an account fails here, not in the books
    assert RecognitionAccounts().by_kind == DEFAULT_CHART


def test_a_booked_statement_lands_each_kind_on_its_account(session) -> None:
    _owner(session)
    _rates(session, {date(2026, 3, 2): ("40", "8")}, "d2")  # THB→CNY 0.2
    _statement(session, "W10", _at(2, 9), [
        ("REVENUE", "10000.00"), ("SHIPPING_BUYER_PAID", "100.00"), ("VOUCHER_SELLER", "-200.00"),
        ("VOUCHER_PLATFORM", "150.00"), ("COMMISSION", "-500.00"), ("MARKETING_FEE", "-50.00"),
        ("SHIPPING_CHARGED", "-120.00"), ("TAX_WITHHELD", "-300.00"), ("RESERVE_HELD", "-500.00")])
    summary = _book(session, _at(3))
    assert summary.recognised == 1, summary.describe()
    booked = {(r.line_type, r.account, r.amount) for r in session.scalars(select(FxJournalLineRow))}
    assert booked == {
        ("RECEIVABLE", "1122.LAZADA-1001", Decimal("1716.00")),
        ("REVENUE", "6001", Decimal("-2000.00")),  # credit to sales revenue, as the reference export books it
        ("SHIPPING_BUYER_PAID", "6001", Decimal("-20.00")),
        ("VOUCHER_SELLER", "6001", Decimal("40.00")),  # contra-revenue: a debit to revenue
        ("VOUCHER_PLATFORM", "6001", Decimal("-30.00")),
        ("COMMISSION", "6601.01", Decimal("100.00")),
        ("MARKETING_FEE", "6601.05", Decimal("10.00")),
        ("SHIPPING_CHARGED", "6601.04", Decimal("24.00")),
        ("TAX_WITHHELD", "2221", Decimal("60.00")),  # tax prepaid for the seller, not an expense
        ("RESERVE_HELD", "1221", Decimal("100.00")),  # still owed by the platform: a receivable
    }


def test_a_kind_the_chart_does_not_name_is_refused_not_defaulted(session) -> None:
    _owner(session)
    _rates(session, {date(2026, 3, 2): ("40", "8")}, "d2")
    _statement(session, "W10", _at(2, 9), [("REVENUE", "1000.00"), ("ORDER_INCOME", "50.00")])
    summary = _book(session, _at(3))
    assert summary.recognised == 0 and summary.skipped["refused"] == 1
    assert any("W10-1 (ORDER_INCOME)" in problem for problem in summary.problems), summary.problems
    assert session.scalars(select(FxJournalLineRow)).all() == []
    assert session.scalars(select(FxOpenItemRow)).all() == []


def test_a_day_not_over_waits_for_its_own_rate(session) -> None:
    _owner(session)
    _rates(session, {date(2026, 3, 9): ("40", "8")}, "d9")  # 0.2
    _statement(session, "S1", _at(10, 0, 30), [("REVENUE", "10000.00")])
    early = _book(session, _at(10, 2))  # the post-sync run, before the ECB publishes 10 March
    assert early.recognised == 0 and early.skipped[NOT_PUBLISHED] == 1
    assert any("for 2026-03-10 not published yet" in problem for problem in early.problems), early.problems
    assert session.scalars(select(FxOpenItemRow)).all() == []
    _rates(session, {date(2026, 3, 10): ("32", "8")}, "d10")  # 0.25, published in the afternoon
    later = _book(session, _at(10, 18))
    assert later.recognised == 1, later.describe()
    item = session.scalars(select(FxOpenItemRow)).one()
    assert (item.recognised_on, item.rate_date, item.carrying_amount) == (date(2026, 3, 10), date(2026, 3, 10),
                                                                         Decimal("2500.00"))


def test_a_past_day_without_a_rate_still_falls_back(session) -> None:
    _owner(session)
    _rates(session, {date(2026, 3, 6): ("40", "8")}, "d6")  # Friday; nothing on Saturday 7 March
    _statement(session, "S1", _at(7, 10), [("REVENUE", "10000.00")])
    summary = _book(session, _at(8, 2))
    assert summary.recognised == 1, summary.describe()
    item = session.scalars(select(FxOpenItemRow)).one()
    assert (item.recognised_on, item.rate_date, item.carrying_amount) == (date(2026, 3, 7), date(2026, 3, 6),
                                                                         Decimal("2000.00"))


def test_a_payout_of_today_waits_for_todays_rate(session) -> None:
    _owner(session)
    _rates(session, {date(2026, 3, 2): ("40", "8"), date(2026, 3, 9): ("40", "8")}, "d2")
    _statement(session, "S1", _at(2, 9), [("REVENUE", "10000.00")], paid=_at(10, 1))
    early = _book(session, _at(10, 3))
    assert (early.recognised, early.settled, early.skipped[NOT_PUBLISHED]) == (1, 0, 1), early.describe()
    _rates(session, {date(2026, 3, 10): ("32", "8")}, "d10")
    later = _book(session, _at(10, 18))
    assert later.settled == 1, later.describe()
    realized = session.scalars(select(FxJournalLineRow).where(FxJournalLineRow.line_type == "FX_REALIZED")).one()
    assert realized.amount == Decimal("-500.00")  # 2500.00 received against 2000.00 carried: a gain (credit)


def test_a_paid_statement_without_a_payment_time_is_a_counted_skip(session) -> None:
    _owner(session)
    _rates(session, {date(2026, 3, 3): ("40", "8")}, "d3")
    at = int(_at(3).timestamp())
    statement = {"id": "ST1", "statement_time": at, "currency": "THB", "settlement_amount": "900",
                 "revenue_amount": "1000", "fee_amount": "-100", "payment_status": "PAID", "payment_id": "P1"}
    transaction = {"id": "TX1", "type": "ORDER", "order_id": "O1", "currency": "THB", "settlement_amount": "900",
                   "revenue_amount": "1000", "revenue_breakdown": {"subtotal_before_discount_amount": "1000"},
                   "fee_tax_amount": "-100", "fee_tax_breakdown": {"fee": {"platform_commission_amount": "-100"}},
                   "shipping_cost_amount": "0"}
    totals = {"currency": "THB", "total_settlement_amount": "900", "total_reserve_amount": "0",
              "payable_amount": "900"}
    records = []
    for raw in ({"statement": statement, "transaction": transaction}, {"statement": statement, "summary": totals}):
        records += map_record(raw, "TT-1")[0]
    write_settlement_records(session, records, OWNER)
    session.flush()
    for _ in range(2):  # every run says so again until the time is known
        summary = _book(session, _at(20))
        assert summary.settled == 0 and summary.skipped[PAID_WHEN_UNKNOWN] == 1, summary.describe()
        assert "paid, payment time unknown 1" in summary.describe()
        assert any("tiktok:TT-1:ST1" in p and "payout P1" in p for p in summary.problems), summary.problems
