"""``store.db.statement_reads``: one reader per engine, kept no longer than the engine itself."""
from __future__ import annotations

import gc
import weakref

from sqlalchemy import text

from aggregator.store.db import create_engine_for, statement_reads


def test_the_reader_is_kept_per_engine_and_reads_in_autocommit_on_postgresql(pg_engine) -> None:
    reader = statement_reads(pg_engine)
    assert statement_reads(pg_engine) is reader
    with reader.connect() as connection:
        assert connection.connection.driver_connection.autocommit is True
        assert connection.execute(text("SELECT 1")).scalar_one() == 1


def test_an_engine_given_to_statement_reads_is_freed_with_its_pool(tmp_path) -> None:
    """The reader refers to its engine: a cache keyed weakly by the engine whose value is the reader kept
    every engine (and its pool's connections) for the life of the process."""
    engine = create_engine_for(f"sqlite:///{tmp_path / 'reads.sqlite'}")
    with statement_reads(engine).connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar_one() == 1
    gone = weakref.ref(engine)
    engine.dispose()
    del engine, connection
    gc.collect()
    assert gone() is None
