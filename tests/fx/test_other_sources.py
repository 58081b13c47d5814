"""MAS per-100 table, Frankfurter-style JSON, bank board CSVs, and the httpx fetchers (mocked)."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import httpx
import pytest
import respx

from fx.rates import Side
from fx.sources import SourceFormatError, bank_csv, ecb, json_provider, mas
from fx.sources.http import FetchError
from tests.fx.helpers import fixture_bytes


def test_mas_table_keeps_units_and_direction() -> None:
    parsed = mas.parse(fixture_bytes("mas_daily.sample.csv"))
    assert parsed.dates() == [date(2026, 11, 12), date(2026, 11, 13), date(2026, 11, 16), date(2026, 11, 17)]
    by_key = {(r.on, r.base): r for r in parsed.rates}
    vnd = by_key[(date(2026, 11, 12), "VND")]
    assert (vnd.quote, vnd.unit, vnd.value) == ("SGD", 100, Decimal("0.005185"))
    assert by_key[(date(2026, 11, 12), "USD")].unit == 1
    assert by_key[(date(2026, 11, 13), "TWD")].value == Decimal("4.1987")  # year/month carried forward
    assert (date(2026, 11, 16), "VND") not in by_key  # empty cell: not published, not a problem
    assert [p.location for p in parsed.problems] == ["line 8 USD"]
    assert vnd.apply(Decimal(1_000_000)) == Decimal("51.85")  # VND 1,000,000 = SGD 51.85


def test_mas_without_header_is_a_format_error() -> None:
    with pytest.raises(SourceFormatError):
        mas.parse(b"Date,USD\n2026-11-12,1.3\n")


def test_frankfurter_v1_day_reads_decimals_without_float() -> None:
    parsed = json_provider.parse(fixture_bytes("frankfurter_v1_day.sample.json"))
    rates = {r.quote: r for r in parsed.rates}
    assert rates["IDR"].value == Decimal("20166.70") and str(rates["IDR"].value) == "20166.70"
    assert {(r.base, r.on, r.source) for r in parsed.rates} == {("EUR", date(2026, 11, 13), "FRANKFURTER")}


def test_frankfurter_series_and_v2_records() -> None:
    series = json_provider.parse(fixture_bytes("frankfurter_v1_series.sample.json"))
    assert len(series.rates) == 4 and series.dates() == [date(2026, 11, 12), date(2026, 11, 13)]
    v2 = json_provider.parse(fixture_bytes("frankfurter_v2.sample.json"), source="FRANKFURTER_V2")
    assert {(r.base, r.quote, r.value) for r in v2.rates} == {
        ("USD", "VND", Decimal("26315.5")), ("USD", "TWD", Decimal("31.982"))}
    assert len(v2.problems) == 1 and "XXQ" in v2.problems[0].message


def test_frankfurter_amount_becomes_the_unit() -> None:
    parsed = json_provider.parse(b'{"amount": 100, "base": "JPY", "date": "2026-11-13", "rates": {"CNY": 4.27}}')
    assert parsed.rates[0].unit == 100 and parsed.rates[0].per_unit() == Decimal("0.0427")


def test_boc_board_in_chinese_gives_bid_ask_mid_per_100() -> None:
    parsed = bank_csv.parse(fixture_bytes("bank_board_boc.sample.csv"), home_currency="CNY", source="BOC")
    usd = {r.side: r for r in parsed.rates if r.base == "USD"}
    assert set(usd) == {Side.BID, Side.ASK, Side.MID}
    assert usd[Side.MID].value == Decimal("666.01") and usd[Side.MID].unit == 100
    assert usd[Side.MID].published_at == datetime(2026, 11, 13, 2, 30, tzinfo=timezone.utc)
    idr = [r for r in parsed.rates if r.base == "IDR"]
    assert [r.side for r in idr] == [Side.MID]  # empty spot bid/ask are not rates
    assert [p.location for p in parsed.problems] == ["line 6 bid"]
    assert {r.side for r in parsed.rates if r.base == "MYR"} == {Side.ASK, Side.MID}


def test_english_bank_quotes_with_unit_column() -> None:
    parsed = bank_csv.parse(fixture_bytes("bank_quotes.sample.csv"), home_currency="CNY")
    vnd_mid = next(r for r in parsed.rates if r.base == "VND" and r.side is Side.MID)
    assert vnd_mid.unit == 10000 and vnd_mid.apply(Decimal(1_000_000)) == Decimal("253.10")
    with pytest.raises(SourceFormatError):
        bank_csv.parse(b"currency,mid\nUSD,6.6\n", home_currency="CNY")  # no date and none given


@respx.mock
def test_ecb_fetch_retries_transient_errors() -> None:
    route = respx.get(ecb.URLS["daily"]).mock(side_effect=[
        httpx.Response(503), httpx.Response(200, content=fixture_bytes("eurofxref-daily.sample.xml"))])
    payload = ecb.fetch("daily", backoff_seconds=0)
    assert route.call_count == 2
    assert len(ecb.parse(payload).rates) == 29


@respx.mock
def test_fetch_errors_say_where_and_never_echo_the_query() -> None:
    respx.get("https://rates.example.test/v1/latest").mock(return_value=httpx.Response(404))
    with pytest.raises(FetchError) as caught:
        json_provider.fetch(url="https://rates.example.test/v1", symbols=["CNY"], backoff_seconds=0)
    assert "HTTP 404" in str(caught.value) and "rates.example.test/v1/latest" in str(caught.value)
    assert "symbols" not in str(caught.value)
    with pytest.raises(ValueError):
        ecb.fetch("weekly")


@respx.mock
def test_mas_fetch_posts_the_form_with_the_page_tokens() -> None:
    page = '<input type="hidden" name="__VIEWSTATE" id="v" value="abc123" />'
    respx.get(mas.URL).mock(return_value=httpx.Response(200, text=page))
    post = respx.post(mas.URL).mock(return_value=httpx.Response(200, content=fixture_bytes("mas_daily.sample.csv")))
    payload = mas.fetch(date(2026, 11, 1), date(2026, 11, 30), backoff_seconds=0)
    body = post.calls.last.request.content.decode()
    assert "__VIEWSTATE=abc123" in body and "FrequencyDropDownList=D" in body
    assert len(mas.parse(payload).rates) > 20
