"""A return whose goods the marketplace's warehouse scrapped, stored after a first run: the next incremental
run writes the allocation's units off in the stored ledger (the warehouse partition's title is derived
again although its own rows did not change), equal to a full run and the pure engine; the disposition
corrected to restock retracts the write-off."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from aggregator.api.chain import line_key
from aggregator.matching_service.service import run_match
from aggregator.matching_service.synthetic_store import store_world
from aggregator.store.db import session_scope
from aggregator.store.models import OrderRow
from aggregator.store.models.marketplace import OrderLineRow
from aggregator.store.models.matching import MatchLinkRow, TitleEventRow
from aggregator.store.models.returns import ReturnLineRow, ReturnRow
from matching.synthetic import generate
from tests.matching.test_db_incremental import pure_engine, stored_state

AT = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)


def _written_off(engine) -> list[tuple]:
    with session_scope(engine) as session:
        return sorted(session.execute(select(TitleEventRow.subject_kind, TitleEventRow.parent_key, TitleEventRow.qty,
                                             TitleEventRow.effective_at).where(
            TitleEventRow.kind == "WRITTEN_OFF", TitleEventRow.retracted_at.is_(None))).all())


def _scrap_one_returned_unit(engine) -> str:
    """A stored world matched, then a received return scrapping one unit of an allocated order line; the
    outbound line's key."""
    world = generate(size=600, seed=5, owners=1, warehouses=2, receipt_ratio=0.1, lines_per_bl=5).input
    with session_scope(engine) as session:
        store_world(session, world, stored_at=datetime.now(UTC) - timedelta(hours=1))
    run_match(engine)
    with session_scope(engine) as session:
        # an order line linked to an outbound line that drew from a lot
        allocated = select(MatchLinkRow.left_key).where(MatchLinkRow.step == "shipment_lot")
        left, right = session.execute(select(MatchLinkRow.left_key, MatchLinkRow.right_key).where(
            MatchLinkRow.step == "order_shipment", MatchLinkRow.right_key.in_(allocated))
            .order_by(MatchLinkRow.left_key).limit(1)).one()
        row, line = next((o, ln) for o, ln in session.execute(
            select(OrderRow, OrderLineRow).join(OrderLineRow, OrderLineRow.order_pk == OrderRow.id)
            .order_by(OrderLineRow.id)) if line_key(o, ln.line_ref) == left)
        case = ReturnRow(owner_id=row.owner_id, platform=row.platform, shop_id=row.shop_id, kind="RETURN",
                         return_id="RR-1", order_id=row.order_id, status="RECEIVED", raw_status="RECEIVED",
                         reason="", disposition="SCRAP", requested_at=AT - timedelta(days=2), source_updated_at=AT,
                         content_hash="x")
        session.add(case)
        session.flush()
        session.add(ReturnLineRow(return_pk=case.id, line_ref="1", order_line_ref=line.line_ref,
                                  seller_sku=line.seller_sku, quantity=1, disposition="SCRAP"))
    return right


def test_a_scrapped_return_is_written_off_incrementally_as_in_a_full_run(engine) -> None:
    right = _scrap_one_returned_unit(engine)
    run_match(engine)
    written = _written_off(engine)
    assert [(kind, qty, at) for kind, _, qty, at in written] == [("WRITE_OFF", 1, AT)]
    assert written[0][1].split(">")[0] == right  # the allocation of the order line's outbound line
    incremental = stored_state(engine)
    run_match(engine, full=True)
    assert stored_state(engine) == incremental
    assert {e for e, *_ in incremental["events"]} == pure_engine(engine)[1]

    with session_scope(engine) as session:  # the warehouse's disposition corrected: restocked after all
        session.execute(update(ReturnRow).values(disposition="RESTOCK", content_hash="y"))
        session.execute(update(ReturnLineRow).values(disposition="RESTOCK"))
    run_match(engine)
    assert _written_off(engine) == []
    incremental = stored_state(engine)
    run_match(engine, full=True)
    assert stored_state(engine) == incremental


def test_a_scrapped_return_no_longer_received_retracts_the_write_off_incrementally(engine) -> None:
    """The return rejected after it was received (its units no longer count as returned at all): the next
    incremental run retracts the write-off, as a full run does."""
    _scrap_one_returned_unit(engine)
    run_match(engine)
    assert len(_written_off(engine)) == 1
    with session_scope(engine) as session:
        session.execute(update(ReturnRow).values(status="REJECTED", raw_status="REJECTED", content_hash="z"))
    run_match(engine)
    incremental = stored_state(engine)
    assert _written_off(engine) == []
    run_match(engine, full=True)
    assert stored_state(engine) == incremental
