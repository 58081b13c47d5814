"""A part of a receipt or outbound longer than an import chunk that is rejected as too long (a value longer
than its column: ``too_long`` at each of the part's rows) adds nothing to the record: the record is stored,
hashed, weighed, numbered and audited as the same file without that part's rows stores it in one chunk, and
the file imported again is UNCHANGED with no write and no audit entry. Before, the rejected part's rows (kept
out of the hash, the summed weight and the rows the header is mapped from) still counted in the numbering of
the record's later lines (an outbound's, a receipt's not stating theirs): lines 7 and 8 stored as 7 and 8,
where the file without rows 4–6 numbers them 4 and 5. Both paths, SQLite and PostgreSQL.
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
def test_a_too_long_part_adds_nothing_to_its_record(engine, tmp_path: Path, kind: str, bulk: bool) -> None:
    """In parts of three, record 2's rows 4–6 are rejected as too long; its other five rows are stored as the
    file without rows 4–6 stores them in one chunk (hash, weight, header, line numbers, create entry)."""
    header = INBOUND_HEADER if kind == "inbound" else OUTBOUND_HEADER
    rows = _records(kind, too_long=True)
    path = _write(tmp_path / "day1.csv", header, rows)
    clean = [*rows[:5], *rows[8:]]  # (record 2's rows 4–6: the file's lines 7–9)
    without = _write(tmp_path / "without.csv", header, clean)
    _clear(engine)
    reference = import_file(engine, kind, without, owner_id="LUMINA", chunk_rows=WHOLE, bulk=bulk)
    expected = _stored(engine, kind)
    _clear(engine)
    summary = import_file(engine, kind, path, owner_id="LUMINA", chunk_rows=3, bulk=bulk)
    assert (summary.status, summary.rows_read, summary.rows_rejected) == ("COMPLETED_WITH_REJECTS", 11, 3)
    assert (summary.created, summary.updated, summary.unchanged) == (reference.created, 0, 0) == (3, 0, 0)
    assert dict(summary.problem_counts) == {"too_long": 3}
    assert sorted(dict(r)["line"] for r in _snapshot(engine)["rejects"]) == [7, 8, 9]
    assert _stored(engine, kind) == expected
    if kind == "outbound":
        header_row = dict(next(row for row in expected["warehouse_shipments"] if ("wms_outbound_no", "OB-2") in row))
        assert header_row["weight_g"] == 10 * (1 + 2 + 3 + 7 + 8)


@pytest.mark.parametrize("bulk", [True, False])
@pytest.mark.parametrize("kind", ["inbound", "outbound"])
def test_a_record_with_a_too_long_part_imported_again_is_unchanged(engine, tmp_path: Path, kind: str,
                                                                    bulk: bool) -> None:
    """The same file imported twice in parts of three (the second time from another file name, a blank line
    added): every record UNCHANGED, no update entry, nothing stored differently."""
    header = INBOUND_HEADER if kind == "inbound" else OUTBOUND_HEADER
    rows = _records(kind, too_long=True)
    day1 = _write(tmp_path / "day1.csv", header, rows)
    day2 = _write(tmp_path / "day2.csv", header, [*rows, ""])
    _clear(engine)
    first = import_file(engine, kind, day1, owner_id="LUMINA", chunk_rows=3, bulk=bulk)
    stored = _stored(engine, kind)
    again = import_file(engine, kind, day2, owner_id="LUMINA", chunk_rows=3, bulk=bulk)
    assert _counts(first)[3:6] == (3, 0, 0)
    assert _counts(again)[:6] == ("COMPLETED_WITH_REJECTS", 11, 3, 0, 0, 3)
    assert _stored(engine, kind) == stored
    entity = "warehouse_receipts" if kind == "inbound" else WarehouseShipmentRow.__tablename__
    assert _updates(engine, entity) == []
