"""A receipt or outbound longer than an import chunk (written in parts) one of whose lines holds a value longer
than its column is rejected whole, as the same file imported in one chunk rejects it: each of its rows
``too_long`` naming the field, the parts written before that line undone, nothing of it stored, hashed, weighed
or audited, the records around it stored as in one chunk; imported again it is rejected again and the others
are UNCHANGED with no write and no audit entry. (Earlier builds stored it from its other rows when the line fell
in a later part, so what was stored depended on the chunk size.) Both paths, SQLite and PostgreSQL.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from aggregator.ingest import import_file
from aggregator.store.models.warehouse import WarehouseShipmentRow
from tests.ingest.test_import_long_records import WHOLE, _counts, _receipt, _shipment, _updates
from tests.ingest.test_import_paths import LONG_SKU, OUTBOUND_HEADER, _clear, _snapshot
from tests.ingest.test_import_scattered import INBOUND_HEADER, _write

STORED = {"inbound": ("warehouse_receipts", "warehouse_receipt_lines", "audit"),
          "outbound": ("warehouse_shipments", "warehouse_shipment_lines", "audit")}


def _records(kind: str, too_long: bool) -> list[str]:
    """Record 2 of eight lines between two short ones; ``too_long``: its line 5 (in its second part of
    three rows) names a SKU longer than the column holds. A receipt's WMS number first met on line 5, its
    line numbers not stated (each line numbered by its place among the record's rows, as an outbound's)."""
    if kind == "inbound":
        long = [",".join(cells[:6] + [""] + cells[7:]) for cells in (row.split(",") for row in _receipt(2, 8, first_at=5))]
        long[4] = long[4].replace(",SKU-", f",{LONG_SKU}-") if too_long else long[4]
        return [*_receipt(1, 2), *long, *_receipt(3, 1)]
    long = _shipment(2, 8)
    long[4] = long[4].replace(",SKU-5,", f",{LONG_SKU},") if too_long else long[4]
    return [*_shipment(1, 2), *long, *_shipment(3, 1)]


def _stored(engine, kind: str) -> dict:
    snapshot = _snapshot(engine)
    return {table: snapshot[table] for table in STORED[kind]}


@pytest.mark.parametrize("bulk", [True, False])
@pytest.mark.parametrize("kind", ["inbound", "outbound"])
def test_a_too_long_line_in_a_later_part_rejects_its_record_as_in_one_chunk(engine, tmp_path: Path, kind: str,
                                                                            bulk: bool) -> None:
    """In parts of three, record 2's line 5 (its second part) is too long: all eight of its rows are rejected
    and it is not stored, as in one chunk; records 1 and 3 stored as in one chunk."""
    header = INBOUND_HEADER if kind == "inbound" else OUTBOUND_HEADER
    path = _write(tmp_path / "day1.csv", header, _records(kind, too_long=True))
    _clear(engine)
    reference = import_file(engine, kind, path, owner_id="LUMINA", chunk_rows=WHOLE, bulk=bulk)
    expected = _stored(engine, kind)
    expected_lines = sorted(dict(r)["line"] for r in _snapshot(engine)["rejects"])
    _clear(engine)
    summary = import_file(engine, kind, path, owner_id="LUMINA", chunk_rows=3, bulk=bulk)
    assert (summary.status, summary.rows_read, summary.rows_rejected) == ("COMPLETED_WITH_REJECTS", 11, 8)
    assert (reference.rows_rejected, reference.created) == (8, 2)
    assert (summary.created, summary.updated, summary.unchanged) == (2, 0, 0)
    assert dict(summary.problem_counts) == dict(reference.problem_counts) == {"too_long": 8}
    assert expected_lines == list(range(4, 12))
    assert _stored(engine, kind) == expected


@pytest.mark.parametrize("bulk", [True, False])
@pytest.mark.parametrize("kind", ["inbound", "outbound"])
def test_a_record_with_a_too_long_part_imported_again_is_unchanged(engine, tmp_path: Path, kind: str,
                                                                    bulk: bool) -> None:
    """The same file imported twice in parts of three (the second time from another file name, a blank line
    added): record 2 rejected again, the others UNCHANGED, no update entry, nothing stored differently."""
    header = INBOUND_HEADER if kind == "inbound" else OUTBOUND_HEADER
    rows = _records(kind, too_long=True)
    day1 = _write(tmp_path / "day1.csv", header, rows)
    day2 = _write(tmp_path / "day2.csv", header, [*rows, ""])
    _clear(engine)
    first = import_file(engine, kind, day1, owner_id="LUMINA", chunk_rows=3, bulk=bulk)
    stored = _stored(engine, kind)
    again = import_file(engine, kind, day2, owner_id="LUMINA", chunk_rows=3, bulk=bulk)
    assert _counts(first)[3:6] == (2, 0, 0)
    assert _counts(again)[:6] == ("COMPLETED_WITH_REJECTS", 11, 8, 0, 0, 2)
    assert _stored(engine, kind) == stored
    entity = "warehouse_receipts" if kind == "inbound" else WarehouseShipmentRow.__tablename__
    assert _updates(engine, entity) == []
