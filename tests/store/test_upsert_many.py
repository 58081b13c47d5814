"""upsert_many gives exactly what one upsert per row gives: outcomes, final rows and audit entries."""
from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.store.base import Base
from aggregator.store.db import create_engine_for
from aggregator.store.marketplace_writer import ORDER_KEY, order_values, write_order, write_orders
from aggregator.store.models import AuditEntry, OrderLineRow, OrderRow
from aggregator.store.upsert import upsert_many
from platform_adapters.canonical import OrderStatus
from tests.store.factories import T0, make_order

STATUSES = [OrderStatus.READY_TO_SHIP, OrderStatus.SHIPPED, OrderStatus.DELIVERED]
events = st.lists(st.tuples(st.sampled_from(["A", "B", "C"]), st.integers(0, 4), st.sampled_from(STATUSES),
                            st.integers(1, 3)), min_size=1, max_size=12)


def state(session: Session) -> tuple:
    orders = sorted(session.execute(select(OrderRow.order_id, OrderRow.status, OrderRow.source_updated_at,
                                           OrderRow.total_amount)).all())
    lines = sorted(session.execute(select(OrderRow.order_id, OrderLineRow.quantity)
                                   .join(OrderRow, OrderRow.id == OrderLineRow.order_pk)).all())
    audits = sorted(session.execute(select(AuditEntry.entity_key, AuditEntry.action)).all())
    return orders, lines, audits


@settings(max_examples=40, deadline=None)
@given(batch=events, prior=events)
def test_batch_equals_one_by_one(batch, prior) -> None:
    outcomes, states = [], []
    for mode in ("single", "batch"):
        engine = create_engine_for("sqlite://")
        Base.metadata.create_all(engine)
        with Session(engine) as session:
            for oid, hours, status, qty in prior:  # what the database already holds
                write_order(session, make_order(oid, updated=T0 + timedelta(hours=hours), status=status, qty=qty),
                            "OWNER")
            orders = [make_order(oid, updated=T0 + timedelta(hours=h), status=s, qty=q) for oid, h, s, q in batch]
            if mode == "single":
                got = [write_order(session, o, "OWNER").outcome for o in orders]
            else:
                got = [r.outcome for r in write_orders(session, orders, "OWNER")]
            session.flush()
            outcomes.append(got)
            states.append(state(session))
        engine.dispose()
    assert outcomes[0] == outcomes[1]
    assert states[0] == states[1]


@settings(max_examples=40, deadline=None)
@given(batch=events, prior=events, owners=st.lists(st.sampled_from(["OWNER", "OTHER"]), min_size=12, max_size=12))
def test_hash_shortcut_decides_as_the_column_comparison(batch, prior, owners) -> None:
    """``hashed=True`` (same hash, owner and source time → UNCHANGED without reading the row) gives the
    outcomes and audit entries of comparing every column."""
    outcomes, states = [], []
    for hashed in (True, False):
        engine = create_engine_for("sqlite://")
        Base.metadata.create_all(engine)
        with Session(engine) as session:
            for oid, hours, status, qty in prior:
                write_order(session, make_order(oid, updated=T0 + timedelta(hours=hours), status=status, qty=qty),
                            "OWNER")
            rows = [order_values(make_order(oid, updated=T0 + timedelta(hours=h), status=s, qty=q), owner)
                    for (oid, h, s, q), owner in zip(batch, owners)]
            outcomes.append([r.outcome for r in upsert_many(session, OrderRow, rows, ORDER_KEY, hashed=hashed)])
            session.flush()
            states.append((state(session), sorted(session.execute(select(OrderRow.order_id, OrderRow.owner_id)).all())))
        engine.dispose()
    assert outcomes[0] == outcomes[1]
    assert states[0] == states[1]
