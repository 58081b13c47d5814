"""Shopee cross-border payout batches (``payment.get_payout_detail``): the pure mapping to a paid
statement, the fetch through the real client against a respx-mocked Open Platform (15-day windows,
numbered pages, a local shop's documented refusal), and in the database: a release-day statement is
paid once a batch pays every order on it, then booked with its realized FX.

The fixture follows the documented response shape (shopee-sdk ``schemas/v2.payment.get_payout_detail.json``:
``payout_list[].payout_info`` / ``escrow_list`` / ``offline_adjustment_list``), with figures checked by
hand: 185,000 + 92,500 + 240,000 escrows − 15,000 + 50,000 adjustments = 552,500 VND paid."""
from __future__ import annotations

import copy
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from aggregator.settlement.booking import book_owner
from aggregator.settlement.payouts import mark_paid_by_payouts
from aggregator.settlement.service import reconcile_owner
from aggregator.settlement.writer import write_settlement_records
from aggregator.store.db import session_scope
from aggregator.store.models.fx import FxJournalLineRow, FxOpenItemRow, FxRateRow
from aggregator.store.models.settlement import StatementRow
from aggregator.store.models.tenancy import OwnerRow
from fx.money import Money
from platform_adapters.auth import StaticTokenProvider
from platform_adapters.canonical import FeeCategory, Platform, SettlementLine, Statement
from platform_adapters.http.errors import PlatformError
from platform_adapters.registry import ShopContext, get_adapter
from platform_adapters.shopee import auth as shopee_auth
from platform_adapters.shopee.payout_mapping import map_payout
from platform_adapters.shopee.settings import ShopeeSettings
from tests.adapters.fake_shopee import HOST, PARTNER_ID, PARTNER_KEY, SHOP_ID
from tests.adapters.helpers import Clock, fixture_json, make_transport, tokens
from tests.adapters.test_shopee_orders import fake  # noqa: F401 - the respx-mounted FakeShopee fixture

SETTINGS = ShopeeSettings(partner_id=PARTNER_ID, partner_key=PARTNER_KEY, base_url=HOST)
SHOP = ShopContext(shop_id=SHOP_ID, region="VN")
PAID = datetime(2025, 10, 27, tzinfo=timezone.utc)


def payouts() -> list[dict]:
    return fixture_json("shopee", "payout_detail.json")["payout_list"]


def test_a_batch_is_a_paid_statement_whose_lines_explain_every_cent() -> None:
    records, problems = map_payout({"_payout": payouts()[0]}, SHOP_ID)
    assert problems == []
    statement, *lines = records
    assert isinstance(statement, Statement)
    assert (statement.statement_id, statement.currency, statement.issued_at, statement.paid_at) == (
        "payout-20251027T000000Z", "VND", PAID, PAID)
    assert (statement.declared_total, statement.payout, statement.payment_status) == (
        Money.of("35000", "VND"), Money.of("552500", "VND"), "PAID")
    assert statement.breakdown == {"from_amount": "552500", "escrows": "3", "escrow_total": "517500",
                                   "adjustments_total": "35000", "payout_currency": "USD", "payout_amount": "21.05",
                                   "exchange_rate": "0.0000381", "pay_service": "Payoneer"}
    assert "279016275538" not in repr(records)  # the payee account is never kept
    rows = [(l.kind, l.order_id, l.amount.amount, l.raw_kind) for l in lines]
    assert rows == [
        ("PAYOUT", "251020VN0001AA", Decimal("-185000"), "payout_escrow"),
        ("PAYOUT", "251021VN0002BB", Decimal("-92500"), "payout_escrow"),
        ("PAYOUT", "251022VN0003CC", Decimal("-240000"), "payout_escrow"),
        ("ADJUSTMENT", "251020VN0001AA", Decimal("-15000"), "offline_adjustment"),
        ("ADJUSTMENT", None, Decimal("50000"), "offline_adjustment"),
        ("PAYOUT", None, Decimal("-35000"), "payout_offline_adjustments")]
    assert sum(l.amount.amount for l in lines if l.kind != "PAYOUT") == statement.declared_total.amount
    assert -sum(l.amount.amount for l in lines if l.kind == "PAYOUT") == statement.payout.amount
    assert lines[3].description == ("offline adjustment (order): Commission Fee — Commission Fee Adjustment — "
                                    "DRC commission fee adjustment")
    assert len({l.transaction_id for l in lines}) == len(lines) and all(len(l.transaction_id) <= 64 for l in lines)


def test_an_unexplained_difference_is_a_warning_and_bad_entries_refuse_the_batch() -> None:
    records, problems = map_payout({"_payout": payouts()[1]}, SHOP_ID)
    assert len(records) == 2 and [p.code for p in problems] == ["payout_mismatch"]
    assert problems[0].severity.value == "warning" and "the batch pays 100500" in problems[0].message
    wrong = copy.deepcopy(payouts()[0])
    wrong["escrow_list"][1]["currency"] = "USD"
    wrong["offline_adjustment_list"][0]["adjustment_amount"] = "n/a"
    records, problems = map_payout({"_payout": wrong}, SHOP_ID)
    assert records == [] and {p.code for p in problems} == {"currency_mismatch", "bad_value"}
    for bad in ({}, {"_payout": {"payout_info": {"from_currency": "VND"}}}, {"_payout": []}):
        records, problems = map_payout(bad, SHOP_ID)
        assert records == [] and problems and all(p.severity.value == "error" for p in problems)


def source():
    clock = Clock(datetime(2025, 12, 1, tzinfo=timezone.utc))
    transport = make_transport("shopee")
    provider = StaticTokenProvider(
        SHOP_ID, tokens(now=clock()),
        lambda stale: shopee_auth.refresh_tokens(SETTINGS, transport, SHOP_ID, stale, clock), clock=clock)
    return get_adapter("shopee").settlement_source(SETTINGS, SHOP, provider, transport, clock)


def test_the_source_reads_batches_in_15_day_windows_and_numbered_pages(fake) -> None:
    batch = payouts()[1]
    fake.payouts = [dict(batch, payout_info=dict(batch["payout_info"], payout_time=int(
        (PAID + timedelta(days=i, hours=1)).timestamp()))) for i in range(130)]
    got = list(source().payouts(PAID, PAID + timedelta(days=20)))
    assert len(got) == 20
    windows = [(int(c["payout_time_from"]), int(c["payout_time_to"]), c["page_no"]) for c in fake.payout_calls]
    start, mid, end = (int(t.timestamp()) for t in (PAID, PAID + timedelta(days=15), PAID + timedelta(days=20)))
    assert windows == [(start, mid - 1, "1"), (mid, end - 1, "1")]
    fake.payout_calls.clear()
    assert len(list(source().payouts(PAID, PAID + timedelta(days=14)))) == 14
    assert all(c["page_size"] == "100" for c in fake.payout_calls)
    mapped = get_adapter("shopee").map_settlement({"_payout": got[0]}, SHOP, SETTINGS)
    assert mapped[0].record.statement_id == "payout-20251027T010000Z" and len(mapped) == 2  # statement + 1 PAYOUT line


def test_a_local_shop_has_no_batches_and_other_errors_still_fail(fake) -> None:
    fake.cross_border = False
    assert list(source().payouts(PAID, PAID + timedelta(days=3))) == []
    fake.cross_border = True
    fake.payouts = [payouts()[0]] * 150
    pages = list(source().payouts(PAID - timedelta(hours=1), PAID + timedelta(hours=1)))
    assert len(pages) == 150 and [c["page_no"] for c in fake.payout_calls if c["page_no"] != "1"] == ["2"]
    fake.failures["/api/v2/payment/get_payout_detail"].append(fake.envelope(
        error="error_param", message="The selected payout start time is not supported. Please choose a start "
                                     "time no earlier than May 1, 2022."))
    with pytest.raises(PlatformError, match="no earlier than May 1, 2022"):
        list(source().payouts(PAID, PAID + timedelta(days=1)))


def _line(statement: str, order: str, amount: str, at: datetime, kind: FeeCategory = FeeCategory.REVENUE,
          shop: str = "S1") -> SettlementLine:
    return SettlementLine(platform=Platform.SHOPEE, shop_id=shop, statement_id=statement,
                          transaction_id=f"{statement}:{order}:{kind.value}", kind=kind.value,
                          amount=Money.of(amount, "VND"), occurred_at=at, order_id=order, updated_at=at)


def _statement(statement: str, total: str, at: datetime, **paid) -> Statement:
    return Statement(platform=Platform.SHOPEE, shop_id="S1", statement_id=statement, currency="VND", issued_at=at,
                     declared_total=Money.of(total, "VND"), updated_at=at, **paid)


def test_release_statements_are_paid_by_the_batches_that_pay_all_their_orders_then_settled(engine) -> None:
    released = datetime(2026, 10, 19, 10, tzinfo=timezone.utc)
    monday = datetime(2026, 10, 26, tzinfo=timezone.utc)
    with session_scope(engine) as session:
        session.add(OwnerRow(owner_id="CB", name="CB seller", base_currency="CNY"))
        for day, rate in ((date(2026, 10, 14), "0.00015075"), (date(2026, 10, 21), "0.00015030")):
            session.add(FxRateRow(source="NBP", base="VND", quote="PLN", side="mid", rate_date=day,
                                  value=Decimal(rate), unit=1))
        for day, rate in ((date(2026, 10, 14), "0.5833"), (date(2026, 10, 21), "0.5824")):
            session.add(FxRateRow(source="NBP", base="CNY", quote="PLN", side="mid", rate_date=day,
                                  value=Decimal(rate), unit=1))
        write_settlement_records(session, [
            _statement("escrow-2026-10-19", "300000", released),
            _line("escrow-2026-10-19", "A", "100000", released), _line("escrow-2026-10-19", "B", "200000", released),
            _statement("escrow-2026-10-20", "50000", released + timedelta(days=1)),
            _line("escrow-2026-10-20", "C", "50000", released + timedelta(days=1)),
            _statement("tiktok-like", "10", released, payment_status="PROCESSING"),
            _line("tiktok-like", "A", "10", released)], "CB")
        session.flush()
        # the first batch pays A only: nothing is paid yet
        write_settlement_records(session, [
            _statement("payout-1", "0", monday - timedelta(days=3), payment_status="PAID", payout_id="payout-1",
                       paid_at=monday - timedelta(days=3)),
            _line("payout-1", "A", "-100000", monday - timedelta(days=3), FeeCategory.PAYOUT)], "CB")
        session.flush()
        assert mark_paid_by_payouts(session, "CB") == 0
        write_settlement_records(session, [
            _statement("payout-2", "0", monday, payment_status="PAID", payout_id="payout-2", paid_at=monday),
            _line("payout-2", "B", "-200000", monday, FeeCategory.PAYOUT)], "CB")
        session.flush()
        later = datetime.now(timezone.utc) + timedelta(days=1)
        assert mark_paid_by_payouts(session, "CB", since=later) == 0  # nothing changed since: nothing is read
        summary = reconcile_owner(session, "CB", now=monday + timedelta(hours=1))
        assert summary.statements_paid == 1 and "1 paid by a payout batch" in summary.describe()
        rows = {r.statement_id: r for r in session.scalars(select(StatementRow).where(StatementRow.owner_id == "CB"))}
        paid = rows["escrow-2026-10-19"]
        assert (paid.payment_status, paid.paid_at, paid.payout_id) == ("PAID", monday, "payout-1,payout-2")
        assert rows["escrow-2026-10-20"].payment_status is None  # C is in no batch yet
        assert rows["tiktok-like"].payment_status == "PROCESSING"  # the platform's own status is kept
        # booked the day after: NBP's table B is weekly, and a day not over never takes an earlier day's rate
        booked = book_owner(session, "CB", sources=("NBP",), now=monday + timedelta(days=1, hours=1))
        assert booked.recognised == 3 and booked.settled == 1, booked.describe()
        item = session.scalars(select(FxOpenItemRow).where(
            FxOpenItemRow.item_id == "shopee:S1:escrow-2026-10-19")).one()
        # by hand (NBP's mids; table B is weekly, so both legs of a day come from its Wednesday):
        # recognised 19 Oct at 14 Oct's 0.00015075 PLN/VND and 0.5833 PLN/CNY:
        #   300,000 × 0.00015075 = 45.225 PLN ÷ 0.5833 = 77.5330… → 77.53 CNY;
        # paid 26 Oct at 21 Oct's 0.00015030 and 0.5824: 45.09 PLN ÷ 0.5824 = 77.4210… → 77.42 CNY;
        # realized: 77.42 − 77.53 = −0.11 CNY (a loss, booked as a debit)
        assert (item.carrying_amount, item.rate_date, item.settled_on) == (Decimal("77.53"), date(2026, 10, 14),
                                                                           date(2026, 10, 26))
        assert item.rate_ref == "VND→PLN→CNY"  # the path, with no publisher reference on these rates
        realized = session.scalars(select(FxJournalLineRow).where(
            FxJournalLineRow.owner_id == "CB", FxJournalLineRow.line_type == "FX_REALIZED")).all()
        assert [r.amount for r in realized] == [Decimal("0.11")]
        assert mark_paid_by_payouts(session, "CB") == 0  # nothing new: no re-marking
        # a batch paid in CNY (LianLian): the cash is what Shopee's own conversion paid, not a reference rate
        write_settlement_records(session, [
            _statement("payout-3", "0", monday, payment_status="PAID", payout_id="payout-3", paid_at=monday,
                       breakdown={"from_amount": "50000", "payout_currency": "CNY", "payout_amount": "12.75",
                                  "exchange_rate": "0.000255", "pay_service": "lianlian"}),
            _line("payout-3", "C", "-50000", monday, FeeCategory.PAYOUT)], "CB")
        session.flush()
        assert reconcile_owner(session, "CB", now=monday + timedelta(hours=2)).statements_paid == 1
        assert book_owner(session, "CB", sources=("NBP",), now=monday + timedelta(days=1, hours=2)).settled == 1
        lines = session.scalars(select(FxJournalLineRow).where(
            FxJournalLineRow.owner_id == "CB", FxJournalLineRow.idem_key.like("%escrow-2026-10-20%"))).all()
        by_type = {line.line_type: line for line in lines}
        # by hand: carried at 14 Oct's rates: 50,000 × 0.00015075 = 7.5375 PLN ÷ 0.5833 = 12.9221… → 12.92 CNY;
        # received 12.75 CNY; realized −0.17 CNY
        assert (by_type["CASH_IN"].amount, by_type["CASH_IN"].rate_source) == (Decimal("12.75"), "PAYOUT")
        assert by_type["FX_REALIZED"].amount == Decimal("0.17")
        # a batch's own offline adjustments are paid at the batch's own conversion
        write_settlement_records(session, [
            _statement("payout-4", "20000", monday, payment_status="PAID", payout_id="payout-4", paid_at=monday,
                       breakdown={"from_amount": "20000", "payout_currency": "CNY", "payout_amount": "5.10"}),
            SettlementLine(platform=Platform.SHOPEE, shop_id="S1", statement_id="payout-4",
                           transaction_id="payout-4:adjustment-0", kind="ADJUSTMENT", amount=Money.of("20000", "VND"),
                           occurred_at=monday, updated_at=monday)], "CB")
        session.flush()
        reconcile_owner(session, "CB", now=monday + timedelta(hours=3))
        booked = book_owner(session, "CB", sources=("NBP",), now=monday + timedelta(days=1, hours=3))
        assert (booked.recognised, booked.settled) == (1, 1), booked.describe()
        own = {line.line_type: line for line in session.scalars(select(FxJournalLineRow).where(
            FxJournalLineRow.owner_id == "CB", FxJournalLineRow.idem_key.like("%payout-4%")))}
        # carried: 20,000 × 0.00015030 = 3.006 PLN ÷ 0.5824 = 5.1614… → 5.16 CNY; received 5.10; realized −0.06
        assert (own["CASH_IN"].amount, own["FX_REALIZED"].amount) == (Decimal("5.10"), Decimal("0.06"))
