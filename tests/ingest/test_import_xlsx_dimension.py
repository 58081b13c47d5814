"""A workbook whose stored sheet size (``<dimension ref=…/>``) is not its data's.

The dimension is written by whatever made the file and openpyxl's read-only mode trusts it: a sheet
declaring ``A1:T5`` over ten data rows handed out four of them, one declaring ``A1`` only column A; the
import completed with no word of the rows lost. The reader now reads every row the sheet holds, and the
rows of a sheet whose dimension is right are read exactly as before (each as wide as the sheet; blank rows
skipped, also blank rows and cells past the data).
"""
from __future__ import annotations

import csv
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import Font
from sqlalchemy import func, select

from aggregator.ingest import import_file
from aggregator.store.db import session_factory
from aggregator.store.models.warehouse import WarehouseShipmentLineRow
from platform_adapters.tabular import open_table

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "samples" / "warehouse_outbound.csv"


def sample_rows() -> list[list[str]]:
    with SAMPLE.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def workbook(path: Path, rows: list[list[str]], styled_blank: str | None = None) -> Path:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    if styled_blank:  # an empty cell with a format: written to the sheet, no value
        book.active[styled_blank].font = Font(bold=True)
    book.save(path)
    return path


def with_dimension(source: Path, target: Path, ref: str) -> Path:
    """``source`` with its sheet's stored dimension replaced by ``ref`` (the XML patched in the zip)."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                data, count = re.subn(rb'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>'.encode(), data)
                assert count == 1
            zout.writestr(item, data)
    return target


def read_rows(path: Path) -> list[tuple[int, tuple[str, ...]]]:
    reader = open_table(path)
    return [(row.line, row.cells) for chunk in reader.chunks() for row in chunk]


def stored_lines(engine) -> int:
    with session_factory(engine)() as s:
        return s.execute(select(func.count()).select_from(WarehouseShipmentLineRow)).scalar_one()


@pytest.mark.parametrize("ref", ["A1:T5", "A1", "A1:B2", "C3:D4"])
def test_a_sheet_declaring_less_than_it_holds_is_read_whole(tmp_path, ref):
    rows = sample_rows()
    right = workbook(tmp_path / "right.xlsx", rows)
    wrong = with_dimension(right, tmp_path / "wrong.xlsx", ref)
    expected = [(number, tuple(cells)) for number, cells in enumerate(rows[1:], start=2)]
    assert read_rows(right) == expected
    assert read_rows(wrong) == expected
    assert open_table(wrong).header == tuple(rows[0])


def test_a_sheet_declaring_more_than_it_holds_reads_as_before(tmp_path):
    rows = sample_rows()
    right = workbook(tmp_path / "right.xlsx", rows)
    wider = with_dimension(right, tmp_path / "wider.xlsx", "A1:AD40")  # ten columns and 29 rows more
    expected = [(number, tuple(cells) + ("",) * 10) for number, cells in enumerate(rows[1:], start=2)]
    assert read_rows(wider) == expected


def test_blank_rows_and_cells_past_the_data_are_skipped(tmp_path):
    rows = sample_rows()
    data = [*rows[:4], [""] * 20, [], *rows[4:]]
    # a formatted empty cell far past the data: a row and a column of nothing beyond the declared size
    made = workbook(tmp_path / "blank.xlsx", data, styled_blank="Z30")
    wrong = with_dimension(made, tmp_path / "blank_wrong.xlsx", "A1:T3")
    lines = [number for number in range(2, len(data) + 1) if any(data[number - 1])]
    read = read_rows(wrong)
    assert [line for line, _ in read] == lines
    assert [cells[:20] for _, cells in read] == [tuple(r) for r in data[1:] if any(r)]
    assert all(not any(cells[20:]) for _, cells in read)


@pytest.mark.parametrize("bulk", [True, False])
def test_the_import_stores_every_row_of_a_sheet_declaring_less(engine, tmp_path, bulk):
    rows = sample_rows()
    wrong = with_dimension(workbook(tmp_path / "right.xlsx", rows), tmp_path / "out_dim5.xlsx", "A1:T5")
    summary = import_file(engine, "outbound", wrong, owner_id="LUMINA", bulk=bulk)
    assert summary.status == "COMPLETED", summary.error
    assert summary.rows_read == len(rows) - 1
    assert stored_lines(engine) == len(rows) - 1
