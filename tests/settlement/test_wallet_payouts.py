"""A local Shopee shop's withdrawals in the database (``aggregator.settlement.wallet``): they pay the
shop's release days oldest first, a day paid in part stays open for the rest, a withdrawal taking more
than the days before it held is a settlement exception (cleared once a late release explains it),
re-running changes nothing, and a day once paid is settled in the books with its realized FX at the rate
source's rate of the withdrawal's day — the booking every payout goes through. Figures by hand."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import select

from aggregator.exceptions_queue.queries import Filters, count_by_kind
from aggregator.settlement.booking import book_owner
from aggregator.settlement.service import reconcile_owner
from aggregator.settlement.wallet import mark_paid_by_withdrawals, wallet_position
from aggregator.settlement.writer import write_settlement_records
from aggregator.store.db import session_scope
from aggregator.store.models.exceptions import ExceptionItem
from aggregator.store.models.fx import FxJournalLineRow, FxOpenItemRow, FxRateRow
from aggregator.store.models.settlement import StatementRow
from aggregator.store.models.tenancy import OwnerRow
from tests.settlement.wallet_records import NEXT_DAY, SHOP, release_day as _day, wallet_withdrawal, withdrawal as _withdrawal


def _owner_and_rates(session) -> None:
    """The local seller LOC (books in CNY) and NBP's VND and CNY rates of 14 and 21 Oct 2026."""
    session.add(OwnerRow(owner_id="LOC", name="Local seller", base_currency="CNY"))
    for day, vnd, cny in ((date(2026, 10, 14), "0.00015075", "0.5833"), (date(2026, 10, 21), "0.00015030", "0.5824")):
        session.add(FxRateRow(source="NBP", base="VND", quote="PLN", side="mid", rate_date=day, value=Decimal(vnd),
                              unit=1))
        session.add(FxRateRow(source="NBP", base="CNY", quote="PLN", side="mid", rate_date=day, value=Decimal(cny),
                              unit=1))


def _charged_day_withdrawn(session) -> datetime:
    """300,000 released on 19 Oct, a charge of 50,000 on the 20th (a negative day), withdrawal-1 of 250,000
    created on the 21st and completed on the 22nd (returned), reconciled an hour later."""
    created = datetime(2026, 10, 21, 2, tzinfo=timezone.utc)
    completed = created + timedelta(days=1)
    _owner_and_rates(session)
    write_settlement_records(session, [*_day("2026-10-19", "A", "300000"), *_day("2026-10-20", "R", "-50000"),
                                       *_withdrawal(1, completed, "250000", created=created)], "LOC")
    session.flush()
    reconcile_owner(session, "LOC", now=completed + timedelta(hours=1))
    return completed


def test_withdrawals_pay_release_days_oldest_first_and_settle_them_with_realized_fx(engine) -> None:
    first = datetime(2026, 10, 26, 2, tzinfo=timezone.utc)
    second = first + timedelta(days=1)
    with session_scope(engine) as session:
        _owner_and_rates(session)
        write_settlement_records(session, [*_day("2026-10-19", "A", "300000"), *_day("2026-10-20", "C", "50000"),
                                           *_withdrawal(1, first, "320000")], "LOC")
        session.flush()
        summary = reconcile_owner(session, "LOC", now=first + timedelta(hours=1))
        assert summary.withdrawal_days == 2 and "2 release day(s) paid (in full or in part)" in summary.describe()
        rows = {r.statement_id: r for r in session.scalars(select(StatementRow).where(StatementRow.owner_id == "LOC"))}
        assert (rows["escrow-2026-10-19"].payment_status, rows["escrow-2026-10-19"].paid_at,
                rows["escrow-2026-10-19"].payout_id) == ("PAID", first, "withdrawal-1")
        assert (rows["escrow-2026-10-20"].payment_status, rows["escrow-2026-10-20"].paid_at) == ("PARTIALLY_PAID", None)
        position = wallet_position(session, "LOC", SHOP)
        assert [(k, d.paid, d.open) for k, d in position.days.items()] == [
            ("escrow-2026-10-19", Decimal("300000"), Decimal("0")), ("escrow-2026-10-20", Decimal("20000"),
                                                                     Decimal("30000"))]
        booked = book_owner(session, "LOC", sources=("NBP",), now=first + timedelta(hours=1) + NEXT_DAY)
        assert (booked.recognised, booked.settled) == (2, 1), booked.describe()  # the withdrawal nets 0: not booked
        item = session.scalars(select(FxOpenItemRow).where(FxOpenItemRow.item_id == f"shopee:{SHOP}:escrow-2026-10-19")
                               ).one()
        # by hand (NBP's weekly mids): recognised 19 Oct at 14 Oct's 0.00015075 PLN/VND and 0.5833 PLN/CNY:
        #   300,000 × 0.00015075 = 45.225 PLN ÷ 0.5833 = 77.5330… → 77.53 CNY;
        # withdrawn 26 Oct, at 21 Oct's 0.00015030 and 0.5824: 45.09 PLN ÷ 0.5824 = 77.4210… → 77.42 CNY;
        # realized 77.42 − 77.53 = −0.11 CNY
        assert (item.carrying_amount, item.settled_on) == (Decimal("77.53"), date(2026, 10, 26))
        cash = {line.line_type: line for line in session.scalars(select(FxJournalLineRow).where(
            FxJournalLineRow.owner_id == "LOC", FxJournalLineRow.idem_key.like("%escrow-2026-10-19%")))}
        assert (cash["CASH_IN"].amount, cash["FX_REALIZED"].amount) == (Decimal("77.42"), Decimal("0.11"))
        assert cash["CASH_IN"].rate_source == "NBP"  # the rate source's rate of the withdrawal day, no batch ratio
        open_item = session.scalars(select(FxOpenItemRow).where(
            FxOpenItemRow.item_id == f"shopee:{SHOP}:escrow-2026-10-20")).one()
        assert open_item.settled_on is None  # paid in part: still open in the books

        # the next withdrawal pays the 30,000 left and 10,000 no release before it explains: an exception
        write_settlement_records(session, _withdrawal(2, second, "40000"), "LOC")
        session.flush()
        assert mark_paid_by_withdrawals(session, "LOC") == 1
        assert session.get(StatementRow, rows["escrow-2026-10-20"].id).payment_status == "PAID"
        items = session.scalars(select(ExceptionItem).where(ExceptionItem.kind == "withdrawal_exceeds_open",
                                                            ExceptionItem.status == "open")).all()
        assert len(items) == 1 and items[0].queue == "settlement" and items[0].owner_id == "LOC"
        assert "withdrawal-2" in items[0].reason and "10000 more than the releases before it left in the wallet" in items[0].reason
        assert mark_paid_by_withdrawals(session, "LOC") == 0  # re-running changes nothing, raises nothing twice
        assert count_by_kind(session, Filters(kind="settlement", status="open"))["withdrawal_exceeds_open"] == 1
        booked = book_owner(session, "LOC", sources=("NBP",), now=second + timedelta(hours=1) + NEXT_DAY)
        assert booked.settled == 1  # 20 Oct, paid on the 27th: 50,000 × 0.00015030 ÷ 0.5824 = 12.90 CNY
        assert book_owner(session, "LOC", sources=("NBP",), now=second + timedelta(hours=1) + NEXT_DAY).journal_lines == 0

        # a release of 21 Oct synced late explains it: the exception closes, the day is paid by withdrawal-2
        write_settlement_records(session, _day("2026-10-21", "D", "10000"), "LOC")
        session.flush()
        reconcile_owner(session, "LOC", now=second + timedelta(hours=2))
        assert session.scalars(select(StatementRow).where(StatementRow.statement_id == "escrow-2026-10-21")).one(
        ).payment_status == "PAID"
        assert count_by_kind(session, Filters(kind="settlement", status="open")).get("withdrawal_exceeds_open") is None
        position = wallet_position(session, "LOC", SHOP)
        assert sum(d.paid for d in position.days.values()) == Decimal("360000") and all(
            r.excess == 0 for r in position.withdrawals)


def test_a_negative_day_is_netted_and_both_sides_are_settled_in_the_books(engine) -> None:
    """A charge (a negative release day) comes out of the wallet's money: netted against the oldest
    positive day, so the withdrawal that follows is explained by what is left — no exception, nothing left
    open as a payable — and both days' items are settled, each realizing its own FX at the netting's rate."""
    with session_scope(engine) as session:
        completed = _charged_day_withdrawn(session)
        rows = {r.statement_id: r for r in session.scalars(select(StatementRow))}
        netted_at = datetime(2026, 10, 20, 10, tzinfo=timezone.utc)  # the charge's time
        assert (rows["escrow-2026-10-19"].payment_status, rows["escrow-2026-10-19"].paid_at,
                rows["escrow-2026-10-19"].payout_id) == ("PAID", completed, "escrow-2026-10-20,withdrawal-1")
        assert (rows["escrow-2026-10-20"].payment_status, rows["escrow-2026-10-20"].paid_at,
                rows["escrow-2026-10-20"].payout_id) == ("PAID", netted_at, "escrow-2026-10-19")
        assert count_by_kind(session, Filters(kind="settlement", status="open")).get("withdrawal_exceeds_open") is None
        position = wallet_position(session, "LOC", SHOP)
        assert [(k, d.paid, d.open) for k, d in position.days.items()] == [
            ("escrow-2026-10-19", Decimal("300000"), 0), ("escrow-2026-10-20", Decimal("-50000"), 0)]
        booked = book_owner(session, "LOC", sources=("NBP",), now=completed + timedelta(hours=1) + NEXT_DAY)
        items = {i.item_id.rsplit(":", 1)[-1]: i for i in session.scalars(select(FxOpenItemRow))}
        assert items["escrow-2026-10-19"].settled_on == date(2026, 10, 22)
        assert items["escrow-2026-10-20"].settled_on == date(2026, 10, 20), booked.describe()
        lines = session.scalars(select(FxJournalLineRow).where(FxJournalLineRow.journal_id.like("FX-NETTED:%"))).all()
        cash = [l.amount for l in lines if l.line_type == "CASH_IN"]
        assert len(cash) == 2 and sum(cash) == 0  # what one side brings in, the other pays out
        assert book_owner(session, "LOC", sources=("NBP",), now=completed + timedelta(hours=1) + NEXT_DAY).journal_lines == 0


def test_the_wallets_own_money_in_and_out_is_paid_and_netted_like_release_days(engine) -> None:
    """An ads charge (money out) and an adjustment (money in), as ``wallet_mapping`` stores them: the
    withdrawal is explained by release − charge + adjustment to the cent, the charge is netted against the
    release, the adjustment paid by the withdrawal, and every item settled in the books."""
    from platform_adapters.shopee.wallet_mapping import map_wallet_transaction

    def wallet(kind: str, flow: str, amount: str, at: datetime) -> list:
        records, problems = map_wallet_transaction({"_wallet": {
            "status": "COMPLETED", "transaction_type": kind, "money_flow": flow, "amount": amount,
            "create_time": int(at.timestamp()), "reason": f"{kind} of week 43"}}, SHOP, "VND")
        assert problems == []
        return records

    created = datetime(2026, 10, 21, 2, tzinfo=timezone.utc)
    completed = created + timedelta(days=1)
    charge = wallet("PAID_ADS_CHARGE", "MONEY_OUT", "-20000", datetime(2026, 10, 20, 5, tzinfo=timezone.utc))
    refund = wallet("ADJUSTMENT_ADD", "MONEY_IN", "5000", datetime(2026, 10, 20, 6, tzinfo=timezone.utc))
    with session_scope(engine) as session:
        _owner_and_rates(session)
        write_settlement_records(session, [*_day("2026-10-19", "A", "300000"), *charge, *refund,
                                           *_withdrawal(1, completed, "285000", created=created)], "LOC")
        session.flush()
        reconcile_owner(session, "LOC", now=completed + timedelta(hours=1))
        assert count_by_kind(session, Filters(kind="settlement", status="open")).get("withdrawal_exceeds_open") is None
        position = wallet_position(session, "LOC", SHOP)
        days = {k: (d.paid, d.open, d.paid_by) for k, d in position.days.items()}
        assert days == {"escrow-2026-10-19": (Decimal("300000"), 0, [charge[0].statement_id, "withdrawal-1"]),
                        charge[0].statement_id: (Decimal("-20000"), 0, ["escrow-2026-10-19"]),
                        refund[0].statement_id: (Decimal("5000"), 0, ["withdrawal-1"])}
        rows = {r.statement_id: r for r in session.scalars(select(StatementRow))}
        assert all(rows[k].payment_status == "PAID" for k in days)
        book_owner(session, "LOC", sources=("NBP",), now=completed + timedelta(hours=1) + NEXT_DAY)
        items = {i.item_id.rsplit(":", 1)[-1]: i.settled_on for i in session.scalars(select(FxOpenItemRow))}
        assert {k: items[k] for k in days} == {"escrow-2026-10-19": date(2026, 10, 22),
                                               charge[0].statement_id: date(2026, 10, 20),
                                               refund[0].statement_id: date(2026, 10, 22)}


def test_a_booked_netting_a_late_release_day_moves_is_reported_not_booked_twice(engine) -> None:
    """A negative day netted against a positive day and booked on both sides; a release day older than
    both synced late would now take the netting: booking the new day's part would bring the charge's money
    in a second time (its counterpart on the charge is booked already), so nothing more is booked under
    that netting and the moved part is reported, as for a withdrawal a late day moves."""
    with session_scope(engine) as session:
        completed = _charged_day_withdrawn(session)
        book_owner(session, "LOC", sources=("NBP",), now=completed + timedelta(hours=1) + NEXT_DAY)

        write_settlement_records(session, _day("2026-10-18", "L", "50000"), "LOC")  # late, older than both
        session.flush()
        reconcile_owner(session, "LOC", now=completed + timedelta(hours=2))
        booked = book_owner(session, "LOC", sources=("NBP",), now=completed + timedelta(hours=2) + NEXT_DAY)
        cash = [l.amount for l in session.scalars(select(FxJournalLineRow).where(
            FxJournalLineRow.journal_id.like("FX-NETTED:%"), FxJournalLineRow.line_type == "CASH_IN"))]
        assert len(cash) == 2 and sum(cash) == 0, cash  # the charge's money is never brought in twice
        assert any("escrow-2026-10-20" in p and "reverse" in p for p in booked.problems), booked.describe()


def _pending_then_charged(session, charge: str = "50000") -> tuple[datetime, datetime]:
    """300,000 released on 19 Oct; withdrawal-1 of 280,000 created on the 21st at 02:00 (pending: not
    completed yet); a charge (50,000) on the 21st at 10:00 (a negative day), reconciled at noon. The
    charge can only be netted against the 20,000 the withdrawal left in the wallet (it owes 30,000 more)."""
    created = datetime(2026, 10, 21, 2, tzinfo=timezone.utc)
    noon = created + timedelta(hours=10)
    _owner_and_rates(session)
    write_settlement_records(session, [*_day("2026-10-19", "A", "300000"),
                                       *wallet_withdrawal("WITHDRAWAL_CREATED", 1, created, "280000"),
                                       *_day("2026-10-21", "R", f"-{charge}")], "LOC")
    session.flush()
    reconcile_owner(session, "LOC", now=noon)
    return created, noon


def test_a_created_withdrawal_is_held_as_pending_and_its_completion_books_no_netting_twice(engine) -> None:
    """A withdrawal created and not completed took its money out of the wallet: it is pending (its
    statement and the days it holds), a charge taken meanwhile is netted only against what it left, and
    its completion pays exactly what it held — nothing booked while it was pending moves, so nothing is
    reported for a manual reversal. Its fee and parts are booked once; re-reading its creation changes
    nothing."""
    with session_scope(engine) as session:
        created, noon = _pending_then_charged(session)
        rows = {r.statement_id: r for r in session.scalars(select(StatementRow).where(StatementRow.owner_id == "LOC"))}
        assert (rows["withdrawal-1"].payment_status, rows["withdrawal-1"].paid_at) == ("PENDING", None)
        position = wallet_position(session, "LOC", SHOP)
        assert [(w.key, w.status, w.applied) for w in position.pending] == [
            ("withdrawal-1", "PENDING", [("escrow-2026-10-19", Decimal("280000"))])]
        day, charge = position.days["escrow-2026-10-19"], position.days["escrow-2026-10-21"]
        assert (day.paid, day.held, day.open, day.parts) == (
            Decimal("20000"), Decimal("280000"), Decimal("280000"), [("escrow-2026-10-21", noon - timedelta(hours=2),
                                                                      Decimal("20000"))])
        assert (charge.paid, charge.open) == (Decimal("-20000"), Decimal("-30000"))
        assert (rows["escrow-2026-10-19"].payment_status, rows["escrow-2026-10-19"].paid_at) == ("PARTIALLY_PAID", None)
        first = book_owner(session, "LOC", sources=("NBP",), now=noon + NEXT_DAY)
        assert not first.problems, first.problems
        netted = {l.idem_key: l.amount for l in session.scalars(select(FxJournalLineRow).where(
            FxJournalLineRow.journal_id.like("FX-NETTED:%"), FxJournalLineRow.line_type == "CASH_IN"))}
        assert len(netted) == 2 and sum(netted.values()) == 0  # 20,000 on both sides, the cash lines cancel

        # a day later it completes (fee 10,000); 23 Oct releases 100,000, against which the charge's rest nets
        completed = created + timedelta(days=1)
        write_settlement_records(session, [
            *wallet_withdrawal("WITHDRAWAL_COMPLETED", 1, completed, "280000", created=created, fee="10000"),
            *_day("2026-10-23", "B", "100000")], "LOC")
        session.flush()
        session.expire_all()  # (the rows read above: a sync writes them in a session of its own)
        later = datetime(2026, 10, 23, 12, tzinfo=timezone.utc)
        reconcile_owner(session, "LOC", now=later)
        position = wallet_position(session, "LOC", SHOP)
        assert position.pending == [] and position.days["escrow-2026-10-19"].held == 0
        assert position.days["escrow-2026-10-19"].parts == [  # (in the allocation's order: by creation)
            ("withdrawal-1", completed, Decimal("280000")),
            ("escrow-2026-10-21", noon - timedelta(hours=2), Decimal("20000"))]
        booked = book_owner(session, "LOC", sources=("NBP",), now=later + NEXT_DAY)
        assert not [p for p in booked.problems if "reverse" in p], booked.problems
        assert booked.skipped["withdrawal moved by a late release day (reverse by hand)"] == 0
        item = session.scalars(select(FxOpenItemRow).where(
            FxOpenItemRow.item_id == f"shopee:{SHOP}:escrow-2026-10-19")).one()
        assert item.settled_on == completed.date()  # the withdrawal's part closed it
        cash = session.scalars(select(FxJournalLineRow).where(
            FxJournalLineRow.journal_id.like("FX-NETTED:%"), FxJournalLineRow.line_type == "CASH_IN")).all()
        assert sorted(l.original_amount for l in cash if l.original_amount > 0) == [Decimal("20000"), Decimal("30000")]
        assert sum(l.amount for l in cash) == 0
        withdrawn = session.scalars(select(FxJournalLineRow).where(
            FxJournalLineRow.journal_id.like("FX-PAYOUT:withdrawal-1:%escrow-2026-10-19"),
            FxJournalLineRow.line_type == "CASH_IN")).all()
        assert [l.original_amount for l in withdrawn] == [Decimal("280000")]

        # re-running books nothing; the creation read again (older in Shopee's clock) is stale
        assert book_owner(session, "LOC", sources=("NBP",), now=later + NEXT_DAY).journal_lines == 0
        again = write_settlement_records(session, wallet_withdrawal("WITHDRAWAL_CREATED", 1, created, "280000"), "LOC")
        assert [r.outcome.value for r in again] == ["stale"]
        session.flush()
        session.expire_all()
        assert mark_paid_by_withdrawals(session, "LOC") == 0
        assert session.scalars(select(StatementRow.payment_status).where(
            StatementRow.statement_id == "withdrawal-1")).one() == "PAID"


def test_a_cancelled_withdrawal_gives_its_money_back_at_its_cancellation(engine) -> None:
    """A pending withdrawal cancelled (WITHDRAWAL_CANCELLED: the amount back in the balance) held its money
    until then: a charge taken meanwhile is netted against what it left (booked, and it stands), the
    cancelled withdrawal pays nothing and raises nothing, and the money it gives back is the next
    withdrawal's from its cancellation on."""
    with session_scope(engine) as session:
        created, noon = _pending_then_charged(session, charge="20000")
        assert not book_owner(session, "LOC", sources=("NBP",), now=noon + NEXT_DAY).problems
        cancelled = created + timedelta(days=1)
        write_settlement_records(session, [
            *wallet_withdrawal("WITHDRAWAL_CANCELLED", 1, cancelled, "280000", created=created),
            *_withdrawal(2, cancelled + timedelta(days=1), "250000", created=cancelled + timedelta(hours=1))], "LOC")
        session.flush()
        session.expire_all()
        later = cancelled + timedelta(days=1, hours=1)
        reconcile_owner(session, "LOC", now=later)
        rows = {r.statement_id: r for r in session.scalars(select(StatementRow).where(StatementRow.owner_id == "LOC"))}
        assert (rows["withdrawal-1"].payment_status, rows["withdrawal-1"].paid_at) == ("CANCELLED", None)
        position = wallet_position(session, "LOC", SHOP)
        assert position.pending == [] and [w.status for w in position.withdrawals] == ["CANCELLED", "PAID"]
        assert position.days["escrow-2026-10-19"].parts == [
            ("escrow-2026-10-21", noon - timedelta(hours=2), Decimal("20000")),
            ("withdrawal-2", later - timedelta(hours=1), Decimal("250000"))]
        assert position.days["escrow-2026-10-19"].open == Decimal("30000")  # the rest, in the wallet again
        assert (position.days["escrow-2026-10-19"].held, rows["escrow-2026-10-19"].payment_status) == (
            0, "PARTIALLY_PAID")
        assert count_by_kind(session, Filters(kind="settlement", status="open")).get("withdrawal_exceeds_open") is None
        booked = book_owner(session, "LOC", sources=("NBP",), now=later + NEXT_DAY)
        assert not booked.problems, booked.problems
        assert booked.parts == 1  # withdrawal-2's part of 19 Oct


def test_a_day_closed_by_a_completion_after_a_charge_netted_meanwhile_settles_on_the_completion(engine) -> None:
    """Booked only once the withdrawal completed: the day's parts are booked in the order they were paid
    (the charge netted on the 21st, then the withdrawal completed on the 22nd), so its receivable closes on
    the completion's day, the day the allocation says it was paid."""
    with session_scope(engine) as session:
        created, _ = _pending_then_charged(session, charge="20000")
        completed = created + timedelta(days=1)
        write_settlement_records(session, wallet_withdrawal("WITHDRAWAL_COMPLETED", 1, completed, "280000",
                                                            created=created), "LOC")
        session.flush()
        reconcile_owner(session, "LOC", now=completed + timedelta(hours=1))
        day = wallet_position(session, "LOC", SHOP).days["escrow-2026-10-19"]
        assert (day.open, day.paid_at) == (0, completed)
        booked = book_owner(session, "LOC", sources=("NBP",), now=completed + timedelta(hours=1) + NEXT_DAY)
        assert not booked.problems, booked.problems
        item = session.scalars(select(FxOpenItemRow).where(
            FxOpenItemRow.item_id == f"shopee:{SHOP}:escrow-2026-10-19")).one()
        assert item.settled_on == completed.date()
