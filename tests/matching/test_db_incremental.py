"""Incremental matching on the database path: after new orders (and their outbound), a changed outbound,
a new manual link and a changed title policy, the stored links, match exceptions, fingerprints, title
ledger and lot values equal those of a full run and of the pure engine over the same rows; only the
changed partitions are matched again."""
from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from aggregator.matching_service.loader import load_endorsements, load_input
from aggregator.matching_service.service import finalize_match, match_partitions, plan_match, run_match
from aggregator.matching_service.synthetic_store import split_new_orders, store_world
from aggregator.store.db import session_scope
from aggregator.store.models.exceptions import ExceptionItem
from aggregator.store.models.matching import (
    LotValueRow,
    ManualLinkRow,
    MatchLinkRow,
    MatchPartitionRow,
    TitleEventRow,
)
from aggregator.store.models.warehouse import WarehouseShipmentRow
from matching.incremental import match_full
from matching.synthetic import generate
from matching.title import derive_title_events

OWNER = "OWNER00"


def stored_state(engine) -> dict:
    with session_scope(engine) as session:
        links = sorted(session.execute(select(MatchLinkRow.partition, MatchLinkRow.step, MatchLinkRow.left_key,
                                              MatchLinkRow.right_key, MatchLinkRow.qty, MatchLinkRow.method,
                                              MatchLinkRow.country)).all())
        exceptions = sorted(session.execute(select(ExceptionItem.ref, ExceptionItem.partition, ExceptionItem.qty)
                                            .where(ExceptionItem.queue == "match", ExceptionItem.status == "open")))
        parts = sorted(session.execute(select(MatchPartitionRow.partition, MatchPartitionRow.fingerprint,
                                              MatchPartitionRow.links, MatchPartitionRow.exceptions)).all())
        events = sorted(session.execute(select(TitleEventRow.event_id, TitleEventRow.seq, TitleEventRow.qty,
                                               TitleEventRow.title_state).where(TitleEventRow.retracted_at.is_(None))))
        values = sorted(session.execute(select(LotValueRow.lot_key, LotValueRow.unit_value)).all())
    return {"links": links, "exceptions": exceptions, "partitions": parts, "events": events, "values": values}


def pure_engine(engine) -> tuple[set, set]:
    """(links, title event ids) of the pure engine's full run over the rows the store holds."""
    with session_scope(engine) as session:
        inp = load_input(session)
        endorsements = load_endorsements(session)
    result = match_full(inp)
    links = set(zip(result.links["step"], result.links["left_key"], result.links["right_key"], result.links["qty"]))
    ledger = derive_title_events(result.prepared, result.links, endorsements=endorsements)
    return links, set(ledger["event_id"])


@pytest.fixture
def world():
    return generate(size=1_500, seed=11, owners=2, warehouses=2, receipt_ratio=0.1, lines_per_bl=5).input


def test_incremental_runs_equal_a_full_run_and_the_pure_engine(engine, world):
    before, new = split_new_orders(world, OWNER, 25)
    with session_scope(engine) as session:
        store_world(session, before, stored_at=datetime.now(UTC) - timedelta(hours=1))
    first = run_match(engine)
    assert first.rematched == first.partitions > 0 and first.title_events_added > 0

    with session_scope(engine) as session:
        store_world(session, new, orders_only=True)
    after_orders = run_match(engine)
    assert 0 < after_orders.rematched < after_orders.partitions
    incremental = stored_state(engine)
    assert run_match(engine).rematched == 0  # nothing changed since

    # an outbound moves to another order's shop; a manual link names another lot
    with session_scope(engine) as session:
        row = session.execute(select(WarehouseShipmentRow).where(WarehouseShipmentRow.owner_id == OWNER,
                                                                 WarehouseShipmentRow.order_id.is_not(None))
                              .order_by(WarehouseShipmentRow.id).limit(1)).scalar_one()
        row.order_id, row.platform, row.shop_id = None, None, None
    moved = run_match(engine)
    assert 0 < moved.rematched < moved.partitions
    incremental_moved = stored_state(engine)

    run_match(engine, full=True)
    full = stored_state(engine)
    assert incremental_moved == full
    links, event_ids = pure_engine(engine)
    assert {(s, left, right, q) for _, s, left, right, q, _, _ in full["links"]} == links
    assert {e for e, *_ in full["events"]} == event_ids
    assert incremental != full  # the outbound's change did change something


def test_partitions_matched_in_groups_by_size_store_what_one_group_stores(engine, world, monkeypatch):
    """A first run knows no partition's links: it groups them by their lines (``scope.partition_sizes``), here
    one partition per group; what it stores equals a run matching every partition of the plan at once (both
    phases in one group: the shop partitions record their product names before the warehouse ones read them)."""
    from aggregator.matching_service import scope, service

    with session_scope(engine) as session:
        store_world(session, world, stored_at=datetime.now(UTC) - timedelta(hours=1))
    sized = []
    monkeypatch.setattr(service, "partition_sizes", lambda *a: sized.append(a[2]) or scope.partition_sizes(*a))
    monkeypatch.setattr(service, "_group_limit", lambda sizes: 1)
    first = run_match(engine)
    assert sized and first.rematched == first.partitions > 0
    grouped = stored_state(engine)
    monkeypatch.setattr(service, "GROUP_ROWS", 10**9)
    run_match(engine, full=True)
    assert stored_state(engine) == grouped


def test_the_parts_a_job_queue_fans_out_equal_run_match(engine, world):
    before, new = split_new_orders(world, OWNER, 25)
    with session_scope(engine) as session:
        store_world(session, before, stored_at=datetime.now(UTC) - timedelta(hours=1))
    run_match(engine)
    with session_scope(engine) as session:
        store_world(session, new, orders_only=True)
        session.add(ManualLinkRow(owner_id=OWNER, step="order_shipment", left_key="X|Y|Z|1",
                                  right_key=f"{OWNER}|NOWHERE|OUT|1", qty=1, note="test"))
    plan = plan_match(engine, OWNER)
    first, second = plan.phases
    assert first and second and len(plan.partitions) < 10
    also = set()
    for partition in first:  # one task each
        also |= match_partitions(engine, plan, [partition]).also
    for partition in sorted(set(second) | also):
        match_partitions(engine, plan, [partition])
    finalize_match(engine, plan)
    staged = stored_state(engine)
    run_match(engine, full=True)
    assert staged == stored_state(engine)


def test_a_name_change_stored_by_a_run_that_failed_before_its_second_phase_is_matched_by_the_next(engine, world):
    """A fanned-out run's first phase commits a shop partition's changed product names (its task's own
    transaction); the warehouse partitions that received the SKU are matched in the second phase. When the
    run fails in between, the next run must still match them: the names it reads back are unchanged by
    then, so it cannot find them from the names alone. Its stored state equals a full run's."""
    from aggregator.store.models.marketplace import OrderLineRow, OrderRow
    from aggregator.store.models.matching import MatchPartitionSkuRow
    from matching import keys

    with session_scope(engine) as session:
        store_world(session, world, stored_at=datetime.now(UTC) - timedelta(hours=1))
    run_match(engine)
    with session_scope(engine) as session:  # a SKU a warehouse partition received gets a new product name
        received = set(session.scalars(select(MatchPartitionSkuRow.sku_c)))
        line, order = next((ln, o) for ln, o in session.execute(
            select(OrderLineRow, OrderRow).join(OrderRow, OrderLineRow.order_pk == OrderRow.id)
            .where(OrderRow.owner_id == OWNER).order_by(OrderLineRow.id))
            if keys.normalize_sku(ln.seller_sku) in received)
        line.product_name = "Renamed product 500 ml"
        order.stored_at = datetime.now(UTC)
    plan = plan_match(engine, OWNER)
    first, _ = plan.phases
    also = set()
    for partition in first:
        also |= match_partitions(engine, plan, [partition]).also
    assert also  # the second phase would have matched these; the run fails before it
    run_match(engine)
    incremental = stored_state(engine)
    run_match(engine, full=True)
    assert incremental == stored_state(engine)


def test_a_changed_transport_document_rematches_only_the_warehouse_partitions_it_concerns(engine):
    """A bill of lading whose container changes: the plan names the warehouse partition whose receipts it
    linked (it held the document's lines) and no other of the owner's; a partition with nothing recorded
    is named too; the incremental run leaves what a full run leaves."""
    from sqlalchemy import delete, update

    from aggregator.store.models.logistics import TransportDocumentLineRow, TransportDocumentRow
    from aggregator.store.models.matching import MatchPartitionDocKeyRow

    world = generate(size=1_500, seed=11, owners=2, warehouses=3, receipt_ratio=0.1, lines_per_bl=5).input
    with session_scope(engine) as session:
        store_world(session, world, stored_at=datetime.now(UTC) - timedelta(hours=1))
    run_match(engine)
    with session_scope(engine) as session:
        linked = session.execute(select(MatchLinkRow.right_key, MatchLinkRow.partition).where(
            MatchLinkRow.step == "receipt_transport_doc", MatchLinkRow.owner_id == OWNER)).all()
        warehouses = {p for (p,) in session.execute(select(MatchPartitionRow.partition).where(
            MatchPartitionRow.owner_id == OWNER, MatchPartitionRow.partition.like("wh|%")))}
        by_doc: dict[str, set[str]] = {}
        for key, partition in linked:
            by_doc.setdefault(key, set()).add(partition)
        doc_key, (partition,) = next((k, p) for k, p in sorted(by_doc.items()) if len(p) == 1)
        assert len(warehouses) >= 2 and partition in warehouses
        doc = session.scalars(select(TransportDocumentRow).where(
            TransportDocumentRow.owner_id == OWNER,
            TransportDocumentRow.doc_number == doc_key.split("|", 1)[1])).one()
        session.execute(update(TransportDocumentLineRow).where(TransportDocumentLineRow.document_pk == doc.id)
                        .values(container_no="ZZZU9999997"))
        doc.stored_at = datetime.now(UTC)
    plan = plan_match(engine, OWNER)
    assert {p for p in plan.partitions if p.startswith("wh|")} == {partition}, plan.partitions
    assert f"doc|{OWNER}" in plan.partitions
    other = sorted(warehouses - {partition})[0]
    with session_scope(engine) as session:  # nothing recorded (stored before this was): always named
        session.execute(delete(MatchPartitionDocKeyRow).where(MatchPartitionDocKeyRow.partition == other))
    assert other in plan_match(engine, OWNER).partitions
    summary = run_match(engine)
    assert summary.rematched < summary.partitions
    incremental = stored_state(engine)
    with session_scope(engine) as session:
        assert session.scalar(select(MatchPartitionDocKeyRow.id).where(
            MatchPartitionDocKeyRow.partition == other, MatchPartitionDocKeyRow.key == "").limit(1))
    run_match(engine, full=True)
    assert incremental == stored_state(engine)
    assert incremental["links"] != [] and any(
        step == "receipt_transport_doc" for _, step, *_ in incremental["links"])


def _stored_links(engine) -> dict[tuple, int]:
    """Every stored link's values -> its row id."""
    m = MatchLinkRow
    with session_scope(engine) as session:
        return {tuple(row[1:]): row[0] for row in session.execute(select(
            m.id, m.partition, m.step, m.left_key, m.right_key, m.qty, m.method, m.confidence, m.country))}


def test_an_incremental_run_writes_only_the_links_that_changed(engine, world):
    """A re-matched partition's links whose values all stay keep their rows; new links are inserted and a link
    whose values changed (its order's buyer country) replaced; ``links.changed`` counts the links added and
    removed as before; the stored state equals a full run's."""
    from aggregator.store.models.events import OutboxEventRow
    from aggregator.store.models.marketplace import OrderRow

    before, new = split_new_orders(world, OWNER, 25)
    with session_scope(engine) as session:
        store_world(session, before, stored_at=datetime.now(UTC) - timedelta(hours=1))
    run_match(engine)
    first = _stored_links(engine)
    with session_scope(engine) as session:
        store_world(session, new, orders_only=True)
        for order in session.scalars(select(OrderRow).where(OrderRow.owner_id == OWNER).order_by(OrderRow.id)
                                     .limit(5)):
            order.buyer_country = "ZZ"
        told_from = session.scalar(select(func.max(OutboxEventRow.id)))
    assert 0 < run_match(engine).rematched
    second = _stored_links(engine)
    kept = first.keys() & second.keys()
    assert kept and all(first[values] == second[values] for values in kept)
    assert min(second[values] for values in second.keys() - kept) > max(first.values())
    link_key = lambda values: values[1:4]  # noqa: E731  (step, left key, right key)
    recountried = {link_key(v) for v in second if v[-1] == "ZZ"} & {link_key(v) for v in first if v[-1] != "ZZ"}
    assert recountried  # the same links, their rows replaced
    with session_scope(engine) as session:
        told = [row.data for row in session.scalars(select(OutboxEventRow).where(
            OutboxEventRow.id > told_from, OutboxEventRow.topic == "links.changed"))]
    before_keys, after_keys = {link_key(v) for v in first}, {link_key(v) for v in second}
    assert sum(d["added"] for d in told) == len(after_keys - before_keys) > 0
    assert sum(d["removed"] for d in told) == len(before_keys - after_keys)
    assert sum(d["changed"] for d in told) == len(_changed_in_place(first, second)) >= len(recountried)
    incremental = stored_state(engine)
    run_match(engine, full=True)
    assert incremental == stored_state(engine)
    assert _stored_links(engine) == second  # a full run that changes nothing rewrites no link


def _changed_in_place(first: dict, second: dict) -> dict[tuple, str]:
    """(step, left key, right key) -> partition of the links stored before (``first``) and after (``second``,
    both ``_stored_links``) in the same partition with other values."""
    before = {values[1:4]: values for values in first}
    after = {values[1:4]: values for values in second}
    return {k: v[0] for k, v in after.items() if k in before and before[k] != v and before[k][0] == v[0]}


def test_links_that_change_in_place_are_told(engine, world):
    """A run whose only change is the buyer country of some orders replaces those orders' links under the same
    keys: ``links.changed`` tells each partition holding them, counting them changed (neither added nor
    removed); the other partitions are told nothing."""
    from aggregator.store.models.events import OutboxEventRow
    from aggregator.store.models.marketplace import OrderRow

    with session_scope(engine) as session:
        store_world(session, world, stored_at=datetime.now(UTC) - timedelta(hours=1))
    run_match(engine)
    first = _stored_links(engine)
    with session_scope(engine) as session:
        for order in session.scalars(select(OrderRow).where(OrderRow.owner_id == OWNER).order_by(OrderRow.id)
                                     .limit(5)):
            order.buyer_country = "ZZ"
        told_from = session.scalar(select(func.max(OutboxEventRow.id)))
    run_match(engine)
    second = _stored_links(engine)
    changed = _changed_in_place(first, second)
    assert changed and {values[1:4] for values in first} == {values[1:4] for values in second}
    with session_scope(engine) as session:
        told = {row.key: row.data for row in session.scalars(select(OutboxEventRow).where(
            OutboxEventRow.id > told_from, OutboxEventRow.topic == "links.changed"))}
    per_partition = Counter(changed.values())
    assert {k: (d["added"], d["removed"], d["changed"]) for k, d in told.items()} == {
        k: (0, 0, n) for k, n in per_partition.items()}


def test_links_compared_by_difference_are_every_column_the_match_writes():
    """``service._store_links`` keeps a stored link whose values (``LINK_COLUMNS`` and the buyer country) all
    stay: every column of the link table but its row id and its time must be among them, or a column written
    some other way would keep a stale value on a kept row."""
    from matching.linker import LINK_COLUMNS
    from aggregator.store.models.matching import MatchLinkRow

    compared = {*LINK_COLUMNS, "country"}
    assert {c.name for c in MatchLinkRow.__table__.columns} - compared == {"id", "matched_at"}
