"""Currency conversion over a book of published rates: direct, inverse or cross, path recorded.

Rules (reference/fx_settlement.md §4.4, §6.3):

* A path is direct (A/B), inverse (B/A, divided at use time) or a cross through one pivot: the
  policy's (EUR, USD, CNY by default) or the source's home currency — the currency every series of
  that source shares (EUR for the ECB, PLN for the NBP, SGD for MAS), found from the rates themselves.
  A cross uses ONE source and ONE date for both legs; the path (``VND→PLN→CNY``) is kept with the
  result and in its ``reference``.
* Legs are applied to the amount one after the other (``amount ÷ EUR/IDR × EUR/CNY``); rates are
  never multiplied together first and never rounded, so the result is as exact as the decimal
  context allows. The result is NOT rounded: ``Conversion.booked()`` rounds with an explicit mode.
* A date without a rate is an error unless the caller allows falling back to the last published
  rate before it; the conversion then says so (``fell_back``). A fallback older than the policy's
  ``max_age_days`` is a ``StaleRate`` error. Nothing is ever interpolated.
* A rate's date is the publisher's business day (the ECB's reference rates of D come out on D around
  16:00 CET, the CFETS parity at 09:15 Beijing time). A day from the policy's ``today`` on without its
  own rate is not over: its rate may still be published, so it never falls back to an earlier day's,
  nor to a less preferred source that published first; that is a ``RateNotPublished`` error (a caller
  tries again later). Only a past day falls back. So what a day converts at never depends on the hour.
"""
from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from fx.money import Money
from fx.rates import Rate, Side

SeriesKey = tuple[str, str, str, Side]  # (source, base, quote, side)


class RateNotFound(LookupError):
    """No usable rate for the pair on the date (and no allowed fallback)."""


class StaleRate(RateNotFound):
    """The last published rate is older than the configured maximum age."""


class RateNotPublished(RateNotFound):
    """No rate yet for a day that is not over (``ConversionPolicy.today`` or later): it may still come."""


class RateBook:
    """An in-memory, append-only index of rates by (source, base, quote, side) and date."""

    def __init__(self, rates: Iterable[Rate] = ()) -> None:
        self._series: dict[SeriesKey, dict[date, Rate]] = {}
        self._dates: dict[SeriesKey, list[date]] = {}
        self._homes: dict[str, tuple[str, ...]] = {}
        self.add_all(rates)

    def add(self, rate: Rate) -> None:
        key = (rate.source, rate.base, rate.quote, rate.side)
        if key not in self._series:
            self._homes.pop(rate.source, None)
        series = self._series.setdefault(key, {})
        if rate.on not in series:
            bisect.insort(self._dates.setdefault(key, []), rate.on)
        series[rate.on] = rate

    def add_all(self, rates: Iterable[Rate]) -> None:
        for rate in rates:
            self.add(rate)

    def __len__(self) -> int:
        return sum(len(s) for s in self._series.values())

    def sources(self) -> list[str]:
        return sorted({key[0] for key in self._series})

    def homes(self, source: str) -> tuple[str, ...]:
        """The currencies every series of ``source`` has on one side: its home (EUR for the ECB, PLN for
        the NBP). A source with one series has both of its currencies here; one with none, nothing."""
        if source not in self._homes:
            shared: set[str] | None = None
            for key in self._series:
                if key[0] == source:
                    shared = {key[1], key[2]} if shared is None else shared & {key[1], key[2]}
            self._homes[source] = tuple(sorted(shared or ()))
        return self._homes[source]

    def get(self, key: SeriesKey, on: date) -> Rate | None:
        return self._series.get(key, {}).get(on)

    def latest_on_or_before(self, key: SeriesKey, on: date) -> date | None:
        dates = self._dates.get(key)
        if not dates:
            return None
        index = bisect.bisect_right(dates, on)
        return dates[index - 1] if index else None


@dataclass(frozen=True, slots=True)
class Leg:
    """One step of a path: a published rate, used as published or inverted."""

    rate: Rate
    inverted: bool

    @property
    def from_currency(self) -> str:
        return self.rate.quote if self.inverted else self.rate.base

    @property
    def to_currency(self) -> str:
        return self.rate.base if self.inverted else self.rate.quote

    def apply(self, amount: Decimal) -> Decimal:
        return self.rate.apply_inverse(amount) if self.inverted else self.rate.apply(amount)


@dataclass(frozen=True, slots=True)
class Conversion:
    """The unrounded result of a conversion and everything needed to audit it."""

    original: Money
    result: Money
    legs: tuple[Leg, ...]
    requested_on: date
    rate_date: date

    @property
    def fell_back(self) -> bool:
        return self.rate_date != self.requested_on

    @property
    def source(self) -> str:
        return self.legs[0].rate.source if self.legs else "IDENTITY"

    @property
    def path(self) -> str:
        if not self.legs:
            return self.original.currency
        return "→".join([self.legs[0].from_currency, *(leg.to_currency for leg in self.legs)])

    @property
    def reference(self) -> str | None:
        """The publishers' references of the legs; a cross also names its path (``VND→PLN→CNY: …``)."""
        refs: list[str] = []
        for leg in self.legs:
            if leg.rate.reference and leg.rate.reference not in refs:
                refs.append(leg.rate.reference)
        if len(self.legs) > 1:
            return f"{self.path}: {';'.join(refs)}" if refs else self.path
        return ";".join(refs) or None

    @property
    def rate(self) -> Decimal:
        """Units of the target currency per 1 unit of the original (derived for display and audit)."""
        value = Decimal(1)
        for leg in self.legs:
            value = leg.apply(value)
        return value

    def booked(self, rounding: str = ROUND_HALF_UP, *, cash: bool = False) -> Money:
        return self.result.round(rounding, cash=cash)

    def explain(self) -> str:
        legs = "; ".join(("inverse of " if leg.inverted else "") + leg.rate.describe() for leg in self.legs)
        note = f" (no rate on {self.requested_on}; used last published {self.rate_date})" if self.fell_back else ""
        return f"{self.original} = {self.result} via {self.path} [{legs}]{note}"


@dataclass(frozen=True, slots=True)
class ConversionPolicy:
    """How to look rates up: side, fallback, maximum age, pivots and source preference."""

    side: Side = Side.MID
    allow_fallback: bool = False
    max_age_days: int = 7
    pivots: tuple[str, ...] = ("EUR", "USD", "CNY")  # tried first; then each source's home currency
    sources: tuple[str, ...] | None = None  # preference order; None = every source, by name
    today: date | None = None  # from this day on a missing rate is not published yet: never fallen back from


PathSpec = tuple[tuple[SeriesKey, bool], ...]


class Converter:
    """Converts money with a ``RateBook`` under a ``ConversionPolicy``."""

    def __init__(self, book: RateBook, policy: ConversionPolicy | None = None) -> None:
        self.book = book
        self.policy = policy or ConversionPolicy()

    def _paths(self, source: str, frm: str, to: str, side: Side) -> list[PathSpec]:
        def options(a: str, b: str) -> list[tuple[SeriesKey, bool]]:
            return [((source, a, b, side), False), ((source, b, a, side), True)]

        paths: list[PathSpec] = [(option,) for option in options(frm, to)]
        homes = tuple(home for home in self.book.homes(source) if home not in self.policy.pivots)
        for pivot in (*self.policy.pivots, *homes):
            if pivot in (frm, to):
                continue
            paths.extend((first, second) for first in options(frm, pivot) for second in options(pivot, to))
        return paths

    def _path_date(self, path: PathSpec, on: date, fallback: bool) -> date | None:
        if not fallback:
            return on if all(self.book.get(key, on) for key, _ in path) else None
        candidate = on
        while True:
            found = [self.book.latest_on_or_before(key, candidate) for key, _ in path]
            if any(d is None for d in found):
                return None
            earliest = min(found)  # type: ignore[type-var]
            if all(d == earliest for d in found):
                return earliest
            candidate = earliest

    def find_path(self, frm: str, to: str, on: date, *, allow_fallback: bool | None = None,
                  side: Side | None = None) -> tuple[tuple[Leg, ...], date]:
        """The legs to use and the date of their rates (the freshest path, then by preference)."""
        fallback = self.policy.allow_fallback if allow_fallback is None else allow_fallback
        pending = self.policy.today is not None and on >= self.policy.today
        fallback = fallback and not pending
        side = side or self.policy.side
        sources = self.policy.sources or tuple(self.book.sources())
        if pending:  # only the preferred source serving the pair: another's rate of the day would vary with the hour
            sources = next(((source,) for source in sources if any(
                self._path_date(path, on, True) is not None for path in self._paths(source, frm, to, side))), ())
        best: tuple[date, PathSpec] | None = None
        for source in sources:
            for path in self._paths(source, frm, to, side):
                found = self._path_date(path, on, fallback)
                if found is not None and (best is None or found > best[0]):
                    best = (found, path)
                    if found == on:
                        break  # nothing can be fresher than the requested day: keep the preferred path
            if best is not None and best[0] == on:
                break
        if best is None:
            latest = None
            if not fallback:
                for source in sources:
                    for path in self._paths(source, frm, to, side):
                        d = self._path_date(path, on, True)
                        if d is not None and (latest is None or d > latest):
                            latest = d
            hint = f"; last published {latest} (allow fallback to use it)" if latest else ""
            if not sources:  # nothing loaded for the day (callers load the day and the maximum age before it)
                raise RateNotFound(f"no {side.value} rate {frm}/{to} on {on}: no rate of any source was found in "
                                   "the days searched (aggregator fx rates import or fetch adds rates)")
            if pending:
                last = f" (the last published is of {latest})" if latest else ""
                raise RateNotPublished(f"{side.value} rate {frm}/{to} for {on} not published yet{last}; "
                                       "a day not over never falls back to an earlier day's rate")
            raise RateNotFound(f"no {side.value} rate {frm}/{to} on {on} in sources {list(sources)}{hint}")
        rate_date, path = best
        age = (on - rate_date).days
        if age > self.policy.max_age_days:
            raise StaleRate(f"last published {frm}/{to} rate is from {rate_date}, {age} days before {on}; "
                            f"the configured maximum age is {self.policy.max_age_days} days")
        legs = tuple(Leg(self.book.get(key, rate_date), inverted) for key, inverted in path)  # type: ignore[arg-type]
        return legs, rate_date

    def period_average(self, frm: str, to: str, start: date, end: date, *, side: Side | None = None) -> Rate:
        """Mean of the effective ``frm``→``to`` rates published on the days of ``start``..``end``.

        For recognition at a period average (IAS 21 ¶22 / CAS 19 approximate rate). Only days
        with a published rate count; nothing is filled in. The result is a derived, unrounded rate.
        """
        side = side or self.policy.side
        daily: list[Decimal] = []
        sources: set[str] = set()
        day = start
        while day <= end:
            try:
                legs, _ = self.find_path(frm, to, day, allow_fallback=False, side=side)
            except RateNotFound:
                legs = ()
            if legs:
                value = Decimal(1)
                for leg in legs:
                    value = leg.apply(value)
                daily.append(value)
                sources.add(legs[0].rate.source)
            day += timedelta(days=1)
        if not daily:
            raise RateNotFound(f"no {side.value} rate {frm}/{to} published between {start} and {end}")
        mean = sum(daily, Decimal(0)) / len(daily)
        return Rate(frm, to, mean, end, "+".join(sorted(sources)) + "-AVG", side, 1,
                    f"mean of {len(daily)} daily rates {start}..{end}")

    def convert(self, money: Money, to: str, on: date, *, allow_fallback: bool | None = None,
                side: Side | None = None) -> Conversion:
        """Convert ``money`` into ``to`` with the rates of ``on``; the result is not rounded."""
        if money.currency == to:
            return Conversion(money, money, (), on, on)
        legs, rate_date = self.find_path(money.currency, to, on, allow_fallback=allow_fallback, side=side)
        amount = money.amount
        for leg in legs:
            amount = leg.apply(amount)
        return Conversion(money, Money(amount, to), legs, on, rate_date)
