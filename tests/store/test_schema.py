"""The migrations give the same schema on SQLite and PostgreSQL, match the models, and reverse cleanly."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from aggregator.store.base import Base
from aggregator.store.db import create_engine_for, current_revision, downgrade_schema, upgrade_schema

TYPE_FAMILIES = {
    "INTEGER": "int", "BIGINT": "int", "SMALLINT": "int", "VARCHAR": "text", "TEXT": "text",
    "DATETIME": "time", "TIMESTAMP": "time", "NUMERIC": "decimal", "JSON": "json", "JSONB": "json",
    "BOOLEAN": "bool", "DATE": "date", "FLOAT": "float", "DOUBLE_PRECISION": "float", "DOUBLE PRECISION": "float",
}


def describe(engine: Engine) -> dict:
    insp = inspect(engine)
    schema = {}
    for table in sorted(insp.get_table_names()):
        if table == "alembic_version":
            continue
        columns = {}
        for col in insp.get_columns(table):
            family = TYPE_FAMILIES.get(type(col["type"]).__name__.upper(), type(col["type"]).__name__)
            if family in ("text", "decimal") and engine.dialect.name == "sqlite" and col["name"] in _decimal_columns(table):
                family = "decimal"  # exact decimals are text on SQLite by design
            columns[col["name"]] = (family, col["nullable"])
        schema[table] = {
            "columns": columns,
            "pk": tuple(insp.get_pk_constraint(table)["constrained_columns"]),
            "unique": sorted(tuple(u["column_names"]) for u in insp.get_unique_constraints(table)),
            "fks": sorted((tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]))
                          for f in insp.get_foreign_keys(table)),
            "indexes": sorted((tuple(i["column_names"]), bool(i["unique"])) for i in insp.get_indexes(table)
                              if not i.get("duplicates_constraint")),
        }
    return schema


def _decimal_columns(table: str) -> set[str]:
    from aggregator.store.types import ExactDecimal

    return {c.name for c in Base.metadata.tables[table].columns if isinstance(c.type, ExactDecimal)}


def test_upgrade_gives_the_same_schema_on_sqlite_and_postgresql(tmp_path: Path,
                                                              pg_database_factory: Callable[[], str]) -> None:
    sqlite = create_engine_for(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    postgres = create_engine_for(pg_database_factory())
    upgrade_schema(sqlite)
    upgrade_schema(postgres)
    left, right = describe(sqlite), describe(postgres)
    assert set(left) == set(Base.metadata.tables)
    assert left == right
    for engine in (sqlite, postgres):
        with engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
        assert diffs == [], f"models and migrations disagree on {engine.dialect.name}: {diffs}"
    sqlite.dispose()
    postgres.dispose()


def test_migrations_are_reversible(tmp_path: Path, pg_database_factory: Callable[[], str]) -> None:
    for engine in (create_engine_for(f"sqlite:///{tmp_path / 'rev.sqlite'}"), create_engine_for(pg_database_factory())):
        upgrade_schema(engine)
        assert current_revision(engine) is not None
        downgrade_schema(engine, "base")
        assert current_revision(engine) is None
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade_schema(engine)
        assert set(inspect(engine).get_table_names()) - {"alembic_version"} == set(Base.metadata.tables)
        engine.dispose()


def test_upgrade_brings_a_database_made_by_an_earlier_build_of_the_pre_release_revision_up_to_the_models(
        tmp_path: Path, pg_database_factory: Callable[[], str]) -> None:
    """A database stamped ``0001`` by an earlier build (here: the one before import batches were audited
    per batch: no ``audit_batch_id`` columns, two indexes since dropped, a table the build did not have)
    gets what the models added and loses the indexes they dropped, on SQLite and PostgreSQL; its rows stay;
    upgrading again changes nothing."""
    from sqlalchemy import text

    for engine in (create_engine_for(f"sqlite:///{tmp_path / 'earlier.sqlite'}"),
                   create_engine_for(pg_database_factory())):
        assert upgrade_schema(engine) == []
        with engine.begin() as connection:
            for table in ("warehouse_shipments", "warehouse_receipts", "transport_documents", "customs_entries",
                          "stock_snapshots"):
                connection.execute(text(f"ALTER TABLE {table} DROP COLUMN audit_batch_id"))
            connection.execute(text("CREATE INDEX ix_warehouse_shipments_tracking_number "
                                    "ON warehouse_shipments (tracking_number)"))
            connection.execute(text("CREATE INDEX ix_warehouse_shipment_lines_sku ON warehouse_shipment_lines (sku)"))
            for column in ("owner_id", "sku"):
                connection.execute(text(f"CREATE INDEX ix_stock_snapshots_{column} ON stock_snapshots ({column})"))
            connection.execute(text("CREATE INDEX ops_shipments_remark ON warehouse_shipments (remark)"))  # an operator's
            connection.execute(text("DROP TABLE job_runs"))
            connection.execute(text("INSERT INTO owners (owner_id, name, base_currency, created_at) "
                                    "VALUES ('LUMINA', 'Lumina', 'USD', CURRENT_TIMESTAMP)"))
        done = upgrade_schema(engine)
        assert sorted(line for line in done if "ix_job_runs" not in line) == sorted([
            "created table job_runs", *(f"added column {t}.audit_batch_id" for t in (
                "warehouse_shipments", "warehouse_receipts", "transport_documents", "customs_entries", "stock_snapshots")),
            "dropped index ix_warehouse_shipments_tracking_number (the models no longer have it)",
            "dropped index ix_warehouse_shipment_lines_sku (the models no longer have it)",
            *(f"dropped index ix_stock_snapshots_{c} (the models no longer have it)" for c in ("owner_id", "sku"))])
        assert current_revision(engine) == "0001" and upgrade_schema(engine) == []
        with engine.connect() as connection:
            assert [(d[0], d[1].name) for d in compare_metadata(MigrationContext.configure(connection), Base.metadata)] \
                == [("remove_index", "ops_shipments_remark")]  # (kept: not one of the models' indexes)
            assert connection.execute(text("SELECT owner_id FROM owners")).scalars().all() == ["LUMINA"]
        engine.dispose()


def test_a_database_made_before_runs_kept_their_deferred_count_gets_the_column(
        tmp_path: Path, pg_database_factory: Callable[[], str]) -> None:
    """A database of the build before ``sync_runs.deferred`` (orders left to a push's re-read, listed by
    ``runs list``): upgrading adds the column, its runs read 0 (the server default), on SQLite and
    PostgreSQL; a new run's count is stored; upgrading again changes nothing."""
    from datetime import datetime, timezone

    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from aggregator.store.models import SyncRun

    for engine in (create_engine_for(f"sqlite:///{tmp_path / 'before_deferred.sqlite'}"),
                   create_engine_for(pg_database_factory())):
        assert upgrade_schema(engine) == []
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE sync_runs DROP COLUMN deferred"))
            connection.execute(text("INSERT INTO owners (owner_id, name, base_currency, created_at) "
                                    "VALUES ('LUMINA', 'Lumina', 'USD', CURRENT_TIMESTAMP)"))
            connection.execute(text(
                "INSERT INTO shops (owner_id, platform, shop_id, region, name, status, created_at, updated_at) "
                "VALUES ('LUMINA', 'shopee', '111', 'MY', '', 'active', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
            shop = connection.execute(text("SELECT id FROM shops")).scalar_one()
            connection.execute(text(
                "INSERT INTO sync_runs (shop_pk, stream, mode, status, started_at, windows, created, updated, "
                "unchanged, stale, failed, unknown_status) VALUES "
                "(:shop, 'orders', 'incremental', 'succeeded', CURRENT_TIMESTAMP, 1, 2, 0, 0, 0, 0, 0)"),
                {"shop": shop})
        assert upgrade_schema(engine) == ["added column sync_runs.deferred"]
        assert upgrade_schema(engine) == []
        with Session(engine) as session:
            assert [(r.created, r.deferred) for r in session.query(SyncRun)] == [(2, 0)]
            session.add(SyncRun(shop_pk=shop, stream="orders", started_at=datetime.now(timezone.utc), deferred=3))
            session.commit()
            assert sorted(r.deferred for r in session.query(SyncRun)) == [0, 3]
        engine.dispose()


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
    """A database made before the lines lost their foreign key to their header is caught up: the foreign
    keys are dropped (``store/catch_up``), so its imports skip the per-line check like a new one's."""
    _add_the_old_foreign_keys(engine)
    upgrade_schema(engine)
    found = {table: inspect(engine).get_foreign_keys(table) for table in FKS}
    assert found == {table: [] for table in FKS}
