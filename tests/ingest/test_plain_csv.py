"""The plain-CSV reader (pyarrow, column-wise) hands out exactly the rows, physical lines and chunks of
the csv-module reader, and declines every file it could not read the same way (property tests)."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from platform_adapters.tabular import plain_csv
from platform_adapters.tabular.errors import TabularError
from platform_adapters.tabular.layout import TableLayout
from platform_adapters.tabular.reader import open_table

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
PLAIN_CELL = st.text(alphabet="ab1 é\t;-", max_size=4)
ANY_CELL = st.text(alphabet='ab1 é\t,;"\r\n\x00-', max_size=4)
CELL = st.integers(0, 7).flatmap(lambda n: ANY_CELL if n == 0 else PLAIN_CELL)


def _line(cells: list[str], delimiter: str) -> str:
    return delimiter.join(cells)


@st.composite
def files(draw):
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    width = draw(st.integers(1, 4))
    ragged = draw(st.integers(0, 9)) == 0
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    rows = draw(st.lists(st.lists(CELL, min_size=1 if ragged else width, max_size=5 if ragged else width),
                         max_size=25))
    lines = [_line([f"h{i}" for i in range(width)], delimiter)]
    if draw(st.booleans()):
        lines.insert(0, draw(st.sampled_from(["preamble", '"quoted\npreamble"', "x,y"])))
    for row in rows:
        if draw(st.integers(0, 15)) == 0:
            lines.append(draw(st.sampled_from(["", " ", delimiter * (width - 1)])))
        lines.append(_line(row, delimiter))
    text = ending.join(lines) + (ending if draw(st.booleans()) else "")
    bom = "\ufeff" if draw(st.booleans()) else ""
    header_row = 2 if lines[0] != _line([f"h{i}" for i in range(width)], delimiter) else 1
    return (bom + text).encode("utf-8"), delimiter, header_row, draw(st.integers(1, 6))


def _read(path: Path, layout: TableLayout, chunk_rows: int, columnwise: bool):
    try:
        reader = open_table(path, layout, chunk_rows)
        if columnwise:
            got = []
            for lines, cells, by_index in reader.column_chunks():
                if by_index is not None:
                    assert cells is None
                    cells = [tuple(c) for c in zip(*by_index)]
                got.append((lines, cells))
            return got
        return list(reader.row_chunks())
    except TabularError as exc:
        return (exc.code, str(exc))


@pytest.fixture(params=[1 << 20, 16], ids=["block-1MiB", "block-16B"])
def block(request, monkeypatch):
    """The reader's block size; a tiny one makes every file span many blocks (and skip long lines)."""
    monkeypatch.setattr(plain_csv, "_BLOCK", request.param)
    return request.param


@SETTINGS
@given(files())
def test_plain_reader_reads_what_the_csv_module_reads(tmp_path: Path, block: int, case) -> None:
    data, delimiter, header_row, chunk_rows = case
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    layout = TableLayout(format="csv", delimiter=delimiter, header_row=header_row)
    assert _read(path, layout, chunk_rows, True) == _read(path, layout, chunk_rows, False)


def test_a_plain_file_is_read_by_pyarrow_and_others_are_not(tmp_path: Path) -> None:
    plain = tmp_path / "plain.csv"
    plain.write_bytes("\ufeffa,b\r\nx, y\r\n ,\r\nz,é\r\n".encode())
    reader = open_table(plain, TableLayout(format="csv"), 10)
    assert reader.header == ("a", "b")
    assert [(lines, by) for lines, _, by in reader.column_chunks()] == [([2, 4], [["x", "z"], [" y", "é"]])]
    for body in ('a,b\nx,"y"\n', "a,b\nx,y\n\nz,w\n", "a,b\nx,y\nz\n", "a,b\nx\ry\n", "a,b\nx,\x00\n"):
        other = tmp_path / "other.csv"
        other.write_bytes(body.encode())
        reader = open_table(other, TableLayout(format="csv"), 10)
        assert all(by is None for _, _, by in reader.column_chunks())
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("a,b\n货,物\n".encode("gbk"))
    reader = open_table(gbk, TableLayout(format="csv", encoding="gbk"), 10)
    assert [(lines, cells, by) for lines, cells, by in reader.column_chunks()] == [([2], [("货", "物")], None)]
