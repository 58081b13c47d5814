"""Every CSV the product writes is safe to open in a spreadsheet: hostile text from imported files and
booked statements comes out behind a quote in every export kind (links, exceptions, lots, documents,
timeline, title position, list verbs, import rejects report, journal layouts csv / xero / quickbooks),
and the XLSX journal holds it as text, never as a formula."""
from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from aggregator.exports.csv_safe import dangerous_cells
from aggregator.store.db import session_scope
from aggregator.store.models import SettlementLineRow
from aggregator.store.models.fx import FxJournalLineRow
from aggregator.store.models.marketplace import OrderRow
from tests.exports.scenario import OWNER as FX_OWNER
from tests.exports.scenario import book_december
from tests.matching.db_story import cli_run, load_story
from tests.matching.story import SAMPLES
from tests.matching.test_db_match import POLICY

#: Sample values replaced by formula-like ones (consistently across every file of the story).
HOSTILE = {
    "PO-LMN-2026-0041": "=HYPERLINK(\"http://evil.example\",\"PO-LMN-2026-0041\")",
    "Shenzhen Brightway Electronics Co. Ltd.": "@SUM(1+1)*cmd|' /C calc'!A0",
    # a whole cell: a CSV cell is quoted whole or not at all (a quoted part followed by more text is refused)
    "20 units cosmetic defect (scratched case) moved to defective stock":
        "-2+3+cmd|' /C calc'!A0 cosmetic defect (scratched case) moved to defective stock",
}


def _parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _assert_safe(text: str, *, hostile_expected: bool, kind: str) -> None:
    rows = _parse(text)
    assert rows, kind
    assert dangerous_cells(rows) == [], kind
    if hostile_expected:
        assert any(cell.startswith(("'=", "'@", "'-", "'+")) for row in rows for cell in row), (kind, text[:400])


@pytest.fixture
def hostile_story(sqlite_engine, tmp_path):
    samples = tmp_path / "samples"
    shutil.copytree(SAMPLES, samples)
    for path in samples.iterdir():
        if path.suffix in (".csv", ".json"):
            text = path.read_text(encoding="utf-8")
            for plain, hostile in HOSTILE.items():
                text = text.replace(plain, json.dumps(hostile)[1:-1] if path.suffix == ".json" else
                                    '"' + hostile.replace('"', '""') + '"')
            path.write_text(text, encoding="utf-8")
    load_story(sqlite_engine, tmp_path, samples)
    assert cli_run(sqlite_engine, tmp_path, "match", "--policy", POLICY).exit_code == 0
    return sqlite_engine


def test_every_story_export_is_neutralised(hostile_story, tmp_path) -> None:
    engine = hostile_story
    with session_scope(engine) as session:
        order = session.scalars(select(OrderRow)).first()
        order_args = ["--order", order.order_id, "--platform", order.platform.lower(), "--shop", order.shop_id]
    kinds = {
        "links": (["export", "links"], False),
        "exceptions": (["export", "exceptions"], False),
        "lots": (["export", "lots"], False),
        "documents": (["export", "documents"], True),
        "timeline": (["export", "timeline", *order_args], False),
        "title position": (["title", "position", "--at", "2026-03-03T08:00:00+08:00", "--format", "csv"], True),
        "owners": (["owners", "list", "--format", "csv"], False),
        "runs": (["runs", "list", "--format", "csv"], False),
        "shops": (["shops", "list", "--format", "csv"], False),
        "exceptions queue": (["exceptions", "list", "--status", "all", "--format", "csv"], False),
    }
    for kind, (argv, hostile) in kinds.items():
        result = cli_run(engine, tmp_path, *argv)
        assert result.exit_code == 0, (kind, result.output)
        _assert_safe(result.output, hostile_expected=hostile, kind=kind)
    out = tmp_path / "documents.csv"
    assert cli_run(engine, tmp_path, "export", "documents", "--out", str(out)).exit_code == 0
    _assert_safe(out.read_text(encoding="utf-8"), hostile_expected=True, kind="documents --out")


def test_import_rejects_report_is_neutralised(sqlite_engine, tmp_path) -> None:
    bad = tmp_path / "bl.csv"
    lines = (SAMPLES / "forwarder_bl.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index("gross_weight_kg")] = "=1+1"  # not a number: rejected with the value in the report
    row[header.index("etd")] = "@2026"  # not a date
    bl = "\n".join([lines[0], ",".join(row), *lines[2:]]) + "\n"
    bad.write_text(bl, encoding="utf-8")
    report = tmp_path / "rejects.csv"
    assert cli_run(sqlite_engine, tmp_path, "owners", "add", "LUMINA-HK", "--name", "Lumina").exit_code == 0
    result = cli_run(sqlite_engine, tmp_path, "import", "bl", str(bad), "--owner", "LUMINA-HK",
                     "--report", str(report))
    assert report.exists(), result.output
    _assert_safe(report.read_text(encoding="utf-8"), hostile_expected=True, kind="rejects report")


def test_journal_layouts_are_neutralised(sqlite_engine, tmp_path) -> None:
    with session_scope(sqlite_engine) as session:
        book_december(session)
    with session_scope(sqlite_engine) as session:
        session.execute(update(FxJournalLineRow).values(memo="=HYPERLINK(\"http://evil.example\",\"fee\")"))
        session.execute(update(SettlementLineRow).values(raw_kind="@SUM(1+1)"))
    entity = "+cmd|' /C calc'!A0"
    for fmt in ("csv", "xero", "quickbooks"):
        out = tmp_path / f"journal-{fmt}.csv"
        result = cli_run(sqlite_engine, tmp_path, "export", "journal", "--owner", FX_OWNER, "--format", fmt,
                         "--period", "2026-12", "--entity", entity, "--out", str(out))
        assert result.exit_code == 0, (fmt, result.output)
        for part in sorted(tmp_path.glob(f"journal-{fmt}*.csv")):
            text = part.read_text(encoding="utf-8")
            _assert_safe(text, hostile_expected=True, kind=fmt)
            if fmt != "quickbooks":  # QuickBooks has Debits / Credits columns, no signed amounts
                assert any(c.startswith("-") and c[1:2].isdigit() for r in _parse(text) for c in r), \
                    f"{fmt}: signed amounts stay numbers"
    xlsx = tmp_path / "journal.xlsx"
    result = cli_run(sqlite_engine, tmp_path, "export", "journal", "--owner", FX_OWNER, "--format", "xlsx",
                     "--period", "2026-12", "--entity", entity, "--out", str(xlsx))
    assert result.exit_code == 0, result.output
    workbook = load_workbook(xlsx)
    cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    assert any(c.value == "=HYPERLINK(\"http://evil.example\",\"fee\")" and c.data_type == "s" for c in cells)
