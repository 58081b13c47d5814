"""The plain-CSV reader (pyarrow, column-wise) hands out exactly the rows, physical lines and chunks of
the csv-module reader, and declines every file it could not read the same way (property tests)."""
from __future__ import annotations

import csv
import io
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
    first = tuple(draw(st.lists(st.integers(1, 4), max_size=3)))  # (``TableReader.first_chunks``)
    return (bom + text).encode("utf-8"), delimiter, header_row, draw(st.integers(1, 6)), first


def _read(path: Path, layout: TableLayout, chunk_rows: int, columnwise: bool, first: tuple[int, ...] = (),
          scan: plain_csv.PlainScan | None = None):
    try:
        reader = open_table(path, layout, chunk_rows, scan)
        reader.first_chunks = first
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
    """Also with the first chunks' sizes set (``first_chunks``), and with the file's ``plain_data`` found on a
    worker thread (``PlainScan``: the header's line guessed from the layout, wrong after a quoted preamble)."""
    data, delimiter, header_row, chunk_rows, first = case
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    layout = TableLayout(format="csv", delimiter=delimiter, header_row=header_row)
    expected = _read(path, layout, chunk_rows, False, first)
    assert _read(path, layout, chunk_rows, True, first) == expected
    with plain_csv.PlainScan(path, layout) as scan:
        assert _read(path, layout, chunk_rows, True, first, scan) == expected


def test_a_plain_file_is_read_by_pyarrow_and_others_are_not(tmp_path: Path) -> None:
    plain = tmp_path / "plain.csv"
    plain.write_bytes("\ufeffa,b\r\nx, y\r\n ,\r\nz,é\r\n".encode())
    reader = open_table(plain, TableLayout(format="csv"), 10)
    assert reader.header == ("a", "b")
    assert [(lines, by) for lines, _, by in reader.column_chunks()] == [([2, 4], [["x", "z"], [" y", "é"]])]
    long = "x" * (plain_csv._BLOCK - 4)  # (a row longer than the block Arrow reads: the block made longer)
    plain.write_bytes(f"a,b\n1,2\n3,{long}\n4,5\n".encode())
    assert [(lines, by) for lines, _, by in open_table(plain, TableLayout(format="csv"), 10).column_chunks()] == [
        ([2, 3, 4], [["1", "3", "4"], ["2", long, "5"]])]
    for body in ('a,b\nx,"y"\n', "a,b\nx,y\n\nz,w\n", "a,b\nx,y\nz\n", "a,b\nx\ry\n", "a,b\nx,\x00\n"):
        other = tmp_path / "other.csv"
        other.write_bytes(body.encode())
        reader = open_table(other, TableLayout(format="csv"), 10)
        assert all(by is None for _, _, by in reader.column_chunks())
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("a,b\n货,物\n".encode("gbk"))
    reader = open_table(gbk, TableLayout(format="csv", encoding="gbk"), 10)
    assert [(lines, cells, by) for lines, cells, by in reader.column_chunks()] == [([2], [("货", "物")], None)]


def decided(path: Path, data: bytes, header_line: int, delimiter: str
            ) -> tuple[plain_csv.PlainData | None, plain_csv.PlainData | None]:
    """``data`` written to ``path``: what ``plain_csv.plain_data`` decides of it and what the line-by-line
    reference decides."""
    path.write_bytes(data)
    return plain_csv.plain_data(path, header_line, delimiter), _reference_plain_data(path, header_line, delimiter)


def _reference_plain_data(path: Path, header_line: int, delimiter: str) -> plain_csv.PlainData | None:
    """``plain_data`` as it was written first, line by line (each line a bytes object): the reference the
    numpy search over a block's bytes is held to."""
    if len(delimiter) != 1 or not delimiter.isascii() or delimiter in '"\r\n\x00':
        return None
    sep, offset, counts, block_size, longest = delimiter.encode(), 0, set(), plain_csv._BLOCK, [0]

    def plain_lines(text: bytes, lines: list[bytes]) -> bool:
        if not lines:
            return True
        if b'"' in text or b"\x00" in text or text.count(b"\r") != text.count(b"\r\n") + text.endswith(b"\r"):
            return False
        if not all(lines) or b"\r" in lines or max(map(len, lines)) > block_size:
            return False
        counts.update(line.count(sep) for line in lines)
        longest[0] = max(longest[0], *map(len, lines))
        return len(counts) == 1

    with path.open("rb") as handle:
        rest, line, rows = b"", 0, 0
        while True:
            block = handle.read(block_size)
            data = rest + block
            if not block:
                if data and (rows == 0 or not plain_lines(data, [data])):
                    return None
                break
            end = data.rfind(b"\n") + 1
            if end == 0:
                if len(data) > block_size:
                    return None
                rest = data
                continue
            lines = data[:end].split(b"\n")[:-1]
            rest = data[end:]
            start = 0
            if line < header_line:
                head = lines[: header_line - line]
                if any(b"\r" in text[:-1] for text in head):
                    return None
                start = sum(map(len, head)) + len(head)
                offset += start
                line += len(head)
                lines = lines[len(head):]
            if not plain_lines(data[start:end], lines):
                return None
            rows += len(lines)
    if line < header_line:
        return None
    return plain_csv.PlainData(offset, (counts.pop() + 1) if counts else 0, longest_line=longest[0])


BYTES = st.lists(st.sampled_from([b"a", b"1", b",", b";", b"\n", b"\r\n", b"\r", b'"', b"\x00", b" ", b"\xc3\xa9", b"ab,c", b"a" * 15 + b",b"]),
                 max_size=60).map(b"".join)


#: plain lines of two cells, some longer than a small block
PLAIN_LINES = st.lists(st.tuples(st.text("ab1", max_size=40), st.text("ab1", max_size=3)), min_size=1, max_size=8).map(
    lambda rows: "".join(f"{a},{b}\n" for a, b in rows).encode())


@SETTINGS
@given(case=st.one_of(files().map(lambda case: (case[0], case[1], case[2])),
                      st.tuples(BYTES, st.sampled_from([",", ";"]), st.integers(0, 3)),
                      st.tuples(PLAIN_LINES, st.just(","), st.integers(0, 2))))
def test_plain_data_decides_as_the_line_by_line_reference(tmp_path: Path, block: int, case) -> None:
    """Whether a file is plain, where its data starts and how wide it is: as the line-by-line reference
    finds, on generated CSV files and on arbitrary bytes, with one block or many."""
    data, delimiter, header_line = case
    found, expected = decided(tmp_path / "f.csv", data, header_line, delimiter)
    assert (found if found is None else (found.offset, found.width, found.longest_line)) == (
        expected if expected is None else (expected.offset, expected.width, expected.longest_line))


PLAIN_TEXT = st.text(alphabet="ab1 é\t-", max_size=5)


@SETTINGS
@given(rows=st.lists(st.lists(st.one_of(PLAIN_TEXT, st.sampled_from(["a b", " a", "a ", "a  b", "x" * 20])),
                              min_size=3, max_size=3), min_size=1, max_size=20),
       delimiter=st.sampled_from([",", ";", "\t", " "]), ending=st.sampled_from(["\n", "\r\n"]), last=st.booleans())
def test_the_cells_facts_found_with_the_bytes_are_those_of_every_cell(tmp_path: Path, block: int, rows, delimiter, ending,
                                                                     last) -> None:
    """When ``plain_data`` finds every cell plain (``ColumnFacts.plain``, which Arrow's kernels decide per
    block otherwise), each cell the csv module reads is;
    when it does not, some cell is not plain, a blank row's included (or the delimiter is a space: not
    looked at). ``longest``: the longest cell's length, or one more when a line's CR ends it."""
    from platform_adapters.tabular.columnar import _plain

    text = ending.join(delimiter.join(row) for row in [["h0", "h1", "h2"], *rows]) + (ending if last else "")
    path = tmp_path / "f.csv"
    path.write_bytes(text.encode())
    found = plain_csv.plain_data(path, 1, delimiter)
    if found is None:
        return
    cells = [cell for row in list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))[1:] for cell in row]
    if found.plain:
        assert all(_plain([cell]) for cell in cells)
        longest = max(map(len, cells), default=0)
        assert longest <= found.longest <= longest + (ending == "\r\n")  # (a line's CR: in its last cell)
    else:
        assert delimiter == " " or not all(_plain([cell]) for cell in cells)
