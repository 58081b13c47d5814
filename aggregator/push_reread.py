"""The push re-read's write (``push_apply._reread``): decided before the batch's orders are locked, then
written under the locks in as few statements as there can be.

A push of an order locks the order's row first (``push_apply.patch_new``), so every moment the re-read
holds the batch's order locks is a moment a push of one of those orders waits. The re-read therefore
decides everything it will write while holding none: ``plan`` reads the batch's stored orders with their
row version (PostgreSQL's ``xmin``, which every write of the row changes), compares each read order
with its stored row (``upsert.decide_existing``, the sync's own decision), and builds the header
updates, the lines and packages that differ (``marketplace_writer.alike``), the audit entries and the
``order.status_changed`` events. Only then are the orders locked (``push_apply._lock_orders``, which
returns their versions): an order whose version moved since ``plan`` read it (a push or a sync wrote
it meanwhile) is written the general way (``sync.marketplace.write_read_orders``) under the lock, as
before; every other planned order is written by ``write_planned``: its header updates, audit entries,
events and the batch's event outcomes in one statement (data-modifying CTEs), one more before it
when lines or packages are replaced (a unique key cannot be deleted and inserted in one statement).
From the lock to the commit no Python decides anything.

What ``plan`` leaves to the general path: orders not stored (created), not written as they are
(parked: ``sync.framework.unwritable``), repeated in the batch, or stored under an older hash
version. SQLite has one writer (the write transaction holds the database's write lock from its first
write): nothing is planned there.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, delete, literal_column, select, update
from sqlalchemy.orm import Session

from aggregator.events.emitters import order_change_events
from aggregator.events.outbox import CHANNEL, notify_in_statement, outbox_rows
from aggregator.store.fingerprint import is_current
from aggregator.store.order_rows import ORDER_COLUMNS
from aggregator.store.marketplace_writer import ORDER_KEY, alike, line_rows, order_values, package_rows, stored_parts
from aggregator.store.models.audit import AuditEntry
from aggregator.store.models.common import utcnow
from aggregator.store.models.events import OutboxEventRow
from aggregator.store.models.marketplace import OrderLineRow, OrderPackageRow, OrderRow
from aggregator.store.models.tenancy import ShopRow
from aggregator.store.models.webhooks import WebhookEventRow
from aggregator.store.together import unnest, with_defaults
from aggregator.sync.framework import unwritable
from aggregator.store.upsert import (
    UpsertOutcome,
    UpsertResult,
    audit_row,
    decide_existing,
    entity_key,
    update_changes,
)

_ORDERS = OrderRow.__table__
#: The header columns a re-read rewrites (its key stays).
_WRITTEN = [name for name in ORDER_COLUMNS if name not in ORDER_KEY]
_PARTS = ((OrderLineRow.__table__, line_rows), (OrderPackageRow.__table__, package_rows))
#: The row version PostgreSQL gives every written row version (a transaction id), as text.
VERSION = literal_column("orders.xmin::text").label("version")


@dataclass(slots=True)
class Planned:
    """One read order decided against its stored row (``version``): its outcome and what it writes."""

    record_key: str
    version: str
    result: UpsertResult
    values: dict | None = None  # the header's columns, when it changed
    parts: dict[Any, list[dict]] = field(default_factory=dict)  # table -> rows replacing the stored ones
    rows: list[tuple[Any, list[dict]]] = field(default_factory=list)  # (table, rows inserted): audit, outbox


def plan(session: Session, shop: ShopRow, pulled: list) -> dict[str, Planned]:
    """What writing ``pulled`` (``read_orders``' answer) would do to each order it can decide, by order id,
    read without locking (see the module text). Three reads at most: headers, then lines and packages of
    the orders that changed."""
    if session.get_bind().dialect.name != "postgresql":
        return {}
    usable: dict[str, tuple] = {}
    repeated = set()
    for p in pulled:
        record = p.result.record
        if unwritable(p.result) is not None or record.order_id != p.record_key:
            continue  # parked by the general path, or not the order it was read as
        if p.record_key in usable:
            repeated.add(p.record_key)
        usable[p.record_key] = (p, order_values(record, shop.owner_id))
    for key in repeated:
        del usable[key]
    if not usable:
        return {}
    stored = {row["order_id"]: row for row in session.execute(
        select(_ORDERS, VERSION).where(_ORDERS.c.platform == shop.platform, _ORDERS.c.shop_id == shop.shop_id,
                                       _ORDERS.c.order_id.in_(list(usable)))).mappings()}
    planned: dict[str, Planned] = {}
    for order_id, (p, row_values) in usable.items():
        existing = stored.get(order_id)
        if existing is None or (existing["content_hash"] and not is_current(existing["content_hash"])):
            continue  # created, or stored under an older hash version: the general path
        same = (existing["source_updated_at"] == row_values["source_updated_at"]
                and existing["owner_id"] == row_values["owner_id"])
        if same and existing["content_hash"] == row_values["content_hash"]:
            result = UpsertResult(UpsertOutcome.UNCHANGED, existing["id"])
        else:
            result = decide_existing(_ORDERS, row_values, ORDER_KEY, existing, "source_updated_at")
        planned[order_id] = entry = Planned(p.record_key, existing["version"], result)
        if result.outcome is UpsertOutcome.UPDATED:
            entry.values = row_values
            entry.rows.append((AuditEntry.__table__, [audit_row(
                entity=_ORDERS.name, key=entity_key(row_values, ORDER_KEY), action="update",
                owner_id=row_values["owner_id"], changes=update_changes(result))]))
            events = outbox_rows(order_change_events(shop.owner_id, [row_values], [result]))
            if events:
                entry.rows.append((OutboxEventRow.__table__, events))
            entry.parts = {table: rows_of(result.pk, p.result.record) for table, rows_of in _PARTS}
    changed = {e.result.pk: e for e in planned.values() if e.values is not None}
    if changed:
        for table, _ in _PARTS:
            same = alike(table, stored_parts(session, table, list(changed)),
                         {pk: e.parts[table] for pk, e in changed.items()})
            for pk in same:
                del changed[pk].parts[table]
    return planned


def write_planned(session: Session, planned: list[Planned], outcomes: dict[int, tuple[str, str]]) -> None:
    """Write ``planned`` orders (locked, their versions as planned) and the events' ``outcomes`` (event pk ->
    status, detail): lines and packages to replace deleted first, then everything else in one statement on
    PostgreSQL, its rows as arrays (``together.unnest``: its text depends only on which tables it writes,
    so nothing is compiled while the orders are locked); the event outcomes alone in one executemany on
    SQLite (nothing is planned there)."""
    events = WebhookEventRow.__table__
    told = [(pk, status, detail[:1000]) for pk, (status, detail) in outcomes.items()]
    if session.get_bind().dialect.name != "postgresql":
        if told:
            session.execute(update(events).where(events.c.id == bindparam("pk"))
                            .values(status=bindparam("new_status"), detail=bindparam("new_detail")),
                            [{"pk": pk, "new_status": status, "new_detail": detail} for pk, status, detail in told])
        return
    replaced = {table: [e.result.pk for e in planned if table in e.parts] for table, _ in _PARTS}
    deletes = [delete(table).where(table.c.order_pk.in_(pks)) for table, pks in replaced.items() if pks]
    if deletes:
        first, *rest = deletes
        session.execute(first.add_cte(*(d.cte(f"gone_{n}") for n, d in enumerate(rest))) if rest else first)
    dialect = session.get_bind().dialect
    parts, params = [], []

    def cte(sql: str, values: list) -> None:
        parts.append(f"w{len(parts)} AS ({sql})")
        params.extend(values)

    headers = [entry for entry in planned if entry.values is not None]
    if headers:  # every column rewritten: those that did not change get their own value again
        rows, arrays = unnest(dialect, _ORDERS, ["id", *_WRITTEN],
                              [(e.result.pk, *(e.values[name] for name in _WRITTEN)) for e in headers])
        cte(f"UPDATE orders SET {', '.join(f'{name} = r.{name}' for name in _WRITTEN)}, stored_at = %s "
            f"FROM {rows} AS r(id, {', '.join(_WRITTEN)}) WHERE orders.id = r.id "
            f"AND (orders.source_updated_at IS NULL OR orders.source_updated_at <= r.source_updated_at)",
            [utcnow(), *arrays])
    inserts: dict[Any, list[dict]] = {}
    for entry in planned:
        for table, rows in [*entry.rows, *entry.parts.items()]:
            inserts.setdefault(table, []).extend(rows)
    for table, rows in inserts.items():
        if rows:
            full = with_defaults(table, rows)
            columns = list(full[0])
            rows_sql, arrays = unnest(dialect, table, columns, [tuple(row[c] for c in columns) for row in full])
            cte(f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT * FROM {rows_sql}", arrays)
    if told:
        rows_sql, arrays = unnest(dialect, events, ["id", "status", "detail"], told)
        cte(f"UPDATE webhook_events SET status = r.status, detail = r.detail FROM {rows_sql} AS r(id, status, detail) "
            f"WHERE webhook_events.id = r.id", arrays)
    if not parts:
        return
    notify = OutboxEventRow.__table__ in inserts and notify_in_statement(session) is not None
    tail = "SELECT pg_notify(%s, '')" if notify else "SELECT 1"
    cursor = session.connection().connection.driver_connection.cursor()
    try:
        cursor.execute(f"WITH {', '.join(parts)} {tail}", [*params, *([CHANNEL] if notify else [])])
    finally:
        cursor.close()
