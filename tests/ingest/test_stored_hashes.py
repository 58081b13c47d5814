"""``bulk.stored_hashes`` on SQLite answers, for any keys asked, exactly the stored hash of each key that is
stored — whichever probe (none stored under a group's fixed columns, none between its least and greatest
varying value) or ``IN`` lookup answers it (property test against a lookup of every key alone)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select

from aggregator.ingest.bulk import stored_hashes
from aggregator.store.db import session_factory
from aggregator.store.models.warehouse import StockSnapshotRow, WarehouseShipmentRow

NUMBERS = st.sampled_from(["OB-1", "OB-2", "OB-10", "OB-9", "ob-1", "OB-1é", "OB-1😀", "", "A", "Z", "OB-3"])
INSTANTS = st.sampled_from([datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 1, 8, tzinfo=UTC) - timedelta(hours=8),
                            datetime(2026, 3, 2, tzinfo=UTC)])
SHIPMENT = st.tuples(st.sampled_from(["L", "TROPIKA"]), st.sampled_from(["WH1", "WH2"]), NUMBERS)
SNAPSHOT = st.tuples(st.sampled_from(["L", "TROPIKA"]), INSTANTS, NUMBERS, st.sampled_from(["", "WH1"]))


def _check(engine, model, key, stored, asked) -> None:
    session = session_factory(engine)()
    try:
        session.execute(delete(model))
        table = model.__table__
        defaults = {"sku": "S"} if model is StockSnapshotRow else {}
        for n, values in enumerate(dict.fromkeys(stored)):
            session.execute(insert(table).values(**dict(zip(key, values)), content_hash=f"h{n}", **defaults))
        expected = {}
        for values in asked:
            found = session.execute(select(table.c.content_hash).where(
                *(table.c[k] == v for k, v in zip(key, values)))).scalar()
            if found is not None:
                expected[values] = found
        assert stored_hashes(session, model, key, asked) == expected
    finally:
        session.rollback()
        session.close()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stored=st.lists(SHIPMENT, max_size=8), asked=st.lists(SHIPMENT, max_size=12, unique=True))
def test_shipment_keys(sqlite_engine, stored, asked) -> None:
    _check(sqlite_engine, WarehouseShipmentRow, ("owner_id", "warehouse_code", "wms_outbound_no"), stored, asked)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stored=st.lists(SNAPSHOT, max_size=8), asked=st.lists(SNAPSHOT, max_size=12, unique=True))
def test_snapshot_keys(sqlite_engine, stored, asked) -> None:
    _check(sqlite_engine, StockSnapshotRow, ("owner_id", "snapshot_at", "lot_or_sku", "warehouse_code"), stored, asked)
