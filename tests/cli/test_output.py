"""``--format table|csv|json`` on the list verbs: identifiers are never cut, CSV is spreadsheet-safe,
JSON keeps exact values."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from click.testing import CliRunner

from aggregator.cli.main import cli
from aggregator.cli.output import render

LONG_ID = "SHOP-" + "9" * 150 + "-END"
COLUMNS = ("shop", "amount", "at", "note")
ROWS = [(LONG_ID, Decimal("-12.50"), datetime(2026, 3, 1, 8, tzinfo=timezone.utc), "=HYPERLINK(\"x\")"),
        {"shop": "中文店铺", "amount": None, "at": None, "note": "ok"}]


def _render(fmt: str) -> str:
    buffer = io.StringIO()
    assert render(ROWS, COLUMNS, fmt, buffer) == 2
    return buffer.getvalue()


def test_table_never_cuts_an_identifier() -> None:
    text = _render("table")
    assert LONG_ID in text and "…" not in text
    assert "中文店铺" in text and "-12.50" in text


def test_csv_is_spreadsheet_safe() -> None:
    rows = list(csv.reader(io.StringIO(_render("csv"))))
    assert rows[0] == list(COLUMNS)
    assert rows[1] == [LONG_ID, "-12.50", "2026-03-01 08:00:00+00:00", "'=HYPERLINK(\"x\")"]
    assert rows[2] == ["中文店铺", "", "", "ok"]


def test_json_keeps_exact_values() -> None:
    data = json.loads(_render("json"))
    assert data[0] == {"shop": LONG_ID, "amount": "-12.50", "at": "2026-03-01T08:00:00+00:00",
                       "note": "=HYPERLINK(\"x\")"}
    assert data[1]["amount"] is None


def test_empty_table_says_so() -> None:
    buffer = io.StringIO()
    render([], COLUMNS, "table", buffer)
    assert buffer.getvalue() == "(no rows)\n"


@pytest.mark.parametrize("argv", [["owners", "list"], ["shops", "list"], ["runs", "list"], ["exceptions", "list"]])
def test_every_list_verb_takes_the_three_formats(tmp_path, argv) -> None:
    runner = CliRunner()
    base = ["--data-dir", str(tmp_path)]
    long_owner = "OWNER-" + "X" * 58
    assert runner.invoke(cli, [*base, "owners", "add", long_owner, "--name", "Long"]).exit_code == 0
    assert runner.invoke(cli, [*base, "shops", "add", "--platform", "lazada", "--owner", long_owner, "--shop-id",
                               "LZ-" + "7" * 60, "--region", "SG", "--app-key", "k", "--app-secret", "s"]).exit_code == 0
    for fmt in ("table", "csv", "json"):
        result = runner.invoke(cli, [*base, *argv, "--format", fmt])
        assert result.exit_code == 0, result.output
        if fmt == "json":
            json.loads(result.output)
        if argv[0] in ("owners", "shops"):
            assert long_owner in result.output
