"""Rate locks: a time-boxed, amount-capped promise to convert at a fixed rate (pure lifecycle).

A lock comes from a provider quote (Airwallex/Wise style: quote id, client rate vs mid, validity,
single or multi use) or a manual forward (a bank forward or PingPong-style reservation). It is
used by settlement lines, partially, idempotently by a business key (the same key twice counts
once; the same key with another amount is a conflict), never beyond its notional plus tolerance,
never before ``valid_from`` nor at/after ``valid_to``. Expiry is computed from the clock the caller
passes in (no background job); what is left at expiry or cancellation is unhedged exposure.

Every function returns a new ``RateLock``; nothing is mutated. Persistence and concurrency
(row lock / version) are the application's business (``aggregator.fx_service``).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from fx.money import CurrencyMismatch, Money, to_decimal
from fx.rates import Rate, Side


class LockState(str, enum.Enum):
    PENDING = "pending"  # before valid_from
    ACTIVE = "active"
    PARTIALLY_UTILISED = "partially_utilised"
    FULLY_UTILISED = "fully_utilised"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class LockKind(str, enum.Enum):
    QUOTE = "quote"  # executable provider quote
    FORWARD = "forward"  # manual forward / reservation


class LockUsage(str, enum.Enum):
    SINGLE_USE = "single_use"
    MULTI_USE = "multi_use"


class LockError(ValueError):
    """A lock operation that is not allowed; the message says which lock and why."""


class LockNotUsable(LockError):
    """The lock is pending, expired, cancelled or already fully used."""


class OverUtilisation(LockError):
    """The utilisation would take the lock beyond its notional plus tolerance."""


class IdempotencyConflict(LockError):
    """The idempotency key was already used with a different amount."""


def _aware(moment: datetime, what: str) -> datetime:
    if moment.utcoffset() is None:
        raise LockError(f"{what} must be timezone-aware")
    return moment


@dataclass(frozen=True, slots=True)
class Utilisation:
    """One use of a lock by a settlement line: dealt amount, counter amount (unrounded), key."""

    key: str
    dealt: Money
    counter: Money
    at: datetime
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class RateLock:
    """A lock on ``sell_currency``→``buy_currency``; the notional is in the dealt currency.

    ``client_rate`` is quoted the way the provider quotes the pair: units of the other currency per
    1 ``rate_base`` (default: per 1 ``sell_currency``). It is never inverted and stored rounded.
    """

    lock_id: str
    kind: LockKind
    provider: str
    sell_currency: str
    buy_currency: str
    client_rate: Decimal
    notional: Money
    valid_from: datetime
    valid_to: datetime
    usage: LockUsage = LockUsage.MULTI_USE
    tolerance: Decimal = Decimal(0)  # fraction of notional allowed on top (0.15 = 115 % cap)
    mid_rate: Decimal | None = None
    reference: str | None = None  # provider quote id / forward contract number
    utilisations: tuple[Utilisation, ...] = ()
    cancelled_at: datetime | None = None
    rate_base: str = ""  # the pair's base currency; "" means sell_currency

    def __post_init__(self) -> None:
        if not self.rate_base:
            object.__setattr__(self, "rate_base", self.sell_currency)
        if self.rate_base not in (self.sell_currency, self.buy_currency):
            raise LockError(f"lock {self.lock_id}: rate base {self.rate_base} is neither "
                            f"{self.sell_currency} nor {self.buy_currency}")
        object.__setattr__(self, "client_rate", to_decimal(self.client_rate))
        object.__setattr__(self, "tolerance", to_decimal(self.tolerance))
        if self.mid_rate is not None:
            object.__setattr__(self, "mid_rate", to_decimal(self.mid_rate))
        if self.client_rate <= 0:
            raise LockError(f"lock {self.lock_id}: rate must be positive")
        if self.sell_currency == self.buy_currency:
            raise LockError(f"lock {self.lock_id}: sell and buy currency are the same")
        if self.notional.currency not in (self.sell_currency, self.buy_currency):
            raise LockError(f"lock {self.lock_id}: notional {self.notional.currency} is neither "
                            f"{self.sell_currency} nor {self.buy_currency}")
        if self.notional.amount <= 0:
            raise LockError(f"lock {self.lock_id}: notional must be positive")
        if self.tolerance < 0:
            raise LockError(f"lock {self.lock_id}: tolerance must not be negative")
        _aware(self.valid_from, "valid_from")
        _aware(self.valid_to, "valid_to")
        if self.valid_to <= self.valid_from:
            raise LockError(f"lock {self.lock_id}: valid_to must be after valid_from")

    # -- facts -----------------------------------------------------------------------------
    @property
    def dealt_currency(self) -> str:
        return self.notional.currency

    @property
    def pair(self) -> str:
        """The quoted pair, base first (``USD/CNY`` = CNY per 1 USD)."""
        return f"{self.rate_base}/{self.rate_quote}"

    @property
    def rate_quote(self) -> str:
        return self.buy_currency if self.rate_base == self.sell_currency else self.sell_currency

    @property
    def dealt_side(self) -> str:
        """``SELL`` when the notional is in the currency sold, ``BUY`` when in the currency bought."""
        return "SELL" if self.dealt_currency == self.sell_currency else "BUY"

    @property
    def used(self) -> Money:
        return Money(sum((u.dealt.amount for u in self.utilisations), Decimal(0)), self.dealt_currency)

    @property
    def cap(self) -> Money:
        return self.notional * (1 + self.tolerance)

    @property
    def remaining(self) -> Money:
        left = self.notional - self.used
        return left if left.amount > 0 else Money.zero(self.dealt_currency)

    @property
    def margin_bp(self) -> Decimal | None:
        """What the client rate costs against mid, in basis points (positive = worse than mid)."""
        if self.mid_rate is None:
            return None
        spread = self.mid_rate - self.client_rate if self.rate_base == self.sell_currency \
            else self.client_rate - self.mid_rate  # per 1 bought: paying more sold units is worse
        return spread / self.mid_rate * 10000

    def as_rate(self) -> Rate:
        return Rate(self.rate_base, self.rate_quote, self.client_rate, self.valid_from.date(),
                    f"LOCK:{self.provider}", Side.CLIENT, 1, self.lock_id)

    def counter_amount(self, dealt: Money) -> Money:
        """What ``dealt`` is worth on the other side at the client rate (unrounded)."""
        if dealt.currency not in (self.sell_currency, self.buy_currency):
            raise CurrencyMismatch(f"lock {self.lock_id} is {self.pair}; cannot use {dealt.currency}")
        other = self.buy_currency if dealt.currency == self.sell_currency else self.sell_currency
        if dealt.currency == self.rate_base:
            return Money(dealt.amount * self.client_rate, other)
        return Money(dealt.amount / self.client_rate, other)

    def cover(self, amount: Money, rounding: str = ROUND_HALF_UP) -> Money:
        """What using the lock for ``amount`` (in either currency of its pair) takes of its notional, in
        the dealt currency: ``amount`` itself when it is in that currency, else its counter amount at the
        client rate rounded to the dealt currency's minor units (a lock dealt in the currency bought is
        used for a sold amount by what it delivers; the rounding makes the same amount size the same
        utilisation every time, so a replay of its key matches)."""
        if amount.currency == self.dealt_currency:
            return amount
        return self.counter_amount(amount).round(rounding)

    def find(self, key: str) -> Utilisation | None:
        return next((u for u in self.utilisations if u.key == key), None)

    def state_at(self, now: datetime) -> LockState:
        _aware(now, "now")
        if self.cancelled_at is not None and now >= self.cancelled_at:
            return LockState.CANCELLED
        if self.utilisations and (self.usage is LockUsage.SINGLE_USE or self.used >= self.notional):
            return LockState.FULLY_UTILISED
        if now >= self.valid_to:
            return LockState.EXPIRED
        if now < self.valid_from:
            return LockState.PENDING
        return LockState.PARTIALLY_UTILISED if self.utilisations else LockState.ACTIVE

    def unhedged_exposure(self, now: datetime) -> Money:
        """Notional left uncovered once the lock can no longer be used (expired or cancelled)."""
        if self.state_at(now) in (LockState.EXPIRED, LockState.CANCELLED):
            return self.remaining
        return Money.zero(self.dealt_currency)


@dataclass(frozen=True, slots=True)
class UtilisationOutcome:
    lock: RateLock
    utilisation: Utilisation
    replayed: bool  # True when the key had already been applied (nothing changed)


def create_from_quote(lock_id: str, *, provider: str, quote_id: str, sell_currency: str, buy_currency: str,
                      client_rate: Decimal | str, notional: Money, valid_from: datetime, valid_to: datetime,
                      mid_rate: Decimal | str | None = None, usage: LockUsage = LockUsage.SINGLE_USE,
                      tolerance: Decimal | str = Decimal(0), rate_base: str | None = None) -> RateLock:
    """A lock from an executable provider quote (single use unless the provider says otherwise)."""
    return RateLock(lock_id, LockKind.QUOTE, provider, sell_currency, buy_currency, to_decimal(client_rate),
                    notional, valid_from, valid_to, usage, to_decimal(tolerance),
                    None if mid_rate is None else to_decimal(mid_rate), quote_id, rate_base=rate_base or "")


def create_forward(lock_id: str, *, counterparty: str, sell_currency: str, buy_currency: str,
                   rate: Decimal | str, notional: Money, valid_from: datetime, valid_to: datetime,
                   reference: str | None = None, mid_rate: Decimal | str | None = None,
                   tolerance: Decimal | str = Decimal(0), usage: LockUsage = LockUsage.MULTI_USE,
                   rate_base: str | None = None) -> RateLock:
    """A manually entered forward or reservation (multi use by default)."""
    return RateLock(lock_id, LockKind.FORWARD, counterparty, sell_currency, buy_currency, to_decimal(rate),
                    notional, valid_from, valid_to, usage, to_decimal(tolerance),
                    None if mid_rate is None else to_decimal(mid_rate), reference, rate_base=rate_base or "")


def utilise(lock: RateLock, amount: Money, key: str, now: datetime, *, reference: str | None = None) -> UtilisationOutcome:
    """Use ``amount`` (in the dealt currency) of ``lock`` under idempotency ``key`` at ``now``."""
    if not key:
        raise LockError(f"lock {lock.lock_id}: an idempotency key is required")
    if amount.currency != lock.dealt_currency:
        raise CurrencyMismatch(f"lock {lock.lock_id} is dealt in {lock.dealt_currency}, got {amount.currency}")
    previous = lock.find(key)
    if previous is not None:
        if previous.dealt.amount != amount.amount:
            raise IdempotencyConflict(f"lock {lock.lock_id}: key {key!r} was used for {previous.dealt}, not {amount}")
        return UtilisationOutcome(lock, previous, True)
    if amount.amount <= 0:
        raise LockError(f"lock {lock.lock_id}: utilisation must be positive, got {amount}")
    state = lock.state_at(now)
    if state not in (LockState.ACTIVE, LockState.PARTIALLY_UTILISED):
        raise LockNotUsable(f"lock {lock.lock_id} is {state.value} at {now.isoformat()}")
    if lock.used + amount > lock.cap:
        raise OverUtilisation(f"lock {lock.lock_id}: {amount} on top of {lock.used} used exceeds the cap "
                              f"{lock.cap} (notional {lock.notional}, tolerance {lock.tolerance})")
    utilisation = Utilisation(key, amount, lock.counter_amount(amount), now, reference)
    return UtilisationOutcome(replace(lock, utilisations=lock.utilisations + (utilisation,)), utilisation, False)


def cancel(lock: RateLock, now: datetime) -> RateLock:
    """Cancel what is left of the lock; cancelling twice is a no-op; a fully used lock cannot be cancelled."""
    state = lock.state_at(now)
    if state is LockState.CANCELLED:
        return lock
    if state is LockState.FULLY_UTILISED:
        raise LockNotUsable(f"lock {lock.lock_id} is fully utilised; nothing to cancel")
    return replace(lock, cancelled_at=now)
