"""The per-run reads the (owner, warehouse, lot) snapshot index answers index-only (``scope.RawCodes.read``: the
warehouses of the owner's named lots; ``loader.load_lots(warehouses=)``: the lots a warehouse reported) must not
read the owner's whole snapshot history from the table: on PostgreSQL, with a realistic history (every day a
snapshot of every lot) and the planner left free, neither is a Seq Scan of ``stock_snapshots``. A unique key
(owner, warehouse, time, lot) in place of that index (tried 2026-12-01 for a cheaper import: PostgreSQL's COPY
of 50k snapshots 8% faster) made the planner scan the table for both (1.5M rows of one owner: RawCodes.read
0.084 -> 0.163 s, load_lots(warehouses=) 0.255 -> 0.540 s, growing with the history): reverted."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from aggregator.matching_service import loader, scope
from aggregator.store.db import session_factory

#: each read, and which of its statements' Seq Scans of ``stock_snapshots`` (the node's line and its Filter) is
#: the owner's history read for what the (owner, warehouse, lot) index answered (``load_lots``' latest snapshot of
#: every named lot reads all their rows whatever the indexes: not that one)
READS = {"warehouses of the owner's lots": (lambda s: scope.RawCodes.read(s, "L"), lambda node, detail: True),
         "lots a warehouse reported": (lambda s: loader.load_lots(s, "L", warehouses=["WH1"]),
                                       lambda node, detail: "warehouse_code" in detail)}


def _history(engine) -> None:
    """60 daily snapshots of 3000 lots over 3 warehouses of owner L (180k rows), vacuumed and analysed."""
    with engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM stock_snapshots")
        connection.exec_driver_sql(
            "INSERT INTO stock_snapshots (owner_id, snapshot_at, lot_or_sku, warehouse_code, lot_id, sku, "
            "content_hash, stored_at, qty_in_receiving, qty_available, qty_allocated, qty_in_last_mile, "
            "qty_expected, qty_delivered, qty_defective, qty_box_damaged) "
            "SELECT 'L', timestamptz '2026-01-01' + d * interval '1 day', 'LOT-' || l, 'WH' || (l %% 3), "
            "'LOT-' || l, 'SKU-' || l, md5(d::text || l::text), now(), 0, 5, 0, 0, 0, 0, 0, 0 "
            "FROM generate_series(1, 60) d, generate_series(1, 3000) l")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE stock_snapshots")


@pytest.mark.parametrize("read", sorted(READS))
def test_a_per_run_snapshot_read_does_not_scan_the_owners_history(pg_engine, read: str) -> None:
    _history(pg_engine)
    sent: list[tuple[str, object]] = []
    def record(_conn, _cursor, statement, parameters, _context, executemany) -> None:
        if "stock_snapshots" in statement and not executemany:
            sent.append((statement, parameters))

    event.listen(pg_engine, "before_cursor_execute", record)
    session = session_factory(pg_engine)()
    try:
        READS[read][0](session)
    finally:
        session.close()
        event.remove(pg_engine, "before_cursor_execute", record)
    assert sent
    raw = pg_engine.raw_connection()
    try:
        cursor = raw.driver_connection.cursor()
        for statement, parameters in sent:
            plan = [row[0] for row in cursor.execute(f"EXPLAIN {statement}", parameters)]
            nodes: list[list[str]] = []
            for line in plan:
                if "->" in line or not nodes:
                    nodes.append([line])
                else:
                    nodes[-1].append(line)
            assert not any("Seq Scan on stock_snapshots" in node[0] and READS[read][1](node[0], " ".join(node[1:]))
                           for node in nodes), "\n".join(plan)
    finally:
        raw.driver_connection.rollback()
        raw.close()
