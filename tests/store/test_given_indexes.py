"""The partial indexes of nullable lookup columns (``models.warehouse.given_index``: ``… WHERE column IS NOT
NULL``) answer the queries asked of those columns (``=`` and ``IN``, also as a prepared statement's generic
plan on PostgreSQL, and the OR of several that ``api/reach`` asks of a receipt's bills) on both databases,
and a database indexed in full by an earlier build gets the partial indexes in place of the full ones."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

import aggregator.store.models  # noqa: F401  (every table in the metadata)
from aggregator.store.base import Base
from aggregator.store.db import create_engine_for, upgrade_schema

#: (table, column, index name) of each partial index led by the column it holds the values of (a lookup by
#: that column's values is answered from it); others (``stock_snapshots``' (owner, warehouse, lot) of the rows
#: naming a lot) are checked with their queries in ``test_3pl_index_paths``
GIVEN = sorted(((index.table.name, index.expressions[0].name, index.name) for table in Base.metadata.tables.values()
                for index in table.indexes if index.name.endswith("_given")
                and str(index.dialect_options["postgresql"]["where"]) == f"{index.expressions[0].name} IS NOT NULL"))


def test_the_nullable_lookup_columns_of_the_3pl_tables_are_indexed_where_given() -> None:
    assert {(t, c) for t, c, _ in GIVEN} >= {
        ("warehouse_receipts", c) for c in ("mbl_no", "hbl_no", "awb_no", "container_no", "customs_declaration_no")} | {
        ("warehouse_receipt_lines", "lot_id"), ("warehouse_shipment_lines", "lot_id"),
        ("warehouse_shipments", "order_id"), ("stock_snapshots", "lot_id")}
    for table, column, name in GIVEN:
        assert not Base.metadata.tables[table].c[column].index  # (no full index beside it)


def _pg_plan(connection, query: str, types: str, values: str) -> str:
    """The generic plan of ``query`` prepared with parameters of ``types``, without sequential scans."""
    connection.execute(text("SET enable_seqscan = off"))
    connection.execute(text("SET plan_cache_mode = force_generic_plan"))
    connection.execute(text(f"PREPARE given_q ({types}) AS {query}"))
    try:
        return "\n".join(connection.execute(text(f"EXPLAIN EXECUTE given_q ({values})")).scalars())
    finally:
        connection.execute(text("DEALLOCATE given_q"))


@pytest.mark.parametrize(("table", "column", "name"), GIVEN)
def test_equality_and_in_use_the_partial_index(pg_engine, sqlite_engine, table: str, column: str, name: str) -> None:
    with pg_engine.connect() as connection:
        for where, types, values in ((f"{column} = $1", "text", "'X'"),
                                     (f"{column} IN ($1, $2)", "text, text", "'X', 'Y'"),
                                     (f"{column} = ANY($1)", "text[]", "ARRAY['X', 'Y']")):
            plan = _pg_plan(connection, f"SELECT * FROM {table} WHERE {where}", types, values)
            assert name in plan, plan
    with sqlite_engine.connect() as connection:
        for where, values in ((f"{column} = ?", ("X",)), (f"{column} IN (?, ?)", ("X", "Y"))):
            plan = " ".join(str(row[-1]) for row in connection.exec_driver_sql(
                f"EXPLAIN QUERY PLAN SELECT * FROM {table} WHERE {where}", values))
            assert name in plan, plan


def test_the_bills_of_a_receipt_asked_together_use_their_partial_indexes(pg_engine, sqlite_engine) -> None:
    """``api/reach``: receipts naming any of some numbers as master bill, house bill or air waybill."""
    where = "mbl_no IN ({0}) OR hbl_no IN ({0}) OR awb_no IN ({0})"
    with pg_engine.connect() as connection:
        plan = _pg_plan(connection, f"SELECT id FROM warehouse_receipts WHERE {where.format('$1, $2')}",
                        "text, text", "'X', 'Y'")
    assert all(f"ix_warehouse_receipts_{c}_given" in plan for c in ("mbl_no", "hbl_no", "awb_no")), plan
    with sqlite_engine.connect() as connection:
        plan = " ".join(str(row[-1]) for row in connection.exec_driver_sql(
            f"EXPLAIN QUERY PLAN SELECT id FROM warehouse_receipts WHERE {where.format('?, ?')}", ("X", "Y") * 3))
    assert all(f"ix_warehouse_receipts_{c}_given" in plan for c in ("mbl_no", "hbl_no", "awb_no")), plan


def test_a_database_indexed_in_full_gets_the_partial_indexes(tmp_path: Path,
                                                            pg_database_factory: Callable[[], str]) -> None:
    """An earlier build's full index of each such column (``ix_<table>_<column>``) is dropped and the partial
    one made, on SQLite and PostgreSQL; upgrading again changes nothing."""
    for engine in (create_engine_for(f"sqlite:///{tmp_path / 'full.sqlite'}"), create_engine_for(pg_database_factory())):
        assert upgrade_schema(engine) == []
        with engine.begin() as connection:
            for table, column, name in GIVEN:
                connection.execute(text(f"DROP INDEX {name}"))
                connection.execute(text(f"CREATE INDEX ix_{table}_{column} ON {table} ({column})"))
        done = upgrade_schema(engine)
        assert sorted(done) == sorted([*(f"dropped index ix_{t}_{c} (the models no longer have it)" for t, c, _ in GIVEN),
                                       *(f"created index {name}" for _, _, name in GIVEN)])
        assert upgrade_schema(engine) == []
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                made = dict(connection.exec_driver_sql(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name LIKE '%\\_given' ESCAPE '\\'").all())
            else:
                made = dict(connection.exec_driver_sql(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE '%%\\_given'").all())
        assert set(made) == {name for _, _, name in GIVEN}
        assert all(f"{column} IS NOT NULL" in made[name] for _, column, name in GIVEN), made
        engine.dispose()
