"""The lines a stored receipt's import in parts left under ``-id`` when it stopped half-way (the header still
holding that import's claim) are dropped when the receipt is next written in one piece (a file where it fits a
chunk, either path), not left behind: what is stored is what the import not stopped stores, on SQLite and
PostgreSQL. The stop is a fault raised while a later part is written."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from aggregator.ingest import import_file, tabular_import
from aggregator.store.db import session_factory
from aggregator.store.models.warehouse import WarehouseReceiptLineRow
from tests.ingest.test_import_long_records import _receipt
from tests.ingest.test_import_paths import _clear, _snapshot
from tests.ingest.test_import_scattered import INBOUND_HEADER, _write


class _Stopped(BaseException):
    """The process stopping mid-import (nothing catches it)."""


@pytest.mark.parametrize("bulk", [True, False])
@pytest.mark.parametrize("stopped_at", [2, 3])
def test_lines_a_stopped_import_in_parts_left_are_dropped_by_the_record_written_whole(
        engine, tmp_path: Path, monkeypatch, bulk: bool, stopped_at: int) -> None:
    day1 = _write(tmp_path / "day1.csv", INBOUND_HEADER, [*_receipt(1, 2), *_receipt(2, 7)])
    day2 = _write(tmp_path / "day2.csv", INBOUND_HEADER, [*_receipt(1, 2), *_receipt(2, 7, received={6: 1})])
    _clear(engine)
    import_file(engine, "inbound", day1, owner_id="LUMINA", chunk_rows=3, bulk=bulk)
    clean = import_file(engine, "inbound", day2, owner_id="LUMINA", bulk=bulk)
    expected = _snapshot(engine)

    _clear(engine)
    import_file(engine, "inbound", day1, owner_id="LUMINA", chunk_rows=3, bulk=bulk)
    written, calls = tabular_import.part_of_record, []

    def stopping(session, parts, agg) -> None:
        calls.append(agg)
        if len(calls) == stopped_at:
            raise _Stopped
        written(session, parts, agg)

    monkeypatch.setattr(tabular_import, "part_of_record", stopping)
    with pytest.raises(_Stopped):
        import_file(engine, "inbound", day2, owner_id="LUMINA", chunk_rows=3, bulk=bulk)
    monkeypatch.setattr(tabular_import, "part_of_record", written)
    again = import_file(engine, "inbound", day2, owner_id="LUMINA", bulk=bulk)
    with session_factory(engine)() as session:
        left = session.scalar(select(func.count()).where(WarehouseReceiptLineRow.receipt_pk < 0))
    assert left == 0
    assert (again.status, again.created, again.updated, again.unchanged) == (
        clean.status, clean.created, clean.updated, clean.unchanged)
    stored = _snapshot(engine)
    for table in ("audit", "warehouse_receipts", "warehouse_receipt_lines"):
        assert stored[table] == expected[table], table
