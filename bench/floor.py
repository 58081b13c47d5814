"""The database's own cost for the rows an import stored: the floor no import can go under.

``bench_import.py`` times, beside each import, the very rows that import stored inserted into a database of
the same schema with nothing else done: by sqlite3's executemany on SQLite, by ``COPY … FROM STDIN`` on
PostgreSQL, in chunks of ``--chunk-rows`` headers (their child rows and their share of the other rows with
them), one transaction per chunk, as the import commits per chunk.

Which tables: every table of the schema holding more rows after the import than a database just set up as
the bench sets up each import's (``prepared``): the kind's header table (from the import's registry,
``aggregator.ingest.registry.TABULAR``), its child tables (those holding the registry's parent column: the
lines, and a bill's containers and references), and the rest (the audit log, the import's file record),
whose rows are spread over the chunks in key order. The rows the set-up wrote (the owner's audit entries)
are left out: the floor's database is set up the same way before its clock starts.

On SQLite the import leaves the WAL's checkpoints to a thread beside its writes
(``aggregator.store.wal_checkpoint``): its commits pay none, the thread copies the log into the file on the
other core. The floor writes the same way, so that "× floor" compares like with like: its connection has
``wal_autocheckpoint`` at 0 and the very ``Checkpointer`` the import uses runs beside it, on a connection of
its own, settled before each transaction begins and woken after each commit; its last checkpoint (of the
last chunk) is inside the timed region, as the import's is (its block ends before the import returns), and
its CPU is counted with the floor's.
"""
from __future__ import annotations

import gc
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, Select, Table, func, select


def prepared(url: str) -> Engine:
    """A database as every import in the bench starts from: the schema at head and the owner BENCH."""
    from aggregator.store.db import create_engine_for, session_scope, upgrade_schema
    from aggregator.tenancy import add_owner

    engine = create_engine_for(url)
    upgrade_schema(engine)
    with session_scope(engine) as session:
        add_owner(session, "BENCH", "Bench")
    return engine


@dataclass(frozen=True)
class Written:
    """The tables an import wrote rows into, by the role their rows take in a chunk."""

    header: Table
    parent_column: str  # in each child table: the header's id
    children: tuple[Table, ...]
    others: tuple[Table, ...]  # neither: their rows are spread over the chunks
    set_up_keys: dict[str, list]  # per table of ``others``: the keys of the rows the set-up wrote


def chunk_bounds(header_ids: list, chunk_rows: int) -> list[tuple]:
    """(first id, last id) of each run of ``chunk_rows`` headers, ``header_ids`` in ascending order."""
    return [(header_ids[start], header_ids[min(start + chunk_rows, len(header_ids)) - 1])
            for start in range(0, len(header_ids), chunk_rows)]


def spread(count: int, parts: int) -> list[tuple[int, int]]:
    """(offset, limit) of ``parts`` consecutive slices of ``count`` rows, the first ones a row longer where
    they do not divide evenly (one audit entry per chunk the import committed, into as many chunks here)."""
    size, extra = divmod(count, parts)
    slices, offset = [], 0
    for part in range(parts):
        limit = size + (part < extra)
        slices.append((offset, limit))
        offset += limit
    return slices


def chunk_selects(written: Written, bounds: list[tuple], counts: dict[str, int]) -> list[list[tuple[Table, Select]]]:
    """Per chunk: (table, the SELECT of its rows of that chunk in key order), the header table first, then
    its children, then the rest; ``counts``: how many rows the import wrote into each of ``written.others``."""
    def ordered(table: Table) -> Select:
        return select(table).order_by(*table.primary_key.columns)

    header_id = _single_key(written.header)
    others = {table.name: spread(counts[table.name], len(bounds)) for table in written.others}
    chunks = []
    for at, (first, last) in enumerate(bounds):
        chunk = [(written.header, ordered(written.header).where(header_id.between(first, last)))]
        chunk += [(child, ordered(child).where(child.c[written.parent_column].between(first, last)))
                  for child in written.children]
        for table in written.others:
            offset, limit = others[table.name][at]
            if limit:
                query = ordered(table)
                if written.set_up_keys[table.name]:
                    query = query.where(_single_key(table).not_in(written.set_up_keys[table.name]))
                chunk.append((table, query.offset(offset).limit(limit)))
        chunks.append(chunk)
    return chunks


def _single_key(table: Table):
    (key,) = table.primary_key.columns  # (a table keyed otherwise cannot be cut into chunks by its key)
    return key


def written_tables(kind: str, stored: Engine, set_up: Engine) -> tuple[Written, dict[str, int]]:
    """The tables the import into ``stored`` wrote (against ``set_up``, a database set up as it was before
    its import) and how many rows it wrote into each."""
    import aggregator.store.models  # noqa: F401  (every table's model on the metadata)
    from aggregator.ingest.registry import TABULAR
    from aggregator.store.base import Base

    handler = TABULAR[kind]
    if handler.lines is not None:
        line_model, parent_column, header_model = handler.lines
    else:  # (a kind of one row per record: no lines)
        line_model, parent_column, header_model = None, "", handler.columnar.model
    counts = {}
    for table in Base.metadata.sorted_tables:
        before, after = _count(set_up, table), _count(stored, table)
        if after > before:
            counts[table.name] = after - before
    header = header_model.__table__
    if header.name not in counts or (line_model is not None and line_model.__table__.name not in counts):
        raise SystemExit(f"the {kind} import wrote no rows into its header or line table: {sorted(counts)}")
    children = tuple(Base.metadata.tables[name] for name in sorted(counts)
                     if name != header.name and parent_column and parent_column in Base.metadata.tables[name].c)
    others = tuple(Base.metadata.tables[name] for name in sorted(counts)
                   if name != header.name and Base.metadata.tables[name] not in children)
    with set_up.connect() as conn:
        keys = {table.name: list(conn.execute(select(_single_key(table))).scalars()) for table in others}
    return Written(header, parent_column, children, others, keys), counts


def _count(engine: Engine, table: Table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def plan(kind: str, stored: Engine, set_up: Engine, chunk_rows: int) -> list[list[tuple[Table, str]]]:
    """Per chunk of ``chunk_rows`` headers: (table, the SQL reading its rows of that chunk from ``stored``,
    in ``stored``'s dialect); checked to read every row the import wrote, once."""
    written, counts = written_tables(kind, stored, set_up)
    with stored.connect() as conn:
        header_ids = list(conn.execute(select(_single_key(written.header)).order_by(_single_key(written.header)))
                          .scalars())
    chunks = chunk_selects(written, chunk_bounds(header_ids, chunk_rows), counts)
    with stored.connect() as conn:  # (the chunks' rows counted against what the import wrote)
        read: dict[str, int] = {}
        for chunk in chunks:
            for table, query in chunk:
                read[table.name] = read.get(table.name, 0) + conn.execute(
                    select(func.count()).select_from(query.subquery())).scalar_one()
    if read != counts:
        raise SystemExit(f"the floor's chunks read {read}, the import wrote {counts}")
    dialect = stored.dialect
    return [[(table, str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True})))
             for table, query in chunk] for chunk in chunks]


def read_sqlite(kind: str, stored: Engine, set_up: Engine, chunk_rows: int) -> list[list[tuple[Table, list]]]:
    """The rows the import stored into the SQLite database of ``stored``, per chunk and table, as sqlite3
    reads them (the text the import wrote, no types converted)."""
    chunks = plan(kind, stored, set_up, chunk_rows)
    with sqlite3.connect(stored.url.database) as source:
        return [[(table, source.execute(sql).fetchall()) for table, sql in chunk] for chunk in chunks]


def read_postgresql(kind: str, stored: Engine, set_up: Engine, chunk_rows: int) -> list[list[tuple[Table, bytes]]]:
    """The rows the import stored into the PostgreSQL database of ``stored``, per chunk and table, read by
    ``COPY (…) TO STDOUT`` into memory (text format)."""
    chunks = plan(kind, stored, set_up, chunk_rows)
    raw = stored.raw_connection()
    try:
        with raw.driver_connection.cursor() as cursor:
            read = []
            for chunk in chunks:
                got = []
                for table, sql in chunk:
                    with cursor.copy(f"COPY ({sql}) TO STDOUT") as copy:
                        got.append((table, b"".join(bytes(block) for block in copy)))
                read.append(got)
        raw.rollback()
    finally:
        raw.close()
    return read


def _names(table: Table) -> str:
    """The table's columns, quoted, in the order ``select(table)`` reads them."""
    return ", ".join(f'"{column.name}"' for column in table.columns)


def time_sqlite(chunks: list[list[tuple[Table, list]]], target: str) -> tuple[float, float]:
    """(wall, CPU) of inserting ``chunks`` into the empty SQLite database at ``target`` (set up by
    ``prepared``) by sqlite3's executemany, one transaction per chunk, the WAL checkpointed beside the writes
    as the import's is."""
    from aggregator.store.wal_checkpoint import LOG_BOUND, Checkpointer

    connection = sqlite3.connect(target, isolation_level=None)
    try:
        for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=NORMAL", "wal_autocheckpoint=0"):
            connection.execute(f"PRAGMA {pragma}")  # (as aggregator.store.db, and as the import's writes)
        checkpointer = Checkpointer(sqlite3.connect(target, isolation_level=None, check_same_thread=False),
                                    LOG_BOUND)
        gc.collect()  # (from a collected heap, as the imports)
        started, cpu = time.perf_counter(), time.process_time()
        checkpointer.start()
        try:
            for chunk in chunks:
                checkpointer.settle()
                connection.execute("BEGIN IMMEDIATE")
                for table, rows in chunk:
                    connection.executemany(f'INSERT INTO "{table.name}" ({_names(table)}) '
                                           f"VALUES ({', '.join('?' * len(table.columns))})", rows)
                connection.execute("COMMIT")
                checkpointer.wake()
        finally:
            checkpointer.stop()
        return time.perf_counter() - started, time.process_time() - cpu
    finally:
        connection.close()


def time_postgresql(chunks: list[list[tuple[Table, bytes]]], target: Engine,
                    server_cpu: Callable[[list[int]], float | None]) -> tuple[float, float, float | None]:
    """(wall, CPU of this process, CPU of the server's backend or None) of ``COPY … FROM STDIN`` of
    ``chunks`` into the PostgreSQL database of ``target`` (set up by ``prepared``), one transaction per chunk.
    ``server_cpu``: the CPU seconds used so far by the backends of the pids given."""
    raw = target.raw_connection()
    try:
        connection = raw.driver_connection
        pids = [connection.info.backend_pid]
        connection.commit()
        gc.collect()  # (from a collected heap, as the imports)
        server = server_cpu(pids)
        started, cpu = time.perf_counter(), time.process_time()
        with connection.cursor() as cursor:
            for chunk in chunks:
                for table, data in chunk:
                    with cursor.copy(f'COPY "{table.name}" ({_names(table)}) FROM STDIN') as copy:
                        copy.write(data)
                connection.commit()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        after = server_cpu(pids)
        return elapsed, cpu, None if server is None or after is None else after - server
    finally:
        raw.close()
