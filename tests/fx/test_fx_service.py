"""FX persistence on SQLite and PostgreSQL: rate imports with provenance, locks, receivables, revaluation."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

import httpx
import pytest
import respx
from sqlalchemy import func, select

from aggregator.fx_service.locks import (
    LockExists, LockNotFound, cancel_lock, create_lock, get_lock, list_locks, utilise_lock,
)
from aggregator.fx_service.rates import fetch_and_import, import_rates, load_rate_book
from aggregator.fx_service.receivables import (
    ItemNotOpen, recognise_receivable, revalue_period, settle_at_actual, settle_part_at_actual, settle_with_lock,
)
from aggregator.store.models import AuditEntry, ExceptionItem
from aggregator.store.models.fx import FxJournalLineRow, FxLockUtilisationRow, FxRateRow
from fx.convert import Converter
from fx.locks import IdempotencyConflict, LockState, OverUtilisation, create_forward
from fx.money import Money
from fx.sources import ecb
from fx.sources.http import FetchError
from tests.fx.helpers import fixture_bytes

T0 = datetime(2026, 12, 1, 8, tzinfo=timezone.utc)


def _import(session, name: str):
    payload = fixture_bytes(name)
    return import_rates(session, ecb.parse(payload), payload=payload, origin=name)


def test_rate_import_is_idempotent_and_keeps_exact_values(session) -> None:
    first = _import(session, "eurofxref-hist-90d.sample.xml")
    assert (first.read, first.created, first.revised, first.duplicate_file) == (145, 145, 0, False)
    again = _import(session, "eurofxref-hist-90d.sample.xml")
    assert again.duplicate_file and again.import_id == first.import_id
    # The same rates from another file (the history CSV strips trailing zeros) are unchanged, not revised.
    csv = _import(session, "eurofxref-hist.sample.csv")
    assert (csv.created, csv.revised, csv.unchanged) == (0, 0, 145)
    stored = session.scalars(select(FxRateRow).where(FxRateRow.quote == "IDR",
                                                     FxRateRow.rate_date == date(2026, 12, 29))).one()
    assert stored.value == Decimal("20309.84") and stored.import_id == first.import_id
    book = load_rate_book(session, since=date(2026, 12, 1))
    conversion = Converter(book).convert(Money.of("12500000", "IDR"), "CNY", date(2026, 12, 29))
    assert conversion.result.amount == Decimal(12500000) / Decimal("20309.84") * Decimal("7.4354")


def test_revised_rate_is_updated_with_an_audit_entry_and_problems_are_parked(session) -> None:
    _import(session, "eurofxref-daily.sample.csv")
    revised_payload = fixture_bytes("eurofxref-daily.sample.csv").replace(b"1.1126", b"1.1127").replace(
        b", 7.4089,", b", oops,")
    report = import_rates(session, ecb.parse(revised_payload), payload=revised_payload, origin="revised.csv")
    assert report.revised == 1 and len(report.problems) == 1
    usd = session.scalars(select(FxRateRow).where(FxRateRow.quote == "USD")).one()
    assert usd.value == Decimal("1.1127")
    audit = session.scalars(select(AuditEntry).where(AuditEntry.entity == "fx_rates")).all()
    assert any(a.changes["value"] == ["1.1126", "1.1127"] for a in audit)
    parked = session.scalars(select(ExceptionItem).where(ExceptionItem.source == "fx:ecb")).one()
    assert "CNY" in parked.location and parked.raw_payload["raw"] == "oops"


def _forward(notional: str = "1000") -> object:
    return create_forward("FWD-1", counterparty="BANK", sell_currency="USD", buy_currency="CNY", rate="7.1000",
                          notional=Money.of(notional, "USD"), valid_from=T0, valid_to=T0 + timedelta(days=30))


def test_lock_roundtrip_utilise_idempotently_and_cancel(session) -> None:
    create_lock(session, "OWN-1", _forward())
    create_lock(session, "OWN-1", _forward())  # same terms: no-op
    with pytest.raises(LockExists):
        create_lock(session, "OWN-1", _forward("999"))
    with pytest.raises(LockNotFound):
        get_lock(session, "OWN-2", "FWD-1")  # another owner's lock is invisible
    first = utilise_lock(session, "OWN-1", "FWD-1", Money.of("400", "USD"), "PAYOUT-1", T0 + timedelta(days=1))
    assert first.utilisation.counter == Money.of("2840.0000", "CNY")
    replay = utilise_lock(session, "OWN-1", "FWD-1", Money.of("400", "USD"), "PAYOUT-1", T0 + timedelta(days=2))
    assert replay.replayed
    with pytest.raises(IdempotencyConflict):
        utilise_lock(session, "OWN-1", "FWD-1", Money.of("401", "USD"), "PAYOUT-1", T0 + timedelta(days=2))
    with pytest.raises(OverUtilisation):
        utilise_lock(session, "OWN-1", "FWD-1", Money.of("600.01", "USD"), "PAYOUT-2", T0 + timedelta(days=2))
    lock = get_lock(session, "OWN-1", "FWD-1")
    assert lock.used == Money.of("400", "USD") and lock.state_at(T0 + timedelta(days=2)) is LockState.PARTIALLY_UTILISED
    assert session.scalar(select(func.count()).select_from(FxLockUtilisationRow)) == 1
    cancelled = cancel_lock(session, "OWN-1", "FWD-1", T0 + timedelta(days=3))
    assert cancelled.unhedged_exposure(T0 + timedelta(days=3)) == Money.of("600", "USD")
    assert [lk.lock_id for lk in list_locks(session, "OWN-1")] == ["FWD-1"]
    assert get_lock(session, "OWN-1", "FWD-1").state_at(T0 + timedelta(days=3)) is LockState.CANCELLED


def test_receivable_settled_under_a_lock_books_realized_fx_once(session) -> None:
    _import(session, "eurofxref-hist-90d.sample.xml")
    converter = Converter(load_rate_book(session))
    row = recognise_receivable(session, "OWN-1", "SHOPEE:SG1:ORD-1", Money.of("100.00", "USD"), book_currency="CNY",
                               on=date(2026, 12, 22), account="1122.SG", converter=converter)
    # 100 / 1.12 * 7.4757 = 667.4732… → 667.47 carrying
    assert row.carrying_amount == Decimal("667.47")
    create_lock(session, "OWN-1", _forward())
    result = settle_with_lock(session, "OWN-1", "SHOPEE:SG1:ORD-1", "FWD-1", now=T0 + timedelta(days=25))
    assert result.realized == Money.of("42.53", "CNY")  # 710.00 at the locked 7.10 − 667.47 carried
    lines = session.scalars(select(FxJournalLineRow).order_by(FxJournalLineRow.line_no)).all()
    assert [line.line_type for line in lines] == ["CASH_IN", "RECEIVABLE_CLEAR", "FX_REALIZED"]
    assert sum(line.amount for line in lines) == 0 and {line.rounding for line in lines} == {"ROUND_HALF_UP"}
    with pytest.raises(ItemNotOpen):
        settle_with_lock(session, "OWN-1", "SHOPEE:SG1:ORD-1", "FWD-1", now=T0 + timedelta(days=26))


def test_month_end_revaluation_is_booked_once_with_its_reversal(session) -> None:
    _import(session, "eurofxref-hist-90d.sample.xml")
    converter = Converter(load_rate_book(session))
    recognise_receivable(session, "OWN-1", "LAZADA:TH1:A", Money.of("12345.67", "THB"), book_currency="CNY",
                         on=date(2026, 12, 22), account="1122.TH", converter=converter)
    recognise_receivable(session, "OWN-1", "LAZADA:TH1:B", Money.of("500.00", "THB"), book_currency="CNY",
                         on=date(2026, 12, 23), account="1122.TH", converter=converter)
    outcome = revalue_period(session, "OWN-1", "2026-12", book_currency="CNY", converter=converter)
    assert outcome.created and outcome.run.items_count == 2
    entries = {e.item.item_id: e for e in outcome.revaluation.items}
    assert entries["LAZADA:TH1:A"].closing.rate_date == date(2026, 12, 29)  # last published in December
    assert outcome.run.total_unrealized == sum(e.unrealized.amount for e in entries.values())
    lines = session.scalars(select(FxJournalLineRow).where(FxJournalLineRow.revaluation_run_id == outcome.run.id)).all()
    assert len(lines) == 8 and sum(line.amount for line in lines) == 0
    assert {line.journal_date for line in lines} == {date(2026, 12, 31), date(2027, 1, 1)}
    again = revalue_period(session, "OWN-1", "2026-12", book_currency="CNY", converter=converter)
    assert not again.created and again.run.id == outcome.run.id
    assert session.scalar(select(func.count()).select_from(FxJournalLineRow)) == 8


def test_recognition_at_period_average_and_settlement_at_the_actual_rate(session) -> None:
    _import(session, "eurofxref-hist-90d.sample.xml")
    converter = Converter(load_rate_book(session))
    row = recognise_receivable(session, "OWN-1", "TIKTOK:MY1:7", Money.of("1000.00", "MYR"), book_currency="CNY",
                               on=date(2026, 12, 29), account="1122.MY", converter=converter,
                               average_over=(date(2026, 12, 1), date(2026, 12, 31)))
    average = converter.period_average("MYR", "CNY", date(2026, 12, 1), date(2026, 12, 31))
    assert row.rate_source == "ECB-AVG" and row.carrying_rate == average.value
    assert row.carrying_amount == (Decimal(1000) * average.value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    result = settle_at_actual(session, "OWN-1", "TIKTOK:MY1:7", Money.of("1650.00", "CNY"), on=date(2027, 1, 8),
                              reference="PINGPONG-TX-88")
    assert result.realized == Money.of("1650.00", "CNY") - Money(row.carrying_amount, "CNY")
    keys = set(session.scalars(select(FxJournalLineRow.idem_key)))
    assert keys == {"PINGPONG-TX-88:TIKTOK:MY1:7:CASH", "PINGPONG-TX-88:TIKTOK:MY1:7:AR",
                    "PINGPONG-TX-88:TIKTOK:MY1:7:FX"}


def test_a_suspicious_jump_is_stored_and_parked_for_review(session) -> None:
    _import(session, "eurofxref-hist-90d.sample.xml")
    typo = b"Date, USD, IDR, \n30 December 2026, 1.1130, 2030.98, \n"
    report = import_rates(session, ecb.parse(typo), payload=typo, origin="typo.csv")
    assert report.created == 2 and len(report.jumps) == 1 and "EUR/IDR moved -90.0%" in report.jumps[0]
    parked = session.scalars(select(ExceptionItem).where(ExceptionItem.kind == "fx_rate_jump")).one()
    assert "2026-12-29" in parked.reason and parked.location == "typo.csv 2026-12-30 EUR/IDR"


@respx.mock
def test_fetch_and_import_is_the_daily_job_body(session) -> None:
    respx.get(ecb.URLS["daily"]).mock(return_value=httpx.Response(200, content=fixture_bytes(
        "eurofxref-daily.sample.xml")))
    first = fetch_and_import(session, "ecb", attempts=1)
    assert (first.created, first.origin) == (29, ecb.URLS["daily"])
    assert fetch_and_import(session, "ecb", attempts=1).duplicate_file  # same publication twice: no-op
    respx.get(ecb.URLS["90d"]).mock(return_value=httpx.Response(503))
    with pytest.raises(FetchError, match="HTTP 503"):
        fetch_and_import(session, "ecb", attempts=1, ecb_file="90d")
    with pytest.raises(ValueError):
        fetch_and_import(session, "bank-csv")


def test_a_receivable_paid_in_part_is_settled_under_a_lock_for_its_open_rest_only(session) -> None:
    """review-b: ``fx receivable settle --lock`` on a receivable a first part already paid (a release day
    paid in part by a wallet withdrawal) settles what is open, not the whole again: the lock is used for
    the open 60 USD, and the two clearing lines together clear the carrying amount exactly once."""
    _import(session, "eurofxref-hist-90d.sample.xml")
    converter = Converter(load_rate_book(session))
    recognise_receivable(session, "OWN-1", "SHOPEE:SG1:ORD-2", Money.of("100.00", "USD"), book_currency="CNY",
                         on=date(2026, 12, 22), account="1122.SG", converter=converter)  # carried 667.47
    part = settle_part_at_actual(session, "OWN-1", "SHOPEE:SG1:ORD-2", Money.of("40.00", "USD"),
                                 Money.of("280.00", "CNY"), on=date(2026, 12, 23), reference="PAYOUT:W-1")
    assert part.cleared == Money.of("266.99", "CNY")  # 667.47 × 40 / 100 = 266.988
    create_lock(session, "OWN-1", _forward())
    result = settle_with_lock(session, "OWN-1", "SHOPEE:SG1:ORD-2", "FWD-1", now=T0 + timedelta(days=25))
    assert result.cleared == Money.of("400.48", "CNY")  # what the part left: 667.47 − 266.99
    assert result.realized == Money.of("25.52", "CNY")  # 60 × 7.10 = 426.00 − 400.48
    assert get_lock(session, "OWN-1", "FWD-1").remaining == Money.of("940", "USD")
    clears = session.scalars(select(FxJournalLineRow.amount).where(
        FxJournalLineRow.rate_ref == "SHOPEE:SG1:ORD-2", FxJournalLineRow.line_type == "RECEIVABLE_CLEAR")).all()
    assert sum(clears) == Decimal("-667.47")
