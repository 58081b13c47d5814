"""Records whose rows are not contiguous in a file (a 3PL export sorted by date or SKU, not by receipt; a
forwarder's BL report sorted by container, a broker's declaration lines by HS code): found before the
import, set aside while it reads, stored whole at its end. Every kind whose records have lines takes
this path: receipts and outbounds (read column by column) as bills of lading and customs entries (read
row by row; their keys found by ``record_keys_of`` from the per-row ``record_key``).

``scattered_keys`` reads the file's key columns and the columns naming a row's owner (the kind's
``OWNER_COLUMNS``, as written) once before anything is stored and answers the hashes of the record keys
(without their owner: ``mapper.record_key(values, "")``) met in more than one run of rows, a run ending
where the key or one of those owner cells changes. A 3PL's file covers every brand it serves and brands'
numbers can collide, so two owners' records of one number interleaved (LMN, LMN, TRP, LMN of ``ASN-1``)
are found spread, and so are two owners' records of one number one after the other (a key met in two
runs whatever their owners: the cells say nothing of which owner they resolve to, two spellings of one
owner included). Their rows are regrouped by the full record key, owner included, so two owners'
records never merge and each is stored whole. The import sets those records' rows aside once they passed the row checks and have their owner
(``SetAside``) instead of grouping them where they are; at the end of the file it feeds them back a
record at a time, each record's rows together in file order, records in the order of their first row, so
each is mapped, checked, hashed and written exactly as if the file had its rows together: the same
stored header, lines, audit entries and rejects (a line number given twice is a ``duplicate_line_no``
reject naming the line), and a later re-import finds them unchanged.

Memory: the pre-read keeps one 64-bit hash per record key (as the import's set of keys met does); the
rows set aside go to a temporary SQLite database (on disk once it outgrows SQLite's page cache, deleted when
the import ends), read back
ordered by record, so a file of any size whose every record is spread over it holds no more than a
chunk of rows and the record being fed.

Cost: of a UTF-8 CSV the pre-read parses only the key and owner columns, through Arrow, and takes to Python
only the rows starting a run (a cell it reads differing from the row before's, found by Arrow's kernels:
``_run_starts``), so the kind's mapper sees one row per run, not one per line, and the runs are told apart and
counted by C loops (``itertools.groupby``, set operations), not one Python step per row. For 50,000 rows of
outbounds (1-3 rows each) the pre-read took 47-89 ms before and 41-50 ms so, of receipts (1-4 rows each) 61-85 ms
before and 52-69 ms so (fastest of 7, alternated, load 2.1, 2026-11-30), most of what is left Arrow's parse (17 ms
and 31 ms); for a BL report or a declaration file of that size, read row by row, it was 0.1-0.3 s of CPU, about
1-3 % of importing them, and their records have more rows each. Begun at the import's start, it runs on a thread beside the file's hash
and the database's setup (``aggregator.ingest.preread``). A workbook is parsed once: the pre-read reads the
import's own reader (``TableReader.spooled_row_chunks``), which writes each chunk of rows it parses to an
anonymous temporary file (pickled, a chunk at a time; unlinked when made, closed with the reader) and then
hands the import those rows again instead of parsing the workbook a second time (openpyxl's parse is most of a
workbook import's cost: a 10,000-row BL workbook sorted by container took 15.1-17.1 s of CPU parsed twice,
8.7-8.8 s parsed once; two rounds alternated 2026-11-30, load 1.9-3.5). Any other file (another encoding, a
CSV with a row not as wide as its header) is read a second time in full by the import's reader. A file with no
record spread pays only the pre-read; every row set aside is written to and read back from the temporary
database once.

The rows of master bills of lading waiting for the import's second pass (their owners those of their
house bills: ``tabular_import._second_pass``) are regrouped there by record, per owner, so a master
whose rows are spread is stored whole too.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing
from functools import partial
from itertools import groupby
from operator import is_not, itemgetter
from pathlib import Path
from types import ModuleType

from platform_adapters.tabular import TableLayout, TabularError, open_table
from platform_adapters.tabular.columns import ColumnMap
from platform_adapters.tabular.reader import TableReader
from platform_adapters.tabular.layout import codec_for
from platform_adapters.tabular.plain_csv import read_pool
from platform_adapters.tabular.rows import CanonicalRow


def group_key(mapper: ModuleType, values: dict[str, str]) -> tuple | None:
    """The record key of a row's ``values`` whatever its owner (None: the row names no record)."""
    return mapper.record_key(values, "")


RecordKeys = Callable[[dict[str, list[str]], list[str]], list[tuple | None]]


def record_keys_of(mapper: ModuleType, columnar: ModuleType | None) -> RecordKeys:
    """A kind's ``record_keys(columns, owners)``: its columnar mapper's (``columnar``), else its per-row
    ``mapper.record_key`` of each row's ``KEY_COLUMNS`` cells, found once per distinct cells (a bill's or a
    declaration's rows repeat its number)."""
    if columnar is not None:
        return columnar.record_keys
    names = mapper.KEY_COLUMNS

    def record_keys(columns: dict[str, list[str]], owners: list[str]) -> list[tuple | None]:
        empty = [""] * len(owners)
        found: dict[tuple, tuple | None] = {}
        keys = []
        for owner, *cells in zip(owners, *(columns.get(name) or empty for name in names)):
            identity = (owner, *cells)
            key = found.get(identity, found)
            if key is found:
                key = found[identity] = mapper.record_key(dict(zip(names, cells)), owner)
            keys.append(key)
        return keys

    return record_keys


def scattered_keys(path: Path, layout: TableLayout, header_line: int, width: int, columns: ColumnMap,
                   names: tuple[str, ...], owner_names: tuple[str, ...], record_keys: RecordKeys,
                   chunk_rows: int, reader: TableReader | None = None,
                   read_ahead: Callable[[], set[int] | None] | None = None) -> set[int]:
    """The hashes of the record keys (``group_key``) whose rows come in more than one run in ``path``
    (a run ends where the key or a cell of ``owner_names`` changes; a row naming no record ends a run).
    Only the key columns ``names`` and the owner columns ``owner_names`` (those the kind's owner
    attribution reads; () when the import names the owner) are read; ``record_keys`` (``record_keys_of``)
    finds a chunk's keys from them. ``header_line`` and ``width``: the line of the file's (last) header
    row and its number of cells, as the import's reader found them. A file the reader refuses answers an
    empty set (the import reports the problem when it meets it). ``reader``: the import's reader, opened
    and not yet read; a workbook is read through it (``TableReader.spooled_row_chunks``), its rows then
    replayed to the import instead of the workbook parsed again. ``read_ahead``: ``arrow_scattered_keys``
    of the file begun before the reader was opened (``preread.PreRead.result``): its answer taken, its
    error raised as ``arrow_scattered_keys``'s would be; None from it: read here."""
    if reader is not None and reader.format != "csv":
        present, owners, at = _read_columns(columns, names, owner_names)
        if not present:
            return set()
        # (not caught: a workbook failing as it is read fails the import here, as its read would)
        return _scattered(_cells_at(reader.spooled_row_chunks(), at), columns, names, present, owners, record_keys)
    try:
        try:
            found = read_ahead() if read_ahead is not None else None
            if found is None:
                found = arrow_scattered_keys(path, layout, header_line, width, columns, names, owner_names,
                                             record_keys)
            return found
        except NotForArrow:
            present, owners, at = _read_columns(columns, names, owner_names)
            return _scattered(_reader_key_cells(path, layout, at, chunk_rows), columns, names, present, owners,
                              record_keys)
    except TabularError:
        return set()


def arrow_scattered_keys(path: Path, layout: TableLayout, header_line: int, width: int, columns: ColumnMap,
                         names: tuple[str, ...], owner_names: tuple[str, ...], record_keys: RecordKeys,
                         halt: threading.Event | None = None) -> set[int]:
    """``scattered_keys`` of a UTF-8 CSV read by Arrow (``_arrow_key_cells``); ``NotForArrow`` for another
    file. ``halt``: once set, the read stops at its next block, raising ``Halted``."""
    present, owners, at = _read_columns(columns, names, owner_names)
    if not present:  # (every key column a default: one key for the whole file)
        return set()
    # (closed as the read ends, whatever way: an error raised past the read paused at a block, inside Arrow's
    # ``with`` on the file, would otherwise leave the file open until the paused read is collected, which
    # may be the collector's next pass when the error is held in a reference cycle, as a thread's is)
    with closing(_arrow_key_cells(path, layout, header_line, width, at, halt)) as cells:
        return _scattered(cells, columns, names, present, owners, record_keys)


def _read_columns(columns: ColumnMap, names: tuple[str, ...],
                  owner_names: tuple[str, ...]) -> tuple[list[str], list[str], list[int]]:
    """Of the key columns ``names`` and the owner columns ``owner_names``, those the file has (the owner
    columns not among the key columns), and the places of both in a row."""
    present = [name for name in names if name in columns.indexes]
    owners = [name for name in owner_names if name in columns.indexes and name not in names]
    return present, owners, [columns.indexes[name] for name in present + owners]


def _scattered(chunks: Iterator[list[list[str]]], columns: ColumnMap, names: tuple[str, ...], present: list[str],
               owners: list[str], record_keys: Callable) -> set[int]:
    """``scattered_keys`` of the cells ``chunks`` hands out (one list per column of ``present`` then of
    ``owners``: the owner cells as written, a blank one its column's default)."""
    seen: set[int] = set()
    scattered: set[int] = set()
    previous: tuple | None = None  # (the last run's identity: its key, and its owner cells after it if any)
    for cells in chunks:
        count = len(cells[0])
        by_name = {name: [columns.defaults[name]] * count for name in names if name in columns.defaults}
        for name, column in zip(present + owners, cells):
            default = columns.defaults.get(name)
            by_name[name] = column if not default or all(map(str.strip, column)) else [
                cell if cell.strip() else default for cell in column]
        keys = record_keys(by_name, [""] * count)
        # (a row's identity: its key and its owner cells; the key first, so a run is one key and one owner)
        identities = zip(keys, *(by_name[name] for name in owners)) if owners else keys
        runs = list(map(itemgetter(0), groupby(identities)))  # (each run's identity, in C: no loop per row)
        if runs and runs[0] == previous:  # (the run the chunk before ended with, going on)
            del runs[0]
        if not runs:
            continue
        previous = runs[-1]
        digests = list(map(hash, filter(partial(is_not, None), map(itemgetter(0), runs) if owners else runs)))
        # (a key whose runs are two or more: met twice in this chunk's, or in it and in a chunk before)
        met = set(digests)
        if len(met) < len(digests):
            scattered.update(digest for digest, runs_of in Counter(digests).items() if runs_of > 1)
        scattered |= met & seen
        seen |= met
    return scattered


#: the bytes of the file Arrow parses at a time for the pre-read (Arrow's own default)
_KEY_BLOCK = 1 << 20


class NotForArrow(Exception):
    """The file is not one ``_arrow_key_cells`` reads as the import's reader does."""


class Halted(Exception):
    """``arrow_scattered_keys`` stopped before its end (its ``halt`` set)."""


def _arrow_key_cells(path: Path, layout: TableLayout, header_line: int, width: int, at: list[int],
                     halt: threading.Event | None = None) -> Iterator[list[list[str]]]:
    """The cells at ``at`` of a UTF-8 CSV's data rows (past line ``header_line``, ``width`` cells each) that
    start a run of rows (``_run_starts``: the rows repeating the row before's cells left out), one list per
    column a block at a time, read by Arrow (only those columns and rows made Python text); ``halt`` (once
    set) stops it at the next block, raising ``Halted``. ``NotForArrow``
    for another file, one not UTF-8 or with a row not as wide as its header (the import's reader then reads
    it: ``_reader_key_cells``)."""
    import pyarrow as pa  # imported lazily: only CSV imports use it
    import pyarrow.csv as pacsv

    delimiter = layout.delimiter
    if (layout.resolved_format(path.name) != "csv" or codec_for(layout.encoding) != "utf-8-sig"
            or len(delimiter) != 1 or not delimiter.isascii() or delimiter in '"\r\n\x00'):
        raise NotForArrow
    names = [f"f{i}" for i in range(width)]
    pool = read_pool()
    try:
        with pa.OSFile(str(path), memory_pool=pool) as handle:
            batches = pacsv.open_csv(
                handle,
                read_options=pacsv.ReadOptions(skip_rows=header_line, column_names=names, use_threads=False,
                                               block_size=_KEY_BLOCK),
                parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char='"', double_quote=True,
                                                 escape_char=False, newlines_in_values=True,
                                                 ignore_empty_lines=True),
                convert_options=pacsv.ConvertOptions(
                    include_columns=[names[i] for i in at], column_types={names[i]: pa.string() for i in at},
                    strings_can_be_null=False, quoted_strings_can_be_null=False, null_values=[], check_utf8=True),
                memory_pool=pool)
            last: list[str] | None = None
            for batch in batches:
                if halt is not None and halt.is_set():
                    raise Halted
                if batch.num_rows:
                    cells = [batch.column(i) for i in range(len(at))]
                    yield [column.to_pylist() for column in _run_starts(cells, last)]
                    last = [column[-1].as_py() for column in cells]
    except (pa.ArrowInvalid, OSError):  # (a row not as wide as the header among them)
        raise NotForArrow from None


def _run_starts(cells: list, last: list[str] | None) -> list:
    """Of a block's cells ``cells`` (Arrow string arrays, one per column read), the rows where a cell differs
    from the row before, ``last`` the cells of the row before the block (None: the file's first block).
    A row whose cells all equal the row before's has its identity (same cells, same key, same owner cells,
    a blank cell the same default) and cannot start a run, so ``_scattered`` would pass over it: it is
    dropped here, compared in Arrow's kernels, before it becomes Python text or reaches the kind's mapper
    (an outbound's or a receipt's rows are one to four per record, a bill's or a declaration's many)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    count = len(cells[0])
    changed = None
    for column in cells:
        differs = pc.not_equal(column.slice(1), column.slice(0, count - 1))
        changed = differs if changed is None else pc.or_(changed, differs)
    first = last is None or [column[0].as_py() for column in cells] != last
    starts = pa.concat_arrays([pa.array([first]), changed])
    return [column.filter(starts) for column in cells]


def _reader_key_cells(path: Path, layout: TableLayout, at: list[int], chunk_rows: int) -> Iterator[list[list[str]]]:
    """``_arrow_key_cells`` from the import's reader (every column of every row read)."""
    for _, cells, by_index in open_table(path, layout, chunk_rows).column_chunks():
        if by_index is not None:  # (a plain CSV: every row as wide as the header)
            yield [by_index[i] for i in at]
        elif cells:
            yield _columns_at(cells, at)


def _cells_at(chunks: Iterator[tuple[list[int], list[tuple[str, ...]]]], at: list[int]) -> Iterator[list[list[str]]]:
    """``_arrow_key_cells`` of a reader's ``row_chunks``."""
    for _, cells in chunks:
        if cells:
            yield _columns_at(cells, at)


def _columns_at(cells: list[tuple[str, ...]], at: list[int]) -> list[list[str]]:
    """The cells at ``at`` of rows ``cells``, one list per column (a row too short: blank)."""
    return [[row[i] if i < len(row) else "" for row in cells] for i in at]


class SetAside:
    """Rows of scattered records held until the end of the file, in a temporary SQLite file."""

    def __init__(self) -> None:
        # (SQLite's private temporary database: on disk once it outgrows its cache, deleted when closed)
        self._db = sqlite3.connect("")
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("CREATE TABLE held (seq INTEGER PRIMARY KEY, record INTEGER NOT NULL, key TEXT NOT NULL,"
                         " owner TEXT NOT NULL, line INTEGER NOT NULL, row_values TEXT NOT NULL)")
        #: each record's place in the order of first rows (by the key's hash; two keys of one hash are
        #: told apart by the key's text when read back)
        self._records: dict[int, int] = {}

    def add(self, rows: list[tuple[tuple, str, CanonicalRow]]) -> None:
        """Hold ``rows``: (record key, owner, row) each, in file order."""
        records = self._records
        held = []
        for key, owner, row in rows:
            record = records.setdefault(hash(key), len(records))
            held.append((record, json.dumps(key), owner, row.line, json.dumps(row.values)))
        self._db.executemany("INSERT INTO held (record, key, owner, line, row_values) VALUES (?, ?, ?, ?, ?)", held)

    def rows(self) -> Iterator[tuple[str, CanonicalRow]]:
        """(owner, row) of every row held: each record's rows together in file order, records in the order
        of their first rows."""
        self._db.execute("CREATE INDEX held_by_record ON held (record, key, seq)")
        cursor = self._db.execute("SELECT owner, line, row_values FROM held ORDER BY record, key, seq")
        while batch := cursor.fetchmany(1000):
            for owner, line, values in batch:
                yield owner, CanonicalRow(line, json.loads(values))

    def close(self) -> None:
        self._db.close()


def feed_back(held: SetAside, feed: Callable[[CanonicalRow, str], None], store: Callable[[], None],
              chunk_rows: int) -> None:
    """Feed the rows ``held`` to ``feed`` a record at a time, ``store`` after every ``chunk_rows`` rows."""
    fed = 0
    for owner, row in held.rows():
        feed(row, owner)
        fed += 1
        if fed % chunk_rows == 0:
            store()
