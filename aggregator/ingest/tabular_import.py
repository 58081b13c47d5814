"""Import one tabular file (CSV/XLSX) of one kind: read in chunks, attribute, group, map, validate, store.

Each row's owner comes from the row itself (``aggregator.owners.attribution``: what the kind's mapper
finds in ``owner_claims``) unless ``--owner`` names one; a row whose owner cannot be determined is
rejected with the column, value and reason and never stored. A master document that names no owner
(a consolidation consigned to the forwarder's agent) waits for a second pass over the file, after
the house documents naming it are stored, and is stored once for each of their owners.

Rows of one record (one document, declaration, ASN or outbound) are grouped while they are contiguous; a
group is carried across chunk boundaries. Each record is written as in its own SAVEPOINT (records
written one by one share one until one is refused: ``bulk._write_each``) and each chunk commits, so
memory stays bounded by the chunk size and a bad record never takes the rest down; records met once are
written in batches (``aggregator.ingest.bulk``). A record of a kind with lines (receipt, outbound, bill
of lading, customs entry) whose rows are spread over the file (an export sorted by date, SKU, container
or HS code) is found by a read of the key columns before the import, its rows set aside as they are read
and stored whole at the end (``aggregator.ingest.scattered``): the same as if its rows were together. A
key met again that the pre-read did not foresee (a hash collision; a master bill some of whose rows name
an owner while others wait for the second pass) is merged into the stored record (lines appended) and
flagged; for one-row-per-record kinds it is a duplicate and rejected.

Hostile or damaged files: a row holding a control character other than tab, LF or CR (NUL, ESC, …)
is rejected naming the column and the character; a row that repeats the row before it exactly is a
``duplicate_row``, one reject per run of repeats ("lines 12–500011 (…) are duplicates of line 11"),
so a file of one line repeated is read in bounded memory and counted, never stored; a record's group
of rows is written in parts of at most ``chunk_rows``. A receipt, outbound or customs entry longer than that is
decided as a whole when its last part is in (``_Parts``, ``writers.end_of_record``): hashed over all its
rows, its header mapped from the first rows holding each column (an outbound's weight summed over the
parts, a customs entry's documents and containers gathered from all of them), a
stored one's new lines held aside until then, so that it is stored, counted and audited as in one piece;
one whose last step fails is undone (``writers.drop_parts``: a new one removed, a stored one as it was) and
rejected naming its key and file lines. A value too long for its column is judged on what each part adds, as
in one piece: a line's value or a header field's first value in the record's rows too long rejects the whole
record (its parts written before undone), a later row's value of a header field nothing (it is stored nowhere).
Everything stored about a rejected row shows its control characters as ``\\xNN``
(``platform_adapters.tabular.control``), which every database accepts.
"""
from __future__ import annotations

import operator
from array import array
from itertools import chain, compress, islice
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from tempfile import TemporaryFile
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from aggregator.ingest.bulk import write_batch
from aggregator.ingest.registry import TABULAR, TabularKindHandler
from aggregator.ingest.preread import PreRead, file_columns, key_reading
from aggregator.ingest.scattered import SetAside, feed_back, group_key, scattered_keys
from aggregator.ingest.summary import ImportSummary
from aggregator.ingest.writers import (Aggregate, InParts, InUse, drop_parts, end_of_record, error_text,
                                       next_line_no, part_of_record, taken_line_numbers)
from aggregator.owners.attribution import Attribution, OwnerResolver
from aggregator.store.gc_pause import gc_paused
from aggregator.store.models.logistics import ImportRejectRow
from aggregator.store.widths import overlong
from platform_adapters.canonical.common import Problem, Severity
from platform_adapters.profiles import Profile
from platform_adapters.tabular import open_table
from platform_adapters.tabular.columnar import RawHashParts, hash_prefix, raw_hash_of_texts, row_text
from platform_adapters.tabular.columns import ColumnMap
from platform_adapters.tabular.control import describe_control, first_control, visible
from platform_adapters.tabular.plain_csv import PlainScan
from platform_adapters.tabular.rows import CanonicalRow, ReadOptions

SAMPLE_PROBLEMS = 20


#: what the "met before in this file" set holds of a record key: Python's 64-bit hash of the key tuple,
#: for bounded memory (collision odds ~3e-8 at 1M keys; a collision only sends a record through the merge
#: path); the builtin itself, so that a chunk's keys are hashed by ``map`` without a Python call each
_key_hash = hash


@dataclass
class _Parts:
    """A record longer than a chunk while its parts come (``TabularRun.flush_group`` with ``more``)."""

    key: tuple[str, ...]
    owner: str
    hashed: RawHashParts  # over every stored part's accepted rows: the hash of the record in one piece
    missing: list[str]  # the columns no accepted row of the record has held a value in so far
    #: rows the stored parts accepted so far: the next part's lines are numbered after them (a part rejected
    #: whole, too long or refused by the database, numbers none: the record is stored as the file without its
    #: rows would store it)
    accepted: int = 0
    #: the first accepted row holding a value in each column, in file order: they map to the header the
    #: record's rows would (each header field is its first value met)
    witnesses: list[CanonicalRow] = field(default_factory=list)
    sums: dict[str, object] = field(default_factory=dict)  # ``Aggregate.summed`` columns over the parts
    #: ``Aggregate.gathered`` columns over the parts: each item once, in the order the parts name them
    gathered: dict[str, dict[str, None]] = field(default_factory=dict)
    #: the record's values longer than their columns (``_overlong_values``: of its header or of a part's lines),
    #: once a part brought one: the record is rejected whole, as in one chunk (its parts written before undone,
    #: its later rows rejected)
    too_long: list[tuple] | None = None
    written: InParts = field(default_factory=InParts)
    #: the file lines of the rows its parts stored, as runs of consecutive lines (first, last, first, last,
    #: …: one run for a record whose rows are together): what a reject of the whole record names
    #: (``TabularRun._reject_parts``); at most ``held_runs`` runs in memory, the earlier ones written out to
    #: ``spilled`` (a record whose rows alternate with others' has a run per row: memory stays bounded)
    runs: array = field(default_factory=lambda: array("q"))
    held_runs: int = 10_000
    spilled: Any = None  # a temporary file of runs, once more than ``held_runs`` were met
    spilled_runs: int = 0
    stored_rows: int = 0

    def note_lines(self, lines: Iterable[int]) -> None:
        """Add the file lines of rows a part stored to ``runs``."""
        runs = self.runs
        for line in lines:
            if runs and line == runs[-1] + 1:
                runs[-1] = line
            else:
                if len(runs) >= 2 * self.held_runs:
                    if self.spilled is None:
                        self.spilled = TemporaryFile()
                    runs.tofile(self.spilled)
                    self.spilled_runs += len(runs) // 2
                    del runs[:]
                runs.extend((line, line))
            self.stored_rows += 1

    def each_run(self) -> Iterator[tuple[int, int]]:
        """(first, last) file line of each run, in the order met (those written out read back a block at a time)."""
        if self.spilled is not None:
            self.spilled.seek(0)
            for start in range(0, self.spilled_runs, self.held_runs):
                block = array("q")
                block.fromfile(self.spilled, 2 * min(self.held_runs, self.spilled_runs - start))
                yield from zip(block[0::2], block[1::2])
        yield from zip(self.runs[0::2], self.runs[1::2])

    def close(self) -> None:
        """Drop the runs (their temporary file deleted)."""
        if self.spilled is not None:
            self.spilled.close()
            self.spilled = None
        del self.runs[:]


class _ChunkSink:
    """Collects the problems of one chunk and writes them with the chunk's transaction."""

    def __init__(self, import_pk: int, summary: ImportSummary) -> None:
        self.import_pk = import_pk
        self.summary = summary
        self.rows: list[dict] = []

    def add(self, problems, raw_by_line: dict[int, dict] | None = None, owner_id: str | None = None) -> None:
        """``raw_by_line``: each line's cell texts as read; what is stored of a rejected one is cut and made visible."""
        rejected_lines = set()
        for problem in problems:
            line = _line_of(problem.location)
            error = problem.severity is Severity.ERROR
            if error:
                if line not in rejected_lines:
                    rejected_lines.add(line)
            else:
                self.summary.warnings += 1
            self.summary.problem_counts[problem.code] += 1
            if len(self.summary.sample_problems) < SAMPLE_PROBLEMS:
                self.summary.sample_problems.append(problem)
            self.rows.append({
                "import_file_pk": self.import_pk, "severity": problem.severity.value, "line": line,
                "column": visible(problem.field) if problem.field is not None else None,
                "value": visible(problem.value)[:500] if problem.value is not None else None,
                "code": problem.code, "reason": visible(problem.message),
                "raw_row": _truncated((raw_by_line or {}).get(line)) if error else None, "owner_id": owner_id,
            })
        self.summary.rows_rejected += len(rejected_lines)

    def flush(self, session: Session) -> None:
        if self.rows:
            session.execute(insert(ImportRejectRow), self.rows)
            self.rows = []


def _store_failed(exc: Exception) -> str:
    """A ``store_failed`` problem's reason: the database's error, its first line."""
    return f"could not be stored: {error_text(exc)}"


def _lines_text(first: int, last: int) -> str:
    """"line 5" or "lines 5–9"."""
    return f"line {first}" if first == last else f"lines {first}–{last}"


def _line_of(location: str | None) -> int | None:
    if location and ":" in location:
        tail = location.rsplit(":", 1)[1]
        if tail.isdigit():
            return int(tail)
    return None


def _truncated(values: dict[str, str] | None, limit: int = 2000) -> dict[str, str] | None:
    if values is None:
        return None
    return {visible(k): visible(v if len(v) <= limit else v[:limit] + f"… ({len(v)} chars)")
            for k, v in values.items() if v}


def _overlong_values(agg: Aggregate, header: bool = True, children: bool = True) -> list[tuple]:
    """(table, column, length, width, value) of each text of ``agg`` longer than its column holds
    (``store.widths``): of its header (``header``) and of its child rows (``children``)."""
    found = [(agg.model.__table__, column, length, width, agg.values[column])
             for column, length, width in overlong(agg.model.__table__, agg.values)] if header else []
    for model, _, rows in agg.children if children else ():
        found.extend((model.__table__, column, length, width, row[column])
                     for row in rows for column, length, width in overlong(model.__table__, row))
    return found


def _too_long_text(table: Any, column: str, length: int, width: int) -> str:
    """The reason of a ``too_long`` reject: a value too long rejects its whole record, in one chunk or in parts."""
    return f"{length} characters: the column {table.name}.{column} holds {width}; the record is not stored"


def _shown(value: str) -> str:
    """A too-long value as a reject shows it: at most 80 characters."""
    return value if len(value) <= 80 else value[:80] + "…"


def _unattributed(attribution: Attribution, columns: ColumnMap, location: str) -> Problem:
    return Problem(attribution.code, attribution.reason,
                   field=columns.source_name(attribution.column) if attribution.column else None,
                   value=attribution.value, location=location)


def reads_columns(kind: str, bulk: bool) -> bool:
    """Whether ``import_tabular`` reads a file of ``kind`` column by column (``columnar_import``)."""
    return bulk and TABULAR[kind].columnar is not None


def import_tabular(session: Session, *, import_pk: int, path: Path, kind: str, profile: Profile,
                   owner_id: str | None, summary: ImportSummary, chunk_rows: int = 10_000,
                   progress: Callable[[int], None] | None = None, bulk: bool = True,
                   plain_scan: PlainScan | None = None, pre_read: PreRead | None = None) -> None:
    """Read, map and store ``path``. Raises TabularError for file-level problems (nothing stored then).

    ``owner_id``: every row is that owner's (checked to exist); None: each row's owner comes from the row.
    ``bulk=False``: every row through the per-row mapper and every record through the per-record upsert
    (``aggregator.ingest.bulk.write_batch``): the reference the fast paths are checked against. With
    ``bulk`` a kind that has a columnar mapper (``TabularKindHandler.columnar``) is read chunk by chunk,
    column by column (``aggregator.ingest.columnar_import``). ``plain_scan``: the file's ``plain_data`` being
    found already (``plain_csv.PlainScan``, started by the runner); ``pre_read``: the scattered records'
    pre-read under way (``preread.PreRead``, started by the runner).
    """
    run = TabularRun(session, import_pk=import_pk, path=path, kind=kind, profile=profile, owner_id=owner_id,
                     summary=summary, chunk_rows=chunk_rows, bulk=bulk, plain_scan=plain_scan, pre_read=pre_read)
    try:
        with gc_paused():  # a file's chunks hold hundreds of thousands of short-lived objects, none in cycles
            if reads_columns(kind, bulk):
                from aggregator.ingest.columnar_import import ColumnarReader

                ColumnarReader(run).read(progress)
            else:
                run.read(progress)
        if run.deferred:
            _second_pass(path, profile, run.columns, run.deferred, run.resolver, run.handler, run.sink,
                         run.feed, run.finish_pending, chunk_rows)
    finally:
        run.close()  # (an import stopped half-way: its temporary files closed now, not when collected)


class TabularRun:
    """The state of one tabular import: reading options, owners, keys met, the batch of records met once,
    the group of rows being gathered; and the per-row path through all of it."""

    def __init__(self, session: Session, *, import_pk: int, path: Path, kind: str, profile: Profile,
                 owner_id: str | None, summary: ImportSummary, chunk_rows: int, bulk: bool,
                 plain_scan: PlainScan | None = None, pre_read: PreRead | None = None) -> None:
        self.session, self.path, self.kind, self.summary = session, path, kind, summary
        self.chunk_rows, self.bulk = chunk_rows, bulk
        self.handler: TabularKindHandler = TABULAR[kind]
        self.reader = open_table(path, profile.layout, chunk_rows, plain_scan)
        try:
            self._start(session, import_pk, path, kind, profile, owner_id, summary, chunk_rows, pre_read)
        except BaseException:  # (a header the profile does not fit, a workbook failing in the pre-read: the
            self.reader.close()  # file closed now, not when the run is collected)
            raise

    def _start(self, session: Session, import_pk: int, path: Path, kind: str, profile: Profile,
               owner_id: str | None, summary: ImportSummary, chunk_rows: int, pre_read: PreRead | None) -> None:
        """``__init__`` once the reader is open: the columns, the reading options, the records spread."""
        self.columns = file_columns(self.reader.header, kind, profile, path.name)
        self.base_options = ReadOptions(
            filename=path.name, timezone=profile.timezone, date_formats=profile.date_formats,
            datetime_formats=profile.datetime_formats, true_values=profile.true_values,
            false_values=profile.false_values, owner_id=None, source_name=self.columns.source_name)
        self.per_owner: dict[str, ReadOptions] = {}
        self.resolver = OwnerResolver(session, override=owner_id)
        self.max_chars = profile.max_field_chars
        self.seen: set[int] = set()
        self.sink = _ChunkSink(import_pk, summary)
        self.batch: list[tuple] = []  # (aggregate, accepted lines, problems, raw rows) of records met once so far
        #: writes of records a faster path gathered (``flush_batch`` writes them first)
        self.before_flush: list[Callable[[], None]] = []
        self.deferred: set[int] = set()
        self.repeats = _Repeats(path.name, self.sink, summary)
        #: the canonical columns in a fixed order: what a record's source-row hash covers
        self.hash_columns = tuple(sorted({*self.columns.indexes, *self.columns.defaults}))
        self.version = getattr(self.handler.mapper, "MAPPING_VERSION", 1)
        self._prefixes: dict[tuple[str, int], str] = {}
        self.pending: list[CanonicalRow] = []
        self.pending_key: tuple[str, ...] | None = None
        self.pending_owner = ""
        self.pending_continued = False  # part of the pending record is already written
        #: the record being written in parts, for kinds whose records are decided whole (receipts, outbounds)
        self.parts: _Parts | None = None
        self.whole_parts = (self.handler.lines is not None and self.handler.columnar is not None
                            and self.handler.columnar.whole)
        #: hashes of the record keys (whatever the owner: ``scattered.group_key``) whose rows are spread over
        #: the file: their rows are set aside (``held``) and stored at the end, each record's together
        self.scattered: set[int] = set()
        if self.handler.lines is not None:
            header_line, header = self.reader.header_line, self.reader.header
            ahead = None if pre_read is None else lambda: pre_read.result(header_line, header)
            self.scattered = scattered_keys(path, profile.layout, header_line, len(header), self.columns,
                                            *key_reading(kind, owner_id), chunk_rows, self.reader, ahead)
        self.held: SetAside | None = None

    def close(self) -> None:
        """Close what an import stopped half-way left open: a record's parts (their runs' temporary file),
        the rows set aside (their temporary database)."""
        parts, self.parts = self.parts, None
        if parts is not None:
            parts.close()
        held, self.held = self.held, None
        if held is not None:
            held.close()

    def options_for(self, owner: str) -> ReadOptions:
        if owner not in self.per_owner:
            self.per_owner[owner] = replace(self.base_options, owner_id=owner)
        return self.per_owner[owner]

    def hash_prefix(self, owner: str, offset: int) -> str:
        found = self._prefixes.get((owner, offset))
        if found is None:
            found = self._prefixes[(owner, offset)] = hash_prefix(
                self.kind, self.version, self.base_options, owner, offset, self.hash_columns)
        return found

    def source_hash(self, rows: list[CanonicalRow], lines: tuple[int, ...], owner: str, offset: int) -> str:
        """``raw_hash`` of the accepted ``lines`` of ``rows``."""
        return raw_hash_of_texts(self.hash_prefix(owner, offset), self.row_texts(rows, lines))

    def row_texts(self, rows: list[CanonicalRow], lines: tuple[int, ...]) -> list[str]:
        """The ``row_text`` of the accepted ``lines`` of ``rows``: what their hash covers."""
        accepted = set(lines)
        columns = self.hash_columns
        return [row_text(tuple(row.values.get(c, "") for c in columns)) for row in rows if row.line in accepted]

    # -- writing ----------------------------------------------------------------------------------

    def flush_batch(self) -> None:
        """Write the batched records (one multi-row insert for the new ones) and report their problems."""
        for write in self.before_flush:
            write()
        batch, summary, sink = self.batch, self.summary, self.sink
        if not batch:
            return
        store_errors: dict[int, str] = {}

        def on_result(index: int, outcome, error: str | None) -> None:
            if outcome is not None:
                summary.count(outcome.value)
            else:
                store_errors[index] = error

        too_long = {index: found for index, item in enumerate(batch) if (found := self.overlong(item[0], item[1]))}
        if too_long:
            for index in too_long:
                agg, lines, problems, raw_by_line = batch[index]
                sink.add(problems + too_long[index], raw_by_line, agg.values["owner_id"])
            batch = [item for index, item in enumerate(batch) if index not in too_long]
            self.batch.clear()
        write_batch(self.session, [item[0] for item in batch], on_result, bulk=self.bulk)
        for index, (agg, lines, problems, raw_by_line) in enumerate(batch):
            if index in store_errors:
                problems = problems + [Problem("store_failed", f"could not be stored: {store_errors[index]}",
                                               location=f"{self.path.name}:{line}") for line in lines]
            else:
                summary.owners[agg.values["owner_id"]] += 1
            sink.add(problems, raw_by_line, agg.values["owner_id"])
        batch.clear()

    def overlong(self, agg: Aggregate, lines: Sequence[int]) -> list[Problem]:
        """A ``too_long`` problem at each of ``lines`` for each value of ``agg`` (header or child row) longer
        than its column holds (``store.widths``): the record is rejected, the same on SQLite (which would
        store it whole) and PostgreSQL (which would refuse the whole batch)."""
        return self.too_long(_overlong_values(agg), lines)

    def too_long(self, found: list[tuple], lines: Sequence[int]) -> list[Problem]:
        """A ``too_long`` problem at each of ``lines`` for each of ``found`` (``_overlong_values``)."""
        return [Problem("too_long", _too_long_text(table, column, length, width), field=column,
                        value=_shown(value), location=f"{self.path.name}:{line}")
                for line in lines for table, column, length, width, value in found]

    def flush_group(self, key: tuple[str, ...] | None, rows: list[CanonicalRow], owner: str,
                    continued: bool = False, more: bool = False) -> None:
        """Map and store one record's rows (``continued``: more rows of the record just written in part;
        ``more``: the record's rows go on after these)."""
        if self.parts is not None:
            if continued and self.parts.key == key and self.parts.owner == owner:
                self._part(rows, more)
                return
            self._end_parts()  # (never left open: its last part is the one not followed by ``more``)
        if key is not None and self.whole_parts:
            if more and not continued and _key_hash(key) not in self.seen:
                self.flush_batch()  # (the records before it are written first, as they are met)
                self.seen.add(_key_hash(key))
                self.parts = _Parts(key, owner, RawHashParts(self.hash_prefix(owner, 0)), list(self.hash_columns),
                                    held_runs=self.chunk_rows)
                self._part(rows, more)
                return
        handler, sink, path = self.handler, self.sink, self.path
        raw_by_line = {row.line: row.values for row in rows}  # cut only for the rows rejected
        append, offset, extra = False, 0, []
        if key is not None:
            digest = _key_hash(key)
            if digest in self.seen or continued:
                if handler.lines is None:
                    sink.add([Problem("duplicate_key", "same record key as an earlier row of this file",
                                      location=f"{path.name}:{row.line}") for row in rows], raw_by_line, owner)
                    return
                self.flush_batch()  # the earlier rows of this record must be stored before lines are added
                append = True
                model, parent_col, header_model = handler.lines
                offset = next_line_no(self.session, model, parent_col, header_model,
                                      dict(zip(handler.key_columns, key)))
                if not continued:
                    extra.append(Problem("rows_not_contiguous", "rows of this record are not contiguous in the "
                                         "file; merged with the rows met earlier", Severity.WARNING,
                                         location=f"{path.name}:{rows[0].line}"))
            self.seen.add(digest)
        result = handler.mapper.map_rows(rows, self.options_for(owner), offset)
        problems = list(result.problems) + extra
        if result.record is None:
            sink.add(problems, raw_by_line, owner)
            return
        content = self.source_hash(rows, result.accepted_lines, owner, offset)
        if not append:
            self.batch.append((handler.aggregate(result.record, content), result.accepted_lines, problems,
                               raw_by_line))
            return
        too_long = self.overlong(handler.aggregate(result.record, content), result.accepted_lines)
        if too_long:
            sink.add(problems + too_long, raw_by_line, owner)
            return
        try:
            with self.session.begin_nested():
                outcome = handler.write(self.session, result.record, append=True, raw_hash=content)
            self.summary.count(outcome.outcome.value)
            self.summary.owners[owner] += 1
        except (SQLAlchemyError, ValueError, TypeError) as exc:
            reason = _store_failed(exc)
            problems.extend(Problem("store_failed", reason, location=f"{path.name}:{line}")
                            for line in result.accepted_lines)
        sink.add(problems, raw_by_line, owner)

    def _part(self, rows: list[CanonicalRow], more: bool) -> None:
        """One part of the record in parts: mapped with its lines numbered after the rows of the parts stored
        before, its lines written (``writers.part_of_record``), its rows hashed and looked over for the header;
        after the last part (not ``more``) the record is decided (``_end_parts``). A part rejected whole (the
        database refusing it, each of its rows rejected on its own) is not written and adds nothing to the
        record, as if the file did not hold its rows.

        Too long is judged as for the record in one chunk (``overlong``) on what the part adds to the record:
        its lines, and the header fields its rows are the first to hold (a header field is its first value
        in the record's rows: a longer value on a later row is stored nowhere and rejects nothing). A value
        too long, of the header or of a line, rejects the whole record, as in one chunk: its parts written
        before are undone and rejected (``_reject_parts``), this part's rows and every later one's rejected
        ``too_long``."""
        parts, handler = self.parts, self.handler
        raw_by_line = {row.line: row.values for row in rows}
        offset = parts.accepted
        result = handler.mapper.map_rows(rows, self.options_for(parts.owner), offset)
        problems = list(result.problems)
        if result.record is not None:
            agg = handler.aggregate(result.record, "")  # (a new record's hash is set by its last part)
            lines = result.accepted_lines
            witnesses, missing = self._witnesses(parts, rows, lines)
            header = parts.too_long if parts.too_long is not None else self._header_too_long(parts, witnesses)
            own = _overlong_values(agg, header=False)  # (this part's lines)
            rejected = {_line_of(problem.location) for problem in problems if problem.severity is Severity.ERROR}
            if header or own:  # (a value too long anywhere in the record rejects all of it, as in one chunk)
                problems.extend(self.too_long(header + own, lines))
                if parts.too_long is None:
                    parts.too_long = header + own
                    self._reject_written(parts)
            elif not rejected.issuperset(lines):  # (a part written keeps a row: ``_reject_parts``)
                try:
                    with self.session.begin_nested():
                        part_of_record(self.session, parts.written, agg)
                except (SQLAlchemyError, ValueError, TypeError) as exc:
                    refused, stored = self._repeated(rows, lines, offset, agg, exc)
                    problems.extend(refused)  # (line numbers an earlier part has: those rows rejected, the others stored)
                    if not stored:
                        agg = None
                if agg is not None:  # (a part rejected, too long or refused, adds nothing: not even to the numbering)
                    parts.accepted += len(lines)
                    self._note_part(parts, rows, lines, agg, witnesses, missing)
                    left_out = {_line_of(problem.location) for problem in problems if problem.severity is Severity.ERROR}
                    parts.note_lines(line for line in lines if line not in left_out)
        self.sink.add(problems, raw_by_line, parts.owner)
        if not more:
            self._end_parts()

    def _witnesses(self, parts: _Parts, rows: list[CanonicalRow],
                   lines: tuple[int, ...]) -> tuple[list[CanonicalRow], list[str]]:
        """The accepted rows of a part (``lines`` of ``rows``) that are the first of the record to hold a value
        in a column none held before (``_Parts.witnesses``), and the columns still held by none after them."""
        missing, found = parts.missing, []
        if missing:
            accepted = set(lines)
            for row in rows:
                if row.line in accepted and any(row.values.get(c, "").strip() for c in missing):
                    found.append(row)
                    missing = [c for c in missing if not row.values.get(c, "").strip()]
                    if not missing:
                        break
        return found, missing

    def _header_too_long(self, parts: _Parts, witnesses: list[CanonicalRow]) -> list[tuple]:
        """The values of the record's header (mapped from its witnesses as ``_end_parts`` maps it) longer than
        their columns, when a part's rows are the first to hold some column (``witnesses``); [] otherwise: the
        header's other fields are the earlier parts' values, found fitting then."""
        if not witnesses:
            return []
        result = self.handler.mapper.map_rows([*parts.witnesses, *witnesses], self.options_for(parts.owner), 0)
        if result.record is None:  # (not judged here: ``_end_parts`` rejects a header not mapped)
            return []
        return _overlong_values(self.handler.aggregate(result.record, ""), children=False)

    def _reject_written(self, parts: _Parts) -> None:
        """The record's header is too long (``parts.too_long``): what its parts wrote before is undone and their
        rows rejected ``too_long`` (``_reject_parts``); nothing more of it is written."""
        if parts.written.pk is None:
            return
        self._reject_parts(parts, "", too_long=parts.too_long)
        parts.close()
        parts.written, parts.stored_rows, parts.spilled_runs = InParts(), 0, 0

    def _repeated(self, rows: list[CanonicalRow], lines: tuple[int, ...], offset: int, agg: Aggregate,
                  exc: Exception) -> tuple[list[Problem], bool]:
        """For a part refused by the database (``exc``): (problems, whether the part is stored). When some of
        its line numbers are those of an earlier part of the record, the part stored without them (``agg``'s
        lines taken out) and a ``duplicate_line_no`` problem at each row that has one (each accepted row
        mapped alone, numbered as in the part), as the record in one piece rejects them; else the part is
        refused: a ``store_failed`` problem at each accepted row, naming why (also when a row mapped alone
        gives no record or not one line: which of its rows repeat a line number is then not known)."""
        path, reason = self.path.name, _store_failed(exc)

        def refused(why: str = "") -> tuple[list[Problem], bool]:
            return [Problem("store_failed", reason + why, location=f"{path}:{line}") for line in lines], False

        taken = taken_line_numbers(self.session, self.parts.written, agg)
        if not taken:
            return refused()
        accepted = set(lines)
        options, column = self.options_for(self.parts.owner), self.columns.source_name("line_no")
        numbered = []  # (file line, line number) of each accepted row
        for index, row in enumerate(row for row in rows if row.line in accepted):
            alone = self.handler.mapper.map_rows([row], options, offset + index)
            children = [] if alone.record is None else \
                [line for _, _, child_rows in self.handler.aggregate(alone.record, "").children for line in child_rows]
            if len(children) != 1:
                got = "no record" if alone.record is None else f"{len(children)} lines"
                return refused(f"; line {row.line} mapped alone gives {got}, so the rows repeating a line number "
                               "of an earlier part of this record cannot be told apart (the part is not stored)")
            numbered.append((row.line, children[0]["line_no"]))
        agg.children = [(model, parent_col, [row for row in child_rows if row["line_no"] not in taken])
                        for model, parent_col, child_rows in agg.children]
        try:
            with self.session.begin_nested():
                part_of_record(self.session, self.parts.written, agg)
        except (SQLAlchemyError, ValueError, TypeError):
            return refused()
        return [Problem("duplicate_line_no", f"line_no {line_no} repeats a line of an earlier part of this record",
                        Severity.ERROR, column, str(line_no), f"{path}:{line}")
                for line, line_no in numbered if line_no in taken], True

    def _note_part(self, parts: _Parts, rows: list[CanonicalRow], lines: tuple[int, ...], agg: Aggregate,
                   witnesses: list[CanonicalRow], missing: list[str]) -> None:
        """What the record as a whole needs of a stored part: its rows' texts hashed, the rows holding a
        column first (``_witnesses``), its summed columns added."""
        parts.hashed.add(self.row_texts(rows, lines))
        parts.witnesses.extend(witnesses)
        parts.missing = missing
        for name in agg.summed:
            if agg.values[name] is not None:
                parts.sums[name] = parts.sums.get(name, 0) + agg.values[name]
        for name in agg.gathered:
            parts.gathered.setdefault(name, {}).update(dict.fromkeys(agg.values[name].split(" ") if agg.values[name] else ()))

    def _end_parts(self) -> None:
        """Decide the record in parts (``writers.end_of_record``) and count it once; a record that cannot be
        decided (its header not mapped, the database refusing) is rejected whole (``_reject_parts``). Its
        runs' temporary file is closed whatever the deciding or the reject raises."""
        parts, self.parts = self.parts, None
        try:
            if parts.written.pk is None:  # (no part stored)
                return
            failed = None  # (why it is rejected: rejected outside the ``try``, once, whatever it raises)
            try:
                result = self.handler.mapper.map_rows(parts.witnesses, self.options_for(parts.owner), 0)
                if result.record is None:
                    why = "; ".join(problem.message for problem in result.problems) or "they give no record"
                    failed = f"its header could not be mapped from its rows: {why}"
                else:
                    agg = self.handler.aggregate(result.record, parts.hashed.hexdigest())
                    for name in agg.summed:
                        agg.values[name] = parts.sums.get(name)
                    for name in agg.gathered:
                        agg.values[name] = " ".join(parts.gathered.get(name, ()))
                    with self.session.begin_nested():
                        outcome = end_of_record(self.session, parts.written, agg)
            except (SQLAlchemyError, ValueError, TypeError) as exc:
                failed = _store_failed(exc)
            if failed is not None:
                self._reject_parts(parts, failed)
                return
            self.summary.count(outcome.outcome.value)
            self.summary.owners[parts.owner] += 1
        finally:
            parts.close()

    def _reject_parts(self, parts: _Parts, reason: str, too_long: list[tuple] | None = None) -> None:
        """Reject a record in parts whose last step failed: what its parts wrote is undone
        (``writers.drop_parts``: a new record gone, a stored one as it was) and a ``store_failed`` reject
        names the record, the file lines of the rows its parts stored (one reject per run of consecutive
        lines, every row counted; there is one: ``_part`` writes no part that keeps no row) and ``reason``; the
        rows of earlier chunks are no longer held, so only the rows holding its header keep their cells in the
        reject. ``too_long``: the record's values too long for their columns (``_Parts.too_long``: of its
        header or of a line): a ``too_long`` reject per run for each of them instead, naming its field
        (``reason`` unused)."""
        said = ""  # (what undoing the parts met, added to each reason)
        try:
            with self.session.begin_nested():
                drop_parts(self.session, parts.written)
        except InUse as exc:  # (taken over by another import of it: what is stored is that import's)
            if too_long is not None or str(exc) not in reason:  # (said already when that is why its last step failed)
                said = f"; {exc}"
        except (SQLAlchemyError, ValueError, TypeError) as exc:
            said = f"; what its parts wrote could not be removed ({_store_failed(exc)}): import the file again"
        why = [("store_failed", reason + said, None, None)] if too_long is None else [
            ("too_long", f"{_too_long_text(table, column, length, width)}{said}", column,
             _shown(value))
            for table, column, length, width, value in too_long]
        record = ", ".join(f"{'owner' if name == 'owner_id' else self.columns.source_name(name)} {value}"
                           for name, value in zip(self.handler.key_columns, parts.key))
        runs, count, raw_by_line = parts.runs, parts.stored_rows, {row.line: row.values for row in parts.witnesses}
        each, n_runs = parts.each_run(), parts.spilled_runs + len(runs) // 2
        extra = count - n_runs  # (the reject of a run of lines counts each of its rows, as ``_Repeats`` does)
        self.summary.rows_rejected += extra
        for code, *_ in why:
            self.summary.problem_counts[code] += extra
        head = next(each)  # (runs come in file order: the first run's first line is the record's first, the last's last)
        whole = f"the record ({record}) is not stored, {count} rows over {_lines_text(head[0], runs[-1])} of the file"
        many, each = n_runs > 1, chain([head], each)
        while block := list(islice(each, self.chunk_rows)):  # (rejects written a chunk's worth at a time)
            self.sink.add([Problem(code, whole + (f" (here {_lines_text(first, last)})" if many else "") + f": {text}",
                                   field=field_name, value=value, location=f"{self.path.name}:{first}")
                           for first, last in block for code, text, field_name, value in why],
                          raw_by_line, parts.owner)
            self.sink.flush(self.session)

    def end_chunk(self, progress: Callable[[int], None] | None) -> None:
        self.close_chunk()
        self.store_chunk()
        if progress:
            progress(self.summary.rows_read)

    def close_chunk(self, repeats: bool = True) -> None:
        """What the chunk read last has to report: a run of repeats ending in it (unless ``repeats`` is False:
        the chunk is a part of one of ``chunk_rows``, ``columnar_import.ramp``), rows set aside."""
        if repeats:
            self.repeats.close()  # a run of repeats is reported with the chunk it ends in
        self.reject_misshapen()

    def store_chunk(self) -> None:
        """Write what the chunk gathered (records, rejects) and commit (``columnar_import`` runs it while
        the next chunk is read)."""
        self.flush_batch()
        self.sink.flush(self.session)
        self.session.commit()

    # -- the per-row path -------------------------------------------------------------------------

    def feed(self, row: CanonicalRow, owner: str) -> None:
        """Group contiguous rows of one record (same key, hence same owner) and flush each group; a group
        longer than a chunk is written in parts (memory stays bounded by the chunk size). A row of a record
        spread over the file is set aside for the end."""
        key = self.handler.mapper.record_key(row.values, owner)
        if key is not None and self.scattered and self.spread(group_key(self.handler.mapper, row.values)):
            self.set_aside([(key, owner, row)])
            return
        if key is not None and key == self.pending_key:
            if len(self.pending) >= self.chunk_rows:
                self.flush_group(self.pending_key, self.pending, self.pending_owner, self.pending_continued, more=True)
                self.flush_batch()
                self.pending, self.pending_continued = [], True
            self.pending.append(row)
            return
        if self.pending:
            self.flush_group(self.pending_key, self.pending, self.pending_owner, self.pending_continued)
        self.pending_continued = False
        if key is None:
            self.flush_group(None, [row], owner)  # the mapper explains which key value is missing
            self.pending, self.pending_key = [], None
        else:
            self.pending, self.pending_key, self.pending_owner = [row], key, owner

    def spread(self, group: tuple | None) -> bool:
        """Whether the record of ``group`` (``scattered.group_key``) has its rows spread over the file."""
        return group is not None and hash(group) in self.scattered

    def set_aside(self, rows: list[tuple[tuple, str, CanonicalRow]]) -> None:
        """Hold rows of records spread over the file, (record key, owner, row) each, for ``finish_pending``."""
        if self.held is None:
            self.held = SetAside()
        self.held.add(rows)

    def reject_misshapen(self) -> None:
        """Reject the CSV rows the reader set aside since last asked (cells that do not fit the header)."""
        for problem, cells in self.reader.take_problems():
            self.summary.rows_read += 1
            self.sink.add([problem], {_line_of(problem.location): cells})

    def finish_pending(self) -> None:
        """Store the last group, then the records set aside (each one's rows together, a chunk's worth of
        rows committed at a time), and commit."""
        self.reject_misshapen()  # (rows set aside after the last chunk handed out: no chunk ends with them)
        self._flush_pending()
        if self.held is not None:
            held, self.held, self.scattered = self.held, None, set()
            try:
                feed_back(held, self.feed, self.store_chunk, self.chunk_rows)
            finally:
                held.close()
            self._flush_pending()
        if self.parts is not None:
            self._end_parts()
        self.flush_batch()
        self.sink.flush(self.session)
        self.session.commit()

    def _flush_pending(self) -> None:
        if self.pending:
            self.flush_group(self.pending_key, self.pending, self.pending_owner, self.pending_continued)
        self.pending, self.pending_key, self.pending_continued = [], None, False

    def rejected_row(self, row: CanonicalRow) -> bool:
        """A row with a field too long or a control character: rejected naming the columns (True)."""
        problems = self.row_problems(row)
        if problems:
            self.sink.add(problems, {row.line: row.values})
        return bool(problems)

    def row_problems(self, row: CanonicalRow) -> list[Problem]:
        """Why ``rejected_row`` rejects ``row`` (a field too long, or a control character: a problem a column),
        or nothing."""
        values, path, columns, max_chars = row.values, self.path, self.columns, self.max_chars
        too_long = [c for c, v in values.items() if len(v) > max_chars]
        if too_long:
            return [Problem("field_too_long", f"field has {len(values[c])} characters (limit {max_chars})",
                            field=columns.source_name(c), value=values[c][:80] + "…",
                            location=f"{path.name}:{row.line}") for c in too_long]
        controls = [(c, char) for c, v in values.items() if (char := first_control(v)) is not None] \
            if first_control("".join(values.values())) is not None else []  # one search for a clean row
        return [Problem("control_character", f"holds the control character {describe_control(char)} "
                        "(a damaged or broken export); the row is not stored",
                        field=columns.source_name(c), value=values[c][:200],
                        location=f"{path.name}:{row.line}") for c, char in controls]

    def attributed(self, row: CanonicalRow, attribution: Attribution) -> str | None:
        """The row's owner; a row waiting for the second pass is noted, one without owner rejected (None)."""
        if attribution.deferred:
            self.deferred.add(row.line)
        elif not attribution.owners:
            self.sink.add([_unattributed(attribution, self.columns, f"{self.path.name}:{row.line}")],
                          {row.line: row.values})
        else:
            return attribution.owners[0]
        return None

    def read(self, progress: Callable[[int], None] | None) -> None:
        """The whole file, row by row."""
        columns, owner_claims = self.columns, self.handler.mapper.owner_claims
        given = self.resolver.override is not None  # (an owner given: nothing looked up)
        for chunk in self.reader.chunks():
            # the chunk's rows, and the claims of those holding nothing to reject: the stored records they name
            # read together (``OwnerResolver.look_up``), before the rows are fed in turn
            rows = [CanonicalRow(source_row.line, columns.row(source_row.cells)) for source_row in chunk]
            problems = list(map(self.row_problems, rows))
            claims = [None if found or given else owner_claims(row.values) for row, found in zip(rows, problems)]
            if not given:
                self.resolver.look_up(filter(None, claims), final=False)
            for source_row, row, found, row_claims in zip(chunk, rows, problems, claims):
                self.summary.rows_read += 1
                if self.repeats.seen(source_row.line, source_row.cells):
                    continue
                if found:
                    self.sink.add(found, {row.line: row.values})
                    continue
                owner = self.attributed(row, self.resolver.resolve(row_claims or (), final=False))
                if owner is not None:
                    self.feed(row, owner)
            self.end_chunk(progress)
        self.finish_pending()


class _Repeats:
    """Rows that repeat the row before them exactly: ``duplicate_row``, one reject per run of repeats."""

    def __init__(self, filename: str, sink: _ChunkSink, summary: ImportSummary) -> None:
        self.filename, self.sink, self.summary = filename, sink, summary
        self.previous: tuple[str, ...] | None = None
        self.original = self.first = self.last = self.count = 0

    def seen(self, line: int, cells: tuple[str, ...]) -> bool:
        """True when this row repeats the one before (it is then counted, not processed)."""
        if cells == self.previous:
            if not self.count:
                self.first = line
            self.last, self.count = line, self.count + 1
            return True
        self.close()
        self.previous, self.original = cells, line
        return False

    def kept(self, lines: list[int], cells: list[tuple[str, ...]]) -> list[int]:
        """The positions of the rows that do not repeat the row before (``seen`` for each row, in one pass)."""
        if not cells:
            return []
        if not self.count and not any(map(operator.eq, cells, [self.previous, *cells[:-1]])):
            self.previous, self.original = cells[-1], lines[-1]
            return list(range(len(cells)))
        return [i for i, (line, row) in enumerate(zip(lines, cells)) if not self.seen(line, row)]

    def kept_columns(self, lines: list[int], by_index: list[list[str]]) -> tuple[list[int], list[tuple[str, ...]] | None]:
        """``kept`` for cells given as one list per column: the rows equal to the one before are found
        column by column, and the cells are made into rows only when there are some (then also answered)."""
        count = len(lines)
        if not count:
            return [], None
        # rows that may repeat the row before (and those rows): equal so far in every column
        maybe: Sequence[int] = range(1, count)
        before: Sequence[int] = range(count - 1)
        # (the same rows whatever the order: the columns that differ most often between the first rows'
        # neighbours first, so the candidates shrink soonest; a record's header columns repeat row to row)
        sample = min(count, 65)
        for column in sorted(by_index, key=lambda column: sum(map(operator.eq, column[1:sample], column[:sample - 1]))):
            if not maybe:
                break
            same = list(map(operator.eq, map(column.__getitem__, maybe), map(column.__getitem__, before)))
            maybe, before = list(compress(maybe, same)), list(compress(before, same))
        first = tuple(column[0] for column in by_index)
        if not maybe and not self.count and first != self.previous:
            self.previous, self.original = tuple(column[-1] for column in by_index), lines[-1]
            return list(range(count)), None
        cells = list(zip(*by_index))
        return self.kept(lines, cells), cells

    def close(self) -> None:
        """Report the run of repeats seen so far, if any (a run continuing past a chunk is reported in parts)."""
        if not self.count:
            return
        if self.count == 1:
            message = f"duplicate of line {self.original}"
        else:
            message = f"lines {self.first}–{self.last} ({self.count} rows) are duplicates of line {self.original}"
        self.sink.add([Problem("duplicate_row", message, location=f"{self.filename}:{self.first}")])
        self.summary.rows_rejected += self.count - 1  # the reject above counted one row
        self.summary.problem_counts["duplicate_row"] += self.count - 1
        self.count = 0


def _second_pass(path: Path, profile: Profile, columns: ColumnMap, lines: set[int], resolver: OwnerResolver,
                 handler: TabularKindHandler, sink: _ChunkSink, feed, finish_pending, chunk_rows: int) -> None:
    """Rows whose owners are those of the house documents stored in the first pass: each is stored once
    per owner (rows regrouped per owner so that a record's rows stay contiguous), or rejected."""
    by_owner: dict[str, list[CanonicalRow]] = {}
    for chunk in open_table(path, profile.layout, chunk_rows).chunks():
        deferred = [CanonicalRow(source_row.line, columns.row(source_row.cells)) for source_row in chunk
                    if source_row.line in lines]
        claims = [handler.mapper.owner_claims(row.values) for row in deferred]
        resolver.look_up(claims, final=True)  # (the chunk's houses and other stored records read together)
        for row, row_claims in zip(deferred, claims):
            values = row.values
            attribution = resolver.resolve(row_claims, final=True)
            if not attribution.owners:
                sink.add([_unattributed(attribution, columns, f"{path.name}:{row.line}")],
                         {row.line: values})
            for owner in attribution.owners:
                by_owner.setdefault(owner, []).append(row)
    for owner, rows in by_owner.items():
        records: dict[tuple | None, list[CanonicalRow]] = {}  # (a record's rows together, as spread ones are)
        for row in rows:
            records.setdefault(group_key(handler.mapper, row.values), []).append(row)
        for row in (row for record in records.values() for row in record):
            feed(row, owner)
    finish_pending()
