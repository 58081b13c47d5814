"""PostgreSQL: the stored keys of a re-imported batch are sought in the table's unique index even before the
table has statistics (a file imported, then its cumulative next-day file at once): a plain join on the key
columns let the planner probe an index sharing the key's first columns (a stock snapshot's owner and
warehouse) and filter every stored row per key — 200k snapshots re-imported ran for over twenty minutes."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select, text

from aggregator.ingest import import_file
from aggregator.ingest.bulk import NewRows, _stored_positions
from aggregator.ingest.writers import STOCK_KEY
from aggregator.store.db import create_engine_for, session_scope, upgrade_schema
from aggregator.store.models.warehouse import StockSnapshotRow
from aggregator.tenancy import add_owner
from tests.conftest import SAMPLES


class _Explaining:
    """A cursor that notes the plan of what it runs."""

    def __init__(self, cursor) -> None:
        self.cursor, self.plan = cursor, ""

    def execute(self, query: str, params=None):
        self.plan = "\n".join(row[0] for row in self.cursor.execute("EXPLAIN " + query, params).fetchall())
        return self.cursor.execute(query, params)

    def fetchall(self):
        return self.cursor.fetchall()


def test_stored_keys_are_sought_in_the_unique_index_of_a_table_without_statistics(
        pg_database_factory: Callable[[], str], tmp_path: Path) -> None:
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
    keys = [tuple(row[:-1]) for row in stored[::3]]
    missing = (keys[0][0], keys[0][1], "LOT-NOT-STORED", keys[0][3])
    new = NewRows(table, STOCK_KEY, list(STOCK_KEY), [*keys, missing], [])
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        with raw.cursor() as cursor:
            explaining = _Explaining(cursor)
            found = _stored_positions(explaining, engine.dialect, new)
    assert found == {i: row[-1] for i, row in enumerate(stored[::3])}  # (the key not stored: not found)
    assert "uq_stock_snapshots" in explaining.plan and "ix_stock_snapshots" not in explaining.plan, explaining.plan
    engine.dispose()
