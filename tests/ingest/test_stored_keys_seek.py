"""PostgreSQL: the stored keys of a re-imported batch are sought in the table's unique index even before the
table has statistics (a file imported, then its cumulative next-day file at once): a plain join on the key
columns let the planner probe an index sharing the key's first columns (a stock snapshot's owner and
warehouse) and filter every stored row per key — 200k snapshots re-imported ran for over twenty minutes.
The seek is a row comparison in the unique index's column order (``bulk.index_order``), whatever order the
kind's key lists its columns in (with a stock key in another order than its index, tried 2026-12-01, a seek in
the key's order sought only the owner's column and filtered every row of the owner: +10 ms of a 50k-row import
per chunk). A batch's keys are read as ranges of that index, from a group's least key to its greatest: both
bounds row comparisons in its order, in the Index Cond of a scan of the unique index even with many rows
of other owners and warehouses stored and no statistics (with the bounds alone, the planner read the owner's
rows through the (owner, stored_at) index, taking the row comparisons' leading column for a range of it)."""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select, text

from aggregator.ingest import import_file
from aggregator.ingest.bulk import NewRows, _first_or_last_stored, _stored_positions, index_order
from aggregator.ingest.writers import STOCK_KEY
from aggregator.store.db import create_engine_for, session_scope, upgrade_schema
from aggregator.store.models.warehouse import StockSnapshotRow
from aggregator.tenancy import add_owner
from tests.conftest import SAMPLES
from tests.ingest.test_stored_key_ranges import CursorProxy


class _Explaining(CursorProxy):
    """A cursor that notes the plan of each statement it runs (``plans``, in order; ``plan``: the last one)."""

    def __init__(self, cursor) -> None:
        self.cursor, self.plans = cursor, []

    @property
    def plan(self) -> str:
        return self.plans[-1]

    def _explain(self, query: str, params) -> None:
        self.plans.append("\n".join(row[0] for row in self.cursor.execute("EXPLAIN " + query, params).fetchall()))

    def execute(self, query: str, params=None):
        self._explain(query, params)
        return self.cursor.execute(query, params)

    def executemany(self, query: str, params_seq, returning: bool = False):
        params_seq = list(params_seq)
        for params in params_seq:
            self._explain(query, params)
        return self.cursor.executemany(query, params_seq, returning=returning)


def _seeks_the_whole_key(plan: str) -> bool:
    """Whether every read of ``stock_snapshots`` in ``plan`` is a scan of its unique index whose Index Cond is
    the row comparison of every key column (none left to a filter)."""
    lines = plan.splitlines()
    reads = [(line, lines[i + 1].strip() if i + 1 < len(lines) else "") for i, line in enumerate(lines)
             if re.search(r"\bon stock_snapshots\b", line)]
    return bool(reads) and all(
        re.search(r"Index (Only )?Scan using uq_stock_snapshots\S* on", line) and cond.startswith("Index Cond: (ROW(")
        and all(k in cond.split(">=")[0] for k in STOCK_KEY) for line, cond in reads) and "Filter: (ROW(" not in plan


def _reads_the_key_range(plan: str) -> bool:
    """Whether ``plan`` reads ``stock_snapshots`` once, by a scan of its unique index whose Index Cond holds both
    row comparisons of every key column (the range's bounds), nothing left to a filter or a sort."""
    lines = plan.splitlines()
    reads = [(line, lines[i + 1].strip() if i + 1 < len(lines) else "") for i, line in enumerate(lines)
             if re.search(r"\bon stock_snapshots\b", line)]
    if len(reads) != 1:
        return False
    line, cond = reads[0]
    bounds = re.findall(r"ROW\(([^)]*(?:\([^)]*\)[^)]*)*)\) (>=|<=) ROW\(", cond)
    return (bool(re.search(r"Index Scan using uq_stock_snapshots\S* on", line)) and cond.startswith("Index Cond: ")
            and sorted(op for _, op in bounds) == ["<=", ">="] and all(k in row for row, _ in bounds for k in STOCK_KEY)
            and "Filter:" not in plan and "Sort" not in plan and "ix_stock_snapshots" not in plan)


def _stored_stock(pg_database_factory: Callable[[], str], tmp_path: Path):
    """A PostgreSQL database holding 3,000 stock snapshots of one import, without statistics yet, and their
    (key, content_hash) in key order."""
    engine = create_engine_for(pg_database_factory())
    upgrade_schema(engine)
    with session_scope(engine) as session:
        add_owner(session, "L", "Lumina")
    header, first = (SAMPLES / "stock_lots_snapshot.csv").read_text(encoding="utf-8").splitlines()[:2]
    lot = first.split(",")[1]
    path = tmp_path / "stock.csv"
    path.write_text("\n".join([header, *(first.replace(lot, f"LOT-{i:05d}", 1) for i in range(3000))]) + "\n",
                    encoding="utf-8")
    assert import_file(engine, "stock", path, owner_id="L").created == 3000
    table = StockSnapshotRow.__table__
    with engine.connect() as conn:
        assert conn.execute(text("SELECT reltuples < 0 FROM pg_class WHERE relname = 'stock_snapshots'")).scalar()
        stored = conn.execute(select(*(table.c[k] for k in STOCK_KEY), table.c.content_hash)
                              .order_by(*(table.c[k] for k in STOCK_KEY))).all()
    return engine, stored


def test_stored_keys_are_sought_in_the_unique_index_of_a_table_without_statistics(
        pg_database_factory: Callable[[], str], tmp_path: Path) -> None:
    engine, stored = _stored_stock(pg_database_factory, tmp_path)
    keys = [tuple(row[:-1]) for row in stored[::3]]
    missing = (keys[0][0], keys[0][1], "LOT-NOT-STORED", keys[0][3])
    new = NewRows(StockSnapshotRow.__table__, STOCK_KEY, list(STOCK_KEY), [*keys, missing], [])
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        with raw.cursor() as cursor:
            explaining = _Explaining(cursor)
            found = _stored_positions(explaining, engine.dialect, new)
    assert found == {i: row[-1] for i, row in enumerate(stored[::3])}  # (the key not stored: not found)
    assert len(explaining.plans) == 1 and _reads_the_key_range(explaining.plan), explaining.plans
    engine.dispose()


def test_a_key_range_is_read_in_the_unique_index_beside_other_owners_and_warehouses(
        pg_database_factory: Callable[[], str], tmp_path: Path) -> None:
    """Twenty thousand snapshots of another warehouse of the owner and of another owner stored, no statistics
    (autovacuum off, no ANALYZE): a batch's range is read by a scan of the unique index bounded by both keys,
    with the planner's choice and with sequential scans priced out."""
    engine, stored = _stored_stock(pg_database_factory, tmp_path)
    table = StockSnapshotRow.__table__
    with session_scope(engine) as session:
        add_owner(session, "M", "Other")
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE stock_snapshots SET (autovacuum_enabled = false)"))
        first = dict(zip(("owner_id", "snapshot_at", "lot_or_sku", "warehouse_code"), stored[0][:-1]))
        conn.execute(table.insert(), [{**first, "owner_id": owner, "warehouse_code": warehouse,
                                       "lot_or_sku": f"LOT-{i:05d}", "sku": "SKU", "content_hash": "x"}
                                      for owner, warehouse in (("L", "OTHER-WH"), ("M", first["warehouse_code"]))
                                      for i in range(10000)])
        assert conn.execute(text("SELECT reltuples < 0 FROM pg_class WHERE relname = 'stock_snapshots'")).scalar()
    keys = [tuple(row[:-1]) for row in stored[100:400]]
    new = NewRows(table, STOCK_KEY, list(STOCK_KEY), keys, [])
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        with raw.cursor() as cursor:
            for setting in ("on", "off"):
                cursor.execute(f"SET enable_seqscan = {setting}")
                explaining = _Explaining(cursor)
                found = _stored_positions(explaining, engine.dialect, new)
                assert found == {i: row[-1] for i, row in enumerate(stored[100:400])}
                assert len(explaining.plans) == 1 and _reads_the_key_range(explaining.plan), (setting, explaining.plans)
        raw.rollback()
    engine.dispose()


def test_the_first_and_last_keys_are_sought_in_the_unique_index(pg_database_factory: Callable[[], str],
                                                                   tmp_path: Path) -> None:
    """The probe of a batch's first and last keys (is it a re-imported file's?) seeks them in the unique
    index too, and answers whether either is stored."""
    engine, stored = _stored_stock(pg_database_factory, tmp_path)
    keys = [tuple(row[:-1]) for row in stored]
    missing = (keys[0][0], keys[0][1], "LOT-NOT-STORED", keys[0][3])
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        with raw.cursor() as cursor:
            for rows, answer in (([keys[5], missing], True), ([missing, keys[-1]], True), ([missing, missing], False)):
                probe, params = _first_or_last_stored(engine.dialect, NewRows(StockSnapshotRow.__table__, STOCK_KEY,
                                                                              list(STOCK_KEY), rows, []))
                plan = "\n".join(row[0] for row in cursor.execute(f"EXPLAIN SELECT {probe}", params).fetchall())
                assert _seeks_the_whole_key(plan), plan
                assert cursor.execute(f"SELECT {probe}", params).fetchone()[0] is answer
    engine.dispose()


def test_a_key_is_listed_in_the_order_of_the_unique_constraint_over_its_columns() -> None:
    """The unique constraint's order where one is over the key's columns, else the key's own."""
    from sqlalchemy import Column, Integer, MetaData, String, Table, UniqueConstraint

    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("owner_id", String),
                  Column("at", String), Column("lot", String), Column("warehouse", String),
                  UniqueConstraint("owner_id", "warehouse", "at", "lot"))
    assert index_order(table, ("owner_id", "at", "lot", "warehouse")) == ("owner_id", "warehouse", "at", "lot")
    assert index_order(table, ("owner_id", "lot")) == ("owner_id", "lot")
    stock = StockSnapshotRow.__table__
    assert index_order(stock, STOCK_KEY) == STOCK_KEY == ("owner_id", "snapshot_at", "lot_or_sku", "warehouse_code")
