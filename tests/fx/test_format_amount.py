"""Amounts are printed with their currency's ISO 4217 minor units, exactly: ``873000`` VND (never
``873000.0``), ``12.50`` USD, finer non-zero digits kept, nothing rounded away (``fx.display.format_amount``,
``str(Money)``, the CLI's money columns)."""
from __future__ import annotations

import io
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from aggregator.cli.output import render
from fx.currencies import minor_units
from fx.display import format_amount
from fx.money import Money

CURRENCIES = ["VND", "JPY", "KRW", "IDR", "USD", "MYR", "BHD", "CLF"]


@given(st.decimals(allow_nan=False, allow_infinity=False, min_value=-10**12, max_value=10**12, places=6),
       st.sampled_from(CURRENCIES), st.integers(0, 4))
def test_an_amount_is_exact_and_has_at_least_its_currencys_minor_units(amount: Decimal, currency: str,
                                                                       padding: int) -> None:
    amount = amount.quantize(Decimal(1).scaleb(-6)) if padding else amount
    text = format_amount(amount, currency)
    assert Decimal(text) == amount and "E" not in text and not text.startswith("-0" if amount == 0 else "+")
    digits = len(text.partition(".")[2])
    exact = amount == amount.quantize(Decimal(1).scaleb(-minor_units(currency)))
    assert digits == minor_units(currency) if exact else digits > minor_units(currency) and not text.endswith("0")


def test_zero_decimal_currencies_print_no_fraction() -> None:
    assert [format_amount(Decimal(a), c) for a, c in [("873000.0", "VND"), ("1500.00", "JPY"), ("-0.0", "KRW"),
                                                      ("12.5", "USD"), ("6663.1950", "USD"), ("1E+3", "VND")]] == [
        "873000", "1500", "0", "12.50", "6663.195", "1000"]
    assert str(Money(Decimal("873000.0"), "VND")) == "873000 VND" and str(Money(Decimal("0.5"), "BHD")) == "0.500 BHD"


def test_the_cli_prints_money_columns_with_their_currency() -> None:
    rows = [{"order": "A", "currency": "VND", "net": Decimal("873000.0")},
            {"order": "B", "currency": "USD", "net": Decimal("12.5")}, {"order": "C", "currency": "JPY", "net": None}]
    for fmt in ("table", "csv", "json"):
        out = io.StringIO()
        render(rows, ("order", "currency", "net"), fmt, out, money={"net": "currency"})
        assert "873000" in out.getvalue() and "873000.0" not in out.getvalue() and "12.50" in out.getvalue()


def test_report_and_export_frames_print_their_amounts_with_the_currency() -> None:
    import pandas as pd

    from aggregator.cli.output import frame_money, render_frame

    frame = pd.DataFrame({"lot": ["A", "B", "C"], "on_hand": [5, 2, 1], "value": [Decimal("60000.0"), Decimal("12.5"),
                                                                                 None],
                          "currency": ["VND", "USD", "JPY"], "age_days": [1.5, 2.0, 3.0]})
    assert frame_money(frame) == {"value": "currency"} and frame_money(frame.drop(columns="currency")) == {}
    out = io.StringIO()
    render_frame(frame, "csv", out)
    assert out.getvalue().splitlines()[1:] == ["A,5,60000,VND,1.5", "B,2,12.50,USD,2.0", "C,1,,JPY,3.0"]


@given(st.integers(-10**40, 10**40), st.integers(0, 40), st.sampled_from([*CURRENCIES, "KWD", "XYZ", None]))
def test_an_amount_longer_than_the_decimal_context_is_printed_whole(units: int, scale: int,
                                                                    currency: str | None) -> None:
    """More significant digits than the default decimal context holds (28), or a magnitude past it, are
    printed exactly all the same: no InvalidOperation, no digit rounded away (a precision of 28 rounded
    0.1234567890123456789012345678901 to …5679 and refused 10^30 USD)."""
    amount = Decimal(units).scaleb(-scale)
    text = format_amount(amount, currency)
    assert Decimal(text) == amount and "E" not in text


def test_three_minor_units_negative_amounts_and_long_fractions() -> None:
    assert [format_amount(Decimal(a), c) for a, c in [
        ("-12.5", "KWD"), ("-0.0005", "BHD"), ("0.1234567890123456789012345678901", "USD"), ("1E+30", "USD"),
        ("-0E+3", "VND"), ("0E-7", "USD"), ("12.3450", "XYZ")]] == [
        "-12.500", "-0.0005", "0.1234567890123456789012345678901", "1000000000000000000000000000000.00", "0",
        "0.00", "12.3450"]
