"""Batch writing of new aggregates, with the same rows and audit entries as the per-record upsert.

A batch is ``NewRows``: header tuples, their child rows and their ``create`` audit entries (built from
``Aggregate``s, or column-wise by the columnar import). On SQLite one SELECT finds which keys of the
batch already exist and the new headers and their children go in through sqlite3's prepared
``executemany`` of typed tuples, their audit entries by one ``INSERT … SELECT`` whose JSON SQLite
builds from the rows just stored (``json_object``); on PostgreSQL (the COPY text built column-wise,
``store/copy_text``) a batch whose creation is recorded per batch is COPied straight into its tables
(those of its keys stored already looked up first, when its first or last key is), else into temporary
staging tables and one set-based statement
inserts the headers (ON CONFLICT DO NOTHING), the children and audit entries of those it created, and
names those already stored with the same content hash; all inside one SAVEPOINT. Every commit waits
for its WAL flush as the server says: a chunk committed without waiting could be lost in a crash and
restart while the import went on over a new connection to COMPLETED, and a file marked imported is
never read again (``tests/ingest/test_import_versions.py``). The audit JSON the
databases build holds the same values as ``audit_entries`` (the columns whose types they write alike;
otherwise ``audit_entries`` builds it), which the audit route answers
(``tests/ingest/test_import_audit_trail.py``). Existing
keys, and every record of a batch whose bulk insert fails (a value the database refuses), go through
``write_aggregate`` one by one, together under one SAVEPOINT; a group the database refuses is rolled back
and halved, down to a record alone in its own SAVEPOINT (``_write_each``), so a bad record is isolated
exactly as on the slow path while a chunk of changed records holds a handful of subtransactions, not one
per record (PostgreSQL caches 64 per backend: ``tests/ingest/test_bulk_changed_records.py``).
"""
from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from operator import itemgetter
from datetime import UTC, datetime
from typing import Any

import psycopg
from sqlalchemy import Boolean, Enum, Integer, String, UniqueConstraint, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from aggregator.ingest.writers import Aggregate, error_text, write_aggregate
from aggregator.store import audit_batch
from aggregator.store.audit_json import audit_entries
from aggregator.store.copy_text import Prepared, copy_layout, copy_pieces, led_text, one_text, prepare
from aggregator.store.models.audit import AuditEntry
from aggregator.store.types import UTCDateTime, uncollated
from aggregator.store.prepared_insert import (converted_column, converted_rows, executemany_sqlite, insert_new_sqlite,
                                              python_defaults)
from aggregator.store.upsert import BOOKKEEPING, UpsertOutcome
from platform_adapters.tabular.columnar import GroupedRows

KEY_LOOKUP_BATCH = 500
StoreError = (SQLAlchemyError, psycopg.Error, sqlite3.Error, ValueError, TypeError)


def stored_hashes(session: Session, model: Any, key: tuple[str, ...], keys: list[tuple]) -> dict[tuple, str]:
    """The stored ``content_hash`` of each of ``keys`` that is stored. Keys are grouped by all but one
    column, the one whose values vary most among (the first thousand of) them (ties: the later), and
    looked up as ``a = … AND b = … AND c IN (…)``, which both databases answer from the unique index (a
    row-value ``(a, b, c) IN (…)`` made PostgreSQL filter every row of the owner and warehouse: quadratic;
    grouping by a column that varies, a stock snapshot's lot, made one query per key). On SQLite the
    statements go straight to sqlite3 with the key values converted as the columns' types convert them
    (compiling an IN of hundreds of values costs more than running it), and a group of many keys whose
    fixed columns no stored row has (a new snapshot instant), or none of whose stored rows has a value of
    the varying column between the group's least and greatest (the next part of a file in key order), is
    answered by one probe: none stored."""
    table = model.__table__
    columns = [table.c[k] for k in key]
    vary = len(key) - 1
    if len(keys) > 1 and len(key) > 1:
        sample = keys[:1000]  # (any column would give the same answer: this one asks the fewest queries)
        counts = [len({value[j] for value in sample}) for j in range(len(key))]
        vary = max(reversed(range(len(key))), key=counts.__getitem__)
    fixed_at = [j for j in range(len(key)) if j != vary]
    prefix_of = itemgetter(*fixed_at) if len(fixed_at) > 1 else lambda value: tuple(value[j] for j in fixed_at)
    by_prefix: dict[tuple, list] = defaultdict(list)  # the keys of each prefix
    prefixes = list(map(prefix_of, keys))
    if prefixes and prefixes.count(prefixes[0]) == len(prefixes):  # (one owner, warehouse, snapshot: usual)
        by_prefix[prefixes[0]] = list(keys)
    else:
        for prefix, value in zip(prefixes, keys):
            by_prefix[prefix].append(value)
    if session.get_bind().dialect.name == "sqlite":
        return _stored_hashes_sqlite(session, table, key, by_prefix, vary, fixed_at)
    found: dict[tuple, str] = {}
    for prefix, group in by_prefix.items():
        varied = list(map(itemgetter(vary), group))
        fixed = [columns[j] == value for j, value in zip(fixed_at, prefix, strict=True)]
        for start in range(0, len(varied), KEY_LOOKUP_BATCH):
            part = varied[start:start + KEY_LOOKUP_BATCH]
            query = select(*columns, table.c.content_hash).where(*fixed, columns[vary].in_(part))
            found.update((tuple(row[:-1]), row[-1]) for row in session.execute(query))
    return found


def _stored_hashes_sqlite(session: Session, table: Any, key: tuple[str, ...], by_prefix: dict[tuple, list],
                          vary: int, fixed_at: list[int]) -> dict[tuple, str]:
    """``stored_hashes`` through sqlite3 (``by_prefix``: the keys asked, grouped by their ``fixed_at``
    values): the values converted as stored (``prepared_insert.converted_rows``), a group's fixed values
    probed first when it has many keys, the rows found mapped back to the keys asked."""
    dialect = session.get_bind().dialect
    quote = dialect.identifier_preparer.quote
    where = "".join(f"{quote(key[j])} {'IS' if table.c[key[j]].nullable else '='} ? AND " for j in fixed_at)
    head = f"SELECT {quote(key[vary])}, content_hash FROM {quote(table.name)} WHERE {where}"
    probe = f"SELECT 1 FROM {quote(table.name)} WHERE {where[:-5] or '1'} LIMIT 1"
    span = f"SELECT 1 FROM {quote(table.name)} WHERE {where}{quote(key[vary])} BETWEEN ? AND ? LIMIT 1"
    spans = getattr(table.c[key[vary]].type, "collation", None) is None  # (binary: Python's order of texts)
    prefixes = list(by_prefix)
    stored_prefixes = converted_rows(dialect, table, [key[j] for j in fixed_at], prefixes)
    found: dict[tuple, str] = {}
    session.flush()  # as session.execute would
    cursor = session.connection().connection.driver_connection.cursor()
    try:
        for prefix, stored_prefix in zip(prefixes, stored_prefixes):
            group = by_prefix[prefix]
            if len(group) > 1 and fixed_at and cursor.execute(probe, stored_prefix).fetchone() is None:
                continue
            stored_varied = converted_column(dialect, table, key[vary], list(map(itemgetter(vary), group)))
            if (spans and len(group) > 1 and len(set(map(type, stored_varied))) == 1 and type(stored_varied[0]) in (str, int)
                    and cursor.execute(span, (*stored_prefix, min(stored_varied), max(stored_varied))).fetchone() is None):
                continue  # (texts compare as SQLite compares them: UTF-8 bytes in code point order)
            asked = dict(zip(stored_varied, group))
            for start in range(0, len(group), KEY_LOOKUP_BATCH):
                part = stored_varied[start:start + KEY_LOOKUP_BATCH]
                rows = cursor.execute(f"{head}{quote(key[vary])} IN ({', '.join('?' * len(part))})",
                                      (*stored_prefix, *part))
                found.update((asked[value], content_hash) for value, content_hash in rows)
    finally:
        cursor.close()
    return found


@dataclass
class NewRows:
    """New records of one table as rows: header tuples in ``columns`` order (the key and ``content_hash``
    among them) and each header's child rows per child table. Each gets the ``create`` audit entry the
    per-record upsert writes (``audit_entries``; on PostgreSQL built by the database where the column
    types allow, ``_audit_sql``). ``of_columns`` makes one from the headers' values column by column
    (``cells``), which SQLite's insert binds and PostgreSQL's COPY writes without making them rows first."""

    table: Any
    key: tuple[str, ...]
    columns: list[str]
    rows: Sequence[tuple]
    children: list[tuple[Any, str, list[str], list[list[tuple]]]]  # (table, parent column, columns, per header)
    cells: list[Sequence] | None = None  # (``of_columns``: one sequence per column, ``rows`` a view of them)
    texts: CopyTexts | None = None  # (their COPY texts, built before: PostgreSQL's COPY only sends them)

    @classmethod
    def of_columns(cls, table: Any, key: tuple[str, ...], columns: list[str], cells: list[Sequence],
                   children: list[tuple[Any, str, list[str], list[list[tuple]]]],
                   texts: CopyTexts | None = None) -> NewRows:
        return cls(table, key, columns, _ColumnRows(cells), children, cells, texts)

    def column(self, name: str) -> Sequence:
        """The headers' values of column ``name``."""
        at = self.columns.index(name)
        return self.cells[at] if self.cells is not None else list(map(itemgetter(at), self.rows))

    def by_column(self) -> list[Sequence]:
        """The headers' values column by column, in ``columns`` order (``cells`` as they are, when held so)."""
        return self.cells if self.cells is not None else list(zip(*self.rows))


@dataclass
class CopyTexts:
    """The COPY texts of a batch's headers (their values column by column, ``NewRows.of_columns``) and of
    each child table's rows (``GroupedRows``; None: built when stored), built before the batch is stored
    (the columnar import's read-ahead, while the chunk before is stored) but for what only the store
    knows: the headers' ids, the batch's audit entry, the columns' defaults (``_copy``)."""

    header: Prepared
    children: list[Prepared | None]

    @classmethod
    def of(cls, headers: list[Sequence], children: Sequence[GroupedRows]) -> CopyTexts | None:
        """``headers``' and each child table's (``children``) texts; None when a header value is of a type COPY's
        text is not built for (``copy_text``)."""
        header = prepare(headers)
        if header is None:
            return None
        return cls(header, [prepare(rows.columns) for rows in children])


class _ColumnRows(Sequence):
    """Header tuples read from values held column by column (``NewRows.of_columns``), made as asked."""

    def __init__(self, cells: list[Sequence]) -> None:
        self.cells = cells

    def __len__(self) -> int:
        return len(self.cells[0]) if self.cells else 0

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return list(zip(*(column[i] for column in self.cells)))
        return tuple(column[i] for column in self.cells)

    def __iter__(self) -> Any:
        return zip(*self.cells)


def _new_rows(aggs: list[Aggregate]) -> NewRows:
    first = aggs[0]
    columns = list(first.values)
    rows = [tuple(a.values.values()) for a in aggs]
    children = []
    for index, (model, parent_col, _) in enumerate(first.children):
        child_columns = next((list(a.children[index][2][0]) for a in aggs if a.children[index][2]), [])
        children.append((model.__table__, parent_col, child_columns,
                         [[tuple(row.values()) for row in a.children[index][2]] for a in aggs]))
    return NewRows(first.model.__table__, first.key, columns, rows, children)


def _batch_audited(dialect: str, new: NewRows) -> bool:
    """Whether the table records the creation of ``new``'s rows per batch (``store/audit_batch``); if not,
    each new row gets its own ``create`` entry."""
    return bool(new.rows) and audit_batch.batch_audited(new.table, new.columns, new.key) and audit_batch.reads_back_alike(
        dialect, new.table, new.columns, new.column)


def _owners(new: NewRows) -> set:
    return set(new.column("owner_id")) if "owner_id" in new.columns else set()


def _open_batch(session: Session, new: NewRows, actor: str) -> int | None:
    """The id of the batch's ``audit_log`` entry, when ``_batch_audited``; else None."""
    if not _batch_audited(session.get_bind().dialect.name, new):
        return None
    return audit_batch.open_batch(session, new.table, actor, _owners(new), len(new.rows))


def _stage_columns(table: Any, dialect: Any) -> str:
    """The staging table's columns: ``table``'s but its surrogate id (a line table, keyed by its header's id
    and line number, has none: all of its columns), each of its type but a text's collation, left to
    the database's default: compared with the table's column in the staged statement's joins, the comparison
    takes the column's collation, whichever it is ("C" on a database made by this build, the default on one an
    earlier build made: ``models.warehouse.code``), so the table's unique index answers it."""
    quote = dialect.identifier_preparer.quote
    return ", ".join(f"{quote(c.name)} {uncollated(c.type, dialect).compile(dialect=dialect)}"
                     for c in table.columns if c is not table.autoincrement_column)


#: JSON of a column as ``encode_columns`` writes it, per database and column type, for a stored or staged
#: column ``{}``: texts, whole numbers and yes/no as themselves, an instant as ``datetime.isoformat()`` of
#: its UTC value (SQLite stores it as UTC text ``YYYY-MM-DD HH:MM:SS.ffffff``)
_JSON_SQL = {
    "postgresql": {
        "text": "to_jsonb({})", "yesno": "to_jsonb({})",
        "instant": ("to_jsonb(to_char({0} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN "
                    "extract(microseconds FROM {0})::bigint %% 1000000 = 0 THEN '' ELSE "
                    "to_char({0} AT TIME ZONE 'UTC', '.US') END || '+00:00')"),
    },
    "sqlite": {
        "text": "{}", "yesno": "json(CASE {0} WHEN 1 THEN 'true' WHEN 0 THEN 'false' END)",
        "instant": ("replace(substr({0}, 1, 19), ' ', 'T') || CASE WHEN substr({0}, 21) IN ('', '000000') "
                    "THEN '' ELSE '.' || substr({0}, 21) END || '+00:00'"),
    },
}
#: the most columns whose JSON SQLite builds in one ``json_object`` (it takes at most 127 arguments)
_SQLITE_JSON_COLUMNS = 60


def _json_kind(column: Any) -> str | None:
    """How the database writes the column's JSON like ``encode_columns`` does (None: it is not sure to)."""
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return "instant"
    if isinstance(kind, Boolean):
        return "yesno"
    if isinstance(kind, (String, Integer)) and not isinstance(kind, Enum):
        return "text"
    return None


def _audit_sql(dialect: str, table: Any, columns: list[str], key: tuple[str, ...],
               quote: Callable[[str], str]) -> tuple[str, str] | None:
    """SQL expressions over a stored or staged row ``s`` for its audit entry's entity key and changes,
    the same as ``audit_entries`` gives (None when a column's type is not one the database writes alike)."""
    audited = [c for c in columns if c not in BOOKKEEPING]
    kinds = {c: _json_kind(table.c[c]) for c in audited}
    if None in kinds.values() or any(kinds[k] != "text" or not isinstance(table.c[k].type, String) for k in key):
        return None
    json_sql = _JSON_SQL[dialect]
    pairs = [f"'{c}', {json_sql[kinds[c]].format('s.' + quote(c))}" for c in audited]
    if dialect == "sqlite":
        if len(audited) > _SQLITE_JSON_COLUMNS:
            return None
        changes = f"json_object({', '.join(pairs)})"
        entity = " || '|' || ".join(f"coalesce(s.{quote(k)}, '')" for k in key)
    else:
        changes = " || ".join(f"jsonb_build_object({', '.join(pairs[i:i + 40])})" for i in range(0, len(pairs), 40))
        entity = "concat_ws('|', " + ", ".join(f"coalesce(s.{quote(k)}, '')" for k in key) + ")"
    return entity, changes


def _copy(cursor: Any, target: str, names: list[str], columns: list, meanwhile: Callable[[], Any] | None = None,
          ready: Prepared | None = None, leads: int = 0, sent: Callable[[], Any] | None = None) -> Any:
    """COPY into ``target`` (quoted) the rows whose values are ``columns`` (of the quoted column ``names``):
    those whose values all write one text last, that text built once (``copy_layout``), and the rows'
    text built and sent a slice at a time (``copy_pieces``: the server stores a slice while the next is
    built; a slice holding a type ``copy_text`` does not write goes row by row through psycopg). ``ready``:
    the text of the columns after the first ``leads`` (0 or 1), built before (``CopyTexts``): only the
    leading column (ids) and the columns after them (defaults, each one text) are written now.
    ``meanwhile`` (its result returned) runs once the rows are sent, while the server stores them; ``sent``
    once the server has the first rows to store."""
    if not columns[0]:
        return None if meanwhile is None else meanwhile()
    built = None if ready is None else _ready_text(names, columns, ready, leads)
    if built is not None:
        listed, text = built
        with cursor.copy(f"COPY {target} ({', '.join(listed)}) FROM STDIN") as copy:
            if sent is not None:  # (the whole text written, the server would have stored most of it already)
                copy.write(text[:_FIRST_WRITE])
                sent()
                text = text[_FIRST_WRITE:]
            copy.write(text)
            return None if meanwhile is None else meanwhile()
    order, varying, tail = copy_layout(columns)
    ordered = [columns[i] for i in order]
    with cursor.copy(f"COPY {target} ({', '.join(names[i] for i in order)}) FROM STDIN") as copy:
        for start, end, piece in copy_pieces(ordered[:varying], tail):
            if piece is None:
                for row in zip(*(values[start:end] for values in ordered)):
                    copy.write_row(row)
            else:
                copy.write(piece)
            if sent is not None:
                sent, _ = None, sent()
        return None if meanwhile is None else meanwhile()


def _child_columns(per_header: Sequence) -> tuple[list[int], list[Sequence]]:
    """Each header's number of child rows, and the child rows' values column by column (held so already by
    ``GroupedRows``: taken as they are)."""
    if isinstance(per_header, GroupedRows):
        return per_header.sizes, per_header.columns
    return list(map(len, per_header)), list(zip(*chain.from_iterable(per_header)))


#: characters of a COPY text built before (``_copy``) written before ``sent`` is called: rows for the server to
#: store while the rest is written (writing waits for the server as it reads, a megabyte at a time)
_FIRST_WRITE = 1 << 17


def _ready_text(names: list[str], columns: list, ready: Prepared, leads: int) -> tuple[list[str], str] | None:
    """``_copy``'s column names in COPY order and text, from the text of ``columns[leads:…]`` built before
    (``ready``); None when the columns after those are not each one text or the leading one's values are
    not all whole numbers (``_copy`` then builds the text itself)."""
    count = len(ready.order)
    if len(ready.rows) != len(columns[0]):
        return None
    tails = list(map(one_text, columns[leads + count:]))
    if None in tails:
        return None
    lead = None
    if leads:
        lead = columns[0]
        if set(map(type, lead)) != {int}:
            return None
    listed = [*names[:leads], *(names[leads + i] for i in ready.order), *names[leads + count:]]
    return listed, led_text(ready, lead, tails)


def _copy_new_postgresql(cursor: Any, dialect: Any, new: NewRows, defaults: dict[str, Any],
                         ids: list[int] | None = None, sent: Callable[[], Any] | None = None) -> None:
    """COPY ``new`` straight into its tables: the headers' ids drawn from the id sequence first, in order
    (as ``INSERT … ORDER BY`` draws them), so the children's rows carry them; each COPY's text is built a
    slice at a time while the server stores the slice before (``_copy``), or but for the ids and defaults
    before the batch was stored (``NewRows.texts``). No staging table, join or speculative insert: about a
    third less server work than the staged statement. A key already stored fails the COPY (unique
    violation). ``ids``: drawn already (``_ids_unless_stored``); ``sent``: called once the server has the
    first headers to store (``insert_new``)."""
    quote = dialect.identifier_preparer.quote
    table, count = new.table, len(new.rows)
    if ids is None and _needs_ids(new):
        cursor.execute(_next_ids("%s"), (quote(table.name), count))
        ids = [pk for pk, in cursor.fetchall()]

    ready_header, ready_children = (new.texts.header, new.texts.children) if new.texts else (None, [None] * len(new.children))

    def children() -> list[tuple[str, list[str], list, Prepared | None]]:  # (while the server stores the headers)
        found = []
        for (child, parent_col, child_cols, per_header), ready in zip(new.children, ready_children, strict=True):
            sizes, values = _child_columns(per_header)
            rows = sum(sizes)
            if child_cols and rows:
                if len(sizes) != len(ids):
                    raise ValueError(f"{len(sizes)} headers' children for {len(ids)} headers")
                child_defaults = python_defaults(child, {parent_col, *child_cols})
                names = [quote(c) for c in (parent_col, *child_cols, *child_defaults)]
                parents = list(chain.from_iterable(map(repeat, ids, sizes)))
                columns = [parents, *values, *([value] * rows for value in child_defaults.values())]
                found.append((quote(child.name), names, columns, ready))
        return found

    given = [ids] if ids else []  # (none: drawn by the column's default as the rows come)
    names = [quote(c) for c in ("id", *new.columns, *defaults)][1 - len(given):]
    for target, child_names, columns, ready in _copy(
            cursor, quote(table.name), names,
            [*given, *new.by_column(), *([value] * count for value in defaults.values())], children,
            ready_header, len(given), sent):
        _copy(cursor, target, child_names, columns, None, ready, 1)


def index_order(table: Any, key: tuple[str, ...]) -> tuple[str, ...]:
    """``key``'s columns in the order of ``table``'s unique constraint over the same columns (its unique
    index: the one a row comparison ``(a, b, …) >= (…) ORDER BY a, b, … LIMIT 1`` seeks in, answered by no
    index in another order but by reading the owner's rows), else ``key``'s order. Every model's unique key lists
    its columns in its record key's order today; a key reordered in its index would keep its seeks index-backed."""
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint) and sorted(constraint.columns.keys()) == sorted(key):
            return tuple(constraint.columns.keys())
    return tuple(key)


def _first_or_last_stored(dialect: Any, new: NewRows) -> tuple[str, list]:
    """SQL (a boolean) and its parameters: whether the first or the last key of ``new`` is stored (a
    re-imported file's batch, which the staged statement sorts out, is not COPied in vain first). Each key
    is sought in the unique index as the first stored key not below it (a row comparison in the index's
    order, ``index_order``, which no other index answers), then compared: asked as plain equalities, a
    table without statistics yet (a first import) had the planner pick an index sharing the key's first
    columns and filter every row stored so far (stock snapshots: an eighth of the server's work). A
    nullable key column is asked by equalities."""
    quote = dialect.identifier_preparer.quote
    order = index_order(new.table, new.key)
    at = [new.columns.index(k) for k in order]
    first, last = (tuple(new.rows[j][i] for i in at) for j in (0, -1))
    if any(new.table.c[k].nullable for k in order):
        where = " AND ".join(f"{quote(k)} {'IS NOT DISTINCT FROM' if new.table.c[k].nullable else '='} %s"
                             for k in order)
        probe = f"EXISTS (SELECT 1 FROM {quote(new.table.name)} WHERE {where})"
        return f"({probe} OR {probe})", [*first, *last]
    listed = ", ".join(quote(k) for k in order)
    marks = ", ".join(["%s"] * len(at))
    seek = f"SELECT {listed} FROM {quote(new.table.name)} WHERE ({listed}) >= ({marks}) ORDER BY {listed} LIMIT 1"
    found = f"coalesce((SELECT ({listed}) = ({marks}) FROM ({seek}) f), false)"
    return f"({found} OR {found})", [*first, *first, *last, *last]


#: the savepoint a batch COPied straight into its tables is rolled back to when the COPY meets a stored key
#: (set inside ``_BATCH_SAVEPOINT``, released with it)
_COPY_SAVEPOINT = "bulk_copy"
#: the savepoint a batch is written under on PostgreSQL, rolled back to when it fails (``insert_new``); left
#: open after the batch (its failed records are written inside it, one by one) and released in the same round
#: trip as the next batch's is set (``_savepoint_left_open``), or by the transaction's end: however many
#: batches a chunk has, one of each is open, not one per batch nested until the chunk's commit
_BATCH_SAVEPOINT = "bulk_batch"
#: ``Session.info`` key of the batch savepoint left open: (the session's innermost transaction when it was set,
#: the driver's connection)
_OPEN_SAVEPOINT = "bulk_batch_savepoint"


class BatchRollbackFailed(RuntimeError):
    """A failed batch could not be rolled back to its savepoint on a live connection: what the transaction
    holds is unknown, so the import stops (not a ``StoreError``: no record is written after it and the
    runner rolls the chunk back and marks the import FAILED, saying why)."""


def _rollback_failed(what: str, failed: BaseException, exc: BaseException) -> BatchRollbackFailed:
    """The error stopping an import whose failed ``what`` (its error ``exc``) could not be rolled back to its
    savepoint (``failed``): what the transaction holds is unknown."""
    return BatchRollbackFailed(f"a failed {what} could not be rolled back to its savepoint ({error_text(failed)}), "
                               f"so what the transaction holds is unknown; it had failed with {error_text(exc)}")


def _innermost(session: Session) -> Any:
    """The session's innermost transaction: its innermost ``begin_nested`` savepoint, or its transaction."""
    return session.get_nested_transaction() or session.get_transaction()


def _savepoint_left_open(session: Session, raw: Any) -> bool:
    """Whether the batch savepoint the batch before left open (``_BATCH_SAVEPOINT``) is surely still open and
    releasing it releases nothing else of the session's: it was set on this connection while the session's
    innermost transaction was the one innermost now, and that one is still active (a savepoint of the session
    set after it and still open would be the innermost; one set before it and since released or rolled back
    to, or the transaction's end, would have ended that transaction too). Forgotten either way: the caller
    sets the next one."""
    held = session.info.pop(_OPEN_SAVEPOINT, None)
    if held is None:
        return False
    transaction, connection = held
    return connection is raw and transaction is _innermost(session) and transaction.is_active


def _next_ids(count: str) -> str:
    """The SELECT drawing ``count`` (an SQL expression) ids of a table (its name the first parameter) from its
    id sequence, in order: the sequence named once, not once per row (a seventh of the server's work of a batch)."""
    return ("SELECT nextval(s.seq) FROM (SELECT pg_get_serial_sequence(%s, 'id')::regclass AS seq OFFSET 0) s, "
            f"generate_series(1, {count}) ORDER BY 1")


def _ids_unless_stored(cursor: Any, dialect: Any, new: NewRows) -> list[int] | None:
    """In one round trip (a pipeline, with what the caller's pipeline holds before): the savepoint the COPY
    of ``new`` can be rolled back to (``_COPY_SAVEPOINT``) and, unless its first or last key is stored
    (``_first_or_last_stored``: None), its headers' ids drawn from the id sequence, in order (as ``INSERT …
    ORDER BY`` draws them: ``_next_ids``) when its children need them (``_needs_ids``; else none drawn,
    ``[]``: the COPY leaves them to the column's default, which draws them in the same order)."""
    probe, params = _first_or_last_stored(dialect, new)
    with cursor.connection.pipeline():
        cursor.execute(f"SAVEPOINT {_COPY_SAVEPOINT}")
        if not _needs_ids(new):
            cursor.execute(f"SELECT {probe}", params)
            return None if cursor.fetchone()[0] else []
        cursor.execute(_next_ids(f"CASE WHEN {probe} THEN 0 ELSE %s END"),
                       [dialect.identifier_preparer.quote(new.table.name), *params, len(new.rows)])
        ids = [pk for pk, in cursor.fetchall()]
    return ids or None


def _needs_ids(new: NewRows) -> bool:
    """Whether ``new``'s child rows name their headers' ids (the COPY must write them itself)."""
    return any(child_cols for _, _, child_cols, _ in new.children)


#: between the key texts of a batch sent as one parameter per key column (a row holding it, a control
#: character, never goes the fast way; a key holding it anyway sends its batch the staged way)
_KEY_SEPARATOR = "\x1f"
#: the rows a key range may read (``_stored_positions``): so many per key of its group, and so many more;
#: a range holding more stored rows (keys far apart: a file in another order) is sought key by key instead
_RANGE_ROWS_PER_KEY, _RANGE_ROWS_MORE = 4, 64
#: the planner's settings turned off while the key ranges are read (``_ranges_read``), set back after: with no
#: sort left to it, the one way to give the rows in the unique index's order is to read them in that index (one
#: the server does not have, ``enable_incremental_sort`` before PostgreSQL 13, is left alone)
_UNSORTED = ("enable_sort", "enable_incremental_sort")
#: whether every text column of a table's unique key (``%s``: the table, the key's columns) compares as Python
#: compares str, by code point: in pg_catalog's "C" (or "POSIX", "ucs_basic") collation, or in "default" when
#: the database's is libc's "C" or "POSIX" (a database of the ICU provider has datcollate 'C' with an ICU default
#: collation: ``datlocprovider``, PostgreSQL 15 on, read through ``to_jsonb`` so the query stands before it);
#: the ranges' bounds are the least and greatest keys in Python's order
_CODE_POINT_ORDER = (
    "SELECT coalesce(bool_and((c.collnamespace = 'pg_catalog'::regnamespace AND c.collname IN ('C', 'POSIX', "
    "'ucs_basic')) OR (c.collname = 'default' AND d.datcollate IN ('C', 'POSIX') AND "
    "coalesce(to_jsonb(d) ->> 'datlocprovider', 'c') = 'c')), true) FROM pg_attribute a JOIN pg_collation c "
    "ON c.oid = a.attcollation JOIN pg_database d ON d.datname = current_database() "
    "WHERE a.attrelid = %s::regclass AND a.attname = ANY(%s)")


def _stored_positions(cursor: Any, dialect: Any, new: NewRows) -> dict[int, str] | None:
    """The stored ``content_hash`` of each position of ``new`` whose key is stored. The keys, their columns in
    the order of the table's unique index (``index_order``), are grouped by its first column (one group a batch
    as a rule: one owner) and each group's stored rows are read as one range of that index, from the group's least key to its greatest (a row comparison in the index's order
    each way), all in one round trip, the rows read matched to the keys by equal values (``_ranges_read``). Read
    with sorts turned off (``_UNSORTED``): the one way left to give the rows in the index's order is that index,
    however few rows the planner expects; with sorts allowed, a table without statistics yet (a file imported,
    then its cumulative next-day file at once) had the range read through the (owner, stored_at) index, its
    owner taken for a range of the comparisons' first column, every row of the owner filtered and sorted. A range
    holding more stored rows than ``_RANGE_ROWS_PER_KEY`` per key and ``_RANGE_ROWS_MORE`` (keys far apart)
    is read that far, its keys beyond the last row read sought one by one, in one more statement
    (``_sought_one_by_one``); so are all the batch's keys when a text column of the key is in another
    collation than "C" (one an earlier build made in the database's: a key that collation places outside the
    bounds would be missed, ``_CODE_POINT_ORDER``), and all of a range's keys when its rows come in another
    order than Python's. Ten thousand stored keys of a
    stock file (the client's wall): 15 ms as stored, where a seek a key took 71 ms; 25 ms with 3 stored rows
    a key, 30 ms with 4; 41 ms with 5 (4 a key read, a fifth of the keys then sought); a thousand keys
    50 rows apart (a file in another order, the worst: the rows read in vain), 10 ms against 7. None when a
    key column is nullable or neither text nor a UTC instant, an instant is naive, or a key text holds
    ``_KEY_SEPARATOR`` (the staged statement sorts the batch out then). A key missed here is not wrong: its
    COPY fails and the staged statement writes the batch; a key wrongly found would be (its record skipped),
    so a key is found only where a row read has its values (texts equal as written, instants as instants)."""
    order = index_order(new.table, new.key)
    values = []
    for k in order:
        column = new.table.c[k]
        if column.nullable or not isinstance(column.type, (String, UTCDateTime)) or isinstance(column.type, Enum):
            return None
        got = list(new.column(k))
        if isinstance(column.type, UTCDateTime):
            if any(value.utcoffset() is None for value in set(got)):
                return None
        elif any(_KEY_SEPARATOR in value for value in got):
            return None
        values.append(got)
    quote = dialect.identifier_preparer.quote
    found, left = _ranges_read(cursor, quote, new.table, order, values)
    if left:
        found.update(_sought_one_by_one(cursor, quote, new.table, order, values, left))
    return found


def _ranges_read(cursor: Any, quote: Callable[[str], str], table: Any, order: tuple[str, ...],
                 values: list[list]) -> tuple[dict[int, str], list[int]]:
    """``_stored_positions``' range reads: the keys given column by column (``values``, in ``order``) grouped
    by their first column (the owner: one group a batch as a rule), each group's stored rows read in the unique
    index from its least key to its greatest (as Python orders the keys: texts by code point, the order of the
    "C" collation the key columns have; instants as instants), and matched to its keys by every column (texts
    equal as written, instants as instants: equal as the server compares them, every collation a key column
    can have being deterministic). The group is not its keys' shared prefix of all columns but the last: a unique
    key whose last column is not the one a file varies (a stock snapshot's warehouse after its lot) would make
    a group, and a statement, of every key. Only the columns after those every group's least and greatest keys
    share are read back (every row between two keys has the columns they share): a snapshot's lot and warehouse,
    an outbound's number, not the owner nor the instant, which psycopg would make a datetime of for every row.
    (the stored hash of each position found, the positions left to seek one by one: those beyond the last row of
    a range that held too many rows, all of a range whose rows came in another order)"""
    keys = list(zip(*values))
    if not keys:
        return {}, []
    first = values[0]
    if len(set(first)) == 1:  # (one owner: usual)
        groups: dict[Any, list[int]] = {first[0]: list(range(len(keys)))}
    else:
        groups = defaultdict(list)
        for position, value in enumerate(first):
            groups[value].append(position)
    bounds = [(min(map(keys.__getitem__, at)), max(map(keys.__getitem__, at))) for at in groups.values()]
    shared = min(next((j for j, (a, b) in enumerate(zip(least, greatest)) if a != b), len(order) - 1)
                 for least, greatest in bounds)  # (the leading columns every range's bounds share, the last read)
    listed = ", ".join(quote(k) for k in order)
    marks = ", ".join(["%s"] * len(order))
    connection = cursor.connection
    with connection.pipeline():  # (one round trip)
        ordered = connection.execute(_CODE_POINT_ORDER, (quote(table.name), list(order)))
        for setting in _UNSORTED:  # (what it is, kept to be set back to: a setting of the session's or the server's)
            connection.execute(f"SELECT set_config('aggregator.{setting}', current_setting('{setting}'), true) "
                               f"WHERE current_setting('{setting}', true) IS NOT NULL")
        for setting in _UNSORTED:
            connection.execute(f"SELECT set_config('{setting}', 'off', true) "
                               f"WHERE current_setting('{setting}', true) IS NOT NULL")
        cursor.executemany(f"SELECT {', '.join(quote(k) for k in order[shared:])}, content_hash "
                           f"FROM {quote(table.name)} WHERE ({listed}) >= "
                           f"({marks}) AND ({listed}) <= ({marks}) ORDER BY {listed} LIMIT %s",
                           [(*least, *greatest, _RANGE_ROWS_PER_KEY * len(at) + _RANGE_ROWS_MORE + 1)
                            for (least, greatest), at in zip(bounds, groups.values())],
                           returning=True)
        for setting in _UNSORTED:
            connection.execute(f"SELECT set_config('{setting}', current_setting('aggregator.{setting}'), true) "
                               f"WHERE current_setting('{setting}', true) IS NOT NULL")
    if not ordered.fetchone()[0]:  # (a key column in another collation: a key outside the bounds as Python
        return {}, [p for at in groups.values() for p in at]  # orders them may be stored: each one sought)
    found: dict[int, str] = {}
    left: list[int] = []
    for number, at in enumerate(groups.values()):
        if number:
            cursor.nextset()
        rows = [(tuple(row[:-1]), row[-1]) for row in cursor.fetchall()]
        if any(rows[i][0] > rows[i + 1][0] for i in range(len(rows) - 1)):
            left.extend(at)
            continue
        last = rows[-1][0] if len(rows) > _RANGE_ROWS_PER_KEY * len(at) + _RANGE_ROWS_MORE else None
        stored = dict(rows)
        for position in at:
            content_hash = stored.get(keys[position][shared:])
            if content_hash is not None:
                found[position] = content_hash
            elif last is not None and keys[position][shared:] > last:
                left.append(position)
    return found, left


def _sought_one_by_one(cursor: Any, quote: Callable[[str], str], table: Any, order: tuple[str, ...],
                       values: list[list], positions: list[int]) -> dict[int, str]:
    """The stored hash of each of ``positions`` (of the keys given column by column, ``values``) whose key is
    stored, found in one query that seeks each key (one text per key column, split by the server) in the
    table's unique index as ``_first_or_last_stored`` does, the first stored key not below it, then compares:
    a plain join on the key columns let the planner of a table without statistics yet (a file imported, then
    its cumulative next-day file at once) probe an index sharing the key's first columns and filter every row
    stored (a stock snapshot's owner and warehouse: 200k rows re-imported took over twenty minutes)."""
    texts, arrays = [], []
    for k, column in zip(order, values, strict=True):
        instants = isinstance(table.c[k].type, UTCDateTime)
        got = [column[i] for i in positions]
        if instants:  # (equal instants at other offsets: one instant, one text)
            done = {value: value.isoformat() for value in set(got)}
            got = list(map(done.__getitem__, got))
        texts.append(_KEY_SEPARATOR + _KEY_SEPARATOR.join(got))  # (led by one: a lone '' splits into {''}, not {})
        arrays.append(f"(string_to_array(%s, chr(31)))[2:]::{'timestamptz' if instants else 'text'}[]")
    names = [f"k{j}" for j in range(len(arrays))]
    listed = ", ".join(quote(k) for k in order)
    on = " AND ".join(f"t.{quote(k)} = k.{name}" for k, name in zip(order, names, strict=True))
    seek = (f"SELECT {listed}, content_hash FROM {quote(table.name)} WHERE ({listed}) >= "
            f"({', '.join(f'k.{name}' for name in names)}) ORDER BY {listed} LIMIT 1")
    cursor.execute(f"SELECT k._pos - 1, t.content_hash FROM unnest({', '.join(arrays)}) WITH ORDINALITY "
                   f"AS k({', '.join(names)}, _pos) CROSS JOIN LATERAL ({seek}) t WHERE {on}", texts)
    return {positions[at]: content_hash for at, content_hash in cursor.fetchall()}


def _insert_new_postgresql(session: Session, new: NewRows, actor: str,
                           sent: Callable[[], Any] | None = None) -> tuple[list[int], list[int]]:
    """A batch whose creation is recorded per batch (``store/audit_batch``): the positions whose keys are
    stored looked up (``_stored_positions``, only when its first or last key is: a re-imported file) and
    named unchanged when their hash is the stored one, the others COPied straight into its tables
    (``_copy_new_postgresql``), all created. Otherwise (or when that COPY meets a key stored meanwhile)
    COPY the rows into temporary staging tables, then one statement: the
    headers ``INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING``, their children and ``create`` audit
    entries inserted from what it returned, and which positions were created and which were already
    stored with the same ``content_hash``; the other positions (stored, changed) are left to the
    per-record upsert. (positions created, positions unchanged)

    All of it under a savepoint set on the driver's connection (``_BATCH_SAVEPOINT``, rolled back to when
    it fails), sent in one round trip with the release of the batch before's, the batch's audit entry, the
    probe of its first and last keys and its ids (a pipeline: the server waits on the client once, not four
    times). When that rollback fails on a live connection, ``BatchRollbackFailed`` (chained to its error)
    stops the import; on a lost connection, or when an interrupt (not an ``Exception``) stopped the batch,
    the batch's own error is raised."""
    session.flush()  # (as a SAVEPOINT set by the session would: what it holds is written before)
    raw = session.connection().connection.driver_connection
    guarded = False
    try:
        with raw.cursor() as cursor, raw.cursor() as entry, raw.pipeline():
            if _savepoint_left_open(session, raw):
                cursor.execute(f"RELEASE SAVEPOINT {_BATCH_SAVEPOINT}")  # (the batch before's, and its ``bulk_copy``)
            cursor.execute(f"SAVEPOINT {_BATCH_SAVEPOINT}")
            guarded = True
            session.info[_OPEN_SAVEPOINT] = (_innermost(session), raw)
            batch = ids = None
            if _batch_audited("postgresql", new):
                batch_id = audit_batch.open_batch_queued(entry, new.table, actor, _owners(new), len(new.rows))
                ids = _ids_unless_stored(cursor, session.get_bind().dialect, new)  # (sent with the two before)
                batch = batch_id()
        return _write_new_postgresql(session, raw, new, actor, batch, ids, sent)
    except BaseException as exc:
        if guarded and not raw.closed:
            try:
                with raw.cursor() as cursor:
                    cursor.execute(f"ROLLBACK TO SAVEPOINT {_BATCH_SAVEPOINT}")  # (kept: the batch's records go on in it)
            except psycopg.Error as failed:
                session.info.pop(_OPEN_SAVEPOINT, None)
                if raw.closed or not isinstance(exc, Exception):  # (the connection lost meanwhile: the batch's
                    raise exc  # own error tells; an interrupt, Ctrl-C or a shutdown, stays one: the import stops)
                raise _rollback_failed(f"batch of {len(new.rows)} {new.table.name} records", failed, exc) from failed
        else:
            session.info.pop(_OPEN_SAVEPOINT, None)
        raise


def _write_new_postgresql(session: Session, raw: Any, new: NewRows, actor: str, batch: int | None,
                          ids: list[int] | None, sent: Callable[[], Any] | None) -> tuple[list[int], list[int]]:
    """``_insert_new_postgresql`` once its savepoint is set and, for a batch recorded per batch (``batch``:
    its entry's id), its ids drawn (``ids``; None: its first or last key is stored)."""
    dialect = session.get_bind().dialect
    quote = dialect.identifier_preparer.quote
    table = new.table
    stage = quote(f"_import_stage_{table.name}")
    stages = [quote(f"_import_stage_{child.name}") for child, _, _, _ in new.children]
    defaults = python_defaults(table, new.columns)
    if batch is not None:
        defaults[audit_batch.COLUMN] = batch
        stored = {}
        if ids is None:
            if sent is not None:
                sent()  # (the server has the keys to look up)
            with raw.cursor() as cursor:
                stored = _stored_positions(cursor, dialect, new)
        if stored is not None:
            fresh = [i for i in range(len(new.rows)) if i not in stored]
            part = new if not stored else NewRows(
                table, new.key, new.columns, [new.rows[i] for i in fresh],
                [(child, parent_col, child_cols, [per_header[i] for i in fresh])
                 for child, parent_col, child_cols, per_header in new.children])
            try:
                if fresh:
                    with raw.cursor() as cursor:
                        _copy_new_postgresql(cursor, dialect, part, defaults, ids, sent)
                if stored:
                    audit_batch.close_batch(session, batch, len(new.rows), len(fresh))
                    hash_at = new.columns.index("content_hash")
                    return fresh, sorted(i for i, found in stored.items() if found == new.rows[i][hash_at])
                return fresh, []
            except psycopg.errors.UniqueViolation:
                # a key stored meanwhile: back to before the COPY (which left the transaction failed), and the
                # staged statement below sorts them out
                with raw.cursor() as cursor:
                    cursor.execute(f"ROLLBACK TO SAVEPOINT {_COPY_SAVEPOINT}")
    if sent is not None:
        sent()  # (the staging tables to write)
    cols = ", ".join(quote(c) for c in new.columns)
    # "=" lets the planner hash-join (the key columns are NOT NULL); IS NOT DISTINCT FROM would nest loops
    matches = " AND ".join(f"s.{quote(k)} {'IS NOT DISTINCT FROM' if table.c[k].nullable else '='} i.{quote(k)}"
                           for k in new.key)
    audit_sql = None if batch is not None else _audit_sql("postgresql", table, new.columns, new.key, quote)
    now = datetime.now(UTC)
    with raw.cursor() as cursor:
        with raw.pipeline():  # (one round trip)
            for name, source in ((stage, table), *((s, c[0]) for s, c in zip(stages, new.children))):
                cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} (_seq integer, _pos integer, "
                               f"{_stage_columns(source, dialect)}, _entity_key text, _changes jsonb) ON COMMIT DELETE ROWS")
                cursor.execute(f"TRUNCATE {name}")
        if audit_sql is None and batch is None:
            with cursor.copy(f"COPY {stage} (_seq, {cols}, _entity_key, _changes) FROM STDIN") as copy:
                audit = audit_entries(new.columns, new.rows, new.key)
                for seq, (row, (key_text, _, changes)) in enumerate(zip(new.rows, audit, strict=True)):
                    copy.write_row((seq, *row, key_text, changes))
            entity, changes = "s._entity_key", "s._changes"
        else:
            _copy(cursor, stage, ["_seq", *map(quote, new.columns)], [range(len(new.rows)), *new.by_column()])
            entity, changes = audit_sql or ("NULL", "NULL")
        for name, (_, _, child_cols, per_header) in zip(stages, new.children):
            if child_cols:
                seqs = [seq for seq, rows in enumerate(per_header) for _ in rows]
                positions = [pos for rows in per_header for pos in range(len(rows))]
                flat = [row for rows in per_header for row in rows]
                _copy(cursor, name, ["_seq", "_pos", *map(quote, child_cols)], [seqs, positions, *zip(*flat)])
        params: list[Any] = list(defaults.values())
        parts = [f"ins AS (INSERT INTO {quote(table.name)} ({cols}{''.join(', ' + quote(c) for c in defaults)}) "
                 f"SELECT {cols}{', %s' * len(defaults)} FROM {stage} ORDER BY _seq "
                 f"ON CONFLICT ({', '.join(quote(k) for k in new.key)}) DO NOTHING "
                 f"RETURNING id, {', '.join(quote(k) for k in new.key)})",
                 f"created AS (SELECT i.id, s._seq, {entity} AS _entity_key, {changes} AS _changes, "
                 f"{'s.owner_id' if 'owner_id' in new.columns else 'NULL'} AS owner_id "
                 f"FROM ins i JOIN {stage} s ON {matches})"]
        for number, (name, (child, parent_col, child_cols, _)) in enumerate(zip(stages, new.children)):
            if not child_cols:
                continue
            child_defaults = python_defaults(child, {parent_col, *child_cols})
            listed = ", ".join(quote(c) for c in child_cols)
            parts.append(f"c{number} AS (INSERT INTO {quote(child.name)} ({quote(parent_col)}, {listed}"
                         f"{''.join(', ' + quote(c) for c in child_defaults)}) "
                         f"SELECT c.id, {', '.join('l.' + quote(c) for c in child_cols)}{', %s' * len(child_defaults)} "
                         f"FROM created c JOIN {name} l ON l._seq = c._seq ORDER BY l._seq, l._pos)")
            params.extend(child_defaults.values())
        if batch is None:
            parts.append(f"audit AS (INSERT INTO {quote(AuditEntry.__tablename__)} "
                         "(at, entity, entity_key, action, owner_id, actor, changes) "
                         "SELECT %s, %s, _entity_key, 'create', owner_id, %s, _changes FROM created ORDER BY _seq)")
            params.extend((now, table.name, actor))
        hashes = " AND ".join(f"t.{quote(k)} = s.{quote(k)}" for k in new.key)
        cursor.execute(f"WITH {', '.join(parts)} SELECT _seq, true FROM created UNION ALL "
                       f"SELECT s._seq, false FROM {stage} s JOIN {quote(table.name)} t ON {hashes} "
                       "WHERE t.content_hash = s.content_hash", params)
        created, unchanged = [], []
        for seq, was_created in cursor.fetchall():
            (created if was_created else unchanged).append(seq)
    if batch is not None:
        audit_batch.close_batch(session, batch, len(new.rows), len(created))
    return sorted(created), sorted(unchanged)


def insert_new(session: Session, new: NewRows, actor: str,
               sent: Callable[[], Any] | None = None) -> tuple[list[int], list[int]]:
    """Insert ``new`` (on SQLite its keys checked absent; on PostgreSQL ON CONFLICT sorts them out):
    (positions created, positions found stored with the same content hash). Under a savepoint: when it
    raises, nothing of it is written. ``sent`` (PostgreSQL): called once the server has the batch's work
    after the round trip that opens it (its first rows, or its keys to look up; maybe more than once)."""
    if session.get_bind().dialect.name == "postgresql":
        return _insert_new_postgresql(session, new, actor, sent)
    with session.begin_nested():
        return _insert_new_sqlite(session, new, actor), []


class _ConcurrentWrite(ValueError):
    """Another connection stored a key of the batch meanwhile: the batch is written again record by record
    (``write_batch`` rolls its SAVEPOINT back)."""


def _insert_new_sqlite(session: Session, new: NewRows, actor: str) -> list[int]:
    """Headers, children and audit entries of ``new`` (keys checked absent) through sqlite3's
    ``executemany``, the headers' ids read back by ``prepared_insert.insert_new_sqlite``; should a key
    be there after all (another connection's row), ``_ConcurrentWrite`` sends the batch through the
    per-record path."""
    dialect = session.get_bind().dialect
    table = new.table
    defaults = python_defaults(table, new.columns)
    batch = _open_batch(session, new, actor)
    if batch is not None:
        defaults[audit_batch.COLUMN] = batch
    cursor = session.connection().connection.driver_connection.cursor()
    try:
        ids = insert_new_sqlite(cursor, dialect, table, [*new.columns, *defaults], new.rows, new.key,
                                tuple(defaults.values()), new.cells)
        if None in ids or len(set(ids)) < len(ids):  # (a batch's keys are distinct: ``write_batch``)
            raise _ConcurrentWrite(f"{ids.count(None)} keys of the batch stored in {table.name} meanwhile")
        for child, parent_col, child_cols, per_header in new.children:
            if len(ids) != len(per_header):
                raise ValueError(f"{len(per_header)} headers' children for {len(ids)} headers")
            sizes, values = _child_columns(per_header)
            if any(sizes):  # bound column by column: each child row's parent id, then its own values
                cells = [list(chain.from_iterable(map(repeat, ids, sizes))), *values]
                child_defaults = python_defaults(child, {parent_col, *child_cols})
                executemany_sqlite(cursor, dialect, child, [parent_col, *child_cols, *child_defaults], None,
                                   tuple(child_defaults.values()), cells)
        if batch is not None:
            return list(range(len(new.rows)))
        now, entity = datetime.now(UTC), str(table.name)  # (a plain str: sqlite3 adapts a subclass per row)
        audit_columns = ["at", "entity", "entity_key", "action", "owner_id", "actor", "changes"]
        quote = dialect.identifier_preparer.quote
        audit_sql = _audit_sql("sqlite", table, new.columns, new.key, quote)
        if audit_sql is None:
            executemany_sqlite(cursor, dialect, AuditEntry.__table__, audit_columns,
                               [(now, entity, key, "create", owner, actor, changes)
                                for key, owner, changes in audit_entries(new.columns, new.rows, new.key)])
        elif ids:  # built by SQLite from the rows just stored (every id from the first is the batch's)
            (at, _), = converted_rows(dialect, AuditEntry.__table__, ["at", "actor"], [(now, actor)])
            cursor.execute(f"INSERT INTO {quote(AuditEntry.__tablename__)} ({', '.join(audit_columns)}) "
                           f"SELECT ?, ?, {audit_sql[0]}, 'create', "
                           f"{'s.owner_id' if 'owner_id' in new.columns else 'NULL'}, ?, {audit_sql[1]} "
                           f"FROM {quote(table.name)} s WHERE s.id >= ? ORDER BY s.id", (at, entity, actor, min(ids)))
    finally:
        cursor.close()
    return list(range(len(new.rows)))


def write_batch(session: Session, aggs: list[Aggregate], on_result: Callable[[int, UpsertOutcome | None, str | None], None],
                actor: str = "system", bulk: bool = True) -> None:
    """Write ``aggs`` (one model); ``on_result(index, outcome, error)`` for each.

    A stored record with the same ``content_hash`` (which covers every header value, the owner and the
    source time among them, and every child row) is UNCHANGED, as the per-record upsert would find it,
    without a SAVEPOINT of its own: re-importing a cumulative file costs one lookup per batch (on
    PostgreSQL found by the same statement that inserts the new ones).
    ``bulk=False`` writes every record through the per-record upsert: the reference the bulk path is
    checked against (same rows, audit entries and rejects)."""
    if not aggs:
        return
    first = aggs[0]
    unchanged: set[int] = set()
    if not bulk:
        candidates: list[int] = []
    elif session.get_bind().dialect.name == "postgresql":
        candidates = list(range(len(aggs)))  # ON CONFLICT sorts out the stored ones
    else:
        stored = stored_hashes(session, first.model, first.key, [a.key_values for a in aggs])
        unchanged = {i for i, a in enumerate(aggs) if stored.get(a.key_values) == a.values["content_hash"]}
        candidates = [i for i, a in enumerate(aggs) if a.key_values not in stored]
    if bulk and len({a.key_values for a in aggs}) < len(aggs):
        # a key met twice in the batch (texts that differ, values that do not): each of its records
        # through the per-record path in turn, as that path writes them
        counts = Counter(a.key_values for a in aggs)
        twice = {i for i, a in enumerate(aggs) if counts[a.key_values] > 1}
        candidates = [i for i in candidates if i not in twice]
        unchanged -= twice
    one_by_one = sorted(set(range(len(aggs))) - set(candidates) - unchanged)
    if candidates:
        try:
            created, same = insert_new(session, _new_rows([aggs[i] for i in candidates]), actor)
            created = {candidates[j] for j in created}
            unchanged |= {candidates[j] for j in same}
            for i in sorted(created):
                on_result(i, UpsertOutcome.CREATED, None)
            one_by_one = sorted(set(one_by_one) | (set(candidates) - created - unchanged))
        except StoreError:
            one_by_one = sorted(set(range(len(aggs))) - unchanged)
    for i in sorted(unchanged):
        on_result(i, UpsertOutcome.UNCHANGED, None)
    if one_by_one:
        _write_each(session, aggs, one_by_one, on_result)


def _in_savepoint(session: Session, write: Callable[[], Any], records: int) -> Any:
    """``write()`` (of ``records`` records) under a SAVEPOINT of ``session``: released when it returns, rolled
    back when it raises, its error raised again. When that rollback fails after an error (not an interrupt,
    which stays one), what the transaction holds is unknown — on SQLite a failed statement does not end the
    transaction, so the refused writes would stay under the next ones — and ``BatchRollbackFailed`` (chained
    to the rollback's error) stops the import: the runner rolls the chunk back and marks the import FAILED."""
    nested = session.begin_nested()
    try:
        result = write()
    except BaseException as exc:
        try:
            nested.rollback()
        except Exception as failed:
            if not isinstance(exc, Exception):
                raise exc
            raise _rollback_failed(f"write of {records} record(s)", failed, exc) from failed
        raise
    nested.commit()
    return result


def _write_each(session: Session, aggs: list[Aggregate], indexes: list[int],
                on_result: Callable[[int, UpsertOutcome | None, str | None], None]) -> None:
    """``write_aggregate`` of each of ``aggs`` at ``indexes``, in order, all under one SAVEPOINT; when one of
    them is refused, that savepoint is rolled back and each half written so in turn, down to a record alone
    in its own SAVEPOINT, whose error is its reject. The rows, outcomes, errors and audit entries are those of
    each record written in its own SAVEPOINT (the records before a refused one are written again, in the same
    order, on what the database held before them), and ``on_result`` is called for a record once what it wrote
    is kept, in order. PostgreSQL gives each subtransaction that writes an id, and a backend caches at most 64
    of its transaction's (released ones count): past that, every other session's snapshot checks read
    ``pg_subtrans``. A savepoint per record made a chunk of changed records (a re-import) overflow it; here a
    write of them holds one subtransaction, and about log2(n) more per record refused (one per halving)."""
    if len(indexes) == 1:
        i = indexes[0]
        try:
            result = _in_savepoint(session, lambda: write_aggregate(session, aggs[i]), 1)
        except StoreError as exc:
            on_result(i, None, error_text(exc))
            return
        on_result(i, result.outcome, None)
        return
    try:
        outcomes = _in_savepoint(session, lambda: [write_aggregate(session, aggs[i]).outcome for i in indexes],
                                 len(indexes))
    except StoreError:
        half = len(indexes) // 2
        _write_each(session, aggs, indexes[:half], on_result)
        _write_each(session, aggs, indexes[half:], on_result)
        return
    for i, outcome in zip(indexes, outcomes, strict=True):
        on_result(i, outcome, None)
