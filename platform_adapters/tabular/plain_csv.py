"""The data rows of a plain CSV read column-wise by pyarrow's CSV reader, for the columnar import.

A CSV is plain past its header when, in its bytes: no quote character, no NUL, no CR other than in
CRLF, no empty line, every line as many delimiters as the first and none longer than a block. In such
a file each line is one row and each delimiter ends a cell, so the csv module and pyarrow (quoting
off) read the same cells, and a row's physical line is the header's line plus its position. Any other
file — or any encoding but UTF-8 — is read by the csv module (``reader.TableReader``); ``plain_data``
decides before a row is handed out, in one pass over the bytes (for an import, on a worker thread from
its start: ``PlainScan``). Blank rows (every cell whitespace) are skipped and the rows are handed out in chunks of
the sizes ``TableReader.row_chunks`` hands out (``tests/ingest/test_plain_csv.py``).
Arrow's memory for the reading comes from the system allocator (``read_pool``).
"""
from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any

from platform_adapters.tabular.background import Background
from platform_adapters.tabular.columnar import ColumnFacts, FileColumns
from platform_adapters.tabular.layout import TableLayout, codec_for

_BLOCK = 1 << 20
#: the bytes Arrow parses at a time (``column_chunks``), at least twice the longest line: a block parsed
#: whole before its first row is handed out, the first chunk waits for less than with the 2 MiB it was
_READ_BLOCK = 1 << 19
_SHARED = 4


@dataclass(frozen=True, slots=True)
class PlainData:
    """Where a plain file's data rows start (byte offset), and how many cells each row has; and what is
    true of every cell of those rows (``ColumnFacts``): ``plain`` (None: not known, the reader looks at each
    block) and ``longest`` (bytes), found in the same pass over the bytes; ``longest_line``: the longest row's
    bytes (its line end left out)."""

    offset: int
    width: int
    plain: bool | None = None
    longest: int = 0
    longest_line: int = 0


class _Scan:
    """What ``plain_data`` found so far: the delimiter counts of the lines, whether every cell is plain
    (None once one is not, or when the delimiter is a space) and the longest cell."""

    def __init__(self, sep: bytes) -> None:
        self.counts: set[int] = set()
        self.plain: bool | None = True if sep != b" " else None
        self.longest = 0
        self.longest_line = 0


def may_be_plain(path: Path, layout: TableLayout) -> bool:
    """Whether ``path`` read with ``layout`` is a file ``plain_data`` may find plain: a UTF-8 CSV."""
    return layout.resolved_format(path.name) == "csv" and codec_for(layout.encoding) == "utf-8-sig"


class _Stopped(Exception):
    """``plain_data`` was told to stop (``PlainScan.close``)."""


def plain_data(path: Path, header_line: int, delimiter: str,
               halt: threading.Event | None = None) -> PlainData | None:
    """The data part of ``path`` (past line ``header_line``) if the file is plain, else None. ``halt``: once
    set, the next block read raises ``_Stopped`` (``PlainScan``)."""
    if len(delimiter) != 1 or not delimiter.isascii() or delimiter in '"\r\n\x00':
        return None
    sep = delimiter.encode()
    offset = 0
    scan = _Scan(sep)
    with path.open("rb") as handle:
        rest = b""
        line = 0
        rows = 0  # data lines with their line end
        while True:
            if halt is not None and halt.is_set():
                raise _Stopped
            block = handle.read(_BLOCK)
            data = rest + block
            if not block:
                if data:  # the last line, without a line end (pyarrow needs a first row that has one)
                    if rows == 0 or _plain_lines(data, sep, scan) is None:
                        return None
                break
            end = data.rfind(b"\n") + 1
            if end == 0:
                if len(data) > _BLOCK:
                    return None  # a line longer than a block
                rest = data
                continue
            rest = data[end:]
            start = 0
            while line < header_line and start < end:  # the header's lines are the csv module's; only where
                stop = data.index(b"\n", start)  # the data starts matters
                if b"\r" in data[start:max(start, stop - 1)]:
                    return None  # a lone CR would make the csv module count lines otherwise
                start = stop + 1
                line += 1
            offset += start
            found = _plain_lines(data, sep, scan, start, end)
            if found is None:
                return None
            rows += found
    if line < header_line:
        return None
    counts = scan.counts
    return PlainData(offset, (counts.pop() + 1) if counts else 0, scan.plain, scan.longest, scan.longest_line)


class PlainScan:
    """``plain_data`` of a file run on a worker thread from the start of its import (``background.Background``),
    beside what comes before the file is read (its content hash, the database's setup, the scattered records'
    pre-read): hashing, numpy's kernels and Arrow's parse leave the interpreter to the other thread. ``result``
    waits for it and answers it (its error raised there, where ``plain_data`` would have raised it); the
    header's line is guessed from the layout (a plain file's header is its first rows) and the file scanned
    again in line when the reader found it elsewhere. Used as a context manager: leaving it stops the scan (at
    its next block) and waits for the thread, whatever the exit."""

    def __init__(self, path: Path, layout: TableLayout) -> None:
        self.path, self.delimiter = path, layout.delimiter
        self.header_line = layout.header_row + layout.header_rows - 1
        self._scan: Background[PlainData | None] = Background(
            partial(plain_data, path, self.header_line, self.delimiter), "import-plain-scan")

    def result(self, header_line: int, delimiter: str) -> PlainData | None:
        """``plain_data(path, header_line, delimiter)``: the scan's, when it scanned with those."""
        error = self._scan.wait()
        if (header_line, delimiter) != (self.header_line, self.delimiter) or isinstance(error, _Stopped):
            return plain_data(self.path, header_line, delimiter)
        return self._scan.result()

    def close(self) -> None:
        """Stop the scan and wait for its thread."""
        self._scan.close()

    def __enter__(self) -> PlainScan:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()


def _plain_lines(text: bytes, sep: bytes, scan: _Scan, start: int = 0, end: int | None = None) -> int | None:
    """How many plain rows ``text[start:end]`` is (lines each ending with LF, or at the end of the file one
    without), None when it is not plain rows; ``scan``: what the lines before showed (``_Scan``), to which
    these lines' delimiter count, cells' plainness and longest cell are added. The lines are found in the
    bytes by numpy: no object per line, no copy of the text."""
    import numpy as np

    end = len(text) if end is None else end
    if start == end:
        return 0
    if text.find(b'"', start, end) >= 0 or text.find(b"\x00", start, end) >= 0:
        return None
    data = np.frombuffer(text, dtype=np.uint8, count=end - start, offset=start)
    ends = np.flatnonzero(data == 10)
    if text.find(b"\r", start, end) >= 0:  # a CR ends a line only before an LF or at the end of the file
        returns = np.flatnonzero(data == 13)
        inside = returns[:-1] if text[end - 1] == 13 else returns
        if inside.size and (inside[-1] + 1 >= len(data) or (data[inside + 1] != 10).any()):
            return None
    if text[end - 1] != 10:  # the last line, without a line end
        ends = np.append(ends, len(data))
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    lengths = ends - starts
    longest_line = int(lengths.max())
    if lengths.min() == 0 or longest_line > _BLOCK:  # an empty line, or one longer than a block
        return None
    scan.longest_line = max(scan.longest_line, longest_line)
    if (data[starts[lengths == 1]] == 13).any():  # an empty line ending CRLF
        return None
    seps = np.flatnonzero(data == sep[0])
    per_line = np.diff(np.searchsorted(seps, ends), prepend=0)
    first = int(per_line[0])
    if (per_line != first).any():
        return None
    scan.counts.add(first)
    if len(scan.counts) != 1:
        return None
    if scan.plain:
        _cell_facts(data, sep[0], seps.reshape(len(ends), first), starts, ends, scan)
    return len(ends)


def _cell_facts(data: Any, sep: int, seps: Any, starts: Any, ends: Any, scan: _Scan) -> None:
    """Add to ``scan`` whether the cells of the plain lines ``data`` (bytes; ``sep``: the delimiter byte,
    ``seps``: where each line's delimiters are, a row per line; ``starts``, ``ends``: where each line
    starts and ends) are all plain — printable ASCII without a space at an edge nor a doubled space,
    ``ColumnFacts.plain`` — and their longest (in bytes, a CR before a line's LF counted in its last cell:
    at least the longest)."""
    import numpy as np

    # every byte printable ASCII but the line ends (LF, CR) and a delimiter that is not (a tab, DEL)
    outside = np.count_nonzero((data - np.uint8(32)) > np.uint8(94))
    allowed = np.count_nonzero(data == 10) + np.count_nonzero(data == 13) + (0 if 32 <= sep <= 126 else seps.size)
    if outside != allowed:
        scan.plain = None
        return
    spaces = np.flatnonzero(data == 32)
    if spaces.size:  # one at a cell's edge (next to a delimiter, a line's start or end), or two together
        last = len(data) - 1
        if spaces[0] == 0 or spaces[-1] == last or (np.diff(spaces) == 1).any():
            scan.plain = None
            return
        before, after = data[spaces - 1], data[spaces + 1]
        if ((before == 10) | (before == sep) | (after == 10) | (after == 13) | (after == sep)).any():
            scan.plain = None
            return
    if seps.shape[1] == 0:  # one cell a line
        longest = (ends - starts).max()
    else:  # the first cells, those between two delimiters, the last ones
        longest = max((seps[:, 0] - starts).max(), (ends - seps[:, -1]).max() - 1,
                      (np.diff(seps, axis=1).max() - 1) if seps.shape[1] > 1 else 0)
    scan.longest = max(scan.longest, int(longest))


def read_pool() -> Any:
    """The Arrow memory pool an import's CSV reading (this module's and the scattered records' pre-read,
    ``aggregator.ingest.scattered``) allocates from: the system allocator's. Arrow's default pool (mimalloc)
    takes fresh memory as 2 MiB transparent huge pages, each zeroed whole when first touched: a process's
    first outbound import (50k rows) grew by ~75 MB for ~20 MB of blocks and spent a sixth of its CPU in
    the kernel zeroing them (perf, 2026-11-30); malloc's heap grows 4 KiB at a time and is reused."""
    import pyarrow as pa

    return pa.system_memory_pool()


def column_chunks(path: Path, data: PlainData, first_line: int, delimiter: str,
                  sizes: Iterator[int]) -> Iterator[tuple[list[int], list[list[str]]]]:
    """The non-blank data rows of plain ``path``: per chunk (of as many rows as ``sizes`` says in turn:
    ``reader.chunk_sizes``) their physical lines and their cells as one list per column, with each column's
    ``ColumnFacts`` (``first_line``: the line of the first data row)."""
    import pyarrow as pa  # imported lazily: only plain CSV imports use it
    import pyarrow.csv as pacsv

    if data.width == 0:
        return
    pool = read_pool()
    with pa.OSFile(str(path), memory_pool=pool) as handle:  # read by Arrow itself: no Python buffer per block
        handle.seek(data.offset)
        reader = pacsv.open_csv(
            handle,
            read_options=pacsv.ReadOptions(autogenerate_column_names=True, use_threads=False,
                                           block_size=max(_READ_BLOCK, 2 * (data.longest_line + 1))),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char=False, escape_char=False,
                                             newlines_in_values=False, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types={f"f{i}": pa.string() for i in range(data.width)}, strings_can_be_null=False,
                quoted_strings_can_be_null=False, null_values=[], check_utf8=True),
            memory_pool=pool)
        chunk_rows = next(sizes)
        line = first_line
        lines: list[int] = []
        columns: list[list[str]] = [[] for _ in range(data.width)]
        facts: list[ColumnFacts] = [ColumnFacts(True, 0)] * data.width
        shared = [True] * data.width  # (a column found of many distinct texts is not encoded again)
        for batch in reader:  # each block's rows turned into Python a chunk's worth at a time
            at = 0
            # (true of each piece of the block)
            known = [ColumnFacts(True, data.longest)] * data.width if data.plain else block_facts(batch.columns)
            while at < batch.num_rows:
                piece = batch.slice(at, chunk_rows - len(lines))
                got = [_cells(column, shared, i) for i, column in enumerate(piece.columns)]
                facts = [_joined(a, b) for a, b in zip(facts, known)]
                count = piece.num_rows
                at += count
                numbers: range | list[int] = range(line, line + count)
                line += count
                if not any(all(map(str.strip, column)) for column in got):  # a row may be blank: drop those
                    kept = [i for i, row in enumerate(zip(*got)) if "".join(row).strip()]
                    if len(kept) < count:
                        numbers = [numbers[i] for i in kept]
                        got = [[column[i] for i in kept] for column in got]
                lines.extend(numbers)
                for into, column in zip(columns, got):
                    into.extend(column)
                if len(lines) >= chunk_rows:
                    yield lines, FileColumns(columns, facts)
                    chunk_rows = next(sizes)
                    lines = []
                    columns = [[] for _ in range(data.width)]
                    facts = [ColumnFacts(True, 0)] * data.width
        if lines:
            yield lines, FileColumns(columns, facts)


def _cells(array: Any, shared: list[bool] | None = None, at: int = 0) -> list[str]:
    """``array.to_pylist()`` (an Arrow string array); a column of few distinct texts (at most one in
    ``_SHARED`` of its cells) made of one Python str per distinct text, shared by its cells (Arrow's
    dictionary encoding): fewer objects made, and each text's hash computed once where it is looked up.
    ``shared[at]``: whether the column is worth encoding (set False once a piece of it was not: the same
    texts either way, only fewer shared). A column of one text (a warehouse code, an empty column) is found by
    one comparison in C++ rather than encoded: ``[text] * len(array)``, as the encoding makes it."""
    import numpy as np
    import pyarrow.compute as pc

    if shared is not None and not shared[at]:
        return array.to_pylist()
    pool = read_pool()
    if len(array) > 1 and pc.all(pc.equal(array, array[0], memory_pool=pool), memory_pool=pool).as_py():
        return [array[0].as_py()] * len(array)
    encoded = pc.dictionary_encode(array, memory_pool=pool)
    if len(encoded.dictionary) * _SHARED > len(array):  # (decided before any text becomes a Python str)
        if shared is not None:
            shared[at] = len(array) < 64  # (a short piece says little)
        return array.to_pylist()
    return np.array(encoded.dictionary.to_pylist(), dtype=object)[encoded.indices.to_numpy()].tolist()


def column_facts(array: Any) -> ColumnFacts:
    """``ColumnFacts`` of an Arrow string array, found by Arrow's compute kernels in C++: plain when every
    cell is printable ASCII (an empty cell is) with no space at its start or end and no doubled space;
    its longest cell in bytes (at least its length in characters)."""
    import pyarrow.compute as pc

    longest = pc.max(pc.binary_length(array)).as_py() or 0
    plain = (pc.all(pc.ascii_is_printable(array)).as_py() is not False
             and not pc.any(pc.starts_with(array, " ")).as_py() and not pc.any(pc.ends_with(array, " ")).as_py()
             and not pc.any(pc.match_substring(array, "  ")).as_py())
    return ColumnFacts(plain, longest)


def block_facts(arrays: Sequence[Any]) -> list[ColumnFacts]:
    """``ColumnFacts`` of each of ``arrays`` (a block's columns): one look at all their text together, which
    finds them all plain in the usual file (each one's ``longest`` then that of all); else one per column."""
    import pyarrow as pa

    if not arrays:
        return []
    whole = column_facts(pa.concat_arrays(arrays, memory_pool=read_pool()))
    if whole.plain:
        return [whole] * len(arrays)
    return [column_facts(array) for array in arrays]


def _joined(a: ColumnFacts, b: ColumnFacts) -> ColumnFacts:
    """The facts of two pieces' rows together."""
    return ColumnFacts(a.plain and b.plain, max(a.longest, b.longest))
