"""Review of 572bc6a..009450d (columnar import stores a chunk on a worker thread; receipt and outbound lines
without a foreign key; bench_import's backend CPU): failing tests demonstrating the defects found."""
from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from aggregator.ingest import import_file
from aggregator.store.db import create_engine_for, session_scope, upgrade_schema
from aggregator.tenancy import add_owner
from tests.ingest.test_import_hostile import _row, _write

REPO = Path(__file__).resolve().parents[2]


# -- 1. the worker thread and an in-memory SQLite database ------------------------------------------

def test_a_columnar_import_into_an_in_memory_sqlite_database_completes(tmp_path: Path) -> None:
    """``create_engine_for`` supports an in-memory SQLite database (SingletonThreadPool, check_same_thread
    on): 572bc6a imported into it; since 9b242b1 the chunk stored on the worker thread uses a sqlite3
    connection made on the caller's thread and the import ends FAILED (ProgrammingError)."""
    engine = create_engine_for("sqlite://")  # (``sqlite:///:memory:`` fails in upgrade_schema already)
    try:
        upgrade_schema(engine)
        with session_scope(engine) as session:
            add_owner(session, "LUMINA", "Lumina")
        path = _write(tmp_path / "outbound.csv", [_row(f"OC{i:03d}") for i in range(30)])
        summary = import_file(engine, "outbound", path, owner_id="LUMINA", chunk_rows=10)
        assert (summary.status, summary.created, summary.error) == ("COMPLETED", 30, None)
    finally:
        engine.dispose()


# -- 2. a database made before f364960 keeps the foreign keys --------------------------------------

FKS = {"warehouse_shipment_lines": ("shipment_pk", "warehouse_shipments"),
       "warehouse_receipt_lines": ("receipt_pk", "warehouse_receipts")}


def _add_the_old_foreign_keys(engine) -> None:
    """What 0001_initial made before f364960: each line's header id a foreign key, ON DELETE CASCADE."""
    with engine.begin() as connection:
        operations = Operations(MigrationContext.configure(connection))
        for table, (column, header) in FKS.items():
            with operations.batch_alter_table(table) as batch:
                batch.create_foreign_key(f"fk_{table}_{column}_{header}", header, [column], ["id"], ondelete="CASCADE")


def test_upgrading_a_database_made_before_the_change_drops_the_lines_foreign_keys(engine) -> None:
    """The models, ARCHITECTURE.md and the performance claim say the lines carry no foreign key, and
    ``upgrade_schema`` is what brings a database made by an earlier build up to the models (catch_up).
    It does not notice a foreign key the models dropped (``_drifted`` compares columns and ix_ indexes
    only), so every existing database (docker compose's ``migrate`` on its volume) keeps them: the
    per-line check the change removed, and ON DELETE CASCADE, stay."""
    _add_the_old_foreign_keys(engine)
    upgrade_schema(engine)
    found = {table: inspect(engine).get_foreign_keys(table) for table in FKS}
    assert found == {table: [] for table in FKS}


# -- 3. bench_import reads the CPU of whatever process has the server's backend pid ---------------

def _bench_import():
    sys.path.insert(0, str(REPO / "bench"))
    try:
        spec = importlib.util.spec_from_file_location("bench_import_review1", REPO / "bench" / "bench_import.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(REPO / "bench"))


def test_bench_backend_cpu_refuses_a_pid_that_is_not_a_local_postgres_backend() -> None:
    """``backend_pid`` is the server's pid: in another pid namespace (PostgreSQL in a container) or on
    another machine (``--pg-url``) it names no process here or an unrelated one, whose CPU
    ``_backend_cpu`` then prints as the server's. This process is no PostgreSQL backend."""
    assert _bench_import()._backend_cpu([os.getpid()]) is None
