"""Which release days a local Shopee shop's wallet withdrawals paid (pure: days and withdrawals in, positions out).

Shopee pays a local shop's releases into its seller wallet and says nothing of which releases a
withdrawal takes out, so the aggregator applies one documented rule, first in, first out, on the
wallet's own clock (``payment.get_wallet_transaction_list``: every transaction has its ``create_time``;
a withdrawal is "deducted from balance" when it is created, ``WITHDRAWAL_CREATED``, and only completes
later, ``WITHDRAWAL_COMPLETED``):

* a withdrawal can only take out money that was in the wallet when it was created: of each release day,
  what the day's releases up to the withdrawal's creation time added (``ReleaseDay.releases``: each
  release's time and amount; a day stored without them counts from its last release, ``at``);
* withdrawals are taken in the order they were created (then by id); each pays the days that still hold
  money it may take, oldest first (then by id), each up to that, until its amount is spent;
* a withdrawal created but not completed (``Withdrawal.paid_at`` None: pending) takes its money out of
  the wallet all the same (``WITHDRAWAL_CREATED``: "deducted from balance"), as what it *holds* of each
  day: held money pays nothing yet (the day stays open, ``DayPosition.held``) and is open to no later
  withdrawal or charge; once its completion is stored it pays exactly what it held (the same allocation,
  at its creation), so nothing netted while it was pending moves. A cancelled withdrawal
  (``cancelled_at``: ``WITHDRAWAL_CANCELLED``, "the amount is added back to the seller balance") held its
  money from its creation to its cancellation, and gives it back to the wallet then;
* a day whose total is negative (the platform charged more than it released that day) is money taken
  out of the wallet at its last release: it is netted against the positive days' money in the wallet
  then, oldest first, and what it cannot net then is netted against the money released after it, at each
  release as it arrives (before any later withdrawal takes it); a netted part pays the positive day and
  settles as much of the negative one, at that moment;
* a day is paid when nothing of it is open any more, at the moment its last part was paid (a
  withdrawal's completion, or the netting); a day paid in part stays open for the rest, which the next
  withdrawal (or netting) pays first;
* what a withdrawal takes beyond the money it may take is its ``excess``: money the known releases do not
  explain (a release not synced yet, an adjustment credited to the wallet…), which the caller raises as a
  settlement exception — never spread silently over later days;
* a day whose total is zero owes nothing either way.

Every cent is accounted for: per day ``paid + open == released`` (for a positive day ``0 ≤ paid ≤
released``, for a negative one ``released ≤ paid ≤ 0``), per withdrawal ``sum(applied) + excess ==
amount``, every netting pays a positive day what it settles of a negative one; re-running on the same
input gives the same result, whatever order the input comes in.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

ZERO = Decimal(0)
PAID, PENDING, CANCELLED = "PAID", "PENDING", "CANCELLED"


@dataclass(frozen=True, slots=True)
class ReleaseDay:
    key: str  # statement id (escrow-YYYY-MM-DD)
    at: datetime  # the day's last release
    amount: Decimal
    releases: tuple[tuple[datetime, Decimal], ...] = ()  # (release time, amount); () = all of it at ``at``

    @property
    def on(self) -> date:
        return self.at.date()

    def released_by(self, moment: datetime) -> Decimal:
        """What the day's releases up to ``moment`` added, within [0, amount]."""
        if not self.releases:
            return self.amount if self.at <= moment else ZERO
        total = sum((amount for at, amount in self.releases if at <= moment), ZERO)
        return min(max(total, ZERO), self.amount)


@dataclass(frozen=True, slots=True)
class Withdrawal:
    key: str  # statement id (withdrawal-<id>)
    created_at: datetime  # WITHDRAWAL_CREATED: the money left the balance
    paid_at: datetime | None  # WITHDRAWAL_COMPLETED; None while pending (or once cancelled)
    amount: Decimal
    cancelled_at: datetime | None = None  # WITHDRAWAL_CANCELLED: the money back in the balance

    @property
    def status(self) -> str:
        return PAID if self.paid_at is not None else CANCELLED if self.cancelled_at is not None else PENDING


@dataclass
class DayPosition:
    key: str
    released: Decimal
    paid: Decimal = ZERO
    paid_at: datetime | None = None  # set once nothing of the day is open
    parts: list[tuple[str, datetime, Decimal]] = field(default_factory=list)  # (by, when, amount), one per payer
    holds: dict[str, Decimal] = field(default_factory=dict)  # pending withdrawal -> what it holds of the day

    @property
    def open(self) -> Decimal:
        """What of the day is not paid (held by a pending withdrawal or still in the wallet)."""
        return self.released - self.paid

    @property
    def held(self) -> Decimal:
        """What pending withdrawals took of the day out of the wallet and have not paid yet."""
        return sum(self.holds.values(), ZERO)

    @property
    def held_by(self) -> list[str]:
        return list(self.holds)

    @property
    def payable(self) -> bool:
        return self.released > 0

    @property
    def paid_by(self) -> list[str]:
        """The withdrawals and netted days that paid it, in the order they did, once each."""
        return list(dict.fromkeys(by for by, _, _ in self.parts))

    def pay(self, by: str, when: datetime, amount: Decimal) -> None:
        # one part per payer, where it first paid: a netting can come in steps, with other payers between
        # (a charge nets a day's first releases, then another credit, then the day's later releases)
        at = next((n for n, (payer, _, _) in enumerate(self.parts) if payer == by), None)
        if at is None:
            self.parts.append((by, when, amount))
        else:
            _, earlier, before = self.parts[at]
            self.parts[at] = (by, max(earlier, when), before + amount)
        self.paid += amount
        self.paid_at = max(p[1] for p in self.parts) if self.open == 0 else None


@dataclass
class WithdrawalPosition:
    key: str
    paid_at: datetime | None
    amount: Decimal
    created_at: datetime | None = None
    status: str = PAID  # PAID, PENDING (what it took is held) or CANCELLED (given back at its cancellation)
    applied: list[tuple[str, Decimal]] = field(default_factory=list)  # (day key, amount) oldest first

    @property
    def excess(self) -> Decimal:
        return self.amount - sum((amount for _, amount in self.applied), ZERO)


def allocate(days: list[ReleaseDay], withdrawals: list[Withdrawal]) -> tuple[dict[str, DayPosition],
                                                                              list[WithdrawalPosition]]:
    """The position of every day and every withdrawal under the rule of the module's docstring."""
    ordered = sorted(days, key=lambda d: (d.on, d.key))
    positions = {d.key: DayPosition(d.key, d.amount) for d in ordered}
    credits = [d for d in ordered if d.amount > 0]
    debits = sorted((d for d in ordered if d.amount < 0), key=lambda d: (d.at, d.key))

    def net(moment: datetime) -> None:
        """Net every negative day charged by ``moment`` against the money in the wallet at ``moment``."""
        for debit in debits:
            if debit.at > moment:
                break
            owed = -positions[debit.key].open
            for credit in credits:
                if owed <= 0:
                    break
                part = min(owed, _room(credit, positions, moment))
                if part <= 0:
                    continue
                positions[credit.key].pay(debit.key, moment, part)
                positions[debit.key].pay(credit.key, moment, -part)
                owed -= part

    # the wallet's clock: every charge, every release (money a charge still owed may take), every
    # withdrawal's creation and cancellation, in order; at each, the money of the withdrawals cancelled
    # comes back first, then the charges are netted, then the withdrawals created take theirs
    cancels = sorted((w for w in withdrawals if w.status == CANCELLED), key=lambda x: (x.cancelled_at, x.key))
    moments = {w.created_at for w in withdrawals} | {w.cancelled_at for w in cancels}
    if debits:
        moments |= {d.at for d in debits} | {at for c in credits for at in ([r for r, _ in c.releases] or [c.at])}
    queue = sorted(withdrawals, key=lambda x: (x.created_at, x.key))
    results = []
    for moment in sorted(moments):
        while cancels and cancels[0].cancelled_at <= moment:  # type: ignore[operator]
            back = cancels.pop(0).key
            for position in positions.values():
                position.holds.pop(back, None)
        if debits:
            net(moment)
        while queue and queue[0].created_at <= moment:
            results.append(_withdraw(queue.pop(0), credits, positions))
    return positions, results


def _withdraw(w: Withdrawal, credits: list[ReleaseDay], positions: dict[str, DayPosition]) -> WithdrawalPosition:
    """What the withdrawal ``w`` pays (or, pending or cancelled, holds), oldest first, of the money in the
    wallet when it was created. A cancellation at its creation or before holds nothing."""
    result = WithdrawalPosition(w.key, w.paid_at, w.amount, w.created_at, w.status)
    if w.cancelled_at is not None and w.cancelled_at <= w.created_at:
        return result
    left = w.amount
    for credit in credits:
        if left <= 0:
            break
        part = min(left, _room(credit, positions, w.created_at))
        if part <= 0:
            continue
        if w.paid_at is not None:
            positions[credit.key].pay(w.key, w.paid_at, part)
        else:
            holds = positions[credit.key].holds
            holds[w.key] = holds.get(w.key, ZERO) + part
        result.applied.append((credit.key, part))
        left -= part
    return result


def _room(day: ReleaseDay, positions: dict[str, DayPosition], moment: datetime) -> Decimal:
    """What of ``day`` was in the wallet at ``moment``, not paid and not held by a pending withdrawal."""
    return day.released_by(moment) - positions[day.key].paid - positions[day.key].held
