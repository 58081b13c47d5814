"""A marketplace statement end to end: recognised from its settlement lines, settled under a lock."""
from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import select

from aggregator.fx_service.locks import create_lock
from aggregator.fx_service.rates import import_rates, load_rate_book
from aggregator.fx_service.receivables import settle_with_lock
from aggregator.fx_service.statements import StatementChanged, StatementNotFound, recognise_statement
from aggregator.store.models import SettlementLineRow
from aggregator.store.models.fx import FxJournalLineRow
from fx.convert import Converter
from fx.locks import create_forward
from fx.money import Money
from fx.sources import ecb
from tests.fx.helpers import fixture_bytes

AT = datetime(2026, 12, 22, 9, tzinfo=timezone.utc)


def _line(transaction_id: str, kind: str, amount: str, **extra) -> SettlementLineRow:
    values = dict(owner_id="OWN-1", platform="lazada", shop_id="LZ-TH-0001", statement_id="STMT-2026W52",
                  transaction_id=transaction_id, kind=kind, amount=Decimal(amount), currency="THB", occurred_at=AT,
                  content_hash=hashlib.sha256(transaction_id.encode()).hexdigest(), raw_kind=kind.title())
    values.update(extra)
    return SettlementLineRow(**values)


def test_statement_recognised_then_settled_under_a_lock(session) -> None:
    payload = fixture_bytes("eurofxref-hist-90d.sample.xml")
    import_rates(session, ecb.parse(payload), payload=payload, origin="90d.xml")
    session.add_all([_line("T1", "REVENUE", "13990.00"), _line("T2", "COMMISSION", "-978.30"),
                     _line("T3", "TRANSACTION_FEE", "-666.03"),
                     _line("T4", "PAYOUT", "-12345.67", occurred_at=AT + timedelta(days=3))])
    session.flush()
    converter = Converter(load_rate_book(session))
    item, new_lines = recognise_statement(session, "OWN-1", platform="lazada", shop_id="LZ-TH-0001",
                                          statement_id="STMT-2026W52", book_currency="CNY", converter=converter)
    assert (item.item_id, item.original_amount, item.recognised_on) == (
        "lazada:LZ-TH-0001:STMT-2026W52", Decimal("12345.67"), date(2026, 12, 22))
    expected_carrying = (Decimal("12345.67") / Decimal("37.728") * Decimal("7.4757")).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert item.carrying_amount == expected_carrying and item.account == "1122.LAZADA-LZ-TH-0001"
    assert new_lines == 4
    again = recognise_statement(session, "OWN-1", platform="lazada", shop_id="LZ-TH-0001",
                                statement_id="STMT-2026W52", book_currency="CNY", converter=converter)
    assert again[1] == 0  # idempotent

    create_lock(session, "OWN-1", create_forward(
        "FWD-TH", counterparty="BANK", sell_currency="THB", buy_currency="CNY", rate="0.1985",
        notional=Money.of("50000", "THB"), valid_from=AT, valid_to=AT + timedelta(days=30)))
    settled = settle_with_lock(session, "OWN-1", item.item_id, "FWD-TH", now=AT + timedelta(days=3))
    assert settled.realized == (Money(Decimal("12345.67") * Decimal("0.1985"), "CNY").round()
                                - Money(expected_carrying, "CNY"))
    lines = session.scalars(select(FxJournalLineRow)).all()
    assert sum(line.amount for line in lines) == 0 and len(lines) == 7

    session.add(_line("T5", "ADJUSTMENT", "-10.00"))
    session.flush()
    with pytest.raises(StatementChanged):
        recognise_statement(session, "OWN-1", platform="lazada", shop_id="LZ-TH-0001",
                            statement_id="STMT-2026W52", book_currency="CNY", converter=converter)
    with pytest.raises(StatementNotFound):
        recognise_statement(session, "OWN-1", platform="shopee", shop_id="X", statement_id="Y",
                            book_currency="CNY", converter=converter)
