"""A receipt longer than an import chunk whose import is interrupted between two of its parts, or met by
another import of the same receipt between them, ends stored and audited as the record in one piece
would be (review of 284fc03..e537f21): run again, a new record stopped half-way is one ``create`` (no
``update`` of a record never created); two imports of a stored record, one run while the other is between
two parts, leave the lines of one of the two files (never a mix, nothing lost, nothing left aside).
Both paths, SQLite and PostgreSQL.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from aggregator.ingest import import_file
from aggregator.store.db import session_factory
from aggregator.store.models import AuditEntry
from aggregator.store.models.warehouse import WarehouseReceiptLineRow, WarehouseReceiptRow
from tests.ingest.test_import_long_records import WHOLE, _counts, _days, _receipt
from tests.ingest.test_import_paths import _clear, _snapshot
from tests.ingest.test_import_scattered import INBOUND_HEADER, _write


class _Stopped(Exception):
    """The import stopped between two chunks (a worker stopped, a connection cut)."""


def _lines(engine) -> list[tuple]:
    """Every stored receipt line (parent id, line number, received quantity), staged ones too."""
    with session_factory(engine)() as session:
        return [tuple(row) for row in session.execute(
            select(WarehouseReceiptLineRow.receipt_pk, WarehouseReceiptLineRow.line_no,
                   WarehouseReceiptLineRow.received_good_qty).order_by(WarehouseReceiptLineRow.receipt_pk,
                                                                        WarehouseReceiptLineRow.line_no)).all()]


@pytest.mark.parametrize("bulk", [True, False])
@pytest.mark.parametrize("again_rows", [3, WHOLE])
def test_a_new_long_receipt_stopped_half_way_is_one_create_when_run_again(engine, tmp_path: Path, bulk: bool,
                                                                          again_rows: int) -> None:
    """The import of a seven-line receipt (new) in chunks of three rows stops once its first part is in; run
    again (in parts or in one chunk), the file stores, counts and audits what one import not stopped does:
    one ``create``, no ``update``."""
    day1 = _write(tmp_path / "day1.csv", INBOUND_HEADER, [*_receipt(1, 7), *_receipt(2, 1)])
    [(counts, whole)] = _days(engine, "inbound", [day1], WHOLE, bulk)
    _clear(engine)

    def stop(rows: int, total: int) -> None:
        if rows > 3:  # (its first part is written with the second chunk)
            raise _Stopped

    stopped = import_file(engine, "inbound", day1, owner_id="LUMINA", chunk_rows=3, bulk=bulk, progress=stop)
    assert stopped.status == "FAILED"
    again = import_file(engine, "inbound", day1, owner_id="LUMINA", chunk_rows=again_rows, bulk=bulk)
    assert _counts(again) == counts
    after = _snapshot(engine)
    for table in ("warehouse_receipts", "warehouse_receipt_lines", "audit"):
        assert after[table] == whole[table], table


@pytest.mark.parametrize("bulk", [True, False])
@pytest.mark.parametrize("stored", [True, False])
def test_two_imports_of_a_long_receipt_leave_one_files_lines(engine, tmp_path: Path, bulk: bool, stored: bool) -> None:
    """ASN-1 (seven lines) stored or not; file A (ASN-1 as stored, ASN-0 before it) is imported in chunks of
    three rows and, once ASN-1's first part is in, file B (ASN-1 with line 2 received 3) is imported whole in
    chunks of three. ASN-1 then holds B's seven lines (B took it over), A says it did not store ASN-1's rows
    (``store_failed``), nothing waits aside, and ASN-1 has one ``create`` entry (and B's update if stored)."""
    day1 = _write(tmp_path / "day1.csv", INBOUND_HEADER, _receipt(1, 7))
    file_a = _write(tmp_path / "a.csv", INBOUND_HEADER, [*_receipt(0, 1), *_receipt(1, 7)])
    file_b = _write(tmp_path / "b.csv", INBOUND_HEADER, _receipt(1, 7, received={2: 3}))
    _clear(engine)
    if stored:
        import_file(engine, "inbound", day1, owner_id="LUMINA", chunk_rows=3, bulk=bulk)
    runs = []

    def other(rows: int, total: int) -> None:
        if rows > 4 and not runs:  # (ASN-1's first part is written with the second chunk)
            runs.append(import_file(engine, "inbound", file_b, owner_id="LUMINA", chunk_rows=3, bulk=bulk))

    a = import_file(engine, "inbound", file_a, owner_id="LUMINA", chunk_rows=3, bulk=bulk, progress=other)
    [b] = runs
    assert (b.status, b.created, b.updated) == ("COMPLETED", 0 + (not stored), 0 + stored)
    with session_factory(engine)() as session:
        pk = session.scalar(select(WarehouseReceiptRow.id).where(WarehouseReceiptRow.asn_no == "ASN-1"))
        actions = session.scalars(select(AuditEntry.action).where(
            AuditEntry.entity == WarehouseReceiptRow.__tablename__, AuditEntry.entity_key.like("%ASN-1%"))
            .order_by(AuditEntry.id)).all()
    assert [(line, qty) for parent, line, qty in _lines(engine) if parent == pk] == [
        (ln, 3 if ln == 2 else 10 * ln) for ln in range(1, 8)]
    assert [parent for parent, _, _ in _lines(engine) if parent < 0] == []
    assert (a.status, a.created, a.updated, a.unchanged) == ("COMPLETED_WITH_REJECTS", 1, 0, 0)
    assert set(a.problem_counts) == {"store_failed"}
    assert actions == (["create", "update"] if stored else ["create"])


@pytest.mark.parametrize("bulk", [True, False])
@pytest.mark.parametrize("again_rows", [3, WHOLE])
def test_a_stored_long_receipt_stopped_half_way_leaves_nothing_aside_when_imported_again(
        engine, tmp_path: Path, bulk: bool, again_rows: int) -> None:
    """ASN-1 stored; the next file's import (line 2 received 3) stops once ASN-1's first part waits aside; run
    again (in parts or in one chunk), it stores, counts and audits what one import not stopped does, and no
    line is left under a negative parent id."""
    day1 = _write(tmp_path / "day1.csv", INBOUND_HEADER, [*_receipt(1, 7), *_receipt(2, 1)])
    day2 = _write(tmp_path / "day2.csv", INBOUND_HEADER, [*_receipt(1, 7, received={2: 3}), *_receipt(2, 1)])
    [_, (counts, whole)] = _days(engine, "inbound", [day1, day2], WHOLE, bulk)
    _clear(engine)
    import_file(engine, "inbound", day1, owner_id="LUMINA", chunk_rows=3, bulk=bulk)

    def stop(rows: int, total: int) -> None:
        if rows > 3:
            raise _Stopped

    assert import_file(engine, "inbound", day2, owner_id="LUMINA", chunk_rows=3, bulk=bulk, progress=stop).status == "FAILED"
    assert [parent for parent, _, _ in _lines(engine) if parent < 0]  # (its first part waits aside)
    again = import_file(engine, "inbound", day2, owner_id="LUMINA", chunk_rows=again_rows, bulk=bulk)
    assert _counts(again) == counts
    assert [parent for parent, _, _ in _lines(engine) if parent < 0] == []
    after = _snapshot(engine)
    for table in ("warehouse_receipts", "warehouse_receipt_lines", "audit"):
        assert after[table] == whole[table], table
