"""Streaming reader: CSV or XLSX rows in bounded chunks, with physical line numbers.

The encoding of a CSV is checked over the whole file before the first row is handed out, so a
wrongly declared encoding fails the file with the byte offset and line of the first bad byte instead
of importing half of it; so is its syntax, when the file holds a quote (a quoted value never closed, or
followed by more text, fails the file before any row is stored). A workbook's sheet is read to its last row and column holding a value, whatever
size the sheet declares (its ``<dimension>``, written by whatever made the file). Rows are yielded as lists of strings in chunks of ``chunk_rows``; at no
point does the reader hold more than one chunk (and, for a plain CSV read column-wise by
``plain_csv``, one block of its bytes).
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import pickle
import tempfile
from collections import deque
from collections.abc import Iterator
from itertools import islice
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Self

from platform_adapters.canonical.common import Problem
from platform_adapters.tabular import plain_csv
from platform_adapters.tabular.errors import TabularError
from platform_adapters.tabular.header import build_header
from platform_adapters.tabular.layout import TableLayout, codec_for

# The csv module refuses fields over 128 KiB; lift that limit so a huge field becomes a row-level
# rejection with its line number (see ``row_checks``) instead of aborting the whole file.
_CSV_FIELD_LIMIT = 64 * 1024 * 1024
_ENCODING_CHECK_BLOCK = 1 << 20


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One data row: its 1-based physical line (CSV) or row number (XLSX) and its cell texts."""

    line: int
    cells: tuple[str, ...]


def check_encoding(path: Path, encoding: str) -> bool:
    """Decode the whole file incrementally; raise TabularError naming the first undecodable byte. Answers
    whether the csv module may refuse the file's syntax (``TableReader._check_syntax``), found in the same
    pass: the file holds a quote byte (0x22: no quoted value without one, in any encoding read), or a line
    longer than the csv module's field limit. A file with neither has no syntax the csv module refuses."""
    codec = codec_for(encoding)
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    ascii_safe = codec in ("utf-8", "utf-8-sig")  # (ASCII bytes decode as themselves, whatever came before)
    offset = 0
    refusable = False
    run = 0  # the bytes of the line going on at the end of the blocks read so far
    assert _ENCODING_CHECK_BLOCK <= _CSV_FIELD_LIMIT  # (so a line inside one block is never longer)
    with path.open("rb") as handle:
        while True:
            block = handle.read(_ENCODING_CHECK_BLOCK)
            final = not block
            if not refusable:
                first_end = block.find(b"\n")
                if first_end < 0:
                    run += len(block)
                else:
                    refusable = run + first_end > _CSV_FIELD_LIMIT
                    run = len(block) - block.rfind(b"\n") - 1
                refusable = refusable or run > _CSV_FIELD_LIMIT or b'"' in block
            if ascii_safe and block and block.isascii() and not decoder.getstate()[0]:
                offset += len(block)  # (nothing held back from the block before: these bytes are valid)
                decoder.setstate((b"", 0))  # (and a byte-order mark, only ever first, is no longer looked for)
                continue
            try:
                decoder.decode(block, final=final)
            except UnicodeDecodeError as exc:
                # exc.object is what the decoder held back from the previous block (an unfinished
                # multi-byte character, never a newline) followed by this block; at the end of the file
                # the block is empty and the unfinished character is the culprit.
                held = len(exc.object) - len(block)
                bad_at = offset - held + exc.start
                line = _newlines_before(path, offset) + exc.object[: exc.start].count(b"\n") + 1
                hint = _encoding_hint(path, encoding)
                ending = " (the file ends inside a character)" if final else ""
                raise TabularError(
                    f"{path.name}:{line}",
                    f"not valid {encoding} (byte 0x{exc.object[exc.start]:02x} at offset {bad_at}){ending}{hint}",
                    code="wrong_encoding",
                ) from None
            if final:
                return refusable
            offset += len(block)


def _newlines_before(path: Path, offset: int) -> int:
    """The LF bytes in the first ``offset`` bytes of ``path`` (counted only when a file fails its check)."""
    count = 0
    with path.open("rb") as handle:
        while offset > 0:
            block = handle.read(min(offset, _ENCODING_CHECK_BLOCK))
            if not block:
                break
            count += block.count(b"\n")
            offset -= len(block)
    return count


def _encoding_hint(path: Path, encoding: str) -> str:
    with path.open("rb") as handle:
        sample = handle.read(_ENCODING_CHECK_BLOCK)
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and codec_for(encoding) != "utf-16":
        return ("; the file is UTF-16 (it starts with a UTF-16 byte-order mark, as Excel's \"Unicode Text\" "
                "does): pass --encoding utf-16, or save it as CSV UTF-8")
    for candidate in ("utf-8", "gbk"):
        if codec_for(candidate) == codec_for(encoding):
            continue
        try:
            sample.decode(codec_for(candidate))
        except UnicodeDecodeError:
            continue
        return f"; it decodes as {candidate}: pass --encoding {candidate} or use a profile that declares it"
    return ""


def _cell_text(value: object) -> str:
    """Text of an XLSX cell value. Excel numbers are floats: integral ones lose the '.0'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return str(Decimal(repr(value)))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _sized(cells: tuple[str, ...], width: int) -> tuple[str, ...]:
    """A workbook row's ``cells`` ``width`` wide: blank cells added up to it, the blank cells past it (and past
    the row's last value) left out."""
    if len(cells) < width:
        return cells + ("",) * (width - len(cells))
    end = len(cells)
    while end > width and not cells[end - 1]:
        end -= 1
    return cells if end == len(cells) else cells[:end]


def header_of(rows: Iterator[tuple[int, tuple[str, ...]]], layout: TableLayout,
              name: str) -> tuple[tuple[str, ...], int]:
    """The joined header names of a file's first ``rows`` ((line, cells) each) read with ``layout``, and the
    line of its last header row (``rows`` left past it); TabularError when the file has none there."""
    header_rows: list[tuple[int, tuple[str, ...]]] = []
    for line, cells in rows:
        if line < layout.header_row:
            continue
        header_rows.append((line, cells))
        if len(header_rows) == layout.header_rows:
            break
    if len(header_rows) < layout.header_rows or not any(any(c.strip() for c in cells) for _, cells in header_rows):
        raise TabularError(name, f"no header row found at row {layout.header_row}", code="empty")
    return build_header([cells for _, cells in header_rows], layout.header_joiner), header_rows[-1][0]


def csv_header(path: Path, layout: TableLayout) -> tuple[tuple[str, ...], int]:
    """``header_of`` a CSV, its first rows alone read (the file's encoding not checked, a syntax error a bare
    ``csv.Error``): a guess for work begun before the import's reader is opened, checked against the
    reader's header once it is."""
    with path.open("r", encoding=codec_for(layout.encoding), newline="") as handle:
        return header_of(_numbered(csv.reader(handle, delimiter=layout.delimiter, strict=True)), layout, path.name)


def _numbered(reader) -> Iterator[tuple[int, tuple[str, ...]]]:
    """The rows of a ``csv.reader``, each with the line it starts on."""
    start = 1
    for cells in reader:
        yield start, tuple(cells)
        start = reader.line_num + 1


class TableReader:
    """An opened tabular file: ``header`` (joined header names) and ``chunks()`` of data rows."""

    def __init__(self, path: Path, layout: TableLayout, chunk_rows: int = 10_000,
                 plain_scan: plain_csv.PlainScan | None = None) -> None:
        self.path = Path(path)
        #: the file's ``plain_data`` being found on a worker thread (started by the import), or None
        self.plain_scan = plain_scan
        self.layout = layout
        self.chunk_rows = max(1, chunk_rows)
        #: the sizes of the first chunks handed out, before chunks of ``chunk_rows`` (each read from the start
        #: hands them out again): ``()`` unless its reader sets them (``columnar_import.ramp``)
        self.first_chunks: tuple[int, ...] = ()
        self.format = layout.resolved_format(self.path.name)
        self._rows: Iterator[tuple[int, tuple[str, ...]]] | None = None  # (line, cells)
        self._csv_reader: Any = None  # a CSV's csv.reader, read a chunk at a time past the header
        self._closers: list = []
        self.header: tuple[str, ...] = ()
        self._broken: list[tuple[Problem, dict[str, str]]] = []  # CSV rows set aside (``take_problems``)
        self._open()

    # -- opening -----------------------------------------------------------------------------------
    def _open(self) -> None:
        if not self.path.exists():
            raise TabularError(str(self.path), "file not found", code="not_found")
        if self.path.stat().st_size == 0:
            raise TabularError(self.path.name, "the file is empty (no header row)", code="empty")
        rows = self._csv_rows() if self.format == "csv" else self._xlsx_rows()
        self.header, self.header_line = header_of(rows, self.layout, self.path.name)
        #: a CSV row needs cells up to the last named column; fewer means it was cut short
        self._needed = max((i + 1 for i, name in enumerate(self.header) if name.strip()), default=0)
        self._rows = rows

    def _csv_rows(self) -> Iterator[tuple[int, tuple[str, ...]]]:
        refusable = check_encoding(self.path, self.layout.encoding)
        if csv.field_size_limit() < _CSV_FIELD_LIMIT:
            csv.field_size_limit(_CSV_FIELD_LIMIT)
        if refusable:
            self._check_syntax()
        handle = self.path.open("r", encoding=codec_for(self.layout.encoding), newline="")
        self._closers.append(handle)
        # strict: a quote never closed fails the file instead of swallowing every row after it
        reader = csv.reader(handle, delimiter=self.layout.delimiter, strict=True)
        self._csv_reader = reader
        return self._csv_iter(reader)

    def _csv_iter(self, reader) -> Iterator[tuple[int, tuple[str, ...]]]:
        try:
            yield from _numbered(reader)
        except csv.Error as exc:
            raise self._syntax_error(exc, reader.line_num) from None

    def _check_syntax(self) -> None:
        """Read the whole CSV through the csv module once, its rows dropped as read, before the first row is
        handed out: a syntax error (a quoted value never closed, text after a closing quote) fails the file
        before any of its rows is stored, as a wrong encoding does. Read as the rows stream, it was met only
        after the chunks before it were stored. Only a file ``check_encoding`` finds may be refused is read
        (one with a quote byte): a plain file costs nothing more."""
        with self.path.open("r", encoding=codec_for(self.layout.encoding), newline="") as handle:
            reader = csv.reader(handle, delimiter=self.layout.delimiter, strict=True)
            try:
                deque(reader, maxlen=0)  # (consumed in C: no Python call per row)
            except csv.Error as exc:
                raise self._syntax_error(exc, reader.line_num) from None

    def _syntax_error(self, exc: csv.Error, line: int) -> TabularError:
        """A CSV syntax error located at the line its row starts on (the file is read again to find it:
        the csv module only knows where it stopped)."""
        start = line
        with self.path.open("r", encoding=codec_for(self.layout.encoding), newline="") as handle:
            again = csv.reader(handle, delimiter=self.layout.delimiter, strict=True)
            try:
                while True:
                    start = again.line_num + 1
                    next(again)
            except (csv.Error, StopIteration):
                pass
        text = str(exc)
        if "unexpected end of data" in text:
            reason = ("a quoted value opened in this row is never closed: the file ends inside it (a stray "
                      "quote, or the file was cut short); the file is not imported")
        elif "expected after" in text:
            reason = (f"a quoted value is followed by more text before the next delimiter ({text}): quote the "
                      "whole value, doubling the quotes inside it; the file is not imported")
        else:
            reason = f"CSV syntax error: {text}; the file is not imported"
        return TabularError(f"{self.path.name}:{start}", reason, code="csv_syntax")

    def take_problems(self) -> list[tuple[Problem, dict[str, str]]]:
        """The rows set aside since the last call (cut short, or cells past the header), each with its
        cells by header name: they are not among the rows handed out."""
        taken, self._broken = self._broken, []
        return taken

    def _misshapen(self, lines: list[int], rows: list[list[str]]) -> list[int]:
        """Positions of the CSV rows whose cells do not fit the header, noted in ``_broken``."""
        width, needed = len(self.header), self._needed
        bad = [i for i, row in enumerate(rows)
               if len(row) < needed or (len(row) > width and any(map(str.strip, row[width:])))]
        names = [name or f"column {i + 1}" for i, name in enumerate(self.header)]
        for i in bad:
            row = rows[i]
            if len(row) < needed:
                code = "short_row"
                reason = (f"the row has {len(row)} cells where the header has {needed}: cut short (the end of "
                          "a file cut off, or a line break inside an unquoted value); the row is not stored")
            else:
                code = "extra_cells"
                extra = ", ".join(repr(cell) for cell in row[width:] if cell.strip())
                reason = (f"the row has {len(row)} cells where the header has {width}; past the header: "
                          f"{extra[:200]} (an unquoted delimiter inside a value shifts the columns after it); "
                          "the row is not stored")
            cells = {names[j] if j < width else f"column {j + 1}": cell for j, cell in enumerate(row)}
            self._broken.append((Problem(code, reason, value=self.layout.delimiter.join(row)[:200],
                                         location=f"{self.path.name}:{lines[i]}"), cells))
        return bad

    def _xlsx_rows(self) -> Iterator[tuple[int, tuple[str, ...]]]:
        from zipfile import BadZipFile

        import openpyxl  # imported lazily: CSV imports never pay for it

        try:
            workbook = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except (BadZipFile, OSError, KeyError, ValueError) as exc:
            raise TabularError(self.path.name, f"not a readable XLSX workbook ({exc})", code="bad_workbook") from None
        self._closers.append(workbook)
        if self.layout.sheet:
            if self.layout.sheet not in workbook.sheetnames:
                raise TabularError(self.path.name, f"no sheet named {self.layout.sheet!r}; sheets are "
                                   f"{', '.join(workbook.sheetnames)}", code="no_sheet")
            sheet = workbook[self.layout.sheet]
        else:
            sheet = workbook.worksheets[0]
        # the sheet's stored size (``<dimension ref=…>``) is whatever its maker wrote, and a read-only sheet
        # stops at it: every row the sheet holds is read instead, each as wide as the stored size said (as
        # before where the size is right) and as the header rows are, wider only by cells holding a value
        declared = sheet.max_column or 0
        sheet.reset_dimensions()
        last_header = self.layout.header_row + self.layout.header_rows - 1

        def rows() -> Iterator[tuple[int, tuple[str, ...]]]:
            width = declared
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                cells = _sized(tuple(_cell_text(v) for v in values), width)
                if number <= last_header:
                    width = max(width, len(cells))
                yield number, cells

        return rows()

    # -- reading -----------------------------------------------------------------------------------
    def chunks(self) -> Iterator[list[SourceRow]]:
        """Data rows after the header, blank rows skipped, in lists of at most ``chunk_rows``."""
        for lines, cells in self.row_chunks():
            yield [SourceRow(line, row) for line, row in zip(lines, cells)]

    def row_chunks(self) -> Iterator[tuple[list[int], list[tuple[str, ...]]]]:
        """The rows of ``chunks()`` as two lists per chunk: their lines and their cells."""
        assert self._rows is not None
        if self._csv_reader is not None:
            yield from self._csv_chunks(self._csv_reader)
            return
        lines: list[int] = []
        cells: list[tuple[str, ...]] = []
        sizes = chunk_sizes(self.chunk_rows, self.first_chunks)
        size = next(sizes)
        try:
            for line, row in self._rows:
                if not "".join(row).strip():  # every cell blank (one call, not one per cell)
                    continue
                lines.append(line)
                cells.append(row)
                if len(lines) >= size:
                    yield lines, cells
                    lines, cells, size = [], [], next(sizes)
            if lines:
                yield lines, cells
        finally:
            self.close()

    def spooled_row_chunks(self) -> Iterator[tuple[list[int], list[tuple[str, ...]]]]:
        """``row_chunks()`` of a workbook, each chunk also written to an anonymous temporary file (unlinked
        when made: gone when closed or when the process ends), from which the reader's rows are then read
        again: a pre-read of every row and the import's read parse the workbook once. Only one chunk is
        held in memory; the file is closed with the reader (``close``)."""
        assert self._rows is not None and self.format != "csv"
        spool = tempfile.TemporaryFile(prefix="aggregator-workbook-")
        try:
            for lines, cells in self.row_chunks():
                pickle.dump((lines, cells), spool, protocol=pickle.HIGHEST_PROTOCOL)
                yield lines, cells
        except BaseException:
            spool.close()
            raise
        self._closers.append(spool)
        self._rows = self._replay(spool)

    @staticmethod
    def _replay(spool: Any) -> Iterator[tuple[int, tuple[str, ...]]]:
        """The (line, cells) rows ``spooled_row_chunks`` wrote to ``spool``."""
        spool.seek(0)
        while True:
            try:
                lines, cells = pickle.load(spool)  # (a file this reader wrote itself)
            except EOFError:
                return
            yield from zip(lines, cells)

    def column_chunks(self) -> Iterator[tuple[list[int], list[tuple[str, ...]] | None, list[list[str]] | None]]:
        """``row_chunks()`` as (lines, cells as one tuple per row, None); when the file is a plain UTF-8
        CSV (read by pyarrow, ``plain_csv``) as (lines, None, cells as one list per column of the file)."""
        assert self._rows is not None
        if self._csv_reader is not None and plain_csv.may_be_plain(self.path, self.layout):
            try:
                data = (plain_csv.plain_data(self.path, self.header_line, self.layout.delimiter)
                        if self.plain_scan is None else self.plain_scan.result(self.header_line, self.layout.delimiter))
            except BaseException:  # (the scan failing: the file closed now, not when the reader is collected)
                self.close()
                raise
            # rows as wide as the header only: other widths are checked row by row (``_misshapen``)
            if data is not None and data.width in (0, len(self.header)):
                self.close()
                for lines, columns in plain_csv.column_chunks(self.path, data, self.header_line + 1,
                                                              self.layout.delimiter,
                                                              chunk_sizes(self.chunk_rows, self.first_chunks)):
                    yield lines, None, columns
                return
        for lines, cells in self.row_chunks():
            yield lines, cells, None

    def _csv_chunks(self, reader: Any) -> Iterator[tuple[list[int], list[tuple[str, ...]]]]:
        """``row_chunks`` of a CSV past its header: rows taken from the csv reader a chunk at a time, each
        with the reader's line count after it (a row starts on the line after the one before ends)."""
        start = reader.line_num + 1
        lines: list[int] = []
        cells: list[tuple[str, ...]] = []
        sizes = chunk_sizes(self.chunk_rows, self.first_chunks)
        size = next(sizes)
        try:
            while True:
                got = [(row, reader.line_num) for row in islice(reader, size - len(lines))]
                if not got:
                    break
                rows, ends = zip(*got)
                starts = [start, *(end + 1 for end in ends[:-1])]
                start = ends[-1] + 1
                kept = list(map(str.strip, map("".join, rows)))  # a row of blank cells is skipped
                if len(set(map(len, rows))) != 1 or len(rows[0]) != len(self.header):  # any misshapen?
                    fits = [bool(text) for text in kept]
                    kept_at = [i for i, text in enumerate(kept) if text]
                    for i in self._misshapen([starts[i] for i in kept_at], [rows[i] for i in kept_at]):
                        fits[kept_at[i]] = False
                    kept = fits
                if all(kept):
                    lines.extend(starts)
                    cells.extend(map(tuple, rows))
                else:
                    lines.extend(line for line, text in zip(starts, kept) if text)
                    cells.extend(tuple(row) for row, text in zip(rows, kept) if text)
                if len(lines) >= size:
                    yield lines, cells
                    lines, cells, size = [], [], next(sizes)
            if lines:
                yield lines, cells
        except csv.Error as exc:
            raise self._syntax_error(exc, reader.line_num) from None
        finally:
            self.close()

    def close(self) -> None:
        for closer in self._closers:
            try:
                closer.close()
            except (OSError, ValueError, AttributeError):  # closing is best effort; the data has been read
                continue
        self._closers.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def chunk_sizes(chunk_rows: int, first: tuple[int, ...] = ()) -> Iterator[int]:
    """The number of rows of each chunk a reader hands out: ``first`` (``TableReader.first_chunks``), then
    ``chunk_rows`` on."""
    yield from first
    while True:
        yield chunk_rows


def open_table(path: str | Path, layout: TableLayout | None = None, chunk_rows: int = 10_000,
               plain_scan: plain_csv.PlainScan | None = None) -> TableReader:
    """Open ``path`` with ``layout`` (defaults: CSV/XLSX by extension, UTF-8, header on row 1); ``plain_scan``:
    its ``plain_data`` being found already (``plain_csv.PlainScan``)."""
    return TableReader(Path(path), layout or TableLayout(), chunk_rows, plain_scan)
