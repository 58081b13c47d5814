"""Which release days a local shop's wallet withdrawals paid (pure: days and withdrawals in, positions out).

Shopee pays a local shop's releases into its seller wallet and says nothing of which releases a
withdrawal takes out, so the aggregator applies one documented rule, first in, first out:

* withdrawals are taken in the order they completed (then by id); each pays the release days whose
  date is not after its completion date and that still hold money, oldest first (then by id), each up
  to what it still holds, until the withdrawal's amount is spent;
* a day is paid when nothing of it is open any more, at the completion of the withdrawal that paid its
  last part; a day paid in part stays open for the rest, which the next withdrawal pays first;
* what a withdrawal takes beyond the open money of the days it may pay is its ``excess``: money the
  known releases do not explain (a release not synced yet, an adjustment credited to the wallet…),
  which the caller raises as a settlement exception — never spread silently over later days;
* a day whose total is zero or negative owes the seller nothing and is not paid by withdrawals.

Every cent is accounted for: per day ``paid + open == released`` with ``0 ≤ paid ≤ released``, and per
withdrawal ``sum(applied) + excess == amount``; re-running on the same input gives the same result.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class ReleaseDay:
    key: str  # statement id (escrow-YYYY-MM-DD)
    on: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Withdrawal:
    key: str  # statement id (withdrawal-<id>)
    paid_at: datetime
    amount: Decimal


@dataclass
class DayPosition:
    key: str
    released: Decimal
    paid: Decimal = Decimal(0)
    paid_at: datetime | None = None  # set once nothing of the day is open
    paid_by: list[str] = field(default_factory=list)

    @property
    def open(self) -> Decimal:
        return self.released - self.paid

    @property
    def payable(self) -> bool:
        return self.released > 0


@dataclass
class WithdrawalPosition:
    key: str
    paid_at: datetime
    amount: Decimal
    applied: list[tuple[str, Decimal]] = field(default_factory=list)  # (day key, amount) oldest first

    @property
    def excess(self) -> Decimal:
        return self.amount - sum((amount for _, amount in self.applied), Decimal(0))


def allocate(days: list[ReleaseDay], withdrawals: list[Withdrawal]) -> tuple[dict[str, DayPosition],
                                                                              list[WithdrawalPosition]]:
    """The position of every day and every withdrawal under the rule of the module's docstring."""
    ordered = sorted(days, key=lambda d: (d.on, d.key))
    positions = {d.key: DayPosition(d.key, d.amount) for d in ordered}
    results = []
    for w in sorted(withdrawals, key=lambda x: (x.paid_at, x.key)):
        result = WithdrawalPosition(w.key, w.paid_at, w.amount)
        left = w.amount
        for day in ordered:
            if left <= 0 or day.on > w.paid_at.date():
                break
            position = positions[day.key]
            if not position.payable or position.open <= 0:
                continue
            part = min(left, position.open)
            position.paid += part
            position.paid_by.append(w.key)
            result.applied.append((day.key, part))
            left -= part
            if position.open == 0:
                position.paid_at = w.paid_at
        results.append(result)
    return positions, results
