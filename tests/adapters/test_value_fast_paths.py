"""Property tests: the value parsers' shortcuts for the usual inputs (``loads`` with one decoder and UTF-8 read
off an object's first bytes, ``id_str`` of an int or a digit string, ``money`` of a Decimal or a decimal string,
``epoch`` of an int, ``fx.money.money_of``, ``Money * int``, ``Money.zero``) answer exactly what the general rules
answer: the same value, or the same error with the same message."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from fx.money import Money, money_of, to_decimal
from platform_adapters.http.values import MAX_ID_CHARS, epoch, id_str, loads, money

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def outcome(call, *args):
    """What ``call(*args)`` gives: ("ok", value, type) or ("error", exception type, message)."""
    try:
        value = call(*args)
    except Exception as exc:  # noqa: BLE001  (the error itself is what is compared)
        return ("error", type(exc), str(exc))
    return ("ok", value, type(value))


json_documents = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**80, max_value=2**80) | st.floats(allow_nan=False)
    | st.text(max_size=10),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=12,
)


@given(document=json_documents | st.dictionaries(st.text(max_size=6), json_documents, max_size=4),
       encoding=st.sampled_from(["utf-8", "utf-16", "utf-32", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be",
                                 "utf-8-sig", None]))
def test_loads_equals_json_loads_with_decimal_floats(document, encoding) -> None:
    text = json.dumps(document, ensure_ascii=False)
    raw = text if encoding is None else text.encode(encoding)
    assert outcome(loads, raw) == outcome(lambda r: json.loads(r, parse_float=Decimal), raw)


@given(raw=st.binary(max_size=40) | st.text(max_size=40) | st.binary(max_size=12).map(lambda b: b"{" + b)
       | st.sampled_from(["\ufeff{}", b"\xef\xbb\xbf{}", "1.5e3", " [1.10] ", b"{", b"{\x00", b"{\x00}", b"{\x00\x00\x00",
                          b"{\x00\x00\x01", b"{}\x00", b'{"a": 1}', b"{\xff}", b"{\xed\xa0\x80}"]))
def test_loads_fails_like_json_loads(raw) -> None:
    mine, reference = outcome(loads, raw), outcome(lambda r: json.loads(r, parse_float=Decimal), raw)
    assert mine[:2] == reference[:2]
    if mine[0] == "error":
        assert mine[2] == reference[2]


def reference_id(value: object) -> str:
    """``id_str``'s documented rule for an int or a string (the shortcuts must agree with it)."""
    if isinstance(value, bool) or value is None:
        raise ValueError("missing id")
    text = str(value) if isinstance(value, int) else value.strip()
    if isinstance(value, str) and not text:
        raise ValueError(f"not an id: {str(value)[:40]!r}")
    if len(text) > MAX_ID_CHARS:
        raise ValueError(f"id longer than {MAX_ID_CHARS} characters")
    return text


@given(value=st.integers(min_value=-10**130, max_value=10**130)
       | st.sampled_from([10**127, 10**128 - 1, 10**128, -10**127 + 1, -10**127, 0, -1])
       | st.text(alphabet=st.characters(categories=["Nd"]), max_size=MAX_ID_CHARS + 3))
def test_id_str_shortcuts_follow_the_rule(value) -> None:
    assert outcome(id_str, value) == outcome(reference_id, value)


currencies = st.sampled_from(["SGD", "MYR", "sgd", "SG", "", "USDX", "€UR", "IDR"]) | st.text(max_size=4)


@given(amount=st.decimals(allow_nan=True, allow_infinity=True) | st.sampled_from([Decimal("NaN"), Decimal("-Infinity"),
                                                                                  Decimal("sNaN"), Decimal("1E+5")]),
       currency=currencies)
def test_money_of_a_decimal_equals_the_general_path(amount, currency) -> None:
    general = outcome(lambda a, c: Money(to_decimal(a), c), amount, currency)
    assert outcome(money, amount, currency) == general
    assert outcome(money_of, amount, currency) == outcome(Money, amount, currency)


@given(value=st.integers(min_value=-5, max_value=260_000_000_000_000)
       | st.sampled_from([10**11 - 1, 10**11, 1, 253_402_300_799_999, 253_402_300_800_000]))
def test_epoch_of_an_int_follows_the_rule(value) -> None:
    def rule(v: int) -> datetime:
        if v <= 0:
            raise ValueError(f"epoch time must be positive, got {str(v)[:40]}")
        if v > 253_402_300_799_999:
            raise ValueError(f"epoch time out of range: {str(v)[:40]}")
        return _EPOCH + (timedelta(milliseconds=v) if v >= 10**11 else timedelta(seconds=v))

    assert outcome(epoch, value) == outcome(rule, value)


def reference_money(value: object, currency: str) -> Money:
    """``money``'s general rule for a value that is not a Decimal: refuse a missing one, else ``to_decimal``."""
    if value is None or value == "":
        raise ValueError("missing amount")
    return money_of(to_decimal(value), currency)


decimal_texts = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=2).map(lambda d: f"{d:,}"),  # commas: the general path
    st.text(alphabet=" \t\n\u00a0\u2003\u3000\u200b,._-+eE0123456789\u0661\u0662\uff11NaInfsy", max_size=14),
    st.sampled_from(["", " ", "1.10", " 1.10 ", "1_000.5", "1,000.50", "-0.00", "1E+3", "NaN", "sNaN", "-Infinity",
                     "\u00a012.5\u2003", "12.5\u200b", "\u0661\u0662.5", "1 000"]),
)


@given(value=decimal_texts, currency=st.sampled_from(["SGD", "THB", "sgd", "XX"]))
def test_money_of_a_decimal_string_equals_the_general_path(value, currency) -> None:
    mine, general = outcome(money, value, currency), outcome(reference_money, value, currency)
    assert mine == general
    if mine[0] == "ok":  # the same digits and exponent, not only an equal amount
        assert str(mine[1].amount) == str(general[1].amount) and mine[1].currency == general[1].currency


@given(amount=st.decimals(allow_nan=False, allow_infinity=False), currency=st.sampled_from(["SGD", "IDR"]),
       factor=st.integers(-10**6, 10**6) | st.decimals(allow_nan=True, allow_infinity=True) | st.booleans()
       | st.floats(allow_nan=False) | st.sampled_from([None, "2"]))
def test_money_times_a_factor_follows_the_rule(amount, currency, factor) -> None:
    def rule(m: Money, f: object) -> Money:
        if isinstance(f, (float, bool)) or not isinstance(f, (Decimal, int)):
            raise TypeError("Money can only be multiplied by a Decimal or an int")
        return Money(m.amount * f, m.currency)

    assert outcome(lambda f: Money(amount, currency) * f, factor) == outcome(rule, Money(amount, currency), factor)


@given(currency=currencies)
def test_money_zero_follows_the_rule(currency) -> None:
    assert outcome(Money.zero, currency) == outcome(Money, Decimal(0), currency)
