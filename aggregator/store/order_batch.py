"""The sync's new and unchanged orders of a batch, written as typed tuples (``write_orders``'s fast path).

``settle`` takes the batch's header tuples (``order_rows.order_row``), reads the stored
(id, content hash, owner, source time) of its keys in a few index lookups straight on the driver, and
decides there what needs no comparison: an order stored with the same hash, owner and source time is
UNCHANGED; an order not stored is inserted with its lines, packages, ``create`` audit entry and
``order.created`` event, one prepared executemany per table on SQLite, the headers through a pipelined
``INSERT … ON CONFLICT DO NOTHING RETURNING id`` and the rest through COPY on PostgreSQL. No dict or
ORM object is made per order on the way. What is left (stored but different, a key repeated in the
batch, a key another writer stored meanwhile) is answered None, for the caller's ``upsert_many``.

The stored rows, audit entries and events are the ones the per-row path writes
(``tests/store/test_order_write_paths.py`` compares them with SQLAlchemy Core's on a realistic batch).
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from operator import itemgetter
from typing import Any

from sqlalchemy.orm import Session

from aggregator.events.emitters import ORDER_EVENT, orders_created
from aggregator.events.outbox import emit_many
from aggregator.store.audit_json import audit_entries
from aggregator.store.models.audit import AuditEntry
from aggregator.store.models.marketplace import OrderLineRow, OrderPackageRow, OrderRow
from aggregator.store.order_rows import LINE_COLUMNS, ORDER_COLUMNS, PACKAGE_COLUMNS, line_tuples, package_tuples
from aggregator.store.prepared_insert import (
    converters,
    copy_postgresql,
    executemany_sqlite,
    insert_new_postgresql,
    insert_new_sqlite,
    python_defaults,
)
from aggregator.store.upsert import UpsertOutcome, UpsertResult
from platform_adapters.canonical import Order

KEY = ("platform", "shop_id", "order_id")
LOOKUP_BATCH = 500
AUDIT_COLUMNS = ["at", "entity", "entity_key", "action", "owner_id", "actor", "changes"]
_TABLE = OrderRow.__table__
_COLUMNS = list(ORDER_COLUMNS)
_AT = {name: i for i, name in enumerate(ORDER_COLUMNS)}


def settle(session: Session, orders: Sequence[Order], rows: list[tuple], owner_id: str) -> list[UpsertResult | None]:
    """Decide and write what needs no column comparison (see the module's docstring); the result of each
    order in batch order, None where the caller's ``upsert_many`` decides. ``rows`` are the orders'
    ``order_row`` tuples."""
    results: list[UpsertResult | None] = [None] * len(rows)
    if not rows:
        return results
    dialect = session.get_bind().dialect
    if dialect.name not in ("sqlite", "postgresql"):
        return results
    at = _AT
    k0, k1, k2 = (at[k] for k in KEY)
    keys = [(row[k0], row[k1], row[k2]) for row in rows]
    counts: dict[tuple, int] = {}
    for k in keys:
        counts[k] = counts.get(k, 0) + 1
    session.flush()
    cursor = session.connection().connection.driver_connection.cursor()
    try:
        stored = _stored(cursor, dialect, [k for k in counts if counts[k] == 1])
        time_of = at["source_updated_at"]
        as_stored = _as_stored(dialect)
        hash_at, owner_at = at["content_hash"], at["owner_id"]
        new = []
        for index, (k, row) in enumerate(zip(keys, rows)):
            if counts[k] > 1:
                continue  # a repeated key: applied in order by the caller
            found = stored.get(k)
            if found is None:
                new.append(index)
            elif found[1] == row[hash_at] and found[2] == row[owner_at] and found[3] == as_stored(row[time_of]):
                results[index] = UpsertResult(UpsertOutcome.UNCHANGED, found[0])
        if new:
            _insert(session, cursor, dialect, orders, rows, new, owner_id, results)
    finally:
        cursor.close()
    return results


def _as_stored(dialect: Any):
    """A source time as the lookup reads it back: SQLite's stored text, PostgreSQL's aware datetime."""
    if dialect.name == "sqlite":
        return converters(dialect, _TABLE, ["source_updated_at"])[0][1]
    return lambda value: value


def _stored(cursor: Any, dialect: Any, keys: list[tuple]) -> dict[tuple, tuple]:
    """(id, content_hash, owner_id, source_updated_at) of each of ``keys`` that is stored, by key: the keys
    of one shop asked as ``platform = … AND shop_id = … AND order_id IN (…)`` (the unique index)."""
    by_shop: dict[tuple, list] = {}
    for platform, shop_id, order_id in keys:
        by_shop.setdefault((platform, shop_id), []).append(order_id)
    mark = "?" if dialect.name == "sqlite" else "%s"
    found: dict[tuple, tuple] = {}
    for (platform, shop_id), ids in by_shop.items():
        for start in range(0, len(ids), LOOKUP_BATCH):
            part = ids[start:start + LOOKUP_BATCH]
            cursor.execute(f"SELECT order_id, id, content_hash, owner_id, source_updated_at FROM orders "
                           f"WHERE platform = {mark} AND shop_id = {mark} AND order_id IN ({', '.join([mark] * len(part))})",
                           (platform, shop_id, *part))
            for row in cursor.fetchall():
                found[(platform, shop_id, row[0])] = row[1:]
    return found


def _insert(session: Session, cursor: Any, dialect: Any, orders: Sequence[Order], rows: list[tuple],
            new: list[int], owner_id: str, results: list[UpsertResult | None]) -> None:
    """Insert the headers of the ``new`` positions (their keys found absent), then, for those inserted, their
    lines, packages, audit entries and events; a key another writer stored meanwhile stays None."""
    columns = _COLUMNS
    defaults = python_defaults(_TABLE, columns)
    extra = tuple(defaults.values())
    header_rows = [rows[i] + extra for i in new] if extra else [rows[i] for i in new]
    if dialect.name == "sqlite":
        ids = insert_new_sqlite(cursor, dialect, _TABLE, [*columns, *defaults], header_rows, KEY)
        many = executemany_sqlite
    else:
        ids = insert_new_postgresql(cursor, dialect, _TABLE, [*columns, *defaults], header_rows, KEY)
        many = copy_postgresql
    made = [(index, pk) for index, pk in zip(new, ids) if pk is not None]
    if not made:
        return
    lines, packages = [], []
    for index, pk in made:
        results[index] = UpsertResult(UpsertOutcome.CREATED, pk)
        order = orders[index]
        lines += line_tuples(pk, order)
        if order.packages:
            packages += package_tuples(pk, order)
    for table, table_columns, table_rows in ((OrderLineRow.__table__, LINE_COLUMNS, lines),
                                             (OrderPackageRow.__table__, PACKAGE_COLUMNS, packages)):
        if table_rows:
            _many(many, cursor, dialect, table, list(table_columns), table_rows)
    created = [rows[index] for index, _ in made]
    now = datetime.now(timezone.utc)  # the audit entries' time
    _many(many, cursor, dialect, AuditEntry.__table__, AUDIT_COLUMNS,
          [(now, "orders", key, "create", owner, "system", changes)
           for key, owner, changes in audit_entries(columns, created, KEY)])
    picks = itemgetter(*(_AT[name] for name in ORDER_EVENT))
    emit_many(session, orders_created(owner_id, list(map(picks, created))), prepared=True)


def _many(many: Any, cursor: Any, dialect: Any, table: Any, columns: list[str], rows: list[tuple]) -> None:
    defaults = python_defaults(table, columns)
    if defaults:
        extra = tuple(defaults.values())
        columns, rows = [*columns, *defaults], [row + extra for row in rows]
    many(cursor, dialect, table, columns, rows)
