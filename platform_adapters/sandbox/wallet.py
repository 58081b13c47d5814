"""A local Shopee shop's seller wallet in the sandbox, and what it paid of each release day (the truth).

Shopee pays a local shop's released escrows into its seller wallet; the seller withdraws from it to
a bank account (``payment.get_wallet_transaction_list``; transaction types in congminh1254/shopee-sdk
``schemas/v2.payment.get_wallet_transaction_list.json``: ``ESCROW_VERIFIED_ADD`` 101 "escrow has been
verified and paid to seller", ``ESCROW_VERIFIED_MINUS`` 102, ``WITHDRAWAL_CREATED`` 201 "deducted from
balance", ``WITHDRAWAL_COMPLETED`` 202, ``WITHDRAWAL_CANCELLED`` 203 "the amount is added back to the
seller balance"; statuses FAILED, COMPLETED, PENDING, INITIAL). The sandbox's wallet, derived from the
world like everything else (no state of its own):

* one money-in per settled order at its release (``ESCROW_VERIFIED_ADD``, the order's net, the same
  figure as its ``payout_amount`` in ``get_escrow_list``);
* every Thursday 02:00 UTC the seller withdraws what the releases so far (that Thursday's before 02:00
  too) still hold, less half of what the newest release day holds (so a withdrawal pays that day in part
  and the next one pays the rest; when that day is the Thursday itself, the releases after 02:00 are not
  in the wallet yet, and a correct client must not take the withdrawal to pay them),
  when that is at least :func:`minimum_withdrawal` (its fee plus ``MINIMUM_RECEIVED``; else nothing that
  week: a wallet never lets a seller withdraw less than the fee, and the adapter parks such a withdrawal);
  the withdrawal is created then (``WITHDRAWAL_CREATED``, money out of the balance) and completes a day
  later (``WITHDRAWAL_COMPLETED``, with its ``transaction_fee``), except each shop's first withdrawal,
  which is cancelled a day later (``WITHDRAWAL_CANCELLED``: the money back in the balance, nothing paid).

Amounts are signed as the balance moves (money out negative); the completion repeats the withdrawn
amount without moving the balance again (it left at creation). Every transaction is ``COMPLETED``.
What each withdrawal paid of the release days (oldest first, a day paid when its whole amount is) is
the truth ``/_sandbox/truth/payouts`` publishes (:func:`release_days`), with cross-border shops' days
paid by their Monday batches. Choices the sources leave open are listed in the sandbox README.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from platform_adapters.sandbox.snapshot import settlement_of
from platform_adapters.sandbox.world import ZERO_DECIMAL_CURRENCIES, WorldOrder, WorldShop

DAY = 86400
WEEK = 7 * DAY
WITHDRAW_AT = 2 * 3600  # Thursday 02:00 UTC (1970-01-01 was a Thursday)
COMPLETES_AFTER = DAY
#: the bank's fee on a completed withdrawal, per shop currency (illustrative; others: none)
WITHDRAWAL_FEE = {"PHP": Decimal("15.00")}
#: what a withdrawal must leave the seller after its fee, in the shop currency's major unit (Shopee
#: documents a minimum of PHP 1.00 for a ShopeePay bank transfer, help.shopee.ph article 81135; none found
#: for the seller balance, so the same floor for every currency): a smaller one is never requested
MINIMUM_RECEIVED = Decimal(1)


@dataclass
class Withdrawal:
    withdrawal_id: int
    created: int
    amount: Decimal
    fee: Decimal
    ends: int  # completed or cancelled at
    cancelled: bool
    pays: list[tuple[int, Decimal]] = field(default_factory=list)  # (UTC day, amount) oldest first


@dataclass
class ReleaseDay:
    day: int  # days since the epoch (UTC)
    released: Decimal = Decimal(0)
    releases: list[tuple[int, Decimal]] = field(default_factory=list)  # (release time, net) of its orders
    paid: Decimal = Decimal(0)
    paid_at: int | None = None  # when the last of it was paid
    paid_by: list[int] = field(default_factory=list)  # withdrawal ids (or the batch's payout time)

    @property
    def open(self) -> Decimal:
        return self.released - self.paid

    def open_at(self, at: int) -> Decimal:
        """What of the day was in the wallet at ``at`` (its releases up to then) and is not paid yet."""
        return sum((net for when, net in self.releases if when <= at), Decimal(0)) - self.paid


@dataclass
class Wallet:
    transactions: list[dict]  # get_wallet_transaction_list entries, oldest first, visible at ``now``
    days: dict[int, ReleaseDay]
    withdrawals: list[Withdrawal]


def _unit(currency: str) -> Decimal:
    return Decimal(1) if currency in ZERO_DECIMAL_CURRENCIES else Decimal("0.01")


def minimum_withdrawal(currency: str) -> Decimal:
    """The least a seller can withdraw: the fee plus what the bank must at least receive."""
    return WITHDRAWAL_FEE.get(currency, Decimal(0)) + MINIMUM_RECEIVED


def _withdrawal_id(shop: WorldShop, number: int) -> int:
    return int(shop.shop_id[-5:]) * 1000 + number


def wallet_of(shop: WorldShop, settled: list[WorldOrder], now: int) -> Wallet:
    """The wallet of a local shop at ``now`` from its settled orders (``ShopView.settled``)."""
    currency, unit = shop.currency, _unit(shop.currency)
    days: dict[int, ReleaseDay] = {}
    moves: list[tuple[int, int, dict, Decimal]] = []  # (time, order, entry, balance move)
    for order in settled:
        net = settlement_of(order).net
        day = days.setdefault(order.settled_at // DAY, ReleaseDay(order.settled_at // DAY))
        day.released += net
        day.releases.append((order.settled_at, net))
        kind = "ESCROW_VERIFIED_ADD" if net >= 0 else "ESCROW_VERIFIED_MINUS"
        moves.append((order.settled_at, 0, {"transaction_type": kind, "amount": net, "order_sn": order.order_id,
                                            "money_flow": "MONEY_IN" if net >= 0 else "MONEY_OUT"}, net))
    withdrawals: list[Withdrawal] = []
    if days:
        first = min(days) * DAY
        at = (first // WEEK + 1) * WEEK + WITHDRAW_AT
        while at <= now:
            eligible = sorted((d for d in days.values() if d.open_at(at) > 0), key=lambda d: d.day)
            if eligible:
                newest = eligible[-1]
                kept = (newest.open_at(at) / 2).quantize(unit, ROUND_DOWN)  # what the seller leaves of the newest day
                amount = sum((d.open_at(at) for d in eligible), Decimal(0)) - kept
                if amount < minimum_withdrawal(currency):  # too small to withdraw: the balance waits a week
                    at += WEEK
                    continue
                cancelled = not withdrawals
                w = Withdrawal(_withdrawal_id(shop, len(withdrawals) + 1), at, amount,
                               Decimal(0) if cancelled else WITHDRAWAL_FEE.get(currency, Decimal(0)),
                               at + COMPLETES_AFTER, cancelled)
                withdrawals.append(w)
                if not cancelled and w.ends <= now:  # by construction: every eligible day whole, the newest less kept
                    w.pays = [(d.day, d.open_at(at) - (kept if d is newest else 0)) for d in eligible]
                    for d, (_day, part) in zip(eligible, w.pays, strict=True):
                        d.paid += part
                        d.paid_by.append(w.withdrawal_id)
                        d.paid_at = w.ends if d.open == 0 else None
            at += WEEK
    for w in withdrawals:
        base = {"withdrawal_id": w.withdrawal_id, "withdrawal_type": "bank_transfer"}
        moves.append((w.created, 1, {**base, "transaction_type": "WITHDRAWAL_CREATED", "amount": -w.amount,
                                     "money_flow": "MONEY_OUT"}, -w.amount))
        if w.cancelled:
            moves.append((w.ends, 2, {**base, "transaction_type": "WITHDRAWAL_CANCELLED", "amount": w.amount,
                                      "money_flow": "MONEY_IN"}, w.amount))
        else:
            moves.append((w.ends, 2, {**base, "transaction_type": "WITHDRAWAL_COMPLETED", "amount": -w.amount,
                                      "money_flow": "MONEY_OUT", "transaction_fee": w.fee}, Decimal(0)))
    balance = Decimal(0)
    transactions = []
    for at, _rank, entry, move in sorted(moves, key=lambda m: (m[0], m[1], str(m[2].get("order_sn", "")))):
        if at > now:
            continue
        balance += move
        transactions.append({"status": "COMPLETED", "wallet_type": "shopee pay", "create_time": at,
                             "current_balance": balance, "order_sn": entry.get("order_sn", ""), "refund_sn": "",
                             "withdrawal_id": entry.get("withdrawal_id", 0), "transaction_fee": Decimal(0),
                             "withdrawal_type": "", "description": "", "buyer_name": "", "reason": "",
                             "transaction_tab_type": "wallet_withdrawals" if "withdrawal_id" in entry
                             else "wallet_order_income", **entry, "currency": currency})
    return Wallet(transactions, days, withdrawals)


def batch_paid_days(settled: list[WorldOrder], now: int, next_monday) -> dict[int, ReleaseDay]:  # noqa: ANN001
    """A cross-border shop's release days, each paid whole by the Monday batch after it once that is due."""
    days: dict[int, ReleaseDay] = {}
    for order in settled:
        day = days.setdefault(order.settled_at // DAY, ReleaseDay(order.settled_at // DAY))
        day.released += settlement_of(order).net
    for day in days.values():
        monday = next_monday(day.day * DAY)
        if monday <= now:
            day.paid, day.paid_at, day.paid_by = day.released, monday, [monday]
    return days
