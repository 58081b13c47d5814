"""The ``aggregator fx`` verb end to end on a fresh SQLite data dir (network mocked with respx)."""
from __future__ import annotations

import hashlib
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import httpx
import respx
from click.testing import CliRunner

from aggregator.cli.main import cli
from aggregator.config import load_settings
from aggregator.fx_service.rates import load_rate_book
from aggregator.fx_service.receivables import recognise_receivable
from aggregator.store.db import create_engine_for, session_scope
from aggregator.store.models import SettlementLineRow
from fx.convert import Converter
from fx.money import Money
from fx.sources import ecb
from tests.fx.helpers import FX_FIXTURES, fixture_bytes


def run(data: Path, *args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, ["--data-dir", str(data), "fx", *args], env=env)


def test_rates_import_and_convert(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = run(data, "rates", "import", str(FX_FIXTURES / "eurofxref-hist-90d.sample.xml"))
    assert first.exit_code == 0, first.output
    assert "145 rates read, 145 new" in first.output
    again = run(data, "rates", "import", str(FX_FIXTURES / "eurofxref-hist-90d.sample.xml"))
    assert again.exit_code == 0 and "already imported" in again.output
    board = run(data, "rates", "import", str(FX_FIXTURES / "bank_board_boc.sample.csv"), "--source", "bank-csv",
                "--source-name", "boc")
    assert board.exit_code == 0 and "1 problem(s)" in board.output and "line 6 bid" in board.output

    converted = run(data, "convert", "12500000", "IDR", "CNY", "--on", "2026-12-29")
    assert converted.exit_code == 0, converted.output
    assert "= 4576.23 CNY" in converted.output and "path: IDR→EUR→CNY via ECB on 2026-12-29" in converted.output
    direct = run(data, "convert", "100", "USD", "CNY", "--on", "2026-11-13", "--prefer", "BOC")
    assert direct.exit_code == 0 and "path: USD→CNY via BOC" in direct.output and "= 666.01 CNY" in direct.output

    holiday = run(data, "convert", "100", "SGD", "CNY", "--on", "2026-12-26")
    assert holiday.exit_code == 1 and "last published 2026-12-24" in holiday.output
    fallback = run(data, "convert", "100", "SGD", "CNY", "--on", "2026-12-26", "--allow-fallback")
    assert fallback.exit_code == 0 and "used the last published rate of 2026-12-24" in fallback.output
    bad = run(data, "convert", "1.5e", "SGD", "CNY")
    assert bad.exit_code == 2
    huge = run(data, "convert", "1e400", "IDR", "CNY", "--on", "2026-12-29")  # parses, cannot be rounded
    assert huge.exit_code == 1 and "cannot be rounded to its minor units" in huge.output
    assert "internal error" not in huge.output


@respx.mock
def test_rates_fetch_imports_or_fails_clearly(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {"AGGREGATOR_HTTP_MAX_RETRIES": "1"}
    respx.get(ecb.URLS["daily"]).mock(return_value=httpx.Response(200, content=fixture_bytes(
        "eurofxref-daily.sample.xml")))
    fetched = run(data, "rates", "fetch", "--source", "ecb", env=env)
    assert fetched.exit_code == 0 and "29 rates read, 29 new" in fetched.output
    respx.get(ecb.URLS["90d"]).mock(side_effect=httpx.ConnectError("no route to host"))
    offline = run(data, "rates", "fetch", "--file", "90d", env=env)
    assert offline.exit_code == 1 and "could not fetch ecb rates" in offline.output and "ConnectError" in offline.output


def test_lock_lifecycle_and_revalue(tmp_path: Path) -> None:
    data = tmp_path / "data"
    runner = CliRunner()
    assert runner.invoke(cli, ["--data-dir", str(data), "owners", "add", "LUMINA", "--name", "Lumina"]).exit_code == 0
    missing = run(data, "lock", "create", "L1", "--owner", "NOBODY", "--provider", "BANK", "--sell", "THB", "--buy",
                  "CNY", "--rate", "0.2101", "--notional", "50000", "--valid-from", "2026-11-01T00:00:00Z",
                  "--valid-to", "2099-01-01T00:00:00Z")
    assert missing.exit_code == 2 and "no owner 'NOBODY'" in missing.output
    naive = run(data, "lock", "create", "L1", "--owner", "LUMINA", "--provider", "BANK", "--sell", "THB", "--buy",
                "CNY", "--rate", "0.2101", "--notional", "50000", "--valid-from", "2026-11-01T00:00:00",
                "--valid-to", "2099-01-01T00:00:00Z")
    assert naive.exit_code == 2 and "needs a time zone" in naive.output
    created = run(data, "lock", "create", "L1", "--owner", "LUMINA", "--provider", "BANK", "--sell", "THB",
                  "--buy", "CNY", "--rate", "0.2101", "--mid", "0.2109", "--notional", "50000",
                  "--valid-from", "2026-11-01T00:00:00+08:00", "--valid-to", "2099-01-01T00:00:00Z")
    assert created.exit_code == 0, created.output
    assert "margin 37.9 bp" in created.output and "state active" in created.output
    listed = run(data, "lock", "list", "--owner", "LUMINA")
    assert listed.exit_code == 0 and "L1" in listed.output and "active" in listed.output
    expired = run(data, "lock", "list", "--owner", "LUMINA", "--at", "2099-01-01T00:00:00Z")
    assert "expired" in expired.output and "50000" in expired.output
    cancelled = run(data, "lock", "cancel", "--owner", "LUMINA", "L1")
    assert cancelled.exit_code == 0 and "unhedged exposure 50000.00 THB" in cancelled.output
    shown = run(data, "lock", "show", "--owner", "LUMINA", "L1")
    assert shown.exit_code == 0 and "state cancelled" in shown.output
    assert run(data, "lock", "show", "--owner", "LUMINA", "NOPE").exit_code == 1

    assert run(data, "rates", "import", str(FX_FIXTURES / "eurofxref-hist-90d.sample.xml")).exit_code == 0
    engine = create_engine_for(load_settings(data_dir=data).effective_database_url)
    with session_scope(engine) as session:
        recognise_receivable(session, "LUMINA", "SHOPEE:SG1:9", Money.of("1000.00", "SGD"), book_currency="CNY",
                             on=date(2026, 12, 22), account="1122.SG",
                             converter=Converter(load_rate_book(session)))
    engine.dispose()
    revalued = run(data, "revalue", "--owner", "LUMINA", "--period", "2026-12")
    assert revalued.exit_code == 0, revalued.output
    # carried 1000 / 1.4303 * 7.4757 = 5226.67; closing 1000 / 1.4280 * 7.4354 = 5206.86
    assert "1 open item(s); unrealized -19.81 CNY" in revalued.output
    assert "SHOPEE:SG1:9" in revalued.output and "of 2026-12-29 via SGD→EUR→CNY" in revalued.output
    twice = run(data, "revalue", "--owner", "LUMINA", "--period", "2026-12")
    assert "nothing new to revalue" in twice.output
    assert run(data, "revalue", "--owner", "LUMINA", "--period", "2026-13").exit_code == 2


def test_lock_from_a_provider_quote_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    runner = CliRunner()
    assert runner.invoke(cli, ["--data-dir", str(data), "owners", "add", "LUMINA", "--name", "Lumina"]).exit_code == 0
    created = run(data, "lock", "create", "--owner", "LUMINA", "--from-quote",
                  str(FX_FIXTURES / "airwallex_quote.sample.json"))
    assert created.exit_code == 0, created.output
    assert "lock 6c1a2b9e-7f3c-4d2a-9b1e-0a7f3c2a9100 (quote, multi_use) from AIRWALLEX" in created.output
    assert "sell CNY buy USD (dealt BUY) at 7.1532 USD/CNY" in created.output and "margin 32.5 bp" in created.output
    shown = run(data, "lock", "show", "--owner", "LUMINA", "6c1a2b9e-7f3c-4d2a-9b1e-0a7f3c2a9100")
    assert "7.1532 USD/CNY" in shown.output and "notional 10000.00 USD" in shown.output
    incomplete = run(data, "lock", "create", "L9", "--owner", "LUMINA", "--provider", "BANK")
    assert incomplete.exit_code == 2 and "--sell" in incomplete.output


def test_receivable_recognise_and_settle(tmp_path: Path) -> None:
    data = tmp_path / "data"
    runner = CliRunner()
    assert runner.invoke(cli, ["--data-dir", str(data), "owners", "add", "LUMINA", "--name", "Lumina"]).exit_code == 0
    assert run(data, "rates", "import", str(FX_FIXTURES / "eurofxref-hist-90d.sample.xml")).exit_code == 0
    engine = create_engine_for(load_settings(data_dir=data).effective_database_url)
    at = datetime(2026, 12, 26, 3, tzinfo=timezone.utc)  # a TARGET holiday: no ECB rate that day
    with session_scope(engine) as session:
        for tid, kind, amount in (("T1", "REVENUE", "250.00"), ("T2", "COMMISSION", "-12.50")):
            session.add(SettlementLineRow(owner_id="LUMINA", platform="shopee", shop_id="SG1", statement_id="S1",
                                          transaction_id=tid, kind=kind, amount=Decimal(amount), currency="SGD",
                                          occurred_at=at, content_hash=hashlib.sha256(tid.encode()).hexdigest()))
    engine.dispose()
    args = ["receivable", "recognise", "--owner", "LUMINA", "--platform", "shopee", "--shop", "SG1",
            "--statement", "S1"]
    refused = run(data, *args)
    assert refused.exit_code == 1 and "last published 2026-12-24" in refused.output
    recognised = run(data, *args, "--allow-fallback")
    assert recognised.exit_code == 0, recognised.output
    assert "shopee:SG1:S1: 237.50 SGD carried at 1227.59 CNY" in recognised.output  # 237.50 / 1.4319 * 7.4012
    assert "3 new journal line(s)" in recognised.output
    assert run(data, "lock", "create", "FWD-SG", "--owner", "LUMINA", "--provider", "BANK", "--sell", "SGD",
               "--buy", "CNY", "--rate", "5.25", "--notional", "1000", "--valid-from", "2026-12-01T00:00:00Z",
               "--valid-to", "2027-01-31T00:00:00Z").exit_code == 0
    assert run(data, "lock", "create", "FWD-US", "--owner", "LUMINA", "--provider", "BANK", "--sell", "USD",
               "--buy", "CNY", "--rate", "7.1", "--notional", "1000", "--valid-from", "2026-12-01T00:00:00Z",
               "--valid-to", "2027-01-31T00:00:00Z").exit_code == 0
    other_pair = run(data, "receivable", "settle", "--owner", "LUMINA", "shopee:SG1:S1", "--lock", "FWD-US",
                     "--at", "2027-01-05T02:00:00Z")
    assert other_pair.exit_code == 1 and "cannot use SGD" in other_pair.output  # a clear refusal, no traceback
    settled = run(data, "receivable", "settle", "--owner", "LUMINA", "shopee:SG1:S1", "--lock", "FWD-SG",
                  "--at", "2027-01-05T02:00:00Z")
    assert settled.exit_code == 0, settled.output
    assert "realized gain 19.29 CNY" in settled.output  # 237.50 * 5.25 = 1246.875 -> 1246.88 - 1227.59
    again = run(data, "receivable", "settle", "--owner", "LUMINA", "shopee:SG1:S1", "--lock", "FWD-SG")
    assert again.exit_code == 1 and "not open" in again.output


def test_bundled_import_lists_its_problems_not_only_their_count(tmp_path: Path) -> None:
    imported = run(tmp_path / "data", "rates", "import", "--bundled", "ecb-history", "--since", "2026-10-20")
    assert imported.exit_code == 0, imported.output
    counted = int(imported.output.split(" problem(s)")[0].rsplit(" ", 1)[1])
    listed = [line for line in imported.output.splitlines() if line.startswith("  problem: ")]
    assert counted > 0 and len(listed) == min(counted, 20)  # e.g. the ECB history's retired currencies
