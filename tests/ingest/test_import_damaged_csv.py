"""Damaged CSV files as a user meets them: cut short, a stray quote, an unquoted delimiter, UTF-16.

Each is refused with where and why; no row is silently merged into another, cut or shifted, and the
sound rows of the file are stored (both the columnar and the per-row path).
"""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from aggregator.ingest import import_file
from aggregator.store.db import session_factory
from aggregator.store.models.logistics import ImportRejectRow
from aggregator.store.models.warehouse import WarehouseShipmentLineRow

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "samples" / "warehouse_outbound.csv"


def sample_lines() -> list[str]:
    return SAMPLE.read_text(encoding="utf-8").splitlines()


def stored_lines(engine) -> int:
    with session_factory(engine)() as s:
        return s.execute(select(func.count()).select_from(WarehouseShipmentLineRow)).scalar_one()


def rejects(engine) -> list[tuple[int, str, str]]:
    with session_factory(engine)() as s:
        rows = s.execute(select(ImportRejectRow).where(ImportRejectRow.severity == "error")
                         .order_by(ImportRejectRow.line)).scalars().all()
        return [(r.line, r.code, r.reason) for r in rows]


def write(tmp_path: Path, name: str, lines: list[str], encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


@pytest.mark.parametrize("bulk", [True, False])
def test_a_quote_never_closed_fails_the_file_instead_of_swallowing_the_rows_after_it(engine, tmp_path, bulk):
    lines = sample_lines()
    broken = lines[2].replace(",order split", ',"order split', 1)  # line 3 opens a quote it never closes
    assert broken != lines[2]
    path = write(tmp_path, "open_quote.csv", [*lines[:2], broken, *lines[3:]])
    summary = import_file(engine, "outbound", path, owner_id="LUMINA", bulk=bulk)
    assert summary.status == "FAILED"
    assert "open_quote.csv:3" in summary.error and "never closed" in summary.error
    assert stored_lines(engine) == 0


@pytest.mark.parametrize("bulk", [True, False])
def test_a_file_cut_short_rejects_its_last_row_naming_the_cells(engine, tmp_path, bulk):
    lines = sample_lines()
    last = lines[-1]
    cut = last[: last.index(",MYPKG-WH01")]  # cut after the lot: quantities and keys present, the rest gone
    path = write(tmp_path, "cut.csv", [*lines[:-1], cut])
    summary = import_file(engine, "outbound", path, owner_id="LUMINA", bulk=bulk)
    assert summary.status == "COMPLETED_WITH_REJECTS"
    assert summary.rows_read == len(lines) - 1 and summary.rows_rejected == 1
    ((line, code, reason),) = rejects(engine)
    assert (line, code) == (len(lines), "short_row")
    assert "11 cells where the header has 20" in reason
    assert stored_lines(engine) == len(lines) - 2


@pytest.mark.parametrize("bulk", [True, False])
def test_an_unquoted_delimiter_shifting_the_columns_rejects_the_row(engine, tmp_path, bulk):
    lines = sample_lines()
    shifted = lines[2].replace("order split into 2 packages", "order split, 2 packages")
    trailing = lines[3] + ","  # an empty cell past the header loses nothing: kept
    path = write(tmp_path, "shifted.csv", [lines[0], lines[1], shifted, trailing, *lines[4:]])
    summary = import_file(engine, "outbound", path, owner_id="LUMINA", bulk=bulk)
    assert summary.rows_rejected == 1
    ((line, code, reason),) = rejects(engine)
    assert (line, code) == (3, "extra_cells")
    assert "21 cells where the header has 20" in reason and "' 2 packages (split_order)'" in reason
    assert stored_lines(engine) == len(lines) - 2


def test_a_utf16_file_is_named_as_such_and_imports_when_declared(engine, tmp_path):
    lines = sample_lines()
    path = write(tmp_path, "unicode_text.csv", lines, encoding="utf-16")  # with its byte-order mark
    summary = import_file(engine, "outbound", path, owner_id="LUMINA")
    assert summary.status == "FAILED"
    assert "UTF-16" in summary.error and "--encoding utf-16" in summary.error
    again = import_file(engine, "outbound", path, owner_id="LUMINA", encoding="utf-16")
    assert again.status == "COMPLETED" and stored_lines(engine) == len(lines) - 1


@pytest.mark.parametrize("bulk", [True, False])
@pytest.mark.parametrize("chunk_rows", [2, 10_000])
def test_misshapen_rows_after_the_last_sound_chunk_are_rejected_not_dropped(engine, tmp_path, bulk, chunk_rows):
    """Rows set aside as misshapen where no sound row follows them in a chunk (a file whose only data row
    is cut short; a chunk of rows all cut short at the end of the file) are rejected too: every row is
    stored or rejected."""
    lines = sample_lines()
    cut = lines[-1][: lines[-1].index(",MYPKG-WH01")]
    alone = write(tmp_path, "alone.csv", [lines[0], cut])
    summary = import_file(engine, "outbound", alone, owner_id="LUMINA", bulk=bulk, chunk_rows=chunk_rows)
    assert summary.rows_read == 1 and summary.rows_rejected == 1, summary
    assert [(line, code) for line, code, _ in rejects(engine)] == [(2, "short_row")]
    tail = write(tmp_path, "tail.csv", [lines[0], lines[1], lines[2], cut, cut + "x"])
    summary = import_file(engine, "outbound", tail, owner_id="LUMINA", bulk=bulk, chunk_rows=chunk_rows)
    assert summary.rows_read == 4 and summary.rows_rejected == 2, summary
    assert [(line, code) for line, code, _ in rejects(engine)][-2:] == [(4, "short_row"), (5, "short_row")]


def many_outbounds(count: int) -> list[str]:
    """The sample's header and ``count`` outbounds of one line each (the sample's first row renumbered)."""
    header, first = sample_lines()[:2]
    rest = first[len("OC900260315000001"):]
    return [header, *(f"OC8{number:014d}{rest}" for number in range(count))]


@pytest.mark.parametrize("bulk", [True, False])
@pytest.mark.parametrize("damage", ["never_closed", "text_after"])
def test_a_quoting_error_after_many_chunks_fails_the_file_and_stores_nothing(engine, tmp_path, bulk, damage):
    """The file is refused before its first chunk is stored: read as it streamed, the chunks before the
    damaged row were committed and the import said FAILED, "the file is not imported" over them."""
    lines = many_outbounds(60)
    last = lines[-1]
    if damage == "never_closed":
        lines[-1] = last.replace(",consumed from", ',"consumed from', 1)
        expected = "never closed"
    else:
        lines[-1] = last.replace(",consumed from air lot first (FIFO by received_at)", ',"consumed" from air', 1)
        expected = "followed by more text"
    assert lines[-1] != last
    path = write(tmp_path, f"{damage}.csv", lines)
    summary = import_file(engine, "outbound", path, owner_id="LUMINA", bulk=bulk, chunk_rows=10)
    assert summary.status == "FAILED"
    assert f"{damage}.csv:{len(lines)}" in summary.error and expected in summary.error
    assert "the file is not imported" in summary.error
    assert stored_lines(engine) == 0


def test_a_quoted_value_spanning_lines_still_names_its_row_and_imports(engine, tmp_path):
    """The check before the rows changes nothing for a sound file holding quotes: every row stored, the line
    each row starts on named as before."""
    lines = many_outbounds(30)
    lines[5] = lines[5].replace(",consumed from air", ',"consumed, from\nair', 1).replace("received_at)", 'received_at)"')
    lines[20] = lines[20].replace(",1,LOT-", ",,LOT-", 1)  # (a row rejected after it, named by its line)
    path = write(tmp_path, "quoted.csv", lines)
    summary = import_file(engine, "outbound", path, owner_id="LUMINA", chunk_rows=4)
    assert summary.status == "COMPLETED_WITH_REJECTS", summary.error
    assert [line for line, _, _ in rejects(engine)] == [22]
    assert stored_lines(engine) == 29


@pytest.mark.parametrize("bulk", [True, False])
def test_a_field_over_the_csv_modules_limit_without_quotes_fails_the_file_before_any_row(engine, tmp_path, monkeypatch,
                                                                                        bulk):
    """The other syntax the csv module refuses, a field longer than its limit, in a file without a quote (a
    line at least that long is found with the encoding): refused before the first chunk is stored too."""
    import csv

    from platform_adapters.tabular import reader

    lines = many_outbounds(60)
    lines[-1] = lines[-1].replace("consumed from air", "consumed from air " + "x" * 3000, 1)
    path = write(tmp_path, "long_field.csv", lines)
    limit = csv.field_size_limit()
    monkeypatch.setattr(reader, "_CSV_FIELD_LIMIT", 2048)
    monkeypatch.setattr(reader, "_ENCODING_CHECK_BLOCK", 1024)
    csv.field_size_limit(2048)
    try:
        summary = import_file(engine, "outbound", path, owner_id="LUMINA", bulk=bulk, chunk_rows=10)
    finally:
        csv.field_size_limit(limit)
    assert summary.status == "FAILED"
    assert f"long_field.csv:{len(lines)}" in summary.error and "field larger than field limit" in summary.error
    assert stored_lines(engine) == 0
