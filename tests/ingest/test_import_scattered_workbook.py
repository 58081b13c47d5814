"""A workbook whose records' rows are spread over it is parsed once per import: the pre-read that finds the
spread records reads the import's own reader, its rows spooled to an anonymous temporary file and replayed
to the import (``TableReader.spooled_row_chunks``). It stores exactly what its CSV twin stores (rows,
rejects, audit, counts), openpyxl opens it once, and no spool file is left open after a completed or a
failed import; on SQLite and PostgreSQL."""
from __future__ import annotations

import csv
import os
from pathlib import Path

import openpyxl
import pytest

from aggregator.ingest import import_file
from platform_adapters.tabular import open_table
from platform_adapters.tabular.layout import TableLayout
from tests.ingest.test_import_paths import _clear, _snapshot
from tests.ingest.test_import_scattered import _counts
from tests.ingest.test_import_scattered_documents import (COLUMNS, LUMINA, TROPIKA, _cell, _owners, _write,
                                                          bl_document)


def _spread_rows() -> list[str]:
    """Six bills of two owners sorted by container (every bill's rows apart), a row with a bad date and a
    blank row in the middle."""
    records = [bl_document(n, 2 + n % 2, 1 + n % 3, consignee=(LUMINA, TROPIKA)[n % 2]) for n in range(1, 7)]
    rows = sorted((row for record in records for row in record), key=lambda row: _cell(row, "bl", "container_no"))
    rows[4] = rows[4].replace(f",{_cell(rows[4], 'bl', 'etd')},", ",2026-13-45,")
    return [*rows[:7], ",,", *rows[7:]]


def _workbook_twin(source: Path, target: Path) -> Path:
    """``source``'s cells, every one as text, in a workbook's first sheet."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    with source.open(encoding="utf-8", newline="") as handle:
        for cells in csv.reader(handle):
            sheet.append([cell or None for cell in cells])
    workbook.save(target)
    return target


def _without_file_names(snapshot: dict, *names: str) -> dict:
    """``snapshot`` with the file names it holds made one (a reject's location names its file)."""
    text = repr(snapshot)
    for name in names:
        text = text.replace(name, "FILE")
    return text


def _open_spools() -> set[str]:
    """The deleted temporary files this process holds open (the spool is one: an anonymous file)."""
    import tempfile

    found = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(tempfile.gettempdir()) and target.endswith("(deleted)"):
            found.add(f"{fd}:{target}")
    return found


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The workbooks openpyxl's real ``load_workbook`` opens (counted by a wrapper around it)."""
    opened: list[Path] = []
    real = openpyxl.load_workbook

    def counting(filename, *args, **kwargs):
        opened.append(Path(filename))
        return real(filename, *args, **kwargs)

    monkeypatch.setattr(openpyxl, "load_workbook", counting)
    return opened


@pytest.mark.parametrize("bulk", [True, False])
@pytest.mark.parametrize("chunk_rows", [3, 10_000])
def test_a_spread_bl_workbook_stores_what_its_csv_twin_stores_parsed_once(engine, tmp_path: Path, parses,
                                                                         bulk: bool, chunk_rows: int) -> None:
    _owners(engine)
    before = _open_spools()
    rows = _spread_rows()
    text = _write(tmp_path / "bl_by_container.csv", "bl", rows)
    book = _workbook_twin(text, tmp_path / "bl_by_container.xlsx")
    results = []
    for path in (text, book):
        _clear(engine)
        summary = import_file(engine, "bl", path, chunk_rows=chunk_rows, bulk=bulk)
        results.append((_counts(summary), _snapshot(engine)))
    (counts, stored), (book_counts, book_stored) = results
    assert book_counts == counts
    assert counts[0] == "COMPLETED_WITH_REJECTS" and counts[2] == 1 and counts[3] >= 5
    assert "rows_not_contiguous" not in counts[6]
    if chunk_rows == 10_000:  # (a record longer than a chunk is written in parts, each after the first updated)
        assert counts[4] == 0
    assert _without_file_names(book_stored, book.name) == _without_file_names(stored, text.name)
    assert parses == [book]
    assert _open_spools() == before


def test_the_reader_replays_exactly_what_it_parsed(tmp_path: Path) -> None:
    """Rows read through the spool then replayed: the same lines and cells, twice, as a plain read."""
    text = _write(tmp_path / "bl.csv", "bl", _spread_rows())
    book = _workbook_twin(text, tmp_path / "bl.xlsx")
    plain = list(open_table(book, TableLayout(), 4).row_chunks())
    before = _open_spools()
    reader = open_table(book, TableLayout(), 4)
    assert list(reader.spooled_row_chunks()) == plain
    assert len(_open_spools() - before) == 1
    assert list(reader.row_chunks()) == plain
    assert _open_spools() == before
    assert len(plain[0][1][0]) == len(COLUMNS["bl"])


def test_no_spool_is_left_after_a_failed_import(engine, tmp_path: Path, parses) -> None:
    """The import stops while storing (its progress callback fails after the first chunk): the error
    reaches the caller, the workbook was opened once and its spool is closed (an anonymous file: gone)."""
    _owners(engine)
    before = _open_spools()
    book = _workbook_twin(_write(tmp_path / "bl.csv", "bl", _spread_rows()), tmp_path / "bl.xlsx")

    def fail(rows: int, total: int) -> None:
        raise RuntimeError("stopped")

    try:
        summary = import_file(engine, "bl", book, chunk_rows=3, progress=fail)
    except RuntimeError as exc:
        assert str(exc) == "stopped"
    else:
        assert summary.status == "FAILED"
    assert parses == [book]
    assert _open_spools() == before
