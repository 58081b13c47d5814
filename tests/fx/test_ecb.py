"""ECB parsers on the sample files (XML daily/90-day, CSV daily/history) and the real ECB history."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from xml.etree import ElementTree

import pytest

from fx.rates import Side
from fx.sources import SourceFormatError, ecb
from tests.fx.helpers import fixture_bytes

OUR_ECB_CURRENCIES = {"USD", "CNY", "SGD", "MYR", "THB", "PHP", "IDR", "HKD", "JPY", "KRW"}


def _by_day_and_code(rates):
    return {(r.on, r.quote): r.value for r in rates}


def test_daily_xml_is_read_namespace_aware() -> None:
    payload = fixture_bytes("eurofxref-daily.sample.xml")
    # A naive, namespace-unaware lookup finds nothing: the parser must use the namespace.
    assert ElementTree.fromstring(payload).find("Cube") is None
    parsed = ecb.parse(payload)
    assert parsed.problems == []
    assert len(parsed.rates) == 29
    assert parsed.dates() == [date(2026, 11, 13)]
    rates = {r.quote: r for r in parsed.rates}
    assert OUR_ECB_CURRENCIES <= rates.keys()
    assert "VND" not in rates and "TWD" not in rates
    assert rates["IDR"].value == Decimal("20166.70")
    assert str(rates["IDR"].value) == "20166.70"  # printed digits kept, trailing zero included
    assert {(r.base, r.side, r.unit, r.source) for r in parsed.rates} == {("EUR", Side.MID, 1, "ECB")}
    assert rates["USD"].reference.startswith("sha256:")


def test_daily_csv_quirks_match_the_xml() -> None:
    parsed = ecb.parse(fixture_bytes("eurofxref-daily.sample.csv"))
    assert parsed.problems == []
    assert parsed.dates() == [date(2026, 11, 13)]  # "13 November 2026"
    xml = ecb.parse(fixture_bytes("eurofxref-daily.sample.xml"))
    assert _by_day_and_code(parsed.rates) == _by_day_and_code(xml.rates)


def test_ninety_day_xml_and_history_csv_agree_and_skip_holidays() -> None:
    xml = ecb.parse(fixture_bytes("eurofxref-hist-90d.sample.xml"))
    csv = ecb.parse(fixture_bytes("eurofxref-hist.sample.csv"))
    expected_days = [date(2026, 12, d) for d in (22, 23, 24, 28, 29)]
    assert xml.dates() == expected_days and csv.dates() == expected_days  # 25-26 Dec absent
    assert xml.problems == []
    assert _by_day_and_code(xml.rates) == _by_day_and_code(csv.rates)  # "1.428" == "1.4280"
    assert _by_day_and_code(csv.rates)[(date(2026, 12, 29), "SGD")] == Decimal("1.428")
    # N/A legacy columns and the trailing comma produce no rates and no problems.
    assert "" not in {r.quote for r in csv.rates}
    assert csv.problems == []


def test_bad_values_are_reported_and_the_rest_goes_on() -> None:
    text = ("Date,USD,CNY,CYP,\n2026-12-29,1.1,abc,0.58,\nnot-a-date,1.2,7.1,N/A,\n"
            "2026-12-28,-1,7.2,N/A,\n")
    parsed = ecb.parse(text.encode())
    assert [(r.on, r.quote, r.value) for r in parsed.rates] == [
        (date(2026, 12, 29), "USD", Decimal("1.1")), (date(2026, 12, 28), "CNY", Decimal("7.2"))]
    messages = [p.describe() for p in parsed.problems]
    assert any("line 2 CNY" in m and "not a number" in m for m in messages)
    assert any("line 3" in m and "not a date" in m for m in messages)
    assert any("line 4 USD" in m and "positive" in m for m in messages)
    assert any("column CYP" in m and "1 value(s) skipped" in m for m in messages)


def test_not_an_ecb_file_is_a_format_error() -> None:
    with pytest.raises(SourceFormatError):
        ecb.parse(b"<html><body>maintenance</body></html>")
    with pytest.raises(SourceFormatError):
        ecb.parse(b"<Envelope")
    with pytest.raises(SourceFormatError):
        ecb.parse(b"Currency,Rate\nUSD,1.1\n")


def test_real_history_zip(ecb_history) -> None:
    parsed = ecb_history
    days = parsed.dates()
    assert days[0] == date(1999, 1, 4)
    assert len(days) > 7000
    coverage = {}
    for rate in parsed.rates:
        coverage.setdefault(rate.quote, rate.on)
        coverage[rate.quote] = min(coverage[rate.quote], rate.on)
    assert OUR_ECB_CURRENCIES <= coverage.keys()
    assert coverage["CNY"] == date(2005, 4, 1) and coverage["USD"] == date(1999, 1, 4)
    assert "VND" not in coverage and "TWD" not in coverage
    # Withdrawn currencies are reported once per column, not silently dropped.
    assert {p.location.split()[-1] for p in parsed.problems} >= {"CYP", "HRK", "BGN"}


def test_xml_with_entities_is_refused_before_parsing() -> None:
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
            b'<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01">&lol2;</gesmes:Envelope>')
    with pytest.raises(SourceFormatError, match="DOCTYPE"):
        ecb.parse(bomb)
