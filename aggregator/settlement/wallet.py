"""Release days paid by a local Shopee shop's wallet withdrawals, in the database.

A local shop's releases go into its seller wallet; its payouts are the seller's withdrawals, stored as
paid ``withdrawal-<id>`` statements (``platform_adapters.shopee.wallet_mapping``). For every Shopee shop
of the owner with such statements, its release-day statements (``escrow-YYYY-MM-DD``) and withdrawals
are allocated first in, first out (``wallet_allocation.allocate``, pure) and the days' rows made to say
what the allocation says:

* a day nothing of which is open: ``payment_status`` ``PAID`` at the withdrawal that paid its last part,
  ``payout_id`` the withdrawals that paid it — booking then settles its receivable on that day at the
  rate source's rate (``booking._settle`` → ``payouts.payout_received`` finds no batch conversion for it),
  the realized FX booked the way it is for every payout;
* a day paid in part: ``PARTIALLY_PAID`` with the withdrawals so far, never settled; how much is paid
  and open is ``wallet_position`` (recomputed from the stored rows, the same allocation);
* a day nothing of which is paid yet but some of which a pending withdrawal holds (its ``withdrawal-<id>``
  statement ``PENDING``: created, not completed): ``PENDING`` with those withdrawals, never settled; the
  held money is open to no later withdrawal or charge (``wallet_allocation``), and once the completion
  is stored the withdrawal pays exactly what it held, so what was netted meanwhile stands. A cancelled
  withdrawal (``CANCELLED``) held its money until its cancellation (``breakdown["cancelled_at"]``);
* the wallet's own money in and out outside escrow (``wallet-…`` statements: adjustments, paid ads,
  affiliate fees…, ``shopee.wallet_mapping``) is taken like a release day of one release at its time:
  money in paid by withdrawals, money out netted;
* a negative day (charged more than released) netted against positive days' money in the wallet:
  ``PAID`` once netted whole, at the netting that settled its last part, ``payout_id`` the days netted
  against (the positive days name it among what paid them);
* a withdrawal taking more than the open money of the days it may pay: a ``withdrawal_exceeds_open``
  settlement exception naming the withdrawal, the excess and the days it paid (cleared once later
  releases explain it).

What a withdrawal may take is what the days' releases had put in the wallet when it was created: the
release times are the day statement's ``release_times`` (``shopee.settlement_mapping``), the creation
time is the withdrawal statement's ``issued_at`` (its ``WITHDRAWAL_CREATED``; ``paid_at`` is its
completion, ``shopee.wallet_mapping``).

A shop is recomputed whole from what is stored, so re-running changes nothing and a late release day
takes its place in the order. Given ``since`` (the last run), only the shops with a release day or a
withdrawal stored or changed since are recomputed: the allocation is a function of those rows alone, so
a shop none of whose rows changed would come out the same. Cross-border shops (no withdrawal
statements) are left to ``payouts.mark_paid_by_payouts``.

``day_parts`` gives, per release day, the part each withdrawal paid of it, on that withdrawal's
completion, and each part netted against another day, on the netting — booking realizes FX on each part
at the rate of its own day (``booking``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from aggregator.settlement.exceptions import clear_finding, raise_finding
from aggregator.settlement.wallet_allocation import (
    CANCELLED, PENDING, DayPosition, ReleaseDay, Withdrawal, WithdrawalPosition, allocate,
)
from aggregator.store.models.settlement import StatementRow

PLATFORM = "shopee"
DAY_PREFIX, WITHDRAWAL_PREFIX, WALLET_PREFIX = "escrow-", "withdrawal-", "wallet-"
#: what withdrawals pay and nettings settle: release days and the wallet's own money in and out
CREDIT_PREFIXES = (DAY_PREFIX, WALLET_PREFIX)
PAID, PARTIAL = "PAID", "PARTIALLY_PAID"


@dataclass
class WalletPosition:
    """One shop's release days and withdrawals as the allocation leaves them."""

    shop_id: str
    currency: str
    days: dict[str, DayPosition]
    withdrawals: list[WithdrawalPosition]

    @property
    def pending(self) -> list[WithdrawalPosition]:
        """The withdrawals created and not completed: what each holds is in ``applied``."""
        return [w for w in self.withdrawals if w.status == PENDING]


@dataclass(frozen=True, slots=True)
class DayPart:
    """What one withdrawal paid of one release day, and when (its completion); or what netting against
    another release day (``by`` that day's statement id) settled of it, and when."""

    by: str
    paid_at: datetime
    amount: Decimal

    @property
    def reference(self) -> str:
        """The booking reference of the part: ``PAYOUT:withdrawal-…`` or ``NETTED:escrow-…``."""
        return f"{'PAYOUT' if self.by.startswith(WITHDRAWAL_PREFIX) else 'NETTED'}:{self.by}"


def _wallet_shops(session: Session, owner_id: str, since: datetime | None = None) -> list[str]:
    shops = set(session.scalars(select(StatementRow.shop_id).where(
        StatementRow.owner_id == owner_id, StatementRow.platform == PLATFORM,
        StatementRow.statement_id.like(WITHDRAWAL_PREFIX + "%"))))
    if since is not None and shops:
        shops &= set(session.scalars(select(StatementRow.shop_id).where(
            StatementRow.owner_id == owner_id, StatementRow.platform == PLATFORM, StatementRow.stored_at > since,
            or_(*(StatementRow.statement_id.like(p + "%") for p in (WITHDRAWAL_PREFIX, *CREDIT_PREFIXES))))))
    return sorted(shops)


def _rows(session: Session, owner_id: str, shop_id: str, *prefixes: str) -> list[StatementRow]:
    return list(session.scalars(select(StatementRow).where(
        StatementRow.owner_id == owner_id, StatementRow.platform == PLATFORM, StatementRow.shop_id == shop_id,
        or_(*(StatementRow.statement_id.like(p + "%") for p in prefixes)))
        .order_by(StatementRow.issued_at, StatementRow.statement_id)))


def release_times(row: StatementRow) -> tuple[tuple[datetime, Decimal], ...]:
    """The day's releases (time, amount) as its statement keeps them (``release_times``: a JSON list of
    [epoch seconds, amount text]); () when it was stored without them (then the day counts from its
    last release, ``issued_at``)."""
    text = (row.breakdown or {}).get("release_times")
    if not text:
        return ()
    try:
        return tuple((datetime.fromtimestamp(int(at), timezone.utc), Decimal(str(amount)))
                     for at, amount in json.loads(text))
    except (ValueError, TypeError, InvalidOperation) as exc:
        raise ValueError(f"{row.statement_id} of shop {row.shop_id}: unreadable release_times: {exc}") from exc


def _withdrawal(row: StatementRow) -> Withdrawal | None:
    """The allocation's view of a stored withdrawal: paid, pending or cancelled (None: no amount, or a
    status the wallet mapper never gives)."""
    if row.payout is None:
        return None
    if row.payment_status == PAID and row.paid_at is not None:
        return Withdrawal(row.statement_id, row.issued_at, row.paid_at, row.payout)
    if row.payment_status == PENDING:
        return Withdrawal(row.statement_id, row.issued_at, None, row.payout)
    if row.payment_status == CANCELLED:
        text = (row.breakdown or {}).get("cancelled_at")
        try:
            at = datetime.fromisoformat(text) if text else row.source_updated_at
        except ValueError as exc:
            raise ValueError(f"{row.statement_id} of shop {row.shop_id}: unreadable cancelled_at: {exc}") from exc
        return Withdrawal(row.statement_id, row.issued_at, None, row.payout, cancelled_at=at)
    return None


def _position(shop_id: str, days: list[StatementRow], withdrawals: list[StatementRow]) -> WalletPosition:
    positions, applied = allocate(
        [ReleaseDay(d.statement_id, d.issued_at, d.declared_total, release_times(d)) for d in days],
        [w for w in map(_withdrawal, withdrawals) if w is not None])
    currency = (days or withdrawals)[0].currency if (days or withdrawals) else ""
    return WalletPosition(shop_id, currency, positions, applied)


def wallet_position(session: Session, owner_id: str, shop_id: str) -> WalletPosition:
    """What the shop's withdrawals paid of each release day and what is open (nothing is written)."""
    return _position(shop_id, _rows(session, owner_id, shop_id, *CREDIT_PREFIXES),
                     _rows(session, owner_id, shop_id, WITHDRAWAL_PREFIX))


def day_parts(session: Session, owner_id: str) -> dict[tuple[str, str], list[DayPart]]:
    """(shop, release day's statement id) → the parts withdrawals paid (or nettings settled) of it, in the
    order they did: by when each was paid (a withdrawal's at its completion, so a charge netted while it
    was pending comes before it, though the allocation took the withdrawal's part first, at its creation)."""
    parts: dict[tuple[str, str], list[DayPart]] = {}
    for shop_id in _wallet_shops(session, owner_id):
        for day in wallet_position(session, owner_id, shop_id).days.values():
            if day.parts:
                parts[(shop_id, day.key)] = sorted((DayPart(by, when, amount) for by, when, amount in day.parts),
                                                   key=lambda part: part.paid_at)
    return parts


def mark_paid_by_withdrawals(session: Session, owner_id: str, *, since: datetime | None = None) -> int:
    """Bring the owner's local shops' release days in line with their withdrawals; returns how many day
    rows changed. Raises or clears each withdrawal's ``withdrawal_exceeds_open`` exception. ``since``:
    only the shops with rows stored or changed since then (see the module's docstring); None: all."""
    changed = 0
    for shop_id in _wallet_shops(session, owner_id, since):
        days = _rows(session, owner_id, shop_id, *CREDIT_PREFIXES)
        withdrawals = _rows(session, owner_id, shop_id, WITHDRAWAL_PREFIX)
        position = _position(shop_id, days, withdrawals)
        for row in days:
            changed += _apply(row, position.days[row.statement_id])
        for result in position.withdrawals:
            _finding(session, owner_id, shop_id, position.currency, result)
    session.flush()
    return changed


def _apply(row: StatementRow, day: DayPosition) -> int:
    if day.released == 0:
        return 0
    if day.open == 0:
        wanted = (PAID, day.paid_at, ",".join(day.paid_by)[:64])
    elif day.paid != 0:
        wanted = (PARTIAL, None, ",".join(day.paid_by)[:64])
    elif day.held != 0:
        wanted = (PENDING, None, ",".join(day.held_by)[:64])
    elif row.payout_id and row.payout_id.startswith((WITHDRAWAL_PREFIX, *CREDIT_PREFIXES)):
        wanted = (None, None, None)  # what once said to pay it no longer does (a day stored late)
    else:
        return 0
    if (row.payment_status, row.paid_at, row.payout_id) == wanted:
        return 0
    row.payment_status, row.paid_at, row.payout_id = wanted
    return 1


def _finding(session: Session, owner_id: str, shop_id: str, currency: str, result: WithdrawalPosition) -> None:
    key = f"withdrawal:{PLATFORM}:{shop_id}:{result.key}"
    if result.status == CANCELLED:
        clear_finding(session, key=key, note="cancelled: the money is back in the wallet")
        return
    if result.excess <= 0:
        clear_finding(session, key=key, note="the release days before it explain every cent it paid")
        return
    days = ", ".join(f"{day} {amount}" for day, amount in result.applied) or "none"
    raise_finding(session, owner_id=owner_id, kind="withdrawal_exceeds_open", key=key, reason=(
        f"{PLATFORM} shop {shop_id}: {result.key} created {result.created_at:%Y-%m-%d %H:%M} UTC "
        f"{'paid' if result.paid_at is not None else 'took (pending)'} {result.amount} "
        f"{currency}, {result.excess} more than the releases before it left in the wallet (paid of them: {days}); "
        "a release not synced yet or money credited to the wallet by something else"), details={
        "withdrawal": result.key, "amount": str(result.amount), "excess": str(result.excess),
        "applied": [[day, str(amount)] for day, amount in result.applied]})
