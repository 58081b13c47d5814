"""Identifier and code columns that stock snapshots' keys and indexes hold compare bytewise on both databases
(``models.warehouse.code``: "C" on PostgreSQL, whose database collation, not "C" to it, copied both texts and
called ``strcoll`` on every comparison an index insert made; SQLite compares bytes already): they sort in
byte order, and equalities and joins with columns of the database's collation (a stock movement's lot,
``String`` in ``models.inventory``) still answer."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Engine, insert, select, text

from aggregator.store.models.inventory import StockMovementRow
from aggregator.store.models.warehouse import StockSnapshotRow

AT = datetime(2026, 3, 31, 15, 59, 59, tzinfo=timezone.utc)
#: texts whose byte order is not a linguistic one (case, an accent, a digit after letters)
LOTS = ["lot-b", "LOT-a", "Lot-é", "LOT-Z", "LOT-1", "lot-É"]
KEYED = ("owner_id", "lot_or_sku", "warehouse_code", "lot_id")


def _stored(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(insert(StockSnapshotRow), [
            {"owner_id": owner, "snapshot_at": AT, "lot_or_sku": lot, "sku": "SKU-1", "warehouse_code": warehouse,
             "lot_id": lot, "content_hash": lot} for lot in LOTS for owner, warehouse in (("b", "WH-b"), ("B", "WH-B"))])
        connection.execute(insert(StockMovementRow), [
            {"movement_id": f"M-{n}", "owner_id": "b", "warehouse_code": "WH-b", "sku": "SKU-1", "lot_id": lot,
             "kind": "RECEIPT", "quantity": 1, "occurred_at": AT} for n, lot in enumerate(LOTS)])


def test_identifiers_sort_in_byte_order(engine: Engine) -> None:
    _stored(engine)
    by_bytes = sorted(LOTS, key=lambda lot: lot.encode())
    with engine.connect() as connection:
        for column in (StockSnapshotRow.lot_or_sku, StockSnapshotRow.lot_id):
            found = connection.execute(select(column).where(StockSnapshotRow.owner_id == "B").order_by(column))
            assert found.scalars().all() == by_bytes, column
        warehouses = connection.execute(select(StockSnapshotRow.warehouse_code).distinct().order_by(StockSnapshotRow.warehouse_code))
        assert warehouses.scalars().all() == ["WH-B", "WH-b"]
        owners = connection.execute(select(StockSnapshotRow.owner_id).distinct().order_by(StockSnapshotRow.owner_id))
        assert owners.scalars().all() == ["B", "b"]
        joined = connection.execute(
            select(StockMovementRow.lot_id).join(StockSnapshotRow, StockSnapshotRow.lot_id == StockMovementRow.lot_id)
            .where(StockSnapshotRow.owner_id == "b").order_by(StockSnapshotRow.lot_id)).scalars().all()
        assert joined == by_bytes
        named = connection.execute(select(StockSnapshotRow.lot_or_sku).where(
            StockSnapshotRow.owner_id == "b", StockSnapshotRow.lot_or_sku.in_(["LOT-a", "lot-É"]))).scalars().all()
        assert sorted(named) == ["LOT-a", "lot-É"]


def test_postgresql_keys_and_indexes_compare_bytewise(pg_engine: Engine) -> None:
    with pg_engine.connect() as connection:
        found = dict(connection.execute(text(
            "SELECT a.attname, c.collname FROM pg_attribute a JOIN pg_collation c ON c.oid = a.attcollation "
            "WHERE a.attrelid = 'stock_snapshots'::regclass AND a.attname = ANY(:names)"), {"names": list(KEYED)}).all())
        joined_with = connection.execute(text(  # (the column ``test_identifiers_sort_in_byte_order`` joins with)
            "SELECT c.collname FROM pg_attribute a JOIN pg_collation c ON c.oid = a.attcollation "
            "WHERE a.attrelid = 'stock_movements'::regclass AND a.attname = 'lot_id'")).scalar_one()
    assert found == dict.fromkeys(KEYED, "C")
    assert joined_with == "default"


def test_rows_as_arrays_cast_to_columns_of_the_c_collation(pg_engine: Engine) -> None:
    """``together.unnest`` names each column's type in an array cast: a "C" column's type without its collation
    (``VARCHAR(64) COLLATE "C"[]`` is no type to PostgreSQL), and the texts compare with the column in "C"."""
    from aggregator.store.together import unnest

    _stored(pg_engine)
    table = StockSnapshotRow.__table__
    rows_sql, arrays = unnest(pg_engine.dialect, table, ["owner_id", "lot_or_sku"], [("B", "LOT-a"), ("b", "lot-É")])
    raw = pg_engine.raw_connection()
    try:
        with raw.driver_connection.cursor() as cursor:
            cursor.execute(f"SELECT s.owner_id, s.lot_or_sku FROM {rows_sql} AS k(owner_id, lot_or_sku) JOIN "
                           "stock_snapshots s USING (owner_id, lot_or_sku) ORDER BY s.owner_id", arrays)
            assert cursor.fetchall() == [("B", "LOT-a"), ("b", "lot-É")]
    finally:
        raw.close()
