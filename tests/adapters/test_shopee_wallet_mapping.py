"""The pure mapping of a Shopee local shop's wallet transactions (``payment.get_wallet_transaction_list``):
a completed withdrawal is a paid statement whose lines explain every cent (amount, fee); a created one
is the same statement pending (holding its amount, paying nothing), a cancelled one the same statement
cancelled; failed or pending transactions and money in that its escrow release explains give nothing;
any other money in or out is an error naming the transaction (parked, never absorbed). Figures by hand."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from fx.money import Money
from platform_adapters.canonical import Statement
from platform_adapters.registry import ShopContext, get_adapter
from platform_adapters.shopee.wallet_mapping import map_wallet_transaction, raw_wallet_key

SHOP = "402823170"
AT = 1795744800  # 2026-11-27 02:00 UTC


def transaction(**over) -> dict:
    base = {"status": "COMPLETED", "transaction_type": "WITHDRAWAL_COMPLETED", "amount": Decimal("-2724.48"),
            "current_balance": Decimal("1205.25"), "create_time": AT, "order_sn": "", "refund_sn": "",
            "withdrawal_id": 23170002, "transaction_fee": Decimal("15.00"), "money_flow": "MONEY_OUT",
            "withdrawal_type": "bank_transfer"}
    return {**base, **over}


CREATED_AT = AT - 86400  # created a day before it completed


def completed(**over) -> dict:
    """A completed withdrawal as the source gives it: with its ``WITHDRAWAL_CREATED`` under ``_created``."""
    body = transaction(**over)
    return {"_wallet": body, "_created": transaction(transaction_type="WITHDRAWAL_CREATED", create_time=CREATED_AT,
                                                     withdrawal_id=body["withdrawal_id"], transaction_fee=0)}


def test_a_completed_withdrawal_is_a_paid_statement_of_its_amount_with_its_fee() -> None:
    records, problems = map_wallet_transaction(completed(), SHOP, "PHP")
    assert problems == []
    statement, *lines = records
    at = datetime.fromtimestamp(AT, timezone.utc)
    assert isinstance(statement, Statement) and statement.paid_at == at and statement.paid_at.tzinfo is not None
    # issued when it was created (the money left the balance then), paid when it completed
    assert statement.issued_at == datetime.fromtimestamp(CREATED_AT, timezone.utc)
    assert statement.breakdown["created_at"] == statement.issued_at.isoformat()
    assert (statement.statement_id, statement.currency, statement.payment_status, statement.payout_id) == (
        "withdrawal-23170002", "PHP", "PAID", "withdrawal-23170002")
    assert (statement.payout, statement.declared_total) == (Money.of("2724.48", "PHP"), Money.of("-15.00", "PHP"))
    assert statement.breakdown["received"] == "2709.48"  # the bank gets the amount less the fee
    assert [(l.kind, l.amount.amount, l.order_id) for l in lines] == [
        ("PAYOUT", Decimal("-2724.48"), None), ("TRANSACTION_FEE", Decimal("-15.00"), None)]
    assert sum(l.amount.amount for l in lines if l.kind != "PAYOUT") == statement.declared_total.amount
    # an unsigned amount is the same withdrawal; no fee, no fee line
    same, _ = map_wallet_transaction(completed(amount=Decimal("2724.48"), transaction_fee=0), SHOP, "PHP")
    assert same[0].payout == statement.payout and [l.kind for l in same[1:]] == ["PAYOUT"]


def test_a_completion_without_its_creation_is_refused_never_dated_by_guess() -> None:
    cases = [({"_wallet": transaction()}, "missing_withdrawal_creation", "no WITHDRAWAL_CREATED"),
             ({**completed(), "_created": transaction(transaction_type="WITHDRAWAL_CREATED", withdrawal_id=1)},
              "bad_value", "not the WITHDRAWAL_CREATED of this withdrawal"),
             ({**completed(), "_created": transaction(transaction_type="WITHDRAWAL_CREATED", create_time=AT + 60)},
              "bad_value", "after its completion")]
    for raw, code, text in cases:
        records, problems = map_wallet_transaction(raw, SHOP, "PHP")
        assert records == [] and problems[0].code == code and text in problems[0].message, problems


def test_a_created_withdrawal_is_pending_and_a_cancelled_one_cancelled_neither_paying() -> None:
    """WITHDRAWAL_CREATED took the money out of the balance: the withdrawal's statement, PENDING, holding
    its amount, paying nothing (no lines, net 0: its fee is known at its completion). WITHDRAWAL_CANCELLED
    (203: the amount added back to the balance) makes it CANCELLED from the cancellation's time; its
    creation is needed as for a completion. Each is newer than the one before it in Shopee's clock, so the
    store's source-time guard keeps the latest."""
    created_at = datetime.fromtimestamp(CREATED_AT, timezone.utc)
    created = transaction(transaction_type="WITHDRAWAL_CREATED", create_time=CREATED_AT, transaction_fee=0)
    records, problems = map_wallet_transaction({"_wallet": created}, SHOP, "PHP")
    assert problems == [] and len(records) == 1
    pending = records[0]
    assert (pending.statement_id, pending.payment_status, pending.paid_at, pending.payout_id) == (
        "withdrawal-23170002", "PENDING", None, None)
    assert (pending.issued_at, pending.updated_at) == (created_at, created_at)
    assert (pending.payout, pending.declared_total) == (Money.of("2724.48", "PHP"), Money.of("0", "PHP"))
    paid = map_wallet_transaction(completed(), SHOP, "PHP")[0][0]
    assert paid.statement_id == pending.statement_id and paid.updated_at > pending.updated_at
    cancel = transaction(transaction_type="WITHDRAWAL_CANCELLED", money_flow="MONEY_IN", amount=Decimal("2724.48"),
                         transaction_fee=0)
    records, problems = map_wallet_transaction({"_wallet": cancel, "_created": created}, SHOP, "PHP")
    assert problems == [] and len(records) == 1
    cancelled = records[0]
    assert (cancelled.statement_id, cancelled.payment_status, cancelled.paid_at) == (
        "withdrawal-23170002", "CANCELLED", None)
    assert (cancelled.issued_at, cancelled.updated_at) == (created_at, datetime.fromtimestamp(AT, timezone.utc))
    assert cancelled.breakdown["cancelled_at"] == cancelled.updated_at.isoformat()
    assert cancelled.declared_total == Money.of("0", "PHP")
    records, problems = map_wallet_transaction({"_wallet": cancel}, SHOP, "PHP")
    assert records == [] and problems[0].code == "missing_withdrawal_creation"


def test_withdrawals_that_did_not_pay_and_explained_money_in_give_nothing() -> None:
    for quiet in (transaction(transaction_type="WITHDRAWAL_CREATED", status="FAILED"),
                  transaction(transaction_type="WITHDRAWAL_CANCELLED", money_flow="MONEY_IN", amount=Decimal("2724.48"),
                              status="PENDING"),
                  transaction(status="FAILED"), transaction(status="PENDING"), transaction(status="INITIAL")):
        assert map_wallet_transaction({"_wallet": quiet}, SHOP, "PHP") == ([], [])
    money_in = transaction(transaction_type="ESCROW_VERIFIED_ADD", money_flow="MONEY_IN", amount=Decimal("672.16"),
                           withdrawal_id=0, order_sn="261111ABCDEFGH", transaction_fee=0)
    release = {"order_sn": "261111ABCDEFGH", "payout_amount": Decimal("672.16"), "escrow_release_time": AT - 5}
    assert map_wallet_transaction({"_wallet": money_in, "_release": release}, SHOP, "PHP") == ([], [])


def test_unexplained_money_is_an_error_naming_the_transaction_and_why() -> None:
    money_in = transaction(transaction_type="ESCROW_VERIFIED_ADD", money_flow="MONEY_IN", amount=Decimal("672.16"),
                           withdrawal_id=0, order_sn="261111ABCDEFGH", transaction_fee=0)
    cases = [
        ({"_wallet": money_in, "_release": None}, "unmatched_money_in", "no escrow release of this order"),
        ({"_wallet": money_in, "_release": {"order_sn": "261111ABCDEFGH", "payout_amount": "600.00"}},
         "unmatched_money_in", "escrow release paid 600.00 PHP"),
        ({"_wallet": transaction(transaction_type="SELLER_LOAN_ADD", money_flow="MONEY_IN", amount="50", withdrawal_id=0)},
         "unmatched_money_in", "no escrow release or withdrawal explains it"),
        ({"_wallet": transaction(transaction_type="SOMETHING_NEW", amount="-30", withdrawal_id=0)},
         "unexplained_money_out", "SOMETHING_NEW MONEY_OUT 30"),
        ({"_wallet": transaction(transaction_type="FAST_ESCROW_DISBURSE", money_flow="MONEY_IN", amount="80",
                                 withdrawal_id=0, order_sn="261111ABCDEFGH")},
         "fast_escrow", "would state the same money again"),
        ({"_wallet": transaction(transaction_type="PAID_ADS_CHARGE", money_flow="MONEY_IN", amount="30", withdrawal_id=0)},
         "bad_value", "documented as MONEY_OUT"),
        ({"_wallet": transaction(transaction_type="ESCROW_VERIFIED_ADD", money_flow="MONEY_IN", amount="-5")},
         "bad_value", "negative for money in"),
        ({"_wallet": transaction(money_flow="SIDEWAYS")}, "bad_value", "neither MONEY_IN nor MONEY_OUT"),
        (completed(transaction_fee="3000"), "bad_value", "exceeds the withdrawal"),
        # the sandbox once served this (seed 7, 40 orders): a wallet never allows it; parked, not booked
        (completed(amount=Decimal("-14.56"), transaction_fee="15.0", withdrawal_id=77539003),
         "bad_value", "fee 15.0 exceeds the withdrawal 14.56"),
        (completed(withdrawal_id=None), "bad_value", "missing id"),
        ({"_wallet": transaction(status="DONE")}, "bad_value", "unknown status"),
    ]
    for raw, code, text in cases:
        records, problems = map_wallet_transaction(raw, SHOP, "PHP")
        assert records == [] and problems, raw
        assert problems[0].code.startswith(code) and text in problems[0].message, (problems[0].code, problems[0].message)
        assert all(p.severity.value == "error" for p in problems)
        assert problems[0].location.startswith("wallet ")  # where: type, reference and time
    mapped = get_adapter("shopee").map_settlement(cases[0][0], ShopContext(SHOP, "PH"), None)
    assert len(mapped) == 1 and mapped[0].record is None and mapped[0].problems  # parked by the framework
    assert raw_wallet_key(cases[0][0]) == f"wallet ESCROW_VERIFIED_ADD 261111ABCDEFGH at {AT}"
    assert map_wallet_transaction({"_wallet": transaction()}, SHOP, None)[1][0].code == "missing_currency"


@given(cents=st.integers(min_value=1, max_value=10**12), fee=st.integers(min_value=0, max_value=10**6),
       signed=st.booleans())
def test_a_withdrawal_s_lines_explain_its_amount_exactly(cents: int, fee: int, signed: bool) -> None:
    amount = Decimal(cents).scaleb(-2)
    fee_amount = min(Decimal(fee).scaleb(-2), amount)
    records, problems = map_wallet_transaction(completed(
        amount=-amount if signed else amount, transaction_fee=fee_amount), SHOP, "PHP")
    assert problems == []
    statement, *lines = records
    assert -sum(l.amount.amount for l in lines if l.kind == "PAYOUT") == statement.payout.amount == amount
    assert sum(l.amount.amount for l in lines if l.kind != "PAYOUT") == statement.declared_total.amount == -fee_amount
    assert all(isinstance(l.amount.amount, Decimal) and l.amount.amount <= 0 for l in lines)


def test_every_documented_balance_move_outside_escrow_is_a_statement_of_its_own_line() -> None:
    """Each type of the schema's list (401–410, 450/451, 455/456/460) is a ``wallet-…`` statement of its
    signed amount with one line in its category, stable across reads; fast escrow (452/458/459) is parked."""
    from platform_adapters.shopee.wallet_mapping import FAST_ESCROW, WALLET_TYPES

    assert sorted(code for code, _, _ in WALLET_TYPES.values()) == [401, 402, 404, 405, 406, 407, 408, 409, 410,
                                                                   450, 451, 455, 456, 460]
    assert sorted(FAST_ESCROW.values()) == [452, 458, 459]
    ids = set()
    for kind, (_, flow, category) in WALLET_TYPES.items():
        body = transaction(transaction_type=kind, money_flow=flow, amount=Decimal("-12.34") if flow == "MONEY_OUT"
                           else Decimal("12.34"), withdrawal_id=0, transaction_fee=0, reason="ads of week 47",
                           order_sn="261111ABCDEFGH" if kind.startswith("FSF") else "")
        records, problems = map_wallet_transaction({"_wallet": body}, SHOP, "PHP")
        assert problems == [], (kind, problems)
        statement, line = records
        signed = Decimal("12.34") if flow == "MONEY_IN" else Decimal("-12.34")
        assert statement.statement_id.startswith(f"wallet-{AT}-") and len(statement.statement_id) <= 64
        assert (statement.declared_total.amount, statement.issued_at) == (signed, datetime.fromtimestamp(AT, timezone.utc))
        assert (line.kind, line.amount.amount, line.raw_kind, line.order_id) == (category.value, signed, kind, None)
        assert "ads of week 47" in line.description and statement.payment_status is None
        again, _ = map_wallet_transaction({"_wallet": dict(body, current_balance=Decimal("1.00"))}, SHOP, "PHP")
        assert again[0].statement_id == statement.statement_id  # the same transaction read again
        ids.add(statement.statement_id)
    assert len(ids) == len(WALLET_TYPES)
    # no money_flow given: the documented direction, and the unsigned amount signed by it
    records, _ = map_wallet_transaction({"_wallet": {k: v for k, v in transaction(
        transaction_type="PAID_ADS_CHARGE", amount="30", withdrawal_id=0).items() if k != "money_flow"}}, SHOP, "PHP")
    assert records[0].declared_total.amount == Decimal("-30")
