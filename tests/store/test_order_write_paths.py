"""The sync's order writes through prepared executemany store exactly what SQLAlchemy's Core inserts store:
orders, lines, packages, audit entries and outbox events, on SQLite and PostgreSQL (a small mixed scenario
and a realistic batch of a few hundred orders of all three platforms, as the sync benchmark writes them);
a row stored under the previous content-hash version is recognised as the same record."""
from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, event, select, update
from sqlalchemy.orm import Session

from aggregator.store.fingerprint import content_hash, is_current, record_hash
from aggregator.store.audit_json import audit_entries
from aggregator.store.jsonutil import encode_columns
from aggregator.store.marketplace_writer import order_values, write_orders
from aggregator.store.order_rows import ORDER_COLUMNS, order_row
from aggregator.store.models import AuditEntry, OrderLineRow, OrderPackageRow, OrderRow
from aggregator.store.models.events import OutboxEventRow
from aggregator.store.upsert import UpsertOutcome
from platform_adapters.canonical import OrderStatus
from platform_adapters.http.values import loads
from platform_adapters.lazada.mapping import map_order as map_lazada
from platform_adapters.shopee.mapping import map_order as map_shopee
from platform_adapters.tiktok.mapping import map_order as map_tiktok
from tests.marketplace_payloads import payloads
from tests.store.factories import T0, make_order

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "marketplace"
TABLES = (AuditEntry, OutboxEventRow, OrderLineRow, OrderPackageRow, OrderRow)


def marketplace_orders() -> list:
    """Orders of all three platforms, mapped from the recorded-style fixtures (lines, packages, NULLs)."""
    shopee = map_shopee(loads((FIXTURES / "shopee" / "order_detail.json").read_bytes()), "900719925474099312").record
    lazada = map_lazada(loads((FIXTURES / "lazada" / "order.json").read_bytes()), "1001", "SG", "SGD").record
    tiktok = map_tiktok(loads((FIXTURES / "tiktok" / "order.json").read_bytes()), "7494").record
    assert None not in (shopee, lazada, tiktok)
    made = [make_order(f"A{n}", updated=T0 + timedelta(hours=n), qty=n + 1, price=f"{n}.50") for n in range(5)]
    return [shopee, lazada, tiktok, *made]


def snapshot(session: Session) -> dict:
    """Everything the writes stored, minus surrogate ids and write times (lines by their order's key)."""
    orders = {row.id: (row.platform, row.shop_id, row.order_id) for row in session.scalars(select(OrderRow))}
    skip = {"id", "order_pk", "first_seen_at", "stored_at", "at", "created_at", "position"}

    def rows(model):
        out = []
        for row in session.scalars(select(model)):
            values = {c.name: getattr(row, c.key) for c in model.__table__.columns if c.name not in skip}
            if "order_pk" in model.__table__.c:
                values["order"] = orders[row.order_pk]
            if "changes" in values or "data" in values:
                values = {k: json.dumps(v, sort_keys=True) if k in ("changes", "data") else v for k, v in values.items()}
            out.append(values)
        return sorted(out, key=lambda v: json.dumps(v, sort_keys=True, default=str))

    return {model.__tablename__: rows(model) for model in TABLES}


def clear(session: Session) -> None:
    for model in TABLES:
        session.execute(delete(model))
    session.commit()


def scenario(session: Session, prepared: bool) -> list:
    """New orders, then the same again with changes: unchanged, updated (status, lines), stale, new."""
    first = marketplace_orders()
    outcomes = [r.outcome for r in write_orders(session, first, "OWNER", prepared=prepared)]  # 8 new
    session.commit()
    later = first[0].updated_at + timedelta(minutes=5)
    second = [
        first[0],  # unchanged
        replace(first[1], status=OrderStatus.CANCELLED, raw_status="canceled", updated_at=first[1].updated_at
                + timedelta(hours=1)),  # status changed
        replace(first[2], lines=first[2].lines[:1], updated_at=first[2].updated_at + timedelta(hours=1)),  # a line less
        replace(first[3], status=OrderStatus.SHIPPED, updated_at=first[3].updated_at - timedelta(hours=1)),  # stale
        make_order("NEW-1", updated=later), make_order("NEW-2", updated=later, qty=3),
        make_order("NEW-1", updated=later + timedelta(hours=1), status=OrderStatus.SHIPPED),  # repeated key
    ]
    outcomes += [r.outcome for r in write_orders(session, second, "OWNER", prepared=prepared)]
    session.commit()
    return outcomes


def both_paths(engine, run) -> tuple[list, list]:
    """``run(session, prepared)``'s outcomes and the stored snapshot, through the fast path and the Core path."""
    results, states = [], []
    with Session(engine) as session:
        for prepared in (True, False):
            clear(session)
            results.append(run(session, prepared))
            states.append(snapshot(session))
    return results, states


def test_prepared_writes_store_what_core_inserts_store(engine) -> None:
    results, states = both_paths(engine, scenario)
    assert results[0] == results[1]
    assert results[0][:8] == [UpsertOutcome.CREATED] * 8
    assert results[0][8:] == [UpsertOutcome.UNCHANGED, UpsertOutcome.UPDATED, UpsertOutcome.UPDATED,
                              UpsertOutcome.STALE, UpsertOutcome.CREATED, UpsertOutcome.CREATED, UpsertOutcome.UPDATED]
    assert states[0] == states[1]
    assert states[0]["outbox_events"] and states[0]["audit_log"] and states[0]["order_packages"]


def test_an_order_stored_under_the_previous_hash_version_is_unchanged(engine) -> None:
    """A row written before ``record_hash`` (a version-1 sha256) is the same record when its version-1 hash
    matches: UNCHANGED, no audit entry, no event, and the stored hash brought to the current version; a
    record that differs is still UPDATED."""
    orders = marketplace_orders()
    with Session(engine) as session:
        write_orders(session, orders, "OWNER")
        for order in orders:  # as an older release stored them
            session.execute(update(OrderRow).where(OrderRow.order_id == order.order_id)
                            .values(content_hash=content_hash(order)))
        session.commit()
        audits = session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))
        events = session.scalar(select(OutboxEventRow.id).order_by(OutboxEventRow.id.desc()).limit(1))
        changed = replace(orders[-1], lines=orders[-1].lines[:0])  # same source time, a line less
        outcomes = [r.outcome for r in write_orders(session, [*orders[:-1], changed], "OWNER")]
        session.commit()
        assert outcomes == [UpsertOutcome.UNCHANGED] * (len(orders) - 1) + [UpsertOutcome.UPDATED]
        stored = dict(session.execute(select(OrderRow.order_id, OrderRow.content_hash)).all())
        assert all(is_current(h) for h in stored.values())
        assert stored[orders[0].order_id] == record_hash(orders[0])
        new_audits = session.scalars(select(AuditEntry.entity_key).where(AuditEntry.id > audits)).all()
        assert new_audits == [f"shopee|480012345|{changed.order_id}"]
        assert session.scalar(select(OutboxEventRow.id).where(OutboxEventRow.id > (events or 0))) is None


def realistic_orders(size: int) -> list:
    """``size`` orders as the sync benchmark writes them (``tests.marketplace_payloads``, with unknown
    statuses and missing SKUs among them), mapped by the real mappers."""
    mappers = {"shopee": lambda raw: map_shopee(raw, "900719925474099312"),
               "lazada": lambda raw: map_lazada(raw, "1001", "SG", "SGD"), "tiktok": lambda raw: map_tiktok(raw, "7494")}
    records = [mappers[kind](loads(body)).record for kind, body in payloads(size, 11, variety=True)]
    assert None not in records
    if size > 5:  # texts COPY and JSON escape: tab, line breaks, backslash, quotes, non-ASCII
        odd = records[5]
        line = replace(odd.lines[0], product_name='Tab\there\r\nnew "line" \\ 中文 %s', seller_sku="SKU\\1\t")
        records[5] = replace(odd, raw_status="odd\tstatus", lines=(line, *odd.lines[1:]))
    return records


def realistic_scenario(session: Session, prepared: bool) -> list:
    """A realistic batch of new orders, written in two batches; then all of them again with a tenth changed
    (status, a line less, a stale update) and new ones among them."""
    orders = realistic_orders(240)
    outcomes = []
    for part in (orders[:150], orders[150:200]):
        outcomes += [r.outcome for r in write_orders(session, part, "OWNER", prepared=prepared)]
        session.commit()
    again = []
    for n, order in enumerate(orders):
        if n % 10 == 1:
            order = replace(order, status=OrderStatus.CANCELLED, raw_status="CANCELLED",
                            updated_at=order.updated_at + timedelta(hours=1))
        elif n % 10 == 2 and len(order.lines) > 1:
            order = replace(order, lines=order.lines[1:], updated_at=order.updated_at + timedelta(hours=1))
        elif n % 10 == 3:
            order = replace(order, status=OrderStatus.SHIPPED, updated_at=order.updated_at - timedelta(hours=1))
        again.append(order)
    outcomes += [r.outcome for r in write_orders(session, again, "OWNER", prepared=prepared)]
    session.commit()
    return outcomes


def test_a_realistic_batch_stores_what_core_inserts_store(engine) -> None:
    """Hundreds of orders of the three platforms through the fast path (new, unchanged, changed, stale, in
    one batch) store the same orders, lines, packages, audit entries and events as SQLAlchemy's Core."""
    results, states = both_paths(engine, realistic_scenario)
    assert results[0] == results[1]
    assert results[0][:200] == [UpsertOutcome.CREATED] * 200
    assert {UpsertOutcome.UNCHANGED, UpsertOutcome.UPDATED, UpsertOutcome.STALE, UpsertOutcome.CREATED} == set(
        results[0][200:])
    assert states[0] == states[1]
    assert len(states[0]["order_lines"]) > 400 and len(states[0]["audit_log"]) > 200


def test_an_order_row_is_its_values_and_its_audit_text_theirs() -> None:
    """The header tuple is the dict the Core path writes, and its ``create`` audit text built column by
    column is the one ``encode_columns`` writes for that dict."""
    orders = realistic_orders(30) + marketplace_orders()
    rows = [order_row(order, "OWNER") for order in orders]
    assert [dict(zip(ORDER_COLUMNS, row)) for row in rows] == [order_values(order, "OWNER") for order in orders]
    expected = [(f"{o.platform.value}|{o.shop_id}|{o.order_id}", "OWNER", encode_columns(order_values(o, "OWNER")))
                for o in orders]
    assert audit_entries(list(ORDER_COLUMNS), rows, ("platform", "shop_id", "order_id")) == expected


def test_the_collector_is_on_again_after_a_batch(engine) -> None:
    """``write_orders`` pauses the garbage collector only while it writes, also when the write fails, and
    leaves it off when the caller had turned it off."""
    orders = realistic_orders(6)
    with Session(engine) as session:
        assert gc.isenabled()
        write_orders(session, orders, "OWNER")
        assert gc.isenabled()
        with pytest.raises(Exception):  # noqa: B017 (an order without an owner: the database refuses it)
            write_orders(session, [replace(orders[0], order_id="NO-OWNER")], None)  # type: ignore[arg-type]
        session.rollback()
        assert gc.isenabled()
        gc.disable()
        try:
            write_orders(session, orders, "OWNER")
            assert not gc.isenabled()
        finally:
            gc.enable()


@contextmanager
def _line_and_package_writes(engine) -> Iterator[list[str]]:
    """The statements naming order_lines or order_packages run meanwhile (their first three words)."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        head = " ".join(statement.split()[:3]).upper()
        if any(f"{verb} {table}" in head for verb in ("INTO", "FROM") for table in ("ORDER_LINES", "ORDER_PACKAGES")):
            seen.append(head)
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_a_changed_order_whose_lines_and_packages_are_stored_already_writes_none_of_them(engine) -> None:
    """A re-read after a push (the push wrote the lines' statuses) or a header-only change: the order is
    UPDATED, its lines and packages are left as stored (same ids, no DELETE or INSERT); an order whose
    lines differ, even by a decimal's digits, has them replaced."""
    orders = marketplace_orders()
    with Session(engine) as session:
        write_orders(session, orders, "OWNER")
        session.commit()
        before = snapshot(session)
        ids = (set(session.scalars(select(OrderLineRow.id))), set(session.scalars(select(OrderPackageRow.id))))
        with _line_and_package_writes(engine) as writes:
            later = [replace(o, status=OrderStatus.CANCELLED, raw_status="cancelled", updated_at=o.updated_at
                             + timedelta(hours=1)) for o in orders]
            outcomes = [r.outcome for r in write_orders(session, later, "OWNER")]
            session.commit()
        assert outcomes == [UpsertOutcome.UPDATED] * len(orders)
        assert [w for w in writes if not w.startswith("SELECT")] == []
        assert (set(session.scalars(select(OrderLineRow.id))), set(session.scalars(select(OrderPackageRow.id)))) == ids
        after = snapshot(session)
        assert after["order_lines"] == before["order_lines"] and after["order_packages"] == before["order_packages"]

        last = later[-1]
        line = replace(last.lines[0], unit_price=replace(last.lines[0].unit_price, amount=Decimal("4.500")))
        with _line_and_package_writes(engine) as writes:
            outcomes = [r.outcome for r in write_orders(session, [replace(
                last, lines=(line,), updated_at=last.updated_at + timedelta(hours=1))], "OWNER")]
            session.commit()
        assert outcomes == [UpsertOutcome.UPDATED]
        assert any(w.startswith("DELETE FROM ORDER_LINES") for w in writes)
        order_pk = session.scalar(select(OrderRow.id).where(OrderRow.order_id == last.order_id))
        stored = session.scalars(select(OrderLineRow.unit_price).where(OrderLineRow.order_pk == order_pk)).all()
        assert [format(p, "f") for p in stored] == ["4.500"]
