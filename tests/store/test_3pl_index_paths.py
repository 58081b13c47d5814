"""Every query the code asks of ``stock_snapshots`` keeps an index path (an index searched by a condition of
the query, never a scan of the table or of a whole index) on both databases, with the snapshot indexes the
models keep (``models.warehouse.StockSnapshotRow``: the lot leads one index of the rows naming a lot, in place
of an (owner, lot, time) index and a lot index beside it); a database indexed by the earlier build gets these
in place of its own. The statements are the ones the code sends (recorded while it runs on a populated
database) and are planned with sequential scans priced out on PostgreSQL, so the test proves an index path
exists whatever the planner would pick at the table's size."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, insert, text

from aggregator.analytics.facts import stock_picture
from aggregator.api.reach import lots_named
from aggregator.matching_service import changes, loader, scope
from aggregator.store.db import create_engine_for, session_factory, upgrade_schema
from aggregator.store.models.warehouse import StockSnapshotRow

NOW = datetime.now(timezone.utc)
DAYS = (datetime(2026, 3, 30, 15, 59, 59, tzinfo=timezone.utc), datetime(2026, 3, 31, 15, 59, 59, tzinfo=timezone.utc))


def _populate(engine: Engine) -> None:
    """Two owners' snapshots of two days in two warehouses: rows naming a lot, rows naming none (a SKU's
    stock) and lots in transit (no warehouse yet)."""
    rows = []
    for owner in ("BENCH", "OTHER"):
        for at in DAYS:
            for n in range(1000):
                lot = f"LOT-{n:04d}" if n % 5 else None
                warehouse = "" if n % 7 == 0 else ("MYPKG-WH01", "MYPKG-WH02")[n % 2]
                rows.append({"owner_id": owner, "snapshot_at": at, "lot_or_sku": lot or f"SKU-{n:04d}", "sku": f"SKU-{n:04d}",
                             "warehouse_code": warehouse, "lot_id": lot, "qty_available": n, "content_hash": f"{n}",
                             "stored_at": NOW - timedelta(days=2 if at == DAYS[0] else 0)})
    with engine.begin() as connection:
        connection.execute(insert(StockSnapshotRow), rows)
        connection.execute(text("ANALYZE"))


#: the code's reads of stock snapshots, each with the index that must answer it (None: any index searched by
#: a condition of the query: an owner's whole snapshots)
READS: dict[str, tuple[Callable, str | None]] = {
    "latest snapshot of each lot": (lambda s: loader.load_lots(s, "BENCH"), None),
    "lots a warehouse reported": (lambda s: loader.load_lots(s, "BENCH", warehouses=["MYPKG-WH01"]), None),
    "lots in transit": (lambda s: loader.load_transit_lots(s, "BENCH"), None),
    "named lots in transit": (lambda s: loader.load_transit_lots(s, "BENCH", ["LOT-0001", "LOT-0002"]),
                              "ix_stock_snapshots_lot_owner_at_given"),
    "warehouses of the owner's lots": (lambda s: scope.RawCodes.read(s, "BENCH"), None),
    "lots changed and their warehouses": (lambda s: changes.changed_partitions(s, "BENCH", NOW - timedelta(days=1), 0),
                                          None),
    "where a lot is": (lambda s: lots_named(s, None, "LOT-0003"), "ix_stock_snapshots_lot_owner_at_given"),
    "stock picture": (lambda s: stock_picture(s, "BENCH", NOW), None),
}


def _statements(engine: Engine, read: Callable) -> list[tuple[str, object]]:
    """The statements naming ``stock_snapshots`` that ``read`` sends, with their parameters."""
    sent: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, executemany) -> None:
        if "stock_snapshots" in statement and not executemany:
            sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    session = session_factory(engine)()
    try:
        read(session)
    finally:
        session.close()
        event.remove(engine, "before_cursor_execute", record)
    assert sent, "the read asked nothing of stock_snapshots"
    return sent


def _pg_scans(plan: list[str]) -> list[tuple[str, str]]:
    """(node line, its detail lines) of each node of ``plan`` reading ``stock_snapshots`` or its indexes."""
    nodes: list[tuple[str, list[str]]] = []
    for line in plan:
        if "->" in line or not nodes:
            nodes.append((line, []))
        else:
            nodes[-1][1].append(line)
    return [(node, " ".join(detail)) for node, detail in nodes if "Scan" in node and "stock_snapshots" in node]


def _pg_plan_searches(connection, statement: str, parameters: object, index: str | None) -> None:
    connection.execute("SET enable_seqscan = off")
    plan = [row[0] for row in connection.execute(f"EXPLAIN {statement}", parameters)]
    scans = _pg_scans(plan)
    assert scans, plan
    for node, detail in scans:
        assert "Seq Scan" not in node, "\n".join(plan)
        if "Index" in node and "Bitmap Heap" not in node:  # (an index read whole is no index path)
            assert "Index Cond" in detail, "\n".join(plan)
    if index is not None:
        assert any(index in node for node, _ in scans), "\n".join(plan)


def _sqlite_plan_searches(connection, statement: str, parameters: object, index: str | None) -> None:
    plan = [str(row[-1]) for row in connection.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)]
    reads = [line for line in plan if re.search(r"\bstock_snapshots\b", line)]
    assert reads, plan
    assert all(line.startswith("SEARCH ") for line in reads), plan  # (SCAN: the table or an index read whole)
    if index is not None:
        assert any(index in line for line in reads), plan


@pytest.mark.parametrize("read", sorted(READS))
def test_every_snapshot_read_searches_an_index(pg_engine, sqlite_engine, read: str) -> None:
    run, index = READS[read]
    for engine, check in ((pg_engine, _pg_plan_searches), (sqlite_engine, _sqlite_plan_searches)):
        _populate(engine)
        statements = _statements(engine, run)
        raw = engine.raw_connection()
        try:
            cursor = raw.driver_connection.cursor()
            for statement, parameters in statements:
                check(cursor, statement, parameters, index)
            cursor.close()
        finally:
            raw.driver_connection.rollback()
            raw.close()


#: the snapshot indexes of the build before (named like the models', so ``catch_up`` drops them)
EARLIER = {"ix_stock_snapshots_owner_lot": "(owner_id, lot_id, snapshot_at)",
           "ix_stock_snapshots_lot_id_given": "(lot_id) WHERE lot_id IS NOT NULL"}
NOW_MADE = ("ix_stock_snapshots_lot_owner_at_given",)


def test_a_database_with_the_earlier_snapshot_indexes_gets_these(tmp_path: Path,
                                                                pg_database_factory: Callable[[], str]) -> None:
    """On SQLite and PostgreSQL: the earlier build's two lot indexes are dropped and the one made, the rows
    kept; upgrading again changes nothing."""
    for engine in (create_engine_for(f"sqlite:///{tmp_path / 'earlier.sqlite'}"), create_engine_for(pg_database_factory())):
        assert upgrade_schema(engine) == []
        _populate(engine)
        with engine.begin() as connection:
            for name in NOW_MADE:
                connection.execute(text(f"DROP INDEX {name}"))
            for name, columns in EARLIER.items():
                connection.execute(text(f"CREATE INDEX {name} ON stock_snapshots {columns}"))
        assert sorted(upgrade_schema(engine)) == sorted(
            [*(f"dropped index {name} (the models no longer have it)" for name in EARLIER),
             *(f"created index {name}" for name in NOW_MADE)])
        assert upgrade_schema(engine) == []
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                names = connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index' "
                                                   "AND tbl_name = 'stock_snapshots'").scalars().all()
            else:
                names = connection.exec_driver_sql("SELECT indexname FROM pg_indexes "
                                                   "WHERE tablename = 'stock_snapshots'").scalars().all()
            assert set(NOW_MADE) <= set(names) and not set(EARLIER) & set(names)
            assert connection.execute(text("SELECT count(*) FROM stock_snapshots")).scalar() == 4000
        engine.dispose()
