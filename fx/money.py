"""Money: a Decimal amount with an ISO 4217 currency.

Arithmetic refuses mixed currencies and floats. Amounts keep full precision until they are booked;
``Money.round`` rounds to the currency's minor units with an explicit rounding mode (HALF_UP by
default, the journal convention) and the caller records which mode it used. ``format_amount`` is how an
amount is printed anywhere (``str(Money)`` included) is ``fx.display.format_amount``.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from fx.currencies import cash_digits, minor_units
from fx.display import format_amount


class CurrencyMismatch(ValueError):
    """Raised when two amounts of different currencies meet in arithmetic or comparison."""


def to_decimal(value: object) -> Decimal:
    """Parse ``value`` as an exact Decimal; floats are refused (they are already inexact).

    Strings and ints parse exactly. A JSON number must be decoded with ``parse_float=Decimal``
    before it reaches here.
    """
    if isinstance(value, bool):
        raise TypeError("a bool is not an amount")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", "")
        try:
            result = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError(f"not a decimal amount: {value!r}") from exc
    elif isinstance(value, float):
        raise TypeError("floats are not accepted for money; parse the source text with Decimal")
    else:
        raise TypeError(f"cannot make an amount from {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"amount must be finite, got {value!r}")
    return result


_ZERO = Decimal(0)
#: currency codes that passed Money's check (bounded: a code is three letters, there are few)
_CODES_SEEN: set[str] = set()


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in one currency."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            object.__setattr__(self, "amount", to_decimal(self.amount))
        elif not self.amount.is_finite():
            raise ValueError("amount must be finite")
        code = self.currency
        if type(code) is str and code in _CODES_SEEN:  # checked once per code, not once per amount
            return
        if not (isinstance(code, str) and len(code) == 3 and code.isascii() and code.isupper() and code.isalpha()):
            raise ValueError(f"currency must be a 3-letter upper-case ISO 4217 code, got {code!r}")
        if type(code) is str and len(_CODES_SEEN) < 1024:
            _CODES_SEEN.add(code)

    @classmethod
    def of(cls, amount: object, currency: str) -> "Money":
        return cls(to_decimal(amount), currency.strip().upper())

    @classmethod
    def zero(cls, currency: str) -> "Money":
        return money_of(_ZERO, currency) if cls is Money else cls(_ZERO, currency)

    def _same(self, other: "Money") -> None:
        if not isinstance(other, Money):
            raise TypeError(f"expected Money, got {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency} cannot be combined")

    def __add__(self, other: "Money") -> "Money":
        self._same(other)
        return money_of(self.amount + other.amount, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        self._same(other)
        return money_of(self.amount - other.amount, self.currency)

    def __neg__(self) -> "Money":
        return money_of(-self.amount, self.currency)

    def __abs__(self) -> "Money":
        return Money(abs(self.amount), self.currency)

    def __mul__(self, factor: Decimal | int) -> "Money":
        if type(factor) is int or type(factor) is Decimal:  # the usual factors, checked by type alone
            return money_of(self.amount * factor, self.currency)
        if isinstance(factor, (float, bool)) or not isinstance(factor, (Decimal, int)):
            raise TypeError("Money can only be multiplied by a Decimal or an int")
        return money_of(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: "Money") -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: "Money") -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: "Money") -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: "Money") -> bool:
        self._same(other)
        return self.amount >= other.amount

    def is_zero(self) -> bool:
        return self.amount == 0

    def round(self, rounding: str = ROUND_HALF_UP, *, cash: bool = False) -> "Money":
        """Round to the currency's minor units (or cash digits) with an explicit mode."""
        digits = cash_digits(self.currency) if cash else minor_units(self.currency)
        return Money(self.amount.quantize(Decimal(1).scaleb(-digits), rounding=rounding), self.currency)

    def digits(self, *, cash: bool = False) -> int:
        return cash_digits(self.currency) if cash else minor_units(self.currency)

    def fits(self, *, cash: bool = False) -> bool:
        """True when the amount has no more decimals than the currency allows (flag, don't fix)."""
        return self.amount == self.amount.quantize(Decimal(1).scaleb(-self.digits(cash=cash)))

    def to_minor(self, *, cash: bool = False) -> int:
        """The amount in minor units (cents, sen…); refuses an amount finer than the currency allows."""
        if not self.fits(cash=cash):
            raise ValueError(f"{self} has more than {self.digits(cash=cash)} decimals; round it explicitly first")
        return int(self.amount.scaleb(self.digits(cash=cash)))

    @classmethod
    def from_minor(cls, units: int, currency: str, *, cash: bool = False) -> "Money":
        if isinstance(units, bool) or not isinstance(units, int):
            raise TypeError("minor units must be an int")
        digits = cash_digits(currency) if cash else minor_units(currency)
        return cls(Decimal(units).scaleb(-digits), currency)

    def __str__(self) -> str:
        return f"{format_amount(self.amount, self.currency)} {self.currency}"


_new = object.__new__
_set_amount = Money.amount.__set__  # type: ignore[attr-defined]  (the slots' descriptors)
_set_currency = Money.currency.__set__  # type: ignore[attr-defined]


def money_of(amount: Decimal, currency: str) -> Money:
    """``Money(amount, currency)``, without the dataclass machinery when ``amount`` is a finite Decimal and
    ``currency`` a code that already passed Money's check (what the mappers send for every amount of an
    order); anything else goes through ``Money`` itself, which validates or refuses it."""
    if type(amount) is Decimal and type(currency) is str and currency in _CODES_SEEN and amount.is_finite():
        money = _new(Money)
        _set_amount(money, amount)
        _set_currency(money, currency)
        return money
    return Money(amount, currency)
