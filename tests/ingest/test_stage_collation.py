"""PostgreSQL: the staged statement of a bulk import (``bulk._write_new_postgresql``) finds the stored rows of its
batch through the table's unique index by the whole key, whatever collation the table's key columns have: "C" on a
database made by this build (``models.warehouse.code``), the database's default on one made by an earlier build
(``store/catch_up`` changes no type). A staging column in "C" compared with a column in the default collation
compares in "C", which the default-collation index cannot answer: the join then sought by the snapshot instant
alone and filtered every row of it (or hashed the whole table)."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, String, UniqueConstraint, text

from aggregator.ingest import bulk
from aggregator.store.db import create_engine_for, upgrade_schema
from aggregator.store.models.warehouse import StockSnapshotRow, WarehouseReceiptRow, WarehouseShipmentRow

TABLES = [model.__table__ for model in (StockSnapshotRow, WarehouseReceiptRow, WarehouseShipmentRow)]


def _key(table) -> list[str]:
    return next(list(c.columns.keys()) for c in table.constraints if isinstance(c, UniqueConstraint))


@pytest.fixture
def earlier_build_engine(pg_database_factory: Callable[[], str]) -> Iterator[Engine]:
    """A database whose 3PL code columns are in the database's default collation, as an earlier build made them."""
    engine = create_engine_for(pg_database_factory())
    upgrade_schema(engine)
    with engine.begin() as connection:
        for table in TABLES:
            for column in table.columns:
                kind = column.type.dialect_impl(engine.dialect)
                if isinstance(kind, String) and kind.collation is not None:
                    connection.execute(text(f'ALTER TABLE {table.name} ALTER COLUMN {column.name} '
                                            f'TYPE varchar({kind.length}) COLLATE "default"'))
    yield engine
    engine.dispose()


def _index_conditions(engine: Engine, table) -> str:
    """The index conditions of the staged statement's join of the staging table to ``table`` (as
    ``bulk._write_new_postgresql`` writes it), planned with the table's unique index its only one (the others
    dropped in a transaction rolled back) and every other way priced out."""
    quote = engine.dialect.identifier_preparer.quote
    stage = quote(f"_test_stage_{table.name}")
    on = " AND ".join(f"t.{quote(k)} = s.{quote(k)}" for k in _key(table))
    with engine.connect() as connection:
        for name, in connection.execute(text(
                "SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = CAST(:t AS regclass) AND NOT indisunique"),
                {"t": table.name}).all():
            connection.execute(text(f"DROP INDEX {name}"))
        connection.execute(text(f"CREATE TEMP TABLE {stage} (_seq integer, _pos integer, "
                                f"{bulk._stage_columns(table, engine.dialect)}, _entity_key text, _changes jsonb)"))
        for switch in ("seqscan", "hashjoin", "mergejoin", "bitmapscan"):
            connection.execute(text(f"SET LOCAL enable_{switch} = off"))
        plan = [line for line, in connection.execute(text(
            f"EXPLAIN SELECT s._seq FROM {stage} s JOIN {quote(table.name)} t ON {on} "
            "WHERE t.content_hash = s.content_hash"))]
        connection.rollback()
    return " ".join(line for line in plan if "Index Cond" in line)


@pytest.mark.parametrize("table", TABLES, ids=lambda table: table.name)
@pytest.mark.parametrize("database", ["this build", "earlier build"])
def test_the_staged_join_seeks_the_whole_key(request: pytest.FixtureRequest, database: str, table) -> None:
    engine = request.getfixturevalue("pg_engine" if database == "this build" else "earlier_build_engine")
    conditions = _index_conditions(engine, table)
    for k in _key(table):
        assert re.search(rf"\b{k}\)?(::text)? = \(?s\.{k}\b", conditions), (k, conditions)
