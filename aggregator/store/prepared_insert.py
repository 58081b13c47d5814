"""Many rows into one table through one prepared INSERT, without SQLAlchemy's per-statement bookkeeping.

``executemany_sqlite`` sends typed values through sqlite3's ``executemany`` of multi-row statements
(``sqlite_insert``: 64 rows a statement, bound from column slices, ``INSERT OR FAIL``: a refused row leaves
the rows before it, for the caller's SAVEPOINT to undo, and SQLite keeps no statement journal), ``executemany_postgresql``
through psycopg's (pipelined: one round trip for the lot, one server-side prepared statement) and
``copy_postgresql`` through one ``COPY … FROM STDIN`` (rows whose ids nobody needs back); each value
goes through its column type's bind processor first (UTC text, exact decimal text, JSON), the
conversion SQLAlchemy itself applies. The usual values take a shortcut that gives the same result
(``converters``: an aware UTC datetime, a finite Decimal, JSON text serialised already).
``insert_rows`` inserts dicts (SQLite: executemany; PostgreSQL: COPY); ``insert_new`` (dicts) and ``insert_new_sqlite`` (tuples, on
a sqlite3 cursor) insert rows whose keys were found absent and answer each row's new id (None for a row
another writer inserted meanwhile). ``python_defaults`` fills the columns a row leaves out that have a
Python-side default.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timezone
from decimal import Decimal
from itertools import chain
from typing import Any

from sqlalchemy.orm import Session

from aggregator.store.copy_text import fixed_zones
from aggregator.store.jsonutil import EncodedJSON
from aggregator.store.types import ExactDecimal, JSONPayload, UTCDateTime

_UTC = timezone.utc


def python_defaults(table: Any, given: Any) -> dict[str, Any]:
    """Values of the columns ``given`` leaves out that have a Python-side default (e.g. first_seen_at)."""
    values = {}
    for column in table.columns:
        default = column.default
        if column.name in given or default is None or column.primary_key:
            continue
        values[column.name] = default.arg(None) if default.is_callable else default.arg
    return values


def _fast(column_type: Any, dialect_name: str, general: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``general`` (the column's bind processor) with a shortcut for the values the writers send."""
    if isinstance(column_type, JSONPayload) and dialect_name == "sqlite":
        def json_text(value: Any) -> Any:  # already serialised: the same text, as a plain str for sqlite3
            if type(value) is EncodedJSON and "\\u0000" not in value:
                return str(value)
            return general(value)
        return json_text
    if isinstance(column_type, UTCDateTime):
        if dialect_name == "sqlite":
            def utc_text(value: Any) -> Any:
                if type(value) is datetime and value.tzinfo is _UTC:
                    return value.replace(tzinfo=None).isoformat(" ", "microseconds")
                return None if value is None else general(value)
            return utc_text

        def utc(value: Any) -> Any:
            return value if value is None or (type(value) is datetime and value.tzinfo is _UTC) else general(value)
        return utc
    if isinstance(column_type, ExactDecimal):
        if dialect_name == "sqlite":
            def decimal_text(value: Any) -> Any:
                if type(value) is Decimal and value.is_finite():
                    return format(value, "f")
                return None if value is None else general(value)
            return decimal_text

        def decimal(value: Any) -> Any:
            return value if value is None or (type(value) is Decimal and value.is_finite()) else general(value)
        return decimal
    return general


def converters(dialect: Any, table: Any, columns: Sequence[str]) -> list[tuple[int, Callable[[Any], Any]]]:
    """(position, conversion) for the ``columns`` of ``table`` whose type converts values on the way in."""
    found = []
    for index, name in enumerate(columns):
        column_type = table.c[name].type
        general = column_type.dialect_impl(dialect).bind_processor(dialect)
        if general is not None:
            found.append((index, _fast(column_type, dialect.name, general)))
    return found


def converted_rows(dialect: Any, table: Any, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list:
    """``rows`` (values in ``columns`` order) as the driver takes them: each value through its column's
    conversion (``converters``)."""
    processors = converters(dialect, table, columns)
    if not processors or not rows:
        return list(rows)
    return list(zip(*_converted_cells(dialect, table, columns, list(zip(*rows)), processors)))


def converted_column(dialect: Any, table: Any, column: str, values: list) -> list:
    """``values`` of ``column`` as the driver takes them (``converted_rows`` of one column, without a tuple
    per value; ``values`` itself when the column's type converts nothing)."""
    processors = converters(dialect, table, [column])
    return _converted_cells(dialect, table, [column], [values], processors)[0] if processors and values else values


def _converted_cells(dialect: Any, table: Any, columns: Sequence[str], cells: list,
                     processors: list[tuple[int, Callable[[Any], Any]]]) -> list:
    """``cells`` (one sequence of values per column of ``columns``) with each of the ``processors``' columns
    converted (``converted_rows``)."""
    for i, process in processors:  # column by column; an instant repeated in a batch is converted once
        if isinstance(table.c[columns[i]].type, UTCDateTime):
            cells[i] = _per_object(cells[i], process, many=_instants)
        else:
            cells[i] = _per_object(cells[i], process, dialect.name == "sqlite"
                                   and isinstance(table.c[columns[i]].type, ExactDecimal))
    return cells


def _instants(column: Sequence[Any], process: Callable[[Any], Any]) -> list:
    """``process`` of each datetime of ``column``, once per distinct instant: equal instants convert alike."""
    done: dict = {}
    if fixed_zones(column) is not None:
        done = {v: process(v) for v in set(column)}
        return list(map(done.__getitem__, column))
    # a zone with daylight saving: an ambiguous wall time's two instants are equal values
    keyed = [(v, None if v is None else v.utcoffset()) for v in column]
    return [done[k] if k in done else done.setdefault(k, process(k[0])) for k in keyed]


def _per_object(column: Sequence[Any], process: Callable[[Any], Any], decimal_text: bool = False,
                many: Callable[[Sequence[Any], Callable[[Any], Any]], list] | None = None) -> list:
    """``process`` of each value of ``column``, once per distinct object when the column holds many
    repeats (a value parsed once per distinct text is one object in every row holding it, and one object
    converts alike every time: unlike keying by value, ``Decimal("1.0")`` and ``Decimal("1.00")`` stay
    apart, and no value is hashed). Otherwise ``many(column, process)`` when given, else value by value
    (``decimal_text``: ``process`` is ``_fast``'s SQLite decimal text, inlined per value)."""
    ids = list(map(id, column))
    objects = dict(zip(ids, column))  # (every value stays alive in ``column`` meanwhile)
    if len(objects) == 1 and len(column) > 1:  # (one object in every row: a batch's instant, an empty column)
        return [process(column[0])] * len(column)
    if len(objects) * 2 <= len(column):
        done = {key: process(value) for key, value in objects.items()}
        return list(map(done.__getitem__, ids))
    if many is not None:
        return many(column, process)
    if decimal_text:
        return [None if v is None else format(v, "f") if type(v) is Decimal and v.is_finite() else process(v)
                for v in column]
    return list(map(process, column))


def _statement(dialect: Any, table: Any, columns: Sequence[str], placeholder: str, suffix: str = "") -> str:
    quote = dialect.identifier_preparer.quote
    return (f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
            f"VALUES ({', '.join([placeholder] * len(columns))}){suffix}")


#: the fewest rows whose constant columns ``sqlite_insert`` binds once per statement (fewer go one row at a time)
CONSTANT_ROWS = 64
#: rows per multi-row statement of ``sqlite_insert`` (measured: 32-128 alike; each row costs SQLite one
#: statement run less, and the values are bound from column slices without a tuple per row)
ROWS_PER_STATEMENT = 64
#: the most parameters one SQLite statement takes by default (``SQLITE_MAX_VARIABLE_NUMBER``: 32766 from 3.32, 999
#: before); a build limited to fewer has the rows inserted one by one (``SqliteInsert.run`` asks the connection)
_MAX_PARAMETERS = 32766 if sqlite3.sqlite_version_info >= (3, 32) else 999


@dataclass
class SqliteInsert:
    """An INSERT of many rows for sqlite3 (``sqlite_insert``): ``many`` a statement of ``per`` rows whose
    ``params`` each bind the constant columns' values once (``?1``…, each used in every row) and then
    ``per`` rows column by column (the first varying column's values, then the next column's); ``one``
    the one-row statement binding every column, for the rows left over (``rest``, a tuple per row).
    ``cells``: the values as bound (converted), column by column, constants included."""

    many: str | None
    per: int
    params: list[tuple]
    one: str
    rest: list[tuple]
    cells: list

    def run(self, cursor: Any) -> int:
        """Execute it on a sqlite3 cursor: the rows it inserted (those ``ON CONFLICT DO NOTHING`` skipped
        not counted)."""
        done = 0
        if self.params and len(self.params[0]) > cursor.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER):
            # (a build taking fewer parameters than the statement binds: its rows one by one)
            self.rest = list(zip(*self.cells))
            self.params = []
        if self.params:
            cursor.executemany(self.many, self.params)
            done += cursor.rowcount
        if self.rest:
            cursor.executemany(self.one, self.rest)
            done += cursor.rowcount
        return done


@lru_cache(maxsize=256)
def _many_text(head: str, shapes: str, per: int, suffix: str) -> str:
    """The statement of ``per`` rows after ``head`` for columns of ``shapes`` (one letter a column: ``n`` NULL in
    every row, ``c`` one other value in every row, ``v`` varying): the constants bound first, once, the
    varying columns' values after them column by column. The same for every batch of that shape, so
    sqlite3's statement cache prepares it once (SQLite parsing a statement of a thousand parameters costs
    about as much as running it)."""
    constants = {j: f"?{n}" for n, j in enumerate((j for j, shape in enumerate(shapes) if shape == "c"), 1)}
    varying = shapes.count("v")
    first = len(constants) + 1
    terms = []
    for i in range(per):
        at = iter(range(first + i, first + i + per * varying, per))
        terms.append("(" + ", ".join("NULL" if shape == "n" else constants[j] if shape == "c" else f"?{next(at)}"
                                     for j, shape in enumerate(shapes)) + ")")
    return head + ", ".join(terms) + suffix


def sqlite_insert(dialect: Any, table: Any, columns: Sequence[str], rows: Sequence[Sequence[Any]] | None,
                  suffix: str = "", extra: tuple = (), cells: Sequence[Sequence[Any]] | None = None) -> SqliteInsert:
    """The INSERT of ``rows`` (values in ``columns`` order; ``extra``: the values of the last ``len(extra)``
    columns, the same in every row and not in ``rows``; ``cells``: the same values as ``rows`` held column
    by column, used instead of them: ``rows`` may then be None) for sqlite3, each value converted by its
    column's type (``converters``). In a batch of at least ``CONSTANT_ROWS``, a column holding one value of
    one type in every row (an owner, an empty field, a batch's time) is bound once per statement (NULL
    written in it), so only the columns that vary are bound per row; the rows go ``ROWS_PER_STATEMENT`` to
    a statement (``SqliteInsert``, ``_many_text``), each statement's values bound from slices of the
    columns, the rows of the last part one by one. A row the table refuses raises with the rows before it
    inserted (``INSERT OR FAIL``: no statement journal)."""
    processors = converters(dialect, table, columns)
    count = len(rows) if cells is None else (len(cells[0]) if cells else 0)
    given = list(zip(*rows)) if cells is None else list(cells)
    if len(given) < len(columns) - len(extra):  # (no rows: no columns either)
        given += [[] for _ in range(len(columns) - len(extra) - len(given))]
    if processors and count:  # (the constants converted once each)
        at, by_index = len(given), dict(processors)
        extra = tuple(by_index[at + j](value) if at + j in by_index else value for j, value in enumerate(extra))
        given = _converted_cells(dialect, table, columns, given, [(i, process) for i, process in processors if i < at])
    cells = [*given, *([value] * count for value in extra)]
    shapes = ["v"] * len(cells)
    if count >= CONSTANT_ROWS:
        for j, column in enumerate(cells):
            first = column[0]
            # (one value of one type: only None equals None, and a value equal to a str binds as that text;
            # the types looked at only for the others: 1 == 1.0 == True)
            if (column[-1] == first and column.count(first) == len(column)
                    and (first is None or type(first) is str or len(set(map(type, column))) == 1)):
                shapes[j] = "n" if first is None else "c"
    quote = dialect.identifier_preparer.quote
    # OR FAIL: a row refused (NOT NULL, a unique key other than ``suffix``'s) stops the statement keeping the
    # rows before it, as the statements before it are kept; the default ABORT would make SQLite copy every
    # stored page each multi-row statement touches into a statement journal first (a temporary file: for an
    # outbound import 88k pwrite calls instead of 15k, a sixth of its CPU). Callers undo a refused batch by
    # rolling back their SAVEPOINT or transaction, as they must for its earlier statements anyway.
    head = f"INSERT OR FAIL INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) VALUES "
    varying = [column for column, shape in zip(cells, shapes) if shape == "v"]
    shared = tuple(column[0] for column, shape in zip(cells, shapes) if shape == "c")
    one = head + "(" + ", ".join("?" * len(columns)) + ")" + suffix
    per = min(ROWS_PER_STATEMENT, (_MAX_PARAMETERS - len(shared)) // max(1, len(varying)))
    full = count // per * per if count >= CONSTANT_ROWS and per > 1 else 0
    many, params = None, []
    if full:
        many = _many_text(head, "".join(shapes), per, suffix)
        params = [tuple(chain(shared, *[column[start:start + per] for column in varying])) for start in range(0, full, per)]
    rest = list(zip(*(column[full:] for column in cells))) if full < count else []
    return SqliteInsert(many, per, params, one, rest, cells)


def executemany_sqlite(cursor: Any, dialect: Any, table: Any, columns: list[str], rows: list[tuple] | None,
                       extra: tuple = (), cells: Sequence[Sequence[Any]] | None = None) -> None:
    """One prepared INSERT of ``rows`` (values in ``columns`` order; ``extra`` and ``cells`` as
    ``sqlite_insert`` takes them) on a sqlite3 cursor (``sqlite_insert``)."""
    sqlite_insert(dialect, table, columns, rows, extra=extra, cells=cells).run(cursor)


def executemany_postgresql(cursor: Any, dialect: Any, table: Any, columns: list[str], rows: list[tuple]) -> None:
    """One prepared INSERT of ``rows`` (values in ``columns`` order) on a psycopg cursor (pipelined)."""
    cursor.executemany(_statement(dialect, table, columns, "%s"), converted_rows(dialect, table, columns, rows))


def copy_postgresql(cursor: Any, dialect: Any, table: Any, columns: list[str], rows: list[tuple]) -> None:
    """``rows`` (values in ``columns`` order) into ``table`` through one ``COPY … FROM STDIN`` on a psycopg
    cursor: the same stored values as the INSERT (each value dumped by the same psycopg dumper, parsed
    by the column's type), about a fifth of the client CPU of the pipelined executemany."""
    quote = dialect.identifier_preparer.quote
    with cursor.copy(f"COPY {quote(table.name)} ({', '.join(quote(c) for c in columns)}) FROM STDIN") as copy:
        write = copy.write_row
        for row in converted_rows(dialect, table, columns, rows):
            write(row)


def _with_defaults(table: Any, rows: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[tuple]]:
    defaults = python_defaults(table, rows[0])
    columns = [*rows[0], *defaults]
    extra = tuple(defaults.values())
    return columns, [(*row.values(), *extra) for row in rows]


def insert_rows(session: Session, table: Any, rows: list[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys, in the same order) into ``table`` through one prepared
    executemany (SQLite) or one COPY (PostgreSQL). Same stored values and defaults as SQLAlchemy's Core insert."""
    if rows:
        insert_tuples(session, table, list(rows[0]), [tuple(row.values()) for row in rows])


def insert_tuples(session: Session, table: Any, columns: list[str], rows: list[tuple]) -> None:
    """``insert_rows`` for ``rows`` as tuples of the ``columns``' values (the columns' Python-side defaults
    added)."""
    if not rows:
        return
    dialect = session.get_bind().dialect
    session.flush()  # rows the session holds go first, as they would before a Core statement
    defaults = python_defaults(table, columns)
    if defaults:
        extra = tuple(defaults.values())
        columns, tuples = [*columns, *defaults], [(*row, *extra) for row in rows]
    else:
        tuples = rows
    cursor = session.connection().connection.driver_connection.cursor()
    try:
        if dialect.name == "sqlite":
            executemany_sqlite(cursor, dialect, table, columns, tuples)
        elif dialect.name == "postgresql":
            copy_postgresql(cursor, dialect, table, columns, tuples)
        else:
            raise NotImplementedError(f"prepared inserts are implemented for sqlite and postgresql, not {dialect.name}")
    finally:
        cursor.close()


def insert_new(session: Session, table: Any, rows: list[Mapping[str, Any]], key: Sequence[str]) -> list[int | None]:
    """Insert ``rows`` (dicts with the same keys, in the same order; keys found absent by the caller in
    this transaction) with ``ON CONFLICT (key) DO NOTHING``; the new id of each row, None where the key
    was there after all (another writer's row: the caller decides it like a single upsert).

    PostgreSQL: psycopg's pipelined executemany ``RETURNING id``, one result per row. SQLite:
    ``insert_new_sqlite``."""
    if not rows:
        return []
    dialect = session.get_bind().dialect
    session.flush()
    columns, tuples = _with_defaults(table, rows)
    cursor = session.connection().connection.driver_connection.cursor()
    try:
        if dialect.name == "postgresql":
            return insert_new_postgresql(cursor, dialect, table, columns, tuples, key)
        if dialect.name != "sqlite":
            raise NotImplementedError(f"prepared inserts are implemented for sqlite and postgresql, not {dialect.name}")
        return insert_new_sqlite(cursor, dialect, table, columns, tuples, key)
    finally:
        cursor.close()


def insert_new_postgresql(cursor: Any, dialect: Any, table: Any, columns: list[str], rows: list[tuple],
                          key: Sequence[str]) -> list[int | None]:
    """``insert_new`` on a psycopg cursor, for ``rows`` as tuples in ``columns`` order: a pipelined
    executemany ``ON CONFLICT (key) DO NOTHING RETURNING id``, one result per row (None: the key was there)."""
    if not rows:
        return []
    quote = dialect.identifier_preparer.quote
    conflict = f" ON CONFLICT ({', '.join(quote(c) for c in key)}) DO NOTHING"
    cursor.executemany(_statement(dialect, table, columns, "%s", conflict + " RETURNING id"),
                       converted_rows(dialect, table, columns, rows), returning=True)
    ids: list[int | None] = []
    while True:
        row = cursor.fetchone()
        ids.append(None if row is None else row[0])
        if not cursor.nextset():
            break
    return ids


def insert_new_sqlite(cursor: Any, dialect: Any, table: Any, columns: list[str], rows: Sequence[tuple],
                      key: Sequence[str], extra: tuple = (), cells: Sequence[Sequence[Any]] | None = None
                      ) -> list[int | None]:
    """``insert_new`` on a sqlite3 cursor, for ``rows`` as tuples in ``columns`` order (the ``key``
    columns among them; ``extra`` and ``cells`` as ``sqlite_insert`` takes them): sqlite3's executemany
    returns no rows, so the ids are read back by key from the rows above the table's highest id before the insert (write transactions begin IMMEDIATE,
    ``aggregator.store.db``, so only this one adds rows meanwhile); when every row went in, they are
    the ids after that highest one, in order (SQLite gives a new row the highest id plus one). None for
    a row whose key was there."""
    if not rows:
        return []
    quote = dialect.identifier_preparer.quote
    before = cursor.execute(f"SELECT coalesce(max(id), 0) FROM {quote(table.name)}").fetchone()[0]
    conflict = f" ON CONFLICT ({', '.join(quote(c) for c in key)}) DO NOTHING"
    insert = sqlite_insert(dialect, table, columns, rows, conflict, extra, cells)
    cells = insert.cells
    count = len(cells[0])
    if insert.run(cursor) == count:  # every row went in: their ids follow the highest, in order
        last = cursor.execute(f"SELECT max(id) FROM {quote(table.name)}").fetchone()[0]
        if last == before + count:
            return list(range(before + 1, last + 1))
    read = cursor.execute(f"SELECT id, {', '.join(quote(c) for c in key)} FROM {quote(table.name)} WHERE id > ?",
                          (before,))
    found = {row[1]: row[0] for row in read} if len(key) == 1 else {tuple(row[1:]): row[0] for row in read}
    keys = cells[columns.index(key[0])] if len(key) == 1 else zip(*(cells[columns.index(c)] for c in key))
    return list(map(found.get, keys))
