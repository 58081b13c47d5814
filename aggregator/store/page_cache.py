"""``larger_page_cache``: SQLite's page cache enlarged on a session's connection while a large write runs.

SQLite keeps 2 MiB of pages per connection by default. A write of millions of rows into a table with an
index in random key order touches index pages all over the file; with the default cache each insert reads
its leaf back (from the WAL or the file) and, within a long transaction, spills modified pages to the WAL
and reads them again later. It was added for the title ledger's unique index on event ids (hashes), where
a cache holding the index halved the CPU of storing 2.5M events; that index has since been replaced by one
on (subject_key, event_id), written in subject order. At 100k order lines the larger cache no longer
changes a full match's CPU (14.8 s either way, 72 MiB more peak memory: docs/performance.md); at 1M it
does, a little: in six alternated rounds of ``bench/bench_matching_db.py --size 1000000 --no-verify``
a full match without it took 5.6% more CPU on average (-3% to +16% per round) and 10% more wall time (more
in all six), the incremental run the same, for 260 MiB less peak memory (0.93 GiB against 1.19). Pages are
allocated only as they are used, so the cost is the memory of the pages the write touches, up to the
limit, released when the block ends (the previous size is restored in a ``finally``). Nothing changes on
PostgreSQL (its shared buffers are the server's).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

#: the cache while a large write runs, in KiB (SQLite's negative ``cache_size``)
WRITE_CACHE_KIB = 262_144


@contextmanager
def larger_page_cache(session: Session, kib: int = WRITE_CACHE_KIB) -> Iterator[None]:
    """SQLite's page cache of ``session``'s connection at ``kib`` KiB (at least) for the ``with`` block."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    connection = session.connection()
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
    if before > 0:  # (a positive size counts pages, a negative one KiB)
        before_kib = before * connection.exec_driver_sql("PRAGMA page_size").scalar_one() // 1024
    else:
        before_kib = -before
    if before_kib >= kib:
        yield
        return
    connection.exec_driver_sql(f"PRAGMA cache_size = -{int(kib)}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {int(before)}")
