"""``aggregator report``: table, spreadsheet-safe CSV with the durations in ``…_days`` columns, XLSX with
every table as a sheet, and refusals (unknown owner, bad period, xlsx without a file, unknown table)."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook

from aggregator.cli.main import cli


def _run(world, *args: str):
    url = world.engine.url.render_as_string(hide_password=False)
    return CliRunner().invoke(cli, ["--database-url", url, "report", *args])


def test_cash_cycle_csv_table_and_xlsx(analytics_world, tmp_path: Path) -> None:
    owner = analytics_world.world.owners[0][0]
    result = _run(analytics_world, "cash-cycle", "--owner", owner, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert rows and {"mean_days", "p50_days", "p90_days", "std_days"} <= set(rows[0])
    assert {r["leg"] for r in rows} >= {"order_to_dispatch", "dispatch_to_delivery", "delivery_to_payout",
                                        "order_to_cash", "on_board_to_arrival", "arrival_to_release",
                                        "release_to_receipt"}
    per_order = _run(analytics_world, "cash-cycle", "--owner", owner, "--format", "csv", "--table", "orders")
    header = next(csv.reader(io.StringIO(per_order.output)))
    assert [c for c in header if "_to_" in c] and all(c.endswith("_days") for c in header if "_to_" in c)
    table = _run(analytics_world, "cash-cycle", "--owner", owner, "--by", "month")
    assert table.exit_code == 0 and f"{owner}: " in table.output and "cash-cycle: distribution" in table.output
    out = tmp_path / "cash.xlsx"
    written = _run(analytics_world, "cash-cycle", "--owner", owner, "--format", "xlsx", "--out", str(out))
    assert written.exit_code == 0, written.output
    book = load_workbook(out, read_only=True)
    assert book.sheetnames == ["distribution", "orders", "export"]
    first = next(book["distribution"].iter_rows(min_row=2, max_row=2, values_only=True))
    assert first[0] == "owner" and isinstance(first[3], int) and isinstance(first[5], (int, float))


def test_refusals(analytics_world) -> None:
    owner = analytics_world.world.owners[0][0]
    unknown = _run(analytics_world, "cash-cycle", "--owner", "NOBODY")
    assert unknown.exit_code == 2 and "no owner 'NOBODY'" in unknown.output
    period = _run(analytics_world, "cash-cycle", "--owner", owner, "--period", "2026-13")
    assert period.exit_code == 2 and "period must be YYYY-MM" in period.output
    xlsx = _run(analytics_world, "cash-cycle", "--owner", owner, "--format", "xlsx")
    assert xlsx.exit_code == 1 and "needs --out" in xlsx.output
    table = _run(analytics_world, "cash-cycle", "--owner", owner, "--table", "nope")
    assert table.exit_code == 1 and "no table 'nope'" in table.output


def test_every_report_verb_writes_csv(analytics_world, tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy.orm import Session

    from aggregator.analytics.facts import exception_facts

    owner = analytics_world.world.owners[1][0]
    at = datetime.fromtimestamp(analytics_world.now, UTC).isoformat()  # the world's now, not the wall clock
    with Session(analytics_world.engine) as session:  # exceptions are seen when matching ran (after the world's now)
        seen = exception_facts(session, owner)["first_seen_at"].max() + timedelta(seconds=1)
    pinned_at = {"cash-cycle": None, "collaboration": seen.isoformat()}
    for verb in ("cash-cycle", "in-transit", "ageing", "expiry", "demand", "collaboration", "resilience"):
        pinned = ("--at", pinned_at.get(verb, at)) if pinned_at.get(verb, at) else ()
        result = _run(analytics_world, verb, "--owner", owner, "--format", "csv", *pinned)
        assert result.exit_code == 0, (verb, result.output)
        assert len(list(csv.reader(io.StringIO(result.output)))) > 1, (verb, pinned)
    out = tmp_path / "ageing.xlsx"  # (cash-cycle's workbook is read above)
    assert _run(analytics_world, "ageing", "--owner", owner, "--format", "xlsx", "--out", str(out),
                "--at", at).exit_code == 0
    assert load_workbook(out, read_only=True).sheetnames == ["summary", "lots", "export"]


def test_a_report_is_as_of_the_instant_given(analytics_world) -> None:
    """``--at``: the reports that read the clock (ageing, demand, collaboration, resilience, expiry) are made
    as of the instant given, so a report can be made again as it was; one without a time zone is refused."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy.orm import Session

    from aggregator.analytics.resilience_report import resilience
    from aggregator.analytics.stock_ageing import ageing
    from aggregator.cli.output import render_frame

    owner = analytics_world.world.owners[0][0]
    now = datetime.fromtimestamp(analytics_world.now, UTC)
    at = now.isoformat()
    for verb, make in (("ageing", ageing), ("resilience", resilience)):
        result = _run(analytics_world, verb, "--owner", owner, "--format", "csv", "--at", at)
        assert result.exit_code == 0, result.output
        with Session(analytics_world.engine) as session:
            report = make(session, owner, now=now)
        expected = io.StringIO()
        render_frame(report.tables[report.main], "csv", expected)
        assert result.output == expected.getvalue(), verb
    # 40 days before the world's now: the resilience report's month follows --at, not the wall clock
    earlier = now - timedelta(days=40)
    back = _run(analytics_world, "resilience", "--owner", owner, "--format", "csv", "--table", "history",
                "--at", earlier.isoformat())
    assert list(csv.DictReader(io.StringIO(back.output)))[-1]["month"] == earlier.strftime("%Y-%m")
    naive = _run(analytics_world, "ageing", "--owner", owner, "--at", now.replace(tzinfo=None).isoformat())
    assert naive.exit_code == 2 and "needs a time zone" in naive.output
    for far in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"):
        refused = _run(analytics_world, "resilience", "--owner", owner, "--at", far)
        assert refused.exit_code == 2 and "out of range" in refused.output and "Traceback" not in refused.output


def _cells(values) -> list[str]:  # noqa: ANN001 - a row as XLSX or CSV gives it
    """A row's cells as comparable text: numbers by value (a CSV writes 12.50 where a workbook holds 12.5),
    truth values in one case (a CSV writes True where a workbook writes true)."""
    from decimal import Decimal, InvalidOperation

    out = []
    for value in values:
        text = "" if value is None else str(value)
        if text.lower() in ("true", "false"):
            out.append(text.lower())
            continue
        try:
            number = Decimal(text)
        except InvalidOperation:
            out.append(text)
            continue
        out.append(f"{float(number):.12g}" if number.is_finite() else text)
    return out


def test_an_xlsx_report_is_as_of_at_like_its_csv(analytics_world, tmp_path: Path) -> None:
    """``--format xlsx --at`` writes the tables the CSV gives for the same ``--at`` (every table, row for row),
    names the as-of instant on its ``export`` sheet and takes nothing from the wall clock (the same bytes again)."""
    from datetime import UTC, datetime, timedelta, timezone

    from sqlalchemy.orm import Session

    from aggregator.analytics.facts import exception_facts

    owner = analytics_world.world.owners[1][0]
    now = datetime.fromtimestamp(analytics_world.now, UTC)
    with Session(analytics_world.engine) as session:  # exceptions are seen when matching ran (after the world's now)
        seen = exception_facts(session, owner)["first_seen_at"].max() + timedelta(seconds=1)
    for verb, at in (("in-transit", now), ("ageing", now - timedelta(days=3)), ("expiry", now),
                     ("demand", now), ("collaboration", seen), ("resilience", now - timedelta(days=40))):
        given = at.replace(microsecond=0).astimezone(timezone(timedelta(hours=-5))).isoformat()  # any offset
        out = tmp_path / f"{verb}.xlsx"
        written = _run(analytics_world, verb, "--owner", owner, "--format", "xlsx", "--out", str(out), "--at", given)
        assert written.exit_code == 0, (verb, written.output)
        first = out.read_bytes()
        book = load_workbook(out, read_only=True)
        about = {key: value for key, value in book["export"].iter_rows(min_row=2, values_only=True)}
        assert datetime.fromisoformat(about["as_of"]) == at.replace(microsecond=0), verb
        assert "generated_at" not in about, verb
        for name in book.sheetnames[:-1]:
            csv_rows = list(csv.reader(io.StringIO(_run(analytics_world, verb, "--owner", owner, "--format", "csv",
                                                        "--table", name, "--at", given).stdout)))
            xlsx_rows = [list(row) for row in book[name].iter_rows(values_only=True)]
            assert len(xlsx_rows) == len(csv_rows), (verb, name)
            assert [_cells(r) for r in xlsx_rows] == [_cells(r) for r in csv_rows], (verb, name)
        book.close()
        again = _run(analytics_world, verb, "--owner", owner, "--format", "xlsx", "--out", str(out), "--at", given)
        assert again.exit_code == 0 and out.read_bytes() == first, verb


def test_an_xlsx_report_refuses_a_bad_at_and_writes_nothing(analytics_world, tmp_path: Path) -> None:
    owner = analytics_world.world.owners[0][0]
    out = tmp_path / "refused.xlsx"
    for verb in ("in-transit", "ageing", "resilience"):
        for at, says in (("2026-10-01T00:00:00", "needs a time zone"), ("0001-01-01T00:00:00+14:00", "out of range"),
                         ("9999-12-31T23:59:59-14:00", "out of range"), ("yesterday", "not an ISO 8601 date-time")):
            refused = _run(analytics_world, verb, "--owner", owner, "--format", "xlsx", "--out", str(out), "--at", at)
            assert refused.exit_code == 2, (verb, at, refused.output)
            assert says in refused.output and "--at" in refused.output and "Traceback" not in refused.output
            assert not out.exists()
