"""``bulk._stored_hashes_sqlite``'s BETWEEN probe over arbitrary texts (any code point SQLite can store, astral
included, NUL-free) for the varying column, stored and asked keys drawn from one pool, several owners and
warehouses per call: the answer is each asked key's stored hash, nothing else."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aggregator.store.models.warehouse import StockSnapshotRow, WarehouseShipmentRow
from tests.ingest.test_stored_hashes import INSTANTS, _check

TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=4)
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(data=st.data(), pool=st.lists(TEXT, min_size=1, max_size=10, unique=True))
def test_shipment_keys_of_any_text(sqlite_engine, data, pool) -> None:
    key = st.tuples(st.sampled_from(["L", "TROPIKA"]), st.sampled_from(["WH1", "WH2", "é"]), st.sampled_from(pool))
    stored = data.draw(st.lists(key, max_size=8))
    asked = data.draw(st.lists(key, max_size=12, unique=True))
    _check(sqlite_engine, WarehouseShipmentRow, ("owner_id", "warehouse_code", "wms_outbound_no"), stored, asked)


@SETTINGS
@given(data=st.data(), pool=st.lists(TEXT, min_size=1, max_size=10, unique=True))
def test_snapshot_keys_of_any_text(sqlite_engine, data, pool) -> None:
    key = st.tuples(st.sampled_from(["L", "TROPIKA"]), INSTANTS, st.sampled_from(pool), st.sampled_from(["", "WH1"]))
    stored = data.draw(st.lists(key, max_size=8))
    asked = data.draw(st.lists(key, max_size=12, unique=True))
    _check(sqlite_engine, StockSnapshotRow, ("owner_id", "snapshot_at", "lot_or_sku", "warehouse_code"), stored, asked)
